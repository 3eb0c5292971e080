// SPDX-License-Identifier: GPL-2.0
/*
 * Host BPF test of cpu_account.bpf.c on the running kernel: per-cgroup
 * on-CPU time must match each cgroup's own cpu.stat usage_usec within
 * 0.1 % for busy, sleepy and fork-heavy cgroups (each >= 0.5 s of CPU),
 * and for the three cgroups a four-thread process is moved through
 * (cgroup.procs). A process whose main thread exits first must keep one
 * process row, live until its last thread dies.
 *
 * Usage: cpu-account-test [--two-packages]
 * With --two-packages the CPUs are read from a fixture topology of two
 * packages (CPU 0 in one, CPU 1 in the other), which adds the migration
 * hook; the split is checked with a process that moves from one CPU to
 * the other after a third of its time.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_cpu.h"
#include "cgroup_child.h"
#include "cpu_account.skel.h"
#include "lib/cgroupfs.h"
#include "tap.h"
#include "topology_fixture.h"

/* Cumulative on-CPU ns per package of one cgroup (zeros if unknown). */
static int eacct_bpf_cpu_cgroup(struct eacct_bpf_cpu *c, uint64_t cgroup_id,
				struct eacct_cgroup_cpu *out)
{
	__u64 key = cgroup_id;

	if (bpf_map__lookup_elem(c->skel->maps.cgroup_ns, &key, sizeof(key),
				 out, sizeof(*out), 0)) {
		memset(out, 0, sizeof(*out));
		return errno == ENOENT ? 0 : -errno;
	}
	return 0;
}

static char base[4200];

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void spin_cpu(double seconds)
{
	double end = cpu_s() + seconds;

	while (cpu_s() < end)
		;
}

/* Each busy process on its own CPU, so both packages of a split see time. */
static void busy_on(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu % sysconf(_SC_NPROCESSORS_ONLN), &set);
	sched_setaffinity(0, sizeof(set), &set);
	spin_cpu(0.7);
}

static void busy0(void)
{
	busy_on(0);
}

static void busy1(void)
{
	busy_on(1);
}

/* A third of its time on CPU 0, the rest on CPU 1. */
static void hopper(void)
{
	busy_on(0);	/* 0.7 s */
	busy_on(1);
	spin_cpu(0.7);	/* 1.4 s on CPU 1 */
}

/*
 * Half on CPU, half asleep, for 2 s; longer where the machine is slow
 * (an emulated one: wakeups late), until it has had 0.6 s of CPU, so
 * that it is measured on enough time (at most 8 s).
 */
static void sleepy(void)
{
	double start = wall_s(), used = 0;

	while ((wall_s() < start + 2.0 || used < 0.6) && wall_s() < start + 8.0) {
		spin_cpu(0.002);
		used += 0.002;
		usleep(2000);
	}
}

/* Two thousand processes of about 0.35 ms each, one after the other. */
static void forky(void)
{
	int i, status;

	for (i = 0; i < 2000; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			spin_cpu(0.00035);
			_exit(0);
		}
		waitpid(pid, &status, 0);
	}
}

/*
 * A process born in @cgroup (clone3 with CLONE_INTO_CGROUP), as a
 * container's processes are. One that moves in while running differs
 * from cpu.stat by the slice under way: with the cpu controller on, the
 * kernel charges it to the new cgroup; eacct, at cgroup_attach_task
 * (the only tracepoint, after the move), to the old one.
 */
static pid_t run_in(const char *cgroup, void (*fn)(void))
{
	char path[4400];
	pid_t pid;

	snprintf(path, sizeof(path), "%s/%s", base, cgroup);
	pid = fork_into_cgroup(path);
	if (pid == 0) {
		fn();
		_exit(0);
	}
	return pid;
}

static uint64_t usage_ns(const char *cgroup)
{
	char path[4400], line[256];
	uint64_t usec = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/cpu.stat", base, cgroup);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "usage_usec %" SCNu64, &usec) == 1)
			break;
	if (f)
		fclose(f);
	return usec * 1000;
}

static uint64_t our_ns(struct eacct_bpf_cpu *c, const char *cgroup)
{
	struct eacct_cgroup_cpu v;
	char path[4400];
	struct stat st;
	uint64_t sum = 0;
	int i;

	snprintf(path, sizeof(path), "%s/%s", base, cgroup);
	if (stat(path, &st) || eacct_bpf_cpu_cgroup(c, st.st_ino, &v))
		return 0;
	for (i = 0; i < EACCT_MAX_PKG; i++)
		sum += v.ns[i];
	return sum;
}

/* Sum of process rows whose last cgroup is @cgroup, and how many. */
static uint64_t process_ns(struct eacct_bpf_cpu *c, const char *cgroup, int *rows)
{
	struct eacct_process_key key, next, *prev = NULL;
	struct eacct_process_cpu v;
	char path[4400];
	struct stat st;
	uint64_t sum = 0;
	int fd = bpf_map__fd(c->skel->maps.process_ns), i;

	*rows = 0;
	snprintf(path, sizeof(path), "%s/%s", base, cgroup);
	if (stat(path, &st))
		return 0;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &v) || v.cgroup_id != st.st_ino)
			continue;
		(*rows)++;
		for (i = 0; i < EACCT_MAX_PKG; i++)
			sum += v.ns[i];
	}
	return sum;
}

/* --- A process moved with all its threads: A, then B, then C --------- */

static volatile int *stop_threads;	/* shared with the child: 1 stops it */

static void *spinner(void *arg)
{
	(void)arg;
	while (!*stop_threads)
		;
	return NULL;
}

/* The main thread and three more, all on CPU until told to stop. */
static void four_threads(void)
{
	pthread_t th[3];
	int i;

	for (i = 0; i < 3; i++)
		pthread_create(&th[i], NULL, spinner, NULL);
	spinner(NULL);
	for (i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
}

/* Move the whole process, as a shell's echo $pid > cgroup.procs does. */
static int move_to(const char *cgroup, pid_t pid)
{
	char path[4400];
	FILE *f;
	int err;

	snprintf(path, sizeof(path), "%s/%s/cgroup.procs", base, cgroup);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	fprintf(f, "%d\n", pid);
	err = fclose(f) ? -errno : 0;
	return err;
}

/* Until @cgroup's cpu.stat shows @seconds of CPU (at most 30 s of wall time). */
static void wait_usage(const char *cgroup, double seconds)
{
	double end = wall_s() + 30;

	while (usage_ns(cgroup) < seconds * 1e9 && wall_s() < end)
		usleep(10 * 1000);
}

static void moved_threads(struct eacct_bpf_cpu *c)
{
	static const char *const cg[] = { "movA", "movB", "movC" };
	uint64_t ours, theirs, total = 0, procs;
	cpu_set_t all, one;
	double err_pct;
	int i, status, rows, moved;
	pid_t pid;

	stop_threads = mmap(NULL, sizeof(*stop_threads), PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (stop_threads == MAP_FAILED) {
		tap(false, "moved process: no shared page (%s)", strerror(errno));
		return;
	}
	*stop_threads = 0;
	/*
	 * No cpu controller below base: a move leaves the scheduler alone,
	 * and cpu.stat charges a thread's runtime to the cgroup it is in at
	 * each update (tick or switch), the split eacct makes. The process
	 * and this mover share CPU 0: a thread running elsewhere could take
	 * a tick in the microseconds between the kernel's move and the
	 * tracepoint, which cpu.stat charges to the new cgroup and eacct to
	 * the old (the known limit, a tick at most; with the threads free to
	 * run on both CPUs, 4 ms once in about 35 runs here). Here every
	 * thread is runnable but off CPU while it is moved: the split is
	 * exact, and any difference a fault.
	 */
	sched_getaffinity(0, sizeof(all), &all);
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	sched_setaffinity(0, sizeof(one), &one);
	pid = run_in("movA", four_threads);
	wait_usage("movA", 0.6);
	moved = !move_to("movB", pid);
	wait_usage("movB", 0.3);
	/* Half the moves are read by a collection, half at the threads' deaths. */
	eacct_bpf_cpu_collect(c);
	wait_usage("movB", 0.6);
	moved += !move_to("movC", pid);
	wait_usage("movC", 0.6);
	*stop_threads = 1;
	waitpid(pid, &status, 0);
	sched_setaffinity(0, sizeof(all), &all);
	eacct_bpf_cpu_collect(c);
	tap(moved == 2, "moved process: 4 busy threads moved A -> B -> C through cgroup.procs");
	for (i = 0; i < 3; i++) {
		ours = our_ns(c, cg[i]);
		theirs = usage_ns(cg[i]);
		total += ours;
		err_pct = theirs ? 100.0 * ((double)ours - (double)theirs) / theirs : 100;
		tap(theirs >= 500000000ULL && err_pct < 0.1 && err_pct > -0.1,
		    "moved process, %s: bpf %.6f s, cpu.stat %.6f s, error %+.4f %%",
		    cg[i], ours / 1e9, theirs / 1e9, err_pct);
	}
	procs = process_ns(c, "movC", &rows);
	tap(rows == 1 && procs == total,
	    "moved process: one row (%d), its %.6f s the three cgroups' %.6f s",
	    rows, procs / 1e9, total / 1e9);
	munmap((void *)stop_threads, sizeof(*stop_threads));
}

/* --- A process whose main thread exits first ----------------------- */

static double thread_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *spin_thread(void *arg)
{
	double end = thread_cpu_s() + 0.4;

	(void)arg;
	while (thread_cpu_s() < end)
		;
	return NULL;
}

/* Two busy threads; main leaves first, the process ends with the last. */
static void leader_exits_first(void)
{
	pthread_t th[2];
	int i;

	for (i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, spin_thread, NULL);
	pthread_exit(NULL);
}

/* The state letter of /proc/@pid/stat ('Z' once the leader has exited). */
static char proc_state(pid_t pid)
{
	char path[64], buf[512], *paren;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return '?';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	paren = strrchr(buf, ')');
	return paren && paren[1] ? paren[2] : '?';
}

/*
 * Rows of process @tgid: how many and how many marked exited. Exited
 * rows are deleted after reading, as eacctd does once it has charged
 * them; their time is added to *@pruned, the others' put in *@live.
 */
static int tgid_rows(struct eacct_bpf_cpu *c, pid_t tgid, int *exited,
		     uint64_t *pruned, uint64_t *live)
{
	struct eacct_process_key key, next, *prev = NULL;
	struct eacct_process_cpu v;
	int fd = bpf_map__fd(c->skel->maps.process_ns), rows = 0, i;
	uint64_t ns;

	*exited = 0;
	*live = 0;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (key.tgid != (__u32)tgid || bpf_map_lookup_elem(fd, &key, &v))
			continue;
		rows++;
		for (ns = 0, i = 0; i < EACCT_MAX_PKG; i++)
			ns += v.ns[i];
		if (!v.exited) {
			*live += ns;
			continue;
		}
		(*exited)++;
		*pruned += ns;
		bpf_map_delete_elem(fd, &key);
	}
	return rows;
}

static void leader_first(struct eacct_bpf_cpu *c)
{
	uint64_t pruned = 0, live, ours;
	int status, rows_mid, exited_mid, rows, exited, rows_end, exited_end, rows_left, exited_left;
	double end;
	pid_t pid;

	pid = run_in("lead", leader_exits_first);
	end = wall_s() + 10;
	while (proc_state(pid) != 'Z' && wall_s() < end)
		usleep(1000);
	usleep(50 * 1000);	/* past the leader's last switch */
	/* The leader gone, two threads running: one live row, never pruned. */
	eacct_bpf_cpu_collect(c);
	rows_mid = tgid_rows(c, pid, &exited_mid, &pruned, &live);
	eacct_bpf_cpu_collect(c);
	rows = tgid_rows(c, pid, &exited, &pruned, &live);
	tap(rows_mid == 1 && !exited_mid && rows == 1 && !exited,
	    "main thread exited first: its process stays one live row (%d then %d rows, %d then %d exited)",
	    rows_mid, rows, exited_mid, exited);
	waitpid(pid, &status, 0);
	/*
	 * The parent hears of a process whose leader went first when its
	 * last thread is released, before that thread's final switch.
	 */
	usleep(50 * 1000);
	eacct_bpf_cpu_collect(c);
	rows_end = tgid_rows(c, pid, &exited_end, &pruned, &live);
	eacct_bpf_cpu_collect(c);
	rows_left = tgid_rows(c, pid, &exited_left, &pruned, &live);
	tap(rows_end == 1 && exited_end == 1 && !rows_left,
	    "its last thread gone: one row, exited (%d rows, %d exited), none left once pruned (%d)",
	    rows_end, exited_end, rows_left);
	ours = our_ns(c, "lead");
	tap(pruned + live == ours && ours > 700000000ULL,
	    "its rows held all its threads' time: %.6f s, the cgroup's %.6f s",
	    (pruned + live) / 1e9, ours / 1e9);
}

int main(int argc, char **argv)
{
	bool two = argc > 1 && !strcmp(argv[1], "--two-packages");
	const char *cpu_dir = two ? two_package_fixture() : "/sys/devices/system/cpu";
	struct eacct_cgroup_cpu split;
	char statpath[4400];
	struct stat sb;
	static const char *const names[] = {
		"busy", "sleepy", "forky", "hopper", "movA", "movB", "movC", "lead",
	};
	char root[4096], path[4400];
	struct eacct_bpf_cpu c;
	struct eacct_cpu_stats st;
	uint64_t ours, theirs, mid, procs;
	pid_t pids[5];
	int i, err, status, rows, p0, p1;
	double err_pct;

	tap_prefix = "host cpu";
	if (eacct_cgroup2_mount("/proc/self/mounts", root, sizeof(root))) {
		fprintf(stderr, "cpu-account-test: no cgroup2 mount\n");
		return 1;
	}
	err = cpu_dir ? eacct_bpf_cpu_open(&c, cpu_dir, NULL) : -ENOENT;
	tap(!err, "cpu_account.bpf.o loads and attaches (%d package(s))", c.nr_pkgs);
	if (err)
		return 1;

	snprintf(base, sizeof(base), "%s/eacct-cpu-test-%d", root, getpid());
	mkdir(base, 0755);
	for (i = 0; i < 8; i++) {
		snprintf(path, sizeof(path), "%s/%s", base, names[i]);
		mkdir(path, 0755);
	}
	pids[0] = run_in("busy", busy0);
	pids[1] = run_in("busy", busy1);
	pids[2] = run_in("sleepy", sleepy);
	pids[3] = run_in("forky", forky);
	pids[4] = run_in("hopper", hopper);

	/* A collection while they run: time shows up before anyone exits. */
	usleep(400 * 1000);
	eacct_bpf_cpu_collect(&c);
	mid = our_ns(&c, "busy");
	tap(mid > 100000000ULL, "running tasks collected mid-run (busy: %.3f s)", mid / 1e9);

	for (i = 0; i < 5; i++)
		waitpid(pids[i], &status, 0);
	eacct_bpf_cpu_collect(&c);

	for (i = 0; i < 4; i++) {
		ours = our_ns(&c, names[i]);
		theirs = usage_ns(names[i]);
		err_pct = theirs ? 100.0 * ((double)ours - (double)theirs) / theirs : 100;
		tap(theirs >= 500000000ULL && err_pct < 0.1 && err_pct > -0.1,
		    "%-6s bpf %.6f s, cpu.stat %.6f s, error %+.4f %%",
		    names[i], ours / 1e9, theirs / 1e9, err_pct);
	}
	/* CPU 0 and 1 in different packages: the fixture, or the 2-socket guest. */
	p0 = c.skel->bss->cpu_pkg[0];
	p1 = c.skel->bss->cpu_pkg[1];
	if (c.nr_pkgs > 1 && p0 != p1) {
		snprintf(statpath, sizeof(statpath), "%s/busy", base);
		stat(statpath, &sb);
		eacct_bpf_cpu_cgroup(&c, sb.st_ino, &split);
		tap(split.ns[p0] > 0 && split.ns[p1] > 0,
		    "busy: time split over the packages it ran on: %.3f s + %.3f s",
		    split.ns[p0] / 1e9, split.ns[p1] / 1e9);
		snprintf(statpath, sizeof(statpath), "%s/hopper", base);
		stat(statpath, &sb);
		eacct_bpf_cpu_cgroup(&c, sb.st_ino, &split);
		ours = split.ns[p0] + split.ns[p1];
		err_pct = ours ? 100.0 * split.ns[p0] / ours : 0;
		tap(err_pct > 32.3 && err_pct < 34.3,
		    "hopper: %.2f %% of its time on CPU 0's package (a third expected), %.3f s + %.3f s",
		    err_pct, split.ns[p0] / 1e9, split.ns[p1] / 1e9);
	}
	procs = process_ns(&c, "forky", &rows);
	tap(rows >= 2000, "fork-heavy: %d process rows, every short-lived process counted", rows);
	ours = our_ns(&c, "forky");
	tap(procs > ours * 0.99 && procs < ours * 1.01,
	    "per-process sum %.4f s matches the cgroup's %.4f s", procs / 1e9, ours / 1e9);

	moved_threads(&c);
	leader_first(&c);

	eacct_bpf_cpu_stats(&c, &st);
	tap(!st.storage_misses && !st.cgroup_map_full && !st.flush_races && !st.move_misses,
	    "no slice lost (storage misses %llu, cgroup map full %llu, process map full %llu, flush races %llu, move misses %llu)",
	    (unsigned long long)st.storage_misses, (unsigned long long)st.cgroup_map_full,
	    (unsigned long long)st.process_map_full, (unsigned long long)st.flush_races,
	    (unsigned long long)st.move_misses);

	for (i = 0; i < 8; i++) {
		snprintf(path, sizeof(path), "%s/%s", base, names[i]);
		rmdir(path);
	}
	rmdir(base);
	eacct_bpf_cpu_close(&c);
	return tap_done("host-cpu");
}
