// SPDX-License-Identifier: GPL-2.0
/*
 * In-guest tests of eacct.ko's ABI: /dev/eacct, /sys/kernel/eacct and
 * /proc/eacct/processes, against real cgroups. Prints TAP lines.
 *
 * Usage: abitest TEST...   (see the table at the end)
 * Needs: eacct.ko loaded, cgroup2 at CG_ROOT, root.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/netlink.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vmtest.h"

static void setup_tree(void)
{
	static const char *const tree[] = {
		TEST_CG, TEST_CG "/A", TEST_CG "/A/B", TEST_CG "/A/B/C",
		TEST_CG "/D",
	};
	struct eacct_batch b;
	size_t i;
	int err;

	/* Zero records register cgroups, as eacctd does when they appear. */
	eacct_batch_init(&b, next_seq());
	for (i = 0; i < sizeof(tree) / sizeof(tree[0]); i++) {
		mkcg(tree[i]);
		eacct_batch_add_cgroup(&b, cg_id(tree[i]), PKG0, 0, 0);
	}
	err = batch_write(&b);
	eacct_batch_free(&b);
	tap(!err && rd(MIRROR "/A/B/C/energy_uj") == 0 &&
	    rd(MIRROR "/D/energy_uj") == 0, "zero records register cgroups");
}

static void test_hierarchy(void)
{
	uint64_t root0 = rd(SYS "/cgroups/energy_uj");
	uint64_t pkg0 = rd(SYS "/domains/package-0/energy_uj");
	uint64_t c = cg_id(TEST_CG "/A/B/C"), seq = next_seq();
	struct eacct_batch b;
	int err;

	if (pkg0 == UINT64_MAX)
		pkg0 = 0;
	eacct_batch_init(&b, seq);
	eacct_batch_add_cgroup(&b, c, PKG0, 1000, 10);
	eacct_batch_add_cgroup(&b, cg_id(TEST_CG "/A/B"), DRAM0, 500, 5);
	eacct_batch_add_cgroup(&b, cg_id(TEST_CG "/D"), GPU0, 7, 1);
	eacct_batch_add_cgroup(&b, cg_id(CG_ROOT), PKG0, 3, 0);
	err = batch_write(&b);
	eacct_batch_free(&b);
	tap(!err, "valid batch of 4 records applied (%s)", strerror(-err));
	tap(rd(SYS "/seq") == seq, "seq reads back the applied sequence");
	tap(rd(MIRROR "/A/B/C/id") == c, "nested cgroup mirrored, id is its inode");
	tap(rd(MIRROR "/A/B/C/cpu_energy_uj") == 1000 &&
	    rd(MIRROR "/A/B/C/energy_uj") == 1000 &&
	    rd(MIRROR "/A/B/C/carbon_ug") == 10, "leaf counters");
	tap(rd(MIRROR "/A/B/energy_uj") == 1500 &&
	    rd(MIRROR "/A/B/cpu_energy_uj") == 1000 &&
	    rd(MIRROR "/A/B/dram_energy_uj") == 500 &&
	    rd(MIRROR "/A/B/carbon_ug") == 15, "parent includes its child");
	tap(rd(MIRROR "/A/energy_uj") == 1500 && rd(MIRROR "/energy_uj") == 1507,
	    "grandparents include all descendants");
	tap(rd(MIRROR "/D/gpu_energy_uj") == 7, "gpu class counted");
	tap(rd(SYS "/cgroups/energy_uj") - root0 == 1510,
	    "root cgroup includes everything, its own charge too");
	tap(rd(SYS "/domains/package-0/energy_uj") - pkg0 == 1003 &&
	    rd(SYS "/domains/dram-0/energy_uj") != UINT64_MAX &&
	    rd(SYS "/domains/gpu-0/energy_uj") != UINT64_MAX,
	    "domain node totals");

	/* Idle energy: the domain's total and idle_uj, no cgroup. */
	eacct_batch_init(&b, next_seq());
	eacct_batch_add_idle(&b, PKG0, 500, 2);
	err = batch_write(&b);
	eacct_batch_free(&b);
	tap(!err && rd(SYS "/domains/package-0/energy_uj") - pkg0 == 1503 &&
	    rd(SYS "/domains/package-0/idle_uj") == 500 &&
	    rd(SYS "/cgroups/energy_uj") - root0 == 1510,
	    "idle record: in the domain's energy_uj and idle_uj, in no cgroup");

	eacct_batch_init(&b, seq);
	eacct_batch_add_cgroup(&b, c, PKG0, 1000, 10);
	err = batch_write(&b);
	tap(err == -EALREADY, "replayed sequence refused with EALREADY (%s)",
	    strerror(-err));
	b.seq = seq - 1;
	err = batch_write(&b);
	tap(err == -EALREADY, "older sequence refused with EALREADY");
	eacct_batch_free(&b);
	tap(rd(MIRROR "/A/B/C/cpu_energy_uj") == 1000, "replays counted nothing");
}

struct bad_case {
	const char *name;
	int expect;
	size_t len;
	char *buf;
};

static char *valid_batch(uint64_t seq, int nr, size_t *len)
{
	struct eacct_batch b;
	char *buf;
	int i;

	eacct_batch_init(&b, seq);
	for (i = 0; i < nr; i++)
		eacct_batch_add_cgroup(&b, cg_id(TEST_CG "/A/B/C"), PKG0, 111, 1);
	eacct_batch_add_process(&b, getpid(), cg_id(TEST_CG "/A/B/C"), PKG0,
				111, 1, "abitest");
	buf = eacct_batch_encode(&b, len);
	eacct_batch_free(&b);
	return buf;
}

static void test_malformed(void)
{
	uint64_t seq = next_seq();
	struct eacct_batch_header *h;
	struct eacct_cgroup_record *r;
	struct eacct_process_record *p;
	struct bad_case cases[48];
	int n = 0, i, err;
	char *before, *after;
	uint64_t rejected;
	size_t len;

#define CASE(_name, _expect) do {					\
		cases[n].name = _name;					\
		cases[n].expect = _expect;				\
		cases[n].buf = valid_batch(seq, 2, &cases[n].len);	\
		h = (void *)cases[n].buf;				\
		r = (void *)(h + 1);					\
		p = (void *)(r + 2);					\
	} while (0)
#define END n++

	CASE("empty write", -EINVAL); cases[n].len = 0; END;
	CASE("short header", -EINVAL); cases[n].len = 10; END;
	CASE("wrong magic", -EBADMSG); h->magic ^= 1; END;
	CASE("unknown version", -EPROTONOSUPPORT); h->version = 2; END;
	CASE("header size past the data", -EINVAL); h->header_size += 8; END;
	CASE("header size below the first", -EINVAL); h->header_size = 24; END;
	CASE("header size not a multiple of 8", -EINVAL); h->header_size = 36; END;
	CASE("flags set", -EINVAL); h->flags = 1; END;
	CASE("cgroup record size below the first", -EINVAL);
	h->cgroup_record_size = 24; END;
	CASE("process record size not a multiple of 8", -EINVAL);
	h->process_record_size = 52; END;
	CASE("record size past EACCT_MAX_STRUCT_SIZE", -E2BIG);
	h->process_record_size = EACCT_MAX_STRUCT_SIZE + 8; END;
	CASE("sequence beyond EACCT_MAX_SEQ_STEP", -ERANGE);
	h->seq = seq - 1 + EACCT_MAX_SEQ_STEP + 1; END;
	CASE("sequence U64_MAX", -ERANGE); h->seq = UINT64_MAX; END;
	CASE("sequence zero", -EINVAL); h->seq = 0; END;
	CASE("count larger than data", -EINVAL); h->nr_cgroup_records = 3; END;
	CASE("truncated record", -EINVAL); cases[n].len -= 8; END;
	CASE("trailing bytes", -EINVAL);
	cases[n].buf = realloc(cases[n].buf, cases[n].len + 4);
	memset(cases[n].buf + cases[n].len, 0, 4); cases[n].len += 4; END;
	CASE("record count overflow", -EMSGSIZE);
	h->nr_cgroup_records = 0xffffffff; END;
	CASE("process count overflow", -EMSGSIZE);
	h->nr_process_records = 0xfffffff0; END;
	CASE("unknown domain class", -EDOM); r[1].domain = EACCT_DOMAIN(3, 0); END;
	CASE("domain index out of range", -EDOM);
	r[0].domain = EACCT_DOMAIN(EACCT_CLASS_GPU, EACCT_MAX_DOMAIN_INDEX); END;
	CASE("zero cgroup id", -EINVAL); r[1].cgroup_id = 0; END;
	CASE("record flags set", -EINVAL); r[0].flags = 4; END;
	CASE("idle record with a cgroup id", -EINVAL);
	r[0].flags = EACCT_RECORD_IDLE; END;
	CASE("energy delta too large", -ERANGE);
	r[0].energy_uj = EACCT_MAX_DELTA + 1; END;
	CASE("carbon delta too large", -ERANGE); r[1].carbon_ug = ~0ULL; END;
	CASE("process tgid zero", -EINVAL); p->tgid = 0; END;
	CASE("process comm unterminated", -EINVAL);
	memset(p->comm, 'x', sizeof(p->comm)); END;
	CASE("process unknown domain", -EDOM); p->domain = EACCT_DOMAIN(9, 0); END;
	CASE("stale sequence", -EALREADY); h->seq = seq - 1; END;

	/* A new cgroup in a batch refused: the new one must not appear. */
	mkcg(TEST_CG "/E");
	CASE("new cgroup beside a bad domain", -EDOM);
	r[0].cgroup_id = cg_id(TEST_CG "/E");
	r[1].domain = EACCT_DOMAIN(7, 0); END;

	before = snapshot();
	for (i = 0; i < n; i++) {
		rejected = rd(SYS "/stats/batches_rejected");
		err = dev_write(cases[i].buf, cases[i].len);
		after = snapshot();
		tap(err == cases[i].expect && !strcmp(before, after) &&
		    rd(SYS "/stats/batches_rejected") == rejected + 1,
		    "malformed: %s -> %s, nothing changed", cases[i].name,
		    strerror(-cases[i].expect));
		if (err != cases[i].expect)
			diag("got %s", strerror(-err));
		free(after);
		free(cases[i].buf);
	}
	tap(!exists(MIRROR "/E"), "refused batch left no directory behind");

	/* Oversized: larger than EACCT_BATCH_MAX_BYTES. */
	len = EACCT_BATCH_MAX_BYTES + 64;
	cases[0].buf = calloc(1, len);
	err = dev_write(cases[0].buf, len);
	after = snapshot();
	tap(err == -EMSGSIZE && !strcmp(before, after),
	    "malformed: oversized write -> EMSGSIZE, nothing changed");
	free(after);
	free(cases[0].buf);
	free(before);
	rmdir(TEST_CG "/E");
}

static int run_as_nobody(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(100);
		_exit(fn(arg));
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 200;
}

static int unpriv_open(void *arg __attribute__((unused)))
{
	int fd = open(DEV, O_WRONLY);

	return fd < 0 ? errno : 0;
}

static int unpriv_write_fd(void *arg)
{
	size_t len;
	char *buf = valid_batch(next_seq(), 1, &len);
	ssize_t n = write(*(int *)arg, buf, len);

	return n < 0 ? errno : 0;
}

static int unpriv_budget(void *arg __attribute__((unused)))
{
	return -write_str(MIRROR "/A/budget_ug", "1");
}

static void test_unprivileged(void)
{
	char *before = snapshot(), *after;
	int fd, rc;

	rc = run_as_nobody(unpriv_open, NULL);
	tap(rc == EACCES, "unprivileged open of /dev/eacct refused (mode 0600): %s",
	    strerror(rc));
	chmod(DEV, 0666);
	rc = run_as_nobody(unpriv_open, NULL);
	tap(rc == EPERM, "unprivileged open refused without CAP_SYS_ADMIN even at mode 0666: %s",
	    strerror(rc));
	chmod(DEV, 0600);
	fd = open(DEV, O_WRONLY);
	rc = run_as_nobody(unpriv_write_fd, &fd);
	close(fd);
	tap(rc == EPERM, "root's fd handed to an unprivileged writer refused: %s",
	    strerror(rc));
	rc = run_as_nobody(unpriv_budget, NULL);
	tap(rc == EACCES, "unprivileged budget_ug write refused: %s", strerror(rc));
	after = snapshot();
	tap(!strcmp(before, after), "unprivileged attempts changed nothing");
	free(before);
	free(after);
}

/* Wait for a uevent carrying every string in @want; true if seen. */
static bool uevent_wait(int fd, const char *const *want, int ms)
{
	char buf[8192];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;
	int i, found;
	char *s;

	while (poll(&pfd, 1, ms) > 0) {
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			return false;
		buf[n] = '\0';
		found = 0;
		for (i = 0; want[i]; i++)
			for (s = buf; s < buf + n; s += strlen(s) + 1)
				if (!strcmp(s, want[i])) {
					found++;
					break;
				}
		if (want[found] == NULL)
			return true;
	}
	return false;
}

/* The budgets/<id> link of @path's mirror: does it exist, and lead there? */
static bool budget_linked(const char *mirror, uint64_t id)
{
	char link[128], a[PATH_MAX], b[PATH_MAX];

	snprintf(link, sizeof(link), SYS "/budgets/%" PRIu64, id);
	return realpath(link, a) && realpath(mirror, b) && !strcmp(a, b);
}

static void test_energy_budget_and_action(void)
{
	uint64_t d = cg_id(TEST_CG "/D"), energy = rd(MIRROR "/D/energy_uj");
	static const char *const bad[] = {
		"throttle=0", "throttle=100", "throttle=", "throttle=5x", "throttle",
		"freeze now", "kill", "notify=1", "throttle=-5",
	};
	char buf[64], idenv[64];
	const char *want[] = { "EACCT_BUDGET_EXCEEDED=1", idenv,
			       "EACCT_BUDGET_ACTION=throttle=25", NULL };
	bool refused = true;
	size_t i;
	int ufd;

	snprintf(idenv, sizeof(idenv), "EACCT_CGROUP_ID=%" PRIu64, d);
	read_str(MIRROR "/D/budget_action", buf, sizeof(buf));
	tap(!strcmp(buf, "notify\n"), "budget_action defaults to notify");
	tap(!write_str(MIRROR "/D/budget_action", "throttle=25") &&
	    !read_str(MIRROR "/D/budget_action", buf, sizeof(buf)) &&
	    !strcmp(buf, "throttle=25\n"), "budget_action throttle=25 set and read back");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		refused &= write_str(MIRROR "/D/budget_action", bad[i]) == -EINVAL;
	read_str(MIRROR "/D/budget_action", buf, sizeof(buf));
	tap(refused && !strcmp(buf, "throttle=25\n"),
	    "%zu malformed actions refused with EINVAL, the action kept", i);
	tap(!budget_linked(MIRROR "/D", d), "no budget: no link in budgets/");

	ufd = uevent_socket();
	snprintf(buf, sizeof(buf), "%" PRIu64, energy + 1000);
	tap(!write_str(MIRROR "/D/energy_budget_uj", buf) &&
	    rd(MIRROR "/D/energy_budget_uj") == energy + 1000 &&
	    rd(MIRROR "/D/budget_exceeded") == 0, "energy_budget_uj set, not exceeded");
	tap(budget_linked(MIRROR "/D", d), "budgets/%" PRIu64 " links to the cgroup's directory", d);
	tap(write_str(MIRROR "/D/energy_budget_uj", "-5") == -EINVAL &&
	    rd(MIRROR "/D/energy_budget_uj") == energy + 1000, "malformed energy budget refused, kept");
	charge(d, PKG0, 1001, 0);
	tap(rd(MIRROR "/D/budget_exceeded") == 1 && uevent_wait(ufd, want, 3000),
	    "energy past energy_budget_uj: exceeded, uevent names the action");
	snprintf(buf, sizeof(buf), "%" PRIu64, energy + 5000);
	write_str(MIRROR "/D/energy_budget_uj", buf);
	tap(rd(MIRROR "/D/budget_exceeded") == 0, "raising the energy budget clears the flag");
	write_str(MIRROR "/D/budget_ug", "1000000000");
	write_str(MIRROR "/D/energy_budget_uj", "0");
	tap(budget_linked(MIRROR "/D", d), "a carbon budget alone keeps the link");
	write_str(MIRROR "/D/budget_ug", "0");
	write_str(MIRROR "/D/budget_action", "notify");
	tap(!budget_linked(MIRROR "/D", d) && access(SYS "/budgets", F_OK) == 0,
	    "both budgets cleared: the link goes, budgets/ stays");
	close(ufd);
}

static void test_budget(void)
{
	uint64_t a = cg_id(TEST_CG "/A"), c = cg_id(TEST_CG "/A/B/C");
	uint64_t carbon = rd(MIRROR "/A/carbon_ug");
	char buf[32], idenv[64];
	const char *want[] = { "ACTION=change", "EACCT_BUDGET_EXCEEDED=1",
			       idenv, NULL };
	struct pollfd pfd;
	int fd, ufd, rc;
	pid_t pid;

	snprintf(idenv, sizeof(idenv), "EACCT_CGROUP_ID=%" PRIu64, a);
	snprintf(buf, sizeof(buf), "%" PRIu64, carbon + 100);
	tap(!write_str(MIRROR "/A/budget_ug", buf) &&
	    rd(MIRROR "/A/budget_ug") == carbon + 100, "budget_ug set by root");
	tap(rd(MIRROR "/A/budget_exceeded") == 0, "within budget: budget_exceeded 0");
	tap(write_str(MIRROR "/A/budget_ug", "12abc") == -EINVAL &&
	    rd(MIRROR "/A/budget_ug") == carbon + 100, "malformed budget refused, budget kept");
	tap(write_str(MIRROR "/A/budget_ug", "18446744073709551616") == -ERANGE &&
	    rd(MIRROR "/A/budget_ug") == carbon + 100,
	    "budget above U64_MAX refused with ERANGE, as documented, budget kept");

	ufd = uevent_socket();
	fd = open(MIRROR "/A/budget_exceeded", O_RDONLY);
	read(fd, buf, sizeof(buf));
	pid = fork();
	if (pid == 0) {
		usleep(300 * 1000);
		/* 60 + 50 over two batches: the second crosses the budget. */
		_exit(charge(c, PKG0, 1, 60) || charge(c, PKG0, 1, 50));
	}
	pfd = (struct pollfd){ .fd = fd, .events = POLLPRI | POLLERR };
	rc = poll(&pfd, 1, 10000);
	lseek(fd, 0, SEEK_SET);
	memset(buf, 0, sizeof(buf));
	read(fd, buf, sizeof(buf) - 1);
	tap(rc == 1 && (pfd.revents & POLLPRI) && atoi(buf) == 1,
	    "poll() on budget_exceeded woken when a batch crosses the budget");
	waitpid(pid, &rc, 0);
	tap(uevent_wait(ufd, want, 3000), "KOBJ_CHANGE uevent with EACCT_BUDGET_EXCEEDED=1");
	tap(rd(MIRROR "/A/B/budget_exceeded") == 0, "descendants without a budget unaffected");

	want[1] = "EACCT_BUDGET_EXCEEDED=0";
	write_str(MIRROR "/A/budget_ug", "0");
	tap(rd(MIRROR "/A/budget_exceeded") == 0 && uevent_wait(ufd, want, 3000),
	    "clearing the budget flips it back, with a uevent");
	close(fd);
	close(ufd);
	test_energy_budget_and_action();
}

static bool proc_line(pid_t pid, char *line, size_t len)
{
	char buf[65536], *s, *save = NULL, pfx[16];

	snprintf(pfx, sizeof(pfx), "%d ", pid);
	if (read_str("/proc/eacct/processes", buf, sizeof(buf)))
		return false;
	for (s = strtok_r(buf, "\n", &save); s; s = strtok_r(NULL, "\n", &save))
		if (!strncmp(s, pfx, strlen(pfx))) {
			snprintf(line, len, "%s", s);
			return true;
		}
	return false;
}

static int count_exited(void)
{
	char buf[65536], *s;
	int n = 0;

	if (read_str("/proc/eacct/processes", buf, sizeof(buf)))
		return -1;
	for (s = buf; (s = strstr(s, " exited ")); s++)
		n++;
	return n;
}

static void test_processes(void)
{
	uint64_t c = cg_id(TEST_CG "/A/B/C");
	char line[512], expect[512], pidbuf[16];
	struct eacct_batch b;
	pid_t child, gone;
	int i, err, status;

	child = fork();
	if (child == 0) {
		pause();
		_exit(0);
	}
	gone = fork();
	if (gone == 0)
		_exit(0);
	waitpid(gone, &status, 0);
	snprintf(pidbuf, sizeof(pidbuf), "%d", child);
	write_str(TEST_CG "/A/B/C/cgroup.procs", pidbuf);

	eacct_batch_init(&b, next_seq());
	eacct_batch_add_cgroup(&b, c, PKG0, 700, 7);
	eacct_batch_add_process(&b, child, c, PKG0, 400, 4, "worker");
	eacct_batch_add_process(&b, child, c, GPU0, 30, 1, "worker");
	eacct_batch_add_process(&b, gone, c, DRAM0, 20, 0, "short lived");
	err = batch_write(&b);
	eacct_batch_free(&b);
	tap(!err, "batch with process records applied");
	snprintf(expect, sizeof(expect),
		 "%d worker live %" PRIu64 " /eacct-test/A/B/C 400 0 30 5", child, c);
	tap(proc_line(child, line, sizeof(line)) && !strcmp(line, expect),
	    "live process row: pid comm state cgroup energies carbon");
	if (strcmp(line, expect))
		diag("got '%s' want '%s'", line, expect);
	snprintf(expect, sizeof(expect),
		 "%d short\\040lived exited %" PRIu64 " /eacct-test/A/B/C 0 20 0 0",
		 gone, c);
	tap(proc_line(gone, line, sizeof(line)) && !strcmp(line, expect),
	    "process gone before its first record shown as exited, comm escaped");
	if (strcmp(line, expect))
		diag("got '%s' want '%s'", line, expect);

	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	for (i = 0; i < 60 && proc_line(child, line, sizeof(line)) &&
	     !strstr(line, " exited "); i++)
		usleep(50 * 1000);
	tap(strstr(line, " exited ") && strstr(line, " 400 0 30 5"),
	    "killed process turns exited and keeps its energy");

	write_str("/sys/module/eacct/parameters/retain_max_processes", "2");
	eacct_batch_init(&b, next_seq());
	for (i = 0; i < 5; i++)
		eacct_batch_add_process(&b, 4000000 + i, c, PKG0, 1, 0, "x");
	err = batch_write(&b);
	eacct_batch_free(&b);
	for (i = 0; i < 60 && count_exited() > 2; i++)
		usleep(50 * 1000);
	tap(!err && count_exited() == 2, "exited processes bounded by retain_max_processes");
	write_str("/sys/module/eacct/parameters/retain_max_processes", "1024");
}

static void test_rename_rmdir(void)
{
	uint64_t d = cg_id(TEST_CG "/D"), f, f2, g1, g2;
	char path[256], path2[300], buf[256];
	struct stat st;

	/*
	 * cgroup v2 refuses rename(2) (kernel/cgroup/cgroup.c), so a path
	 * never changes under an id; the mirror must not move either.
	 */
	errno = 0;
	tap(rename(TEST_CG "/D", TEST_CG "/D2") && errno != ENOENT &&
	    exists(TEST_CG "/D"), "kernel refuses rename(2) of a v2 cgroup (%s)",
	    strerror(errno));
	usleep(1200 * 1000);
	tap(exists(MIRROR "/D") && !exists(MIRROR "/D2") &&
	    rd(MIRROR "/D/id") == d, "mirror keeps the path after a sync");

	write_str(MIRROR "/D/budget_ug", "1000000000");
	tap(!rmdir(TEST_CG "/D"), "cgroup D removed");
	snprintf(path, sizeof(path), SYS "/removed/%" PRIu64, d);
	tap(wait_path(path, true, 3000) && !exists(MIRROR "/D") &&
	    rd("%s/removed", path) == 1 && rd("%s/gpu_energy_uj", path) == 7,
	    "removed cgroup moves to removed/<id>, readable, marked removed");
	tap(!charge(d, GPU0, 3, 0) && rd("%s/gpu_energy_uj", path) == 10 &&
	    rd(MIRROR "/gpu_energy_uj") >= 10,
	    "a last interval charged after rmdir still lands, in its parent too");
	snprintf(path2, sizeof(path2), "%s/path", path);
	tap(!read_str(path2, buf, sizeof(buf)) && !strcmp(buf, "/eacct-test/D\n"),
	    "its path file names the cgroup it was");

	/* A new cgroup takes the name of a removed one. */
	mkcg(TEST_CG "/F");
	f = cg_id(TEST_CG "/F");
	charge(f, PKG0, 5, 0);
	rmdir(TEST_CG "/F");
	mkcg(TEST_CG "/F");
	f2 = cg_id(TEST_CG "/F");
	/* At once, before the sync has seen the first F go. */
	tap(!charge(f2, PKG0, 9, 0), "new cgroup with a removed one's name charged at once");
	snprintf(path, sizeof(path), SYS "/removed/%" PRIu64 "/energy_uj", f);
	tap(rd(MIRROR "/F/id") == f2 && rd(MIRROR "/F/energy_uj") == 9 &&
	    rd("%s", path) == 5, "the removed one went to removed/<id>, counters kept");
	rmdir(TEST_CG "/F");

	/* A cgroup named like an attribute file gets a '%' in front. */
	mkcg(TEST_CG "/A/energy_uj");
	f = cg_id(TEST_CG "/A/energy_uj");
	tap(!charge(f, PKG0, 4, 0) && rd(MIRROR "/A/%%energy_uj/energy_uj") == 4 &&
	    rd(MIRROR "/A/%%energy_uj/id") == f && rd(MIRROR "/A/energy_uj") != UINT64_MAX,
	    "cgroup named energy_uj mirrored as %%energy_uj, attribute intact");
	rmdir(TEST_CG "/A/energy_uj");

	write_str("/sys/module/eacct/parameters/retain_secs", "1");
	snprintf(path, sizeof(path), SYS "/removed/%" PRIu64, d);
	tap(wait_path(path, false, 5000), "removed cgroup dropped after retain_secs");
	snprintf(path, sizeof(path), SYS "/budgets/%" PRIu64, d);
	tap(lstat(path, &st) && errno == ENOENT, "its budgets/ link went with it");
	tap(rd(MIRROR "/gpu_energy_uj") >= 10, "its energy stays in its parent");
	tap(!charge(d, GPU0, 2, 0) && rd(MIRROR "/gpu_energy_uj") >= 12,
	    "a record for a dropped cgroup lands on its parent");
	write_str("/sys/module/eacct/parameters/retain_secs", "300");

	write_str("/sys/module/eacct/parameters/retain_max", "1");
	mkcg(TEST_CG "/G1");
	mkcg(TEST_CG "/G2");
	g1 = cg_id(TEST_CG "/G1");
	g2 = cg_id(TEST_CG "/G2");
	charge(g1, PKG0, 1, 0);
	charge(g2, PKG0, 1, 0);
	rmdir(TEST_CG "/G1");
	usleep(1200 * 1000);
	rmdir(TEST_CG "/G2");
	snprintf(path, sizeof(path), SYS "/removed/%" PRIu64, g1);
	snprintf(path2, sizeof(path2), SYS "/removed/%" PRIu64, g2);
	tap(wait_path(path, false, 4000) && wait_path(path2, true, 3000),
	    "retain_max bounds removed cgroups, oldest dropped first");
	write_str("/sys/module/eacct/parameters/retain_max", "1024");
}

/* Writers racing for sequence numbers while readers and cgroups churn. */
static void test_stress(void)
{
	uint64_t c = cg_id(TEST_CG "/A/B/C");
	uint64_t root0 = rd(SYS "/cgroups/energy_uj"), applied = 0, v;
	int pipefd[2], i, status;
	pid_t kids[6];
	time_t end = time(NULL) + 4;

	if (pipe(pipefd))
		return;
	for (i = 0; i < 2; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			uint64_t mine = 0;
			int err;

			while (time(NULL) < end) {
				err = charge(c, i ? DRAM0 : PKG0, 13 + i, 1);
				if (!err)
					mine += 13 + i;
				else if (err != -EALREADY)
					_exit(1);
			}
			write(pipefd[1], &mine, sizeof(mine));
			_exit(0);
		}
	}
	for (; i < 4; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			while (time(NULL) < end) {
				rd(MIRROR "/A/B/C/energy_uj");
				rd(MIRROR "/A/energy_uj");
				free(snapshot());
			}
			_exit(0);
		}
	}
	kids[i] = fork();
	if (kids[i] == 0) {
		char path[128];
		int n = 0;

		while (time(NULL) < end) {
			snprintf(path, sizeof(path), TEST_CG "/churn%d", n++ % 8);
			mkcg(path);
			charge(cg_id(path), PKG0, 0, 0);
			rmdir(path);
		}
		_exit(0);
	}
	for (i = 0; i < 5; i++) {
		waitpid(kids[i], &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			diag("child %d failed", i);
	}
	for (i = 0; i < 2; i++)
		if (read(pipefd[0], &v, sizeof(v)) == sizeof(v))
			applied += v;
	close(pipefd[0]);
	close(pipefd[1]);
	diag("stress: %" PRIu64 " uJ applied by two racing writers", applied);
	tap(applied > 0 && rd(SYS "/cgroups/energy_uj") - root0 == applied,
	    "under concurrent ingest, reads and cgroup churn every applied joule is counted once");
}

static void test_cleanup(void)
{
	rmdir(TEST_CG "/A/B/C");
	rmdir(TEST_CG "/A/B");
	rmdir(TEST_CG "/A");
	for (int i = 0; i < 8; i++) {
		char path[128];

		snprintf(path, sizeof(path), TEST_CG "/churn%d", i);
		rmdir(path);
	}
}

static const struct vm_test tests[] = {
	{ "setup", setup_tree },
	{ "hierarchy", test_hierarchy },
	{ "malformed", test_malformed },
	{ "unprivileged", test_unprivileged },
	{ "budget", test_budget },
	{ "processes", test_processes },
	{ "rename", test_rename_rmdir },
	{ "stress", test_stress },
	{ "cleanup", test_cleanup },
};

int main(int argc, char **argv)
{
	return run_named_tests("abitest", tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
