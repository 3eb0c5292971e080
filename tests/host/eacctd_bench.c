// SPDX-License-Identifier: GPL-2.0
/*
 * eacctd's own CPU use at a 1 s interval with 100, 1,000, 3,000 and
 * 5,000 active cgroups (each holds a process that runs a little every
 * second). 10,000 such processes overload this 2-core build machine
 * (tried: creation slows to ~15 a second past 8,000, load average 4,500,
 * workqueue stall warnings) before eacctd can be measured; give the
 * sizes as arguments on a larger one: eacctd-bench EACCTD [N...].
 *
 * The build machine's kernel cannot load modules, so eacctd writes its
 * batches to a file here: this measures eacctd itself (BPF collection,
 * map reads, attribution, encoding, the state file); the module's ingest
 * cost per record is measured in the VM (make bench, ingest_ns_*).
 * Prints "BENCH key value" lines.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup_child.h"
#include "lib/cgroupfs.h"

#define WARMUP_S 3
#define MEASURE_S 10

static char base[4200];

static void spin_us(long us)
{
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	do
		clock_gettime(CLOCK_MONOTONIC, &b);
	while ((b.tv_sec - a.tv_sec) * 1000000L + (b.tv_nsec - a.tv_nsec) / 1000 < us);
}

/*
 * A process born in cgroup c<i> (moving thousands of processes by
 * cgroup.procs serialises on a global lock and stalls a 2-core machine).
 */
static pid_t worker(int i)
{
	char path[4400];
	pid_t p;

	snprintf(path, sizeof(path), "%s/c%d", base, i);
	p = fork_into_cgroup(path);
	if (p)
		return p;
	for (;;) {
		spin_us(20);
		sleep(1);
	}
}

static long cpu_ticks(pid_t pid)
{
	char path[64], buf[1024], *s;
	unsigned long ut, st;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f || !fgets(buf, sizeof(buf), f)) {
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	s = strrchr(buf, ')');
	/* Fields 14 and 15, utime and stime, after "pid (comm) state". */
	if (!s || sscanf(s + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
			 &ut, &st) != 2)
		return -1;
	return (long)(ut + st);
}

static double run(int n, const char *eacctd)
{
	static pid_t kids[10000];
	char path[4400];
	long t0, t1;
	pid_t daemon;
	int i, status;

	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/c%d", base, i);
		mkdir(path, 0755);
		kids[i] = worker(i);
	}
	daemon = fork();
	if (!daemon) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 2);
		execl(eacctd, eacctd, "-c", "/tmp/eacctd-bench.conf", (char *)NULL);
		_exit(127);
	}
	sleep(WARMUP_S);
	t0 = cpu_ticks(daemon);
	sleep(MEASURE_S);
	t1 = cpu_ticks(daemon);
	kill(daemon, SIGTERM);
	waitpid(daemon, &status, 0);
	for (i = 0; i < n; i++)
		if (kids[i] > 0)
			kill(kids[i], SIGKILL);
	for (i = 0; i < n; i++)
		if (kids[i] > 0)
			waitpid(kids[i], &status, 0);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/c%d", base, i);
		rmdir(path);
	}
	if (t0 < 0 || t1 < 0)
		return -1;
	return 100.0 * (double)(t1 - t0) / (double)sysconf(_SC_CLK_TCK) / MEASURE_S;
}

int main(int argc, char **argv)
{
	int sizes[8] = { 100, 1000, 3000, 5000 }, nr_sizes = 4;
	const char *eacctd = argc > 1 ? argv[1] : "build/bin/eacctd";
	char root[4096];
	FILE *f;
	size_t i;

	if (eacct_cgroup2_mount("/proc/self/mounts", root, sizeof(root)))
		return 1;
	snprintf(base, sizeof(base), "%s/eacct-bench", root);
	mkdir(base, 0755);
	f = fopen("/tmp/eacctd-bench.conf", "w");
	if (!f)
		return 1;
	fprintf(f, "interval = 1000\nintensity = 300\n"
		"device = /tmp/eacctd-bench.batches\n"
		"state_file = /tmp/eacctd-bench.state\n"
		"status_file = /tmp/eacctd-bench.status\n"
		"sysfs = /tmp/eacctd-bench.sys\n"
		"bpf_pin_dir = /sys/fs/bpf/eacct-bench\n");
	fclose(f);
	/* The module's seq, which eacctd reads before its first batch. */
	mkdir("/tmp/eacctd-bench.sys", 0755);
	f = fopen("/tmp/eacctd-bench.sys/seq", "w");
	if (!f)
		return 1;
	fputs("0\n", f);
	fclose(f);
	if (argc > 2) {
		for (nr_sizes = 0; nr_sizes < 8 && nr_sizes + 2 < argc; nr_sizes++)
			sizes[nr_sizes] = atoi(argv[nr_sizes + 2]);
	}
	for (i = 0; i < (size_t)nr_sizes; i++) {
		if (sizes[i] <= 0 || sizes[i] > 10000)
			continue;
		/* A regular file stands in for /dev/eacct; fresh each run. */
		fclose(fopen("/tmp/eacctd-bench.batches", "w"));
		unlink("/tmp/eacctd-bench.state");
		printf("BENCH eacctd_cpu_pct_%d_cgroups %.2f\n", sizes[i],
		       run(sizes[i], eacctd));
		fflush(stdout);
		if (system("build/bin/eacctd -c /tmp/eacctd-bench.conf --reset-bpf 2>/dev/null"))
			fprintf(stderr, "eacctd-bench: --reset-bpf failed\n");
	}
	rmdir(base);
	return 0;
}
