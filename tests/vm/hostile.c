// SPDX-License-Identifier: GPL-2.0
/*
 * In-guest tests of eacct.ko against what tenants, containers and buggy
 * writers do: names, depth and count of cgroups, squatted names, sums
 * that wrap, sequence numbers, extended headers, refused batches, racing
 * readers, other readers' rows, memory charged, large tables.
 * Prints TAP lines.
 *
 * Usage: hostile TEST...   (see the table at the end)
 * Needs: eacct.ko loaded (overflow: freshly), cgroup2 at CG_ROOT, root.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vmtest.h"

#define HCG CG_ROOT "/hostile"
/* The documented depth of the mirror (EACCT_MAX_DEPTH in kmod/eacct.h). */
#define EACCT_MAX_DEPTH 256
#define HMIR SYS "/cgroups/hostile"
#define NOBODY 65534

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t id_at(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, 0) ? 0 : st.st_ino;
}

static uint64_t rd_at(int dirfd, const char *name)
{
	uint64_t v;

	return eacct_file_u64(dirfd, name, &v) ? UINT64_MAX : v;
}

static void set_param(const char *name, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/module/eacct/parameters/%s", name);
	if (write_str(path, val))
		diag("cannot set %s=%s", name, val);
}

static void set_param_u64(const char *name, uint64_t v)
{
	char val[32];

	snprintf(val, sizeof(val), "%" PRIu64, v);
	set_param(name, val);
}

/*
 * No periodic sync for a while: tests that compare snapshots must see
 * only what their batch did, not removals noticed meanwhile.
 */
static void quiesce(void)
{
	set_param("sync_ms", "60000");
	usleep(1200 * 1000);	/* the sync already queued runs once more */
}

static void resume(void)
{
	set_param("sync_ms", "1000");
}

/* The next uevent carrying @key (a "KEY=" prefix) into @event; its length. */
static ssize_t uevent_next(int fd, const char *key, char *event, size_t len, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;
	char *s;

	while (poll(&pfd, 1, ms) > 0) {
		n = recv(fd, event, len - 1, 0);
		if (n <= 0)
			return -1;
		event[n] = '\0';
		for (s = event; s < event + n; s += strlen(s) + 1)
			if (!strncmp(s, key, strlen(key)))
				return n;
	}
	return -1;
}

static bool uevent_has(const char *event, ssize_t n, const char *var)
{
	const char *s;

	for (s = event; s < event + n; s += strlen(s) + 1)
		if (!strcmp(s, var))
			return true;
	return false;
}

static void setup(void)
{
	mkcg(HCG);
	tap(!charge(cg_id(HCG), PKG0, 0, 0) && exists(HMIR "/id"),
	    "hostile: test root registered");
}

/*
 * A tenant names a cgroup a@<id of a removed a>, then makes a new a:
 * every batch used to fail with EEXIST. Now the new a is "a", the literal
 * name is itself, the removed one is in removed/<id>.
 */
static void test_squat(void)
{
	uint64_t other = cg_id(HCG), rej = rd(SYS "/stats/batches_rejected");
	uint64_t a1, a2, sq, e0 = rd(HMIR "/energy_uj");
	char name[256], path[300];
	struct eacct_batch b;
	int i, err, fails = 0;

	mkcg(HCG "/S");
	for (int round = 0; round < 2; round++) {
		mkcg(HCG "/S/a");
		a1 = cg_id(HCG "/S/a");
		charge(a1, PKG0, 1, 0);
		rmdir(HCG "/S/a");
		/* Round 0 at once, round 1 after the sync has seen a go. */
		if (round)
			usleep(1500 * 1000);
		snprintf(name, sizeof(name), HCG "/S/a@%" PRIu64, a1);
		mkcg(name);
		sq = cg_id(name);
		mkcg(HCG "/S/a");
		a2 = cg_id(HCG "/S/a");

		eacct_batch_init(&b, next_seq());
		eacct_batch_add_cgroup(&b, sq, PKG0, 3, 0);
		eacct_batch_add_cgroup(&b, a2, PKG0, 5, 0);
		eacct_batch_add_cgroup(&b, other, PKG0, 7, 0);
		err = batch_write(&b);
		eacct_batch_free(&b);
		tap(!err, "squat %s: a batch naming a@<removed a's id>, a new a and another cgroup lands (%s)",
		    round ? "after the sync" : "before the sync", strerror(-err));
		snprintf(path, sizeof(path), HMIR "/S/a@%" PRIu64 "/id", a1);
		tap(rd(HMIR "/S/a/id") == a2 && rd(HMIR "/S/a/energy_uj") == 5 &&
		    rd("%s", path) == sq, "squat: live names are cgroupfs's: a is the new a, a@<id> is itself");
		snprintf(path, sizeof(path), SYS "/removed/%" PRIu64, a1);
		tap(wait_path(path, true, 3000) && rd("%s/energy_uj", path) == 1,
		    "squat: the removed a kept in removed/<id>");
		rmdir(name);
		rmdir(HCG "/S/a");
	}
	/* The same, as fast as a tenant can: not one batch may fail. */
	for (i = 0; i < 30; i++) {
		mkcg(HCG "/S/a");
		a1 = cg_id(HCG "/S/a");
		fails += !!charge(a1, PKG0, 1, 0);
		rmdir(HCG "/S/a");
		snprintf(name, sizeof(name), HCG "/S/a@%" PRIu64, a1);
		mkcg(name);
		fails += !!charge(cg_id(name), PKG0, 1, 0);
		rmdir(name);
	}
	tap(!fails && rd(SYS "/stats/batches_rejected") == rej,
	    "squat: 60 more batches racing removals and squatted names, none refused");
	tap(rd(HMIR "/energy_uj") - e0 == 2 * (1 + 3 + 5 + 7) + 60,
	    "squat: every microjoule of them counted once (%" PRIu64 ")",
	    rd(HMIR "/energy_uj") - e0);
	rmdir(HCG "/S");
}

/* max_cgroups reached: the batch lands, new cgroups charge their parent. */
static void test_maxcg(void)
{
	uint64_t ids[5], other = cg_id(TEST_CG "/A"), um = rd(SYS "/stats/records_unmirrored");
	uint64_t rej = rd(SYS "/stats/batches_rejected"), m0, o0 = rd(MIRROR "/A/energy_uj");
	char path[128], val[64];
	struct eacct_batch b;
	int i, err;

	/* No removed entry left to give way: every entry is a live cgroup's. */
	set_param("retain_max", "0");
	for (i = 0; i < 60 && rd(SYS "/stats/cgroups_removed"); i++)
		usleep(100 * 1000);
	mkcg(HCG "/M");
	charge(cg_id(HCG "/M"), PKG0, 0, 0);
	m0 = rd(HMIR "/M/energy_uj");
	set_param_u64("max_cgroups", rd(SYS "/stats/cgroups") + 2);
	eacct_batch_init(&b, next_seq());
	for (i = 0; i < 5; i++) {
		snprintf(path, sizeof(path), HCG "/M/m%d", i);
		mkcg(path);
		ids[i] = cg_id(path);
		eacct_batch_add_cgroup(&b, ids[i], PKG0, 10, 1);
	}
	eacct_batch_add_cgroup(&b, other, PKG0, 7, 0);
	err = batch_write(&b);
	eacct_batch_free(&b);
	tap(!err && rd(SYS "/stats/batches_rejected") == rej,
	    "max_cgroups reached: the batch lands (%s)", strerror(-err));
	tap(exists(HMIR "/M/m0") && exists(HMIR "/M/m1") && !exists(HMIR "/M/m2") &&
	    !exists(HMIR "/M/m4"), "max_cgroups: two new entries made, no more");
	tap(rd(HMIR "/M/energy_uj") - m0 == 50 && rd(MIRROR "/A/energy_uj") - o0 == 7,
	    "max_cgroups: all five charged within their parent, the other cgroup charged");
	tap(rd(SYS "/stats/records_unmirrored") - um == 3,
	    "max_cgroups: the 3 records charged to their parent counted in stats/records_unmirrored");

	/* An over-budget tenant cannot escape by making cgroups. */
	snprintf(val, sizeof(val), "%" PRIu64, rd(HMIR "/M/carbon_ug") + 100);
	write_str(HMIR "/M/budget_ug", val);
	charge(ids[4], PKG0, 0, 101);
	tap(rd(HMIR "/M/budget_exceeded") == 1,
	    "max_cgroups: a child without an entry still pushes its parent over budget");
	write_str(HMIR "/M/budget_ug", "0");

	/* A live cgroup takes the place of a removed one kept for retention. */
	set_param("retain_max", "1024");
	rmdir(HCG "/M/m0");
	snprintf(path, sizeof(path), SYS "/removed/%" PRIu64, ids[0]);
	wait_path(path, true, 3000);
	tap(!charge(ids[2], PKG0, 1, 0) && exists(HMIR "/M/m2") && !exists(path),
	    "max_cgroups: the oldest removed entry gives way to a live cgroup");

	set_param("max_cgroups", "65536");
	tap(!charge(ids[4], PKG0, 1, 0) && rd(HMIR "/M/m4/energy_uj") == 1,
	    "max_cgroups raised: the cgroup gets its entry at its next record");
	for (i = 1; i < 5; i++) {
		snprintf(path, sizeof(path), HCG "/M/m%d", i);
		rmdir(path);
	}
	rmdir(HCG "/M");
}

/* Deep cgroups with long names, made and read through directory fds. */
#define DEEP_LEVELS 20

static void long_name(char *buf, size_t len, int level, char tail)
{
	memset(buf, 'a' + level % 26, len - 2);
	buf[len - 2] = tail;
	buf[len - 1] = '\0';
}

static void test_names(void)
{
	static const char *const reserved[] = { "energy_uj", "%x", "id", "path", "removed",
						"budget_ug", "%" };
	uint64_t errs = rd(SYS "/stats/mirror_errors"), um = rd(SYS "/stats/records_unmirrored");
	uint64_t ids[DEEP_LEVELS + 2], sib[2], huge_id, id;
	int cfd[DEEP_LEVELS + 2], mfd[DEEP_LEVELS + 2], fd, fd2, ufd, i, ok;
	char name[256], name2[256], huge[3001], path[4200], event[8192], buf[4200];
	size_t pathlen = strlen("/hostile/deep");
	struct eacct_batch b;
	ssize_t n;

	for (i = 0; i < DEEP_LEVELS + 2; i++)
		mfd[i] = -1;
	mkcg(HCG "/deep");
	cfd[0] = open(HCG "/deep", O_RDONLY | O_DIRECTORY);
	ids[0] = cg_id(HCG "/deep");
	for (i = 1; i <= DEEP_LEVELS; i++) {
		long_name(name, sizeof(name), i, 'z');	/* 255 characters */
		if (mkdirat(cfd[i - 1], name, 0755))
			diag("mkdir level %d: %s", i, strerror(errno));
		ids[i] = id_at(cfd[i - 1], name);
		cfd[i] = openat(cfd[i - 1], name, O_RDONLY | O_DIRECTORY);
		pathlen += 1 + strlen(name);
	}
	/* Two siblings at the bottom whose first 254 characters are equal. */
	long_name(name, sizeof(name), 0, 'x');
	long_name(name2, sizeof(name2), 0, 'y');
	mkdirat(cfd[DEEP_LEVELS], name, 0755);
	mkdirat(cfd[DEEP_LEVELS], name2, 0755);
	sib[0] = id_at(cfd[DEEP_LEVELS], name);
	sib[1] = id_at(cfd[DEEP_LEVELS], name2);
	/* A name far longer than NAME_MAX: cgroupfs takes it. */
	memset(huge, 'h', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	huge_id = mkdirat(cfd[0], huge, 0755) ? 0 : id_at(cfd[0], huge);
	diag("names: %d levels of 255 characters (a path of %zu), a %zu-character name (%s)",
	     DEEP_LEVELS, pathlen + 256, strlen(huge), huge_id ? "made" : "refused by cgroupfs");

	eacct_batch_init(&b, next_seq());
	eacct_batch_add_cgroup(&b, sib[0], PKG0, 11, 0);
	eacct_batch_add_cgroup(&b, sib[1], PKG0, 13, 0);
	eacct_batch_add_cgroup(&b, ids[8], PKG0, 3, 0);
	if (huge_id)
		eacct_batch_add_cgroup(&b, huge_id, PKG0, 5, 0);
	tap(!batch_write(&b), "names: a batch naming cgroups past PATH_MAX lands");
	eacct_batch_free(&b);

	/* The mirror, level by level: the very names, the right ids. */
	ok = 1;
	mfd[0] = open(HMIR "/deep", O_RDONLY | O_DIRECTORY);
	for (i = 1; i <= DEEP_LEVELS && mfd[i - 1] >= 0; i++) {
		long_name(name, sizeof(name), i, 'z');
		mfd[i] = openat(mfd[i - 1], name, O_RDONLY | O_DIRECTORY);
		fd = mfd[i];
		if (fd < 0 || rd_at(fd, "id") != ids[i]) {
			diag("level %d: %s", i, fd < 0 ? strerror(errno) : "wrong id");
			ok = 0;
			break;
		}
	}
	tap(ok, "names: %d levels of 255-character names mirrored by their own names", DEEP_LEVELS);
	long_name(name, sizeof(name), 0, 'x');
	fd = ok ? openat(mfd[DEEP_LEVELS], name, O_RDONLY | O_DIRECTORY) : -1;
	long_name(name2, sizeof(name2), 0, 'y');
	fd2 = ok ? openat(mfd[DEEP_LEVELS], name2, O_RDONLY | O_DIRECTORY) : -1;
	tap(fd >= 0 && fd2 >= 0 && rd_at(fd, "id") == sib[0] && rd_at(fd2, "id") == sib[1] &&
	    rd_at(fd, "energy_uj") == 11 && rd_at(fd2, "energy_uj") == 13,
	    "names: two siblings past PATH_MAX that differ in their last character, each its own");
	tap(rd_at(mfd[8], "energy_uj") == 3 + 11 + 13 && rd_at(mfd[1], "energy_uj") == 3 + 11 + 13,
	    "names: their ancestors include them");
	errs = rd(SYS "/stats/mirror_errors");
	if (huge_id) {
		int hfd = openat(mfd[0], huge, O_RDONLY | O_DIRECTORY);

		tap(hfd < 0 && rd_at(mfd[0], "energy_uj") == 3 + 11 + 13 + 5 &&
		    rd(SYS "/stats/records_unmirrored") == um + 1,
		    "names: a %zu-character name (past NAME_MAX) gets no directory, charges its parent",
		    strlen(huge));
		if (hfd >= 0)
			close(hfd);
	}
	um = rd(SYS "/stats/records_unmirrored");
	/* path: whole where it fits a page, refused where it does not. */
	memset(buf, 0, sizeof(buf));
	n = eacct_file_read(mfd[8], "path", buf, sizeof(buf));
	snprintf(path, sizeof(path), "/hostile/deep");
	for (i = 1; i <= 8; i++) {
		long_name(name, sizeof(name), i, 'z');
		strcat(path, "/");
		strcat(path, name);
	}
	strcat(path, "\n");
	tap(!n && !strcmp(buf, path), "names: path of a 2 KiB-deep cgroup reads back whole");
	tap(fd >= 0 && eacct_file_read(fd, "path", buf, sizeof(buf)) == -ENAMETOOLONG,
	    "names: path longer than a page refused with ENAMETOOLONG, never cut");

	/* Three syncs later: nothing renamed, no mirror error. */
	sleep(3);
	tap(fd >= 0 && rd_at(fd, "id") == sib[0] && fd2 >= 0 && rd_at(fd2, "id") == sib[1] &&
	    rd(SYS "/stats/mirror_errors") == errs && rd(SYS "/stats/records_unmirrored") == um,
	    "names: 3 syncs later the same names and ids, no mirror error (%" PRIu64 " -> %" PRIu64
	    "), nothing unmirrored (%" PRIu64 " -> %" PRIu64 ")", errs, rd(SYS "/stats/mirror_errors"),
	    um, rd(SYS "/stats/records_unmirrored"));

	/* A budget crossed deep down: a small uevent, from budgets/. */
	ufd = uevent_socket();
	if (fd >= 0) {
		snprintf(buf, sizeof(buf), "%" PRIu64, rd_at(fd, "carbon_ug") + 1);
		eacct_file_write(fd, "budget_ug", buf);
	}
	charge(sib[0], PKG0, 0, 2);
	n = uevent_next(ufd, "EACCT_CGROUP_ID=", event, sizeof(event), 3000);
	snprintf(buf, sizeof(buf), "EACCT_CGROUP_ID=%" PRIu64, sib[0]);
	tap(fd >= 0 && rd_at(fd, "budget_exceeded") == 1 && n > 0 && n < 512 &&
	    uevent_has(event, n, buf) && uevent_has(event, n, "DEVPATH=/kernel/eacct/budgets") &&
	    uevent_has(event, n, "EACCT_BUDGET_EXCEEDED=1"),
	    "names: budget crossed past PATH_MAX: a %zd-byte uevent from budgets/ names it by id", n);
	if (fd >= 0)
		eacct_file_write(fd, "budget_ug", "0");
	close(ufd);

	/* Names that would hide a file, or look escaped: one '%' in front. */
	ok = 1;
	for (i = 0; i < (int)(sizeof(reserved) / sizeof(reserved[0])); i++) {
		snprintf(path, sizeof(path), HCG "/deep/%s", reserved[i]);
		mkcg(path);
		id = cg_id(path);
		charge(id, PKG0, 1, 0);
		snprintf(path, sizeof(path), HMIR "/deep/%%%s/id", reserved[i]);
		if (rd("%s", path) != id) {
			diag("%s not at %%%s", reserved[i], reserved[i]);
			ok = 0;
		}
		snprintf(path, sizeof(path), HMIR "/deep/%%%s/path", reserved[i]);
		snprintf(name, sizeof(name), "/hostile/deep/%s\n", reserved[i]);
		if (read_str(path, buf, sizeof(buf)) || strcmp(buf, name))
			ok = 0;
	}
	tap(ok && rd(HMIR "/deep/energy_uj") != UINT64_MAX && rd(HMIR "/deep/id") == ids[0],
	    "names: energy_uj, %%x, id, path, removed, budget_ug, %% mirrored as %%<name>, files intact");
	for (i = 0; i < (int)(sizeof(reserved) / sizeof(reserved[0])); i++) {
		snprintf(path, sizeof(path), HCG "/deep/%s", reserved[i]);
		rmdir(path);
	}

	/* Clean up from the bottom. */
	if (fd >= 0)
		close(fd);
	if (fd2 >= 0)
		close(fd2);
	long_name(name, sizeof(name), 0, 'x');
	unlinkat(cfd[DEEP_LEVELS], name, AT_REMOVEDIR);
	long_name(name, sizeof(name), 0, 'y');
	unlinkat(cfd[DEEP_LEVELS], name, AT_REMOVEDIR);
	for (i = DEEP_LEVELS; i >= 1; i--) {
		close(cfd[i]);
		long_name(name, sizeof(name), i, 'z');
		unlinkat(cfd[i - 1], name, AT_REMOVEDIR);
	}
	if (huge_id)
		unlinkat(cfd[0], huge, AT_REMOVEDIR);
	close(cfd[0]);
	for (i = 0; i <= DEEP_LEVELS; i++)
		if (mfd[i] >= 0)
			close(mfd[i]);
	rmdir(HCG "/deep");
}

/* A batch of @n records of @uj each on @id, in one write. */
static int many(uint64_t seq, uint64_t id, uint32_t domain, int n, uint64_t uj, uint64_t ug)
{
	struct eacct_batch b;
	int i, err;

	eacct_batch_init(&b, seq);
	for (i = 0; i < n; i++)
		eacct_batch_add_cgroup(&b, id, domain, uj, ug);
	err = batch_write(&b);
	eacct_batch_free(&b);
	return err;
}

/* Run on a freshly loaded module: it takes the root's counters to the top. */
static void test_overflow(void)
{
	uint64_t c = cg_id(HCG), e = 1000000000000000ULL, seq;
	struct eacct_batch b;
	char *before, *after;
	int i, err;

	mkcg(HCG "/O");
	c = cg_id(HCG "/O");
	charge(c, PKG0, 0, 0);
	quiesce();
	/* 18,447 records of 10^15 in one batch: their sum alone wraps. */
	before = snapshot();
	err = many(next_seq(), c, PKG0, 18447, 0, e);
	after = snapshot();
	tap(err == -EOVERFLOW && !strcmp(before, after),
	    "overflow: one batch whose carbon sums past U64_MAX refused with EOVERFLOW, nothing changed (%s)",
	    strerror(-err));
	free(before);
	free(after);

	/* Two batches that wrapped carbon_ug and cleared budget_exceeded. */
	err = many(next_seq(), c, PKG0, 18446, 0, e);
	write_str(HMIR "/O/budget_ug", "1000000000000000000");
	tap(!err && rd(HMIR "/O/carbon_ug") == 18446 * e && rd(HMIR "/O/budget_exceeded") == 1,
	    "overflow: 18,446 records of 10^15 land, over budget");
	before = snapshot();
	seq = next_seq();
	err = many(seq, c, PKG0, 1, 0, e);
	after = snapshot();
	tap(err == -EOVERFLOW && !strcmp(before, after) && rd(SYS "/seq") == seq - 1,
	    "overflow: the batch that would wrap carbon_ug refused, nothing changed (%s)",
	    strerror(-err));
	free(before);
	free(after);
	tap(rd(HMIR "/O/carbon_ug") == 18446 * e && rd(HMIR "/O/budget_exceeded") == 1,
	    "overflow: carbon_ug never went down, the tenant is still over budget");
	tap(!many(next_seq(), c, PKG0, 1, 0, 700000000000000ULL),
	    "overflow: what still fits lands");

	/* Energy: each class fits, their sum (energy_uj) would not. */
	err = many(next_seq(), c, PKG0, 9000, e, 0);
	if (!err)
		err = many(next_seq(), c, GPU0, 9000, e, 0);
	tap(!err, "overflow: 9e18 uJ of CPU and of GPU land");
	before = snapshot();
	err = many(next_seq(), c, DRAM0, 500, e, 0);
	after = snapshot();
	tap(err == -EOVERFLOW && !strcmp(before, after),
	    "overflow: DRAM energy that would wrap energy_uj refused, nothing changed");
	free(before);
	free(after);

	/* A process row wraps too. */
	eacct_batch_init(&b, next_seq());
	for (i = 0; i < 18447; i++)
		eacct_batch_add_process(&b, getpid(), c, PKG0, 0, e, "wrap");
	before = snapshot();
	err = batch_write(&b);
	after = snapshot();
	eacct_batch_free(&b);
	tap(err == -EOVERFLOW && !strcmp(before, after),
	    "overflow: a process whose carbon would wrap refused, nothing changed");
	free(before);
	free(after);
	write_str(HMIR "/O/budget_ug", "0");
	resume();
	rmdir(HCG "/O");
}

/* Sequence numbers: no batch can use the sequence up. */
static void test_sequence(void)
{
	uint64_t last = rd(SYS "/seq"), c = cg_id(HCG);
	int err;

	err = charge(c, PKG0, 1, 0);
	last++;
	tap(!err, "sequence: next number accepted");
	{
		struct eacct_batch b;

		eacct_batch_init(&b, UINT64_MAX);
		eacct_batch_add_cgroup(&b, c, PKG0, 1, 0);
		err = batch_write(&b);
		tap(err == -ERANGE && rd(SYS "/seq") == last,
		    "sequence: U64_MAX refused with ERANGE, seq unchanged");
		b.seq = last + EACCT_MAX_SEQ_STEP + 1;
		err = batch_write(&b);
		tap(err == -ERANGE, "sequence: a jump past EACCT_MAX_SEQ_STEP refused");
		b.seq = last + EACCT_MAX_SEQ_STEP;
		err = batch_write(&b);
		tap(!err && rd(SYS "/seq") == b.seq, "sequence: a jump of exactly EACCT_MAX_SEQ_STEP accepted");
		eacct_batch_free(&b);
	}
	tap(!charge(c, PKG0, 1, 0), "sequence: writers go on from there");
}

/*
 * The ingest ABI grows as extensible structs do: a larger header or
 * larger records with zeros past what the module knows are accepted,
 * anything else there refused with E2BIG. A batch of the first layout is
 * the same bytes old writers wrote.
 */
static void test_extensible(void)
{
	uint64_t c = cg_id(HCG), e0 = rd(HMIR "/energy_uj");
	struct eacct_batch_header h;
	char buf[1024], *before, *after;
	size_t len;
	int err;

	quiesce();
	/* As an eacctd of 0.1 wrote it: header 32, "reserved" 0. */
	memset(&h, 0, sizeof(h));
	h.magic = EACCT_BATCH_MAGIC;
	h.version = 1;
	h.header_size = 32;
	h.seq = next_seq();
	h.nr_cgroup_records = 1;
	memcpy(buf, &h, 32);
	{
		struct eacct_cgroup_record r = { .cgroup_id = c, .domain = PKG0, .energy_uj = 2 };

		memcpy(buf + 32, &r, sizeof(r));
	}
	tap(!dev_write(buf, 64) && rd(HMIR "/energy_uj") == e0 + 2,
	    "extensible: a batch of the first layout (an old writer) accepted");

	/* A newer writer's 48-byte header, its new fields 0. */
	memset(buf, 0, sizeof(buf));
	h.header_size = 48;
	h.seq = next_seq();
	memcpy(buf, &h, sizeof(h));
	{
		struct eacct_cgroup_record r = { .cgroup_id = c, .domain = PKG0, .energy_uj = 3 };

		memcpy(buf + 48, &r, sizeof(r));
	}
	len = 48 + 32;
	tap(!dev_write(buf, len) && rd(HMIR "/energy_uj") == e0 + 5,
	    "extensible: a 48-byte header with a zero tail accepted");
	buf[40] = 1;
	((struct eacct_batch_header *)buf)->seq = next_seq();
	before = snapshot();
	err = dev_write(buf, len);
	after = snapshot();
	tap(err == -E2BIG && !strcmp(before, after),
	    "extensible: a header field this module does not know, set: E2BIG, nothing changed (%s)",
	    strerror(-err));
	free(before);
	free(after);

	/* Records of 40 and 64 bytes. */
	memset(buf, 0, sizeof(buf));
	h.header_size = 32;
	h.seq = next_seq();
	h.nr_cgroup_records = 2;
	h.nr_process_records = 1;
	h.cgroup_record_size = 40;
	h.process_record_size = 64;
	memcpy(buf, &h, 32);
	{
		struct eacct_cgroup_record r = { .cgroup_id = c, .domain = PKG0, .energy_uj = 7 };
		struct eacct_process_record p = { .cgroup_id = c, .tgid = getpid(),
						  .domain = PKG0, .energy_uj = 7 };

		memcpy(buf + 32, &r, sizeof(r));
		memcpy(buf + 72, &r, sizeof(r));
		strcpy(p.comm, "ext");
		memcpy(buf + 112, &p, sizeof(p));
	}
	len = 32 + 2 * 40 + 64;
	tap(!dev_write(buf, len) && rd(HMIR "/energy_uj") == e0 + 19,
	    "extensible: 40-byte cgroup and 64-byte process records with zero tails accepted, counted once each");
	buf[32 + 36] = 1;
	((struct eacct_batch_header *)buf)->seq = next_seq();
	before = snapshot();
	err = dev_write(buf, len);
	after = snapshot();
	tap(err == -E2BIG && !strcmp(before, after),
	    "extensible: a record field this module does not know, set: E2BIG, nothing changed");
	free(before);
	free(after);
	resume();
}

/* Item 8: a refused batch leaves the tree as it was, renames included. */
static void test_rollback(void)
{
	uint64_t r1, r2;
	char *before, *after, path[128];
	struct eacct_batch b;
	int i, err;

	/* No sync while the test runs: the batch alone may change things. */
	quiesce();
	mkcg(HCG "/R");
	mkcg(HCG "/R/r");
	r1 = cg_id(HCG "/R/r");
	charge(r1, PKG0, 1, 0);
	rmdir(HCG "/R/r");
	mkcg(HCG "/R/r");
	r2 = cg_id(HCG "/R/r");

	/* Refused after its ids were resolved: its sums wrap. */
	eacct_batch_init(&b, next_seq());
	eacct_batch_add_cgroup(&b, r2, PKG0, 5, 0);
	for (i = 0; i < 18447; i++)
		eacct_batch_add_cgroup(&b, cg_id(HCG), PKG0, 0, 1000000000000000ULL);
	before = snapshot();
	err = batch_write(&b);
	after = snapshot();
	tap(err == -EOVERFLOW && !strcmp(before, after) && rd(HMIR "/R/r/id") == r1,
	    "rollback: a batch refused (EOVERFLOW) with a new cgroup holding a removed one's name changed nothing");
	free(before);
	free(after);
	b.nr_cgroups = 1;
	b.seq = next_seq();
	err = batch_write(&b);
	eacct_batch_free(&b);
	snprintf(path, sizeof(path), SYS "/removed/%" PRIu64 "/energy_uj", r1);
	tap(!err && rd(HMIR "/R/r/id") == r2 && rd("%s", path) == 1,
	    "rollback: the same batch without the bad record lands and retires the old entry");
	resume();
	rmdir(HCG "/R/r");
	rmdir(HCG "/R");
}

/* Item 9: budget_action is one word: never "throttle=0". */
static void test_action(void)
{
	char buf[64];
	long reads = 0, bad = 0;
	double end;
	pid_t pid;
	int status;

	mkcg(HCG "/act");
	charge(cg_id(HCG "/act"), PKG0, 0, 0);
	pid = fork();
	if (pid == 0) {
		end = now() + 2;
		while (now() < end) {
			write_str(HMIR "/act/budget_action", "throttle=50");
			write_str(HMIR "/act/budget_action", "notify");
			write_str(HMIR "/act/budget_action", "freeze");
		}
		_exit(0);
	}
	end = now() + 2;
	while (now() < end) {
		if (read_str(HMIR "/act/budget_action", buf, sizeof(buf)))
			continue;
		reads++;
		bad += strcmp(buf, "throttle=50\n") && strcmp(buf, "notify\n") &&
		       strcmp(buf, "freeze\n");
	}
	waitpid(pid, &status, 0);
	tap(reads > 100 && !bad, "action: %ld reads racing writes, %ld torn (throttle=0 and the like)",
	    reads, bad);
	rmdir(HCG "/act");
}

/* Item 11: counters applied root first: a child never reads above its parent. */
static void test_order(void)
{
	uint64_t l, m, t, r;
	long reads = 0, bad = 0;
	double end;
	pid_t pid;
	int status;

	mkcg(HCG "/ord");
	mkcg(HCG "/ord/mid");
	mkcg(HCG "/ord/mid/leaf");
	charge(cg_id(HCG "/ord/mid/leaf"), PKG0, 0, 0);
	pid = fork();
	if (pid == 0) {
		uint64_t leaf = cg_id(HCG "/ord/mid/leaf");

		end = now() + 2;
		while (now() < end)
			charge(leaf, PKG0, 1000, 1);
		_exit(0);
	}
	end = now() + 2;
	while (now() < end) {
		l = rd(HMIR "/ord/mid/leaf/energy_uj");
		m = rd(HMIR "/ord/mid/energy_uj");
		t = rd(HMIR "/ord/energy_uj");
		r = rd(HMIR "/energy_uj");
		reads++;
		bad += !(l <= m && m <= t && t <= r);
	}
	waitpid(pid, &status, 0);
	tap(reads > 50 && !bad,
	    "order: %ld reads (a child, then its ancestors) racing ingest, %ld saw a child above its parent",
	    reads, bad);
	rmdir(HCG "/ord/mid/leaf");
	rmdir(HCG "/ord/mid");
	rmdir(HCG "/ord");
}

/* Every line of /proc/eacct/processes read in 4 KiB reads; seconds taken. */
static double read_table(long *lines)
{
	char buf[4096];
	double t0 = now();
	ssize_t n, i;
	int fd = open("/proc/eacct/processes", O_RDONLY);

	*lines = 0;
	while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0)
		for (i = 0; i < n; i++)
			*lines += buf[i] == '\n';
	if (fd >= 0)
		close(fd);
	return now() - t0;
}

/* Item 11: the process table reads in O(n log n), not O(n^2). */
static void test_scale(void)
{
	static const int sizes[2] = { 4096, 32768 };
	uint64_t c = cg_id(HCG);
	double t[2];
	long lines[2];
	struct eacct_batch b;
	int k, i, err = 0;

	set_param("max_processes", "40000");
	set_param("retain_max_processes", "40000");
	for (k = 0; k < 2; k++) {
		eacct_batch_init(&b, next_seq());
		/* Processes gone before their first record: rows all the same. */
		for (i = 0; i < sizes[k] - (k ? sizes[0] : 0); i++)
			eacct_batch_add_process(&b, 3000000 + k * 100000 + i, c, PKG0, 1, 0, "row");
		err |= batch_write(&b);
		eacct_batch_free(&b);
		t[k] = read_table(&lines[k]);
		diag("scale: %ld lines in %.3f s", lines[k], t[k]);
	}
	tap(!err && lines[0] >= sizes[0] && lines[1] >= sizes[1],
	    "scale: %ld rows of /proc/eacct/processes, every one read", lines[1] - 1);
	tap(t[1] < 16 * t[0] + 0.05,
	    "scale: 8 times the rows read in %.1f times the time (O(n^2) would be 64)", t[1] / t[0]);
	set_param("retain_max_processes", "1024");
	set_param("max_processes", "32768");
}

/* What one reader of /proc/eacct/processes sees: its rows' comm names. */
struct reader {
	bool pidns;		/* in a new pid namespace, with its own /proc */
	const char *proc_opts;	/* mount options of that /proc */
	uid_t uid;
	const char *cgroupns;	/* a cgroup to join and make its namespace root */
};

static int report_rows(int out)
{
	FILE *f = fopen("/proc/eacct/processes", "r");
	char *line = NULL;
	size_t cap = 0;
	int n = 0;

	if (!f)
		return 1;
	while (getline(&line, &cap, f) > 0)
		if (n++)	/* the header */
			dprintf(out, "%s", line);
	free(line);
	fclose(f);
	return 0;
}

/*
 * Run @r as a reader: with a new pid namespace, its pid 1 reads. The
 * reader's own process gets a record (comm "reader") before it reads,
 * at its host pid. The rows seen go into @out.
 */
static void read_as(const struct reader *r, char *out, size_t len)
{
	int pipefd[2], go[2], status;
	pid_t outer, host_pid;
	size_t got;
	ssize_t n;
	char c = 0;

	memset(out, 0, len);
	if (pipe(pipefd) || pipe(go))
		return;
	outer = fork();
	if (outer == 0) {
		pid_t inner;

		close(pipefd[0]);
		if (r->cgroupns) {
			char path[256], pid[16];

			snprintf(path, sizeof(path), "%s/cgroup.procs", r->cgroupns);
			snprintf(pid, sizeof(pid), "%d", getpid());
			write_str(path, pid);
			if (unshare(CLONE_NEWCGROUP))
				_exit(2);
		}
		if (r->pidns && unshare(CLONE_NEWPID))
			_exit(2);
		inner = fork();
		if (inner == 0) {
			if (r->pidns && (unshare(CLONE_NEWNS) ||
					 mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
					 mount("proc", "/proc", "proc", 0, r->proc_opts)))
				_exit(3);
			if (r->uid && (setgid(r->uid) || setuid(r->uid)))
				_exit(4);
			/*
			 * setuid() made it undumpable, which ptrace's rule (and
			 * so ours) refuses even to its own uid; a process that
			 * then exec()s, as a login does, is dumpable again.
			 */
			prctl(PR_SET_DUMPABLE, 1);
			prctl(PR_SET_NAME, "reader");
			read(go[0], &c, 1);
			_exit(report_rows(pipefd[1]));
		}
		/* The inner reader's host pid, for the parent's record. */
		write(pipefd[1], &inner, sizeof(inner));
		close(pipefd[1]);
		waitpid(inner, &status, 0);
		_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 5);
	}
	close(pipefd[1]);
	if (read(pipefd[0], &host_pid, sizeof(host_pid)) == sizeof(host_pid)) {
		struct eacct_batch b;

		eacct_batch_init(&b, next_seq());
		eacct_batch_add_process(&b, host_pid, cg_id(TEST_CG "/A/B/C"), PKG0, 1, 0, "reader");
		batch_write(&b);
		eacct_batch_free(&b);
	}
	write(go[1], &c, 1);
	for (got = 0; got < len - 1 && (n = read(pipefd[0], out + got, len - 1 - got)) > 0;)
		got += n;
	close(pipefd[0]);
	close(go[0]);
	close(go[1]);
	waitpid(outer, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		diag("reader failed: %d", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

static int count_rows(const char *rows, const char *comm)
{
	char pat[64];
	const char *s = rows;
	int n = 0;

	snprintf(pat, sizeof(pat), " %s ", comm);
	while ((s = strstr(s, pat))) {
		n++;
		s++;
	}
	return n;
}

/* Item 4: readers see their own processes, in their own namespaces. */
static void test_privacy(void)
{
	struct reader root = { 0 }, nobody = { .uid = NOBODY };
	struct reader nobody_ns = { .pidns = true, .proc_opts = "hidepid=2", .uid = NOBODY };
	struct reader root_ns = { .pidns = true, .proc_opts = "" };
	struct reader root_cgns = { .cgroupns = TEST_CG "/A" };
	uint64_t c = cg_id(TEST_CG "/A/B/C");
	char rows[65536], want[64];
	struct eacct_batch b;
	pid_t nb;
	int status, fd;

	/* init (root), this test (root), and a process of nobody's. */
	nb = fork();
	if (nb == 0) {
		if (setgid(NOBODY) || setuid(NOBODY))
			_exit(1);
		prctl(PR_SET_DUMPABLE, 1);
		pause();
		_exit(0);
	}
	usleep(100 * 1000);
	eacct_batch_init(&b, next_seq());
	eacct_batch_add_process(&b, 1, c, PKG0, 1, 0, "init");
	eacct_batch_add_process(&b, getpid(), c, PKG0, 1, 0, "rootproc");
	eacct_batch_add_process(&b, nb, c, PKG0, 1, 0, "nobodyproc");
	tap(!batch_write(&b), "privacy: rows for init, a root process and one of nobody's");
	eacct_batch_free(&b);

	read_as(&root, rows, sizeof(rows));
	tap(count_rows(rows, "init") == 1 && count_rows(rows, "rootproc") == 1 &&
	    count_rows(rows, "nobodyproc") == 1, "privacy: root in the initial namespaces reads every row");
	snprintf(want, sizeof(want), "1 init ");
	tap(strstr(rows, want) != NULL, "privacy: ... with host pids");

	read_as(&nobody, rows, sizeof(rows));
	tap(!count_rows(rows, "init") && !count_rows(rows, "rootproc") &&
	    count_rows(rows, "nobodyproc") == 1 && count_rows(rows, "reader") >= 1,
	    "privacy: uid 65534 reads its own processes' rows only");

	read_as(&nobody_ns, rows, sizeof(rows));
	tap(!count_rows(rows, "init") && !count_rows(rows, "rootproc") &&
	    !count_rows(rows, "nobodyproc") && count_rows(rows, "reader") == 1 &&
	    !strncmp(rows, "1 reader ", 9),
	    "privacy: uid 65534 in a new pid namespace, hidepid=2: only its own row, as pid 1");
	if (strncmp(rows, "1 reader ", 9))
		diag("saw: %.200s", rows);

	read_as(&root_ns, rows, sizeof(rows));
	tap(!count_rows(rows, "init") && !count_rows(rows, "rootproc") &&
	    count_rows(rows, "reader") == 1 && !strncmp(rows, "1 reader ", 9),
	    "privacy: root in a new pid namespace sees only that namespace's processes, by its pids");

	read_as(&root_cgns, rows, sizeof(rows));
	tap(strstr(rows, " /B/C ") && !strstr(rows, "/eacct-test/"),
	    "privacy: the cgroup column is relative to the reader's cgroup namespace");

	kill(nb, SIGKILL);
	waitpid(nb, &status, 0);

	/*
	 * A process of nobody's that made itself undumpable and is now a
	 * zombie (no mm): ptrace refuses it to nobody, so must this table.
	 */
	{
		int zp[2];
		pid_t holder, zombie = 0;

		if (pipe(zp))
			return;
		holder = fork();
		if (holder == 0) {
			pid_t z;

			if (setgid(NOBODY) || setuid(NOBODY))
				_exit(1);
			prctl(PR_SET_DUMPABLE, 1);
			z = fork();
			if (z == 0) {
				prctl(PR_SET_DUMPABLE, 0);
				_exit(0);
			}
			write(zp[1], &z, sizeof(z));
			pause();	/* never reaps it */
			_exit(0);
		}
		read(zp[0], &zombie, sizeof(zombie));
		usleep(200 * 1000);
		eacct_batch_init(&b, next_seq());
		eacct_batch_add_process(&b, zombie, c, PKG0, 1, 0, "zombieproc");
		batch_write(&b);
		eacct_batch_free(&b);
		read_as(&nobody, rows, sizeof(rows));
		tap(!count_rows(rows, "zombieproc"),
		    "privacy: uid 65534 does not see its own undumpable zombie's row, as ptrace would not");
		read_as(&root, rows, sizeof(rows));
		tap(count_rows(rows, "zombieproc") == 1, "privacy: root does");
		kill(holder, SIGKILL);
		waitpid(holder, &status, 0);
		close(zp[0]);
		close(zp[1]);
	}

	/* The node's energy is root's alone, as powercap's energy_uj. */
	if (fork() == 0) {
		if (setgid(NOBODY) || setuid(NOBODY))
			_exit(9);
		fd = open(SYS "/domains/package-0/energy_uj", O_RDONLY);
		if (fd >= 0 || errno != EACCES)
			_exit(1);
		fd = open(SYS "/cgroups/energy_uj", O_RDONLY);
		if (fd >= 0 || errno != EACCES)
			_exit(2);
		fd = open(MIRROR "/A/energy_uj", O_RDONLY);
		_exit(fd < 0 ? 3 : 0);
	}
	wait(&status);
	tap(WIFEXITED(status) && !WEXITSTATUS(status),
	    "privacy: uid 65534 may not read domains/ or the root cgroup's energy, may read a cgroup's (%d)",
	    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* A memory cgroup's memory.stat field, in bytes. */
static long long memstat(const char *cg, const char *key)
{
	char path[256], buf[8192], *s;
	size_t n = strlen(key);

	snprintf(path, sizeof(path), "%s/memory.stat", cg);
	if (read_str(path, buf, sizeof(buf)))
		return -1;
	for (s = buf; s; s = strchr(s, '\n'), s = s ? s + 1 : NULL)
		if (!strncmp(s, key, n) && s[n] == ' ')
			return atoll(s + n + 1);
	return -1;
}

/* In cgroup @cg, write @buf to @dev; the cgroup's memory.peak after. */
static long long write_from(const char *cg, const char *dev, const void *buf, size_t len)
{
	char path[256], pid[16], val[32];
	int status;
	pid_t child = fork();

	if (child == 0) {
		int fd;

		snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
		snprintf(pid, sizeof(pid), "%d", getpid());
		write_str(path, pid);
		fd = open(dev, O_WRONLY);
		_exit(fd >= 0 && write(fd, buf, len) == (ssize_t)len ? 0 : 1);
	}
	waitpid(child, &status, 0);
	snprintf(path, sizeof(path), "%s/memory.peak", cg);
	if (read_str(path, val, sizeof(val)))
		return -1;
	return WIFEXITED(status) && !WEXITSTATUS(status) ? atoll(val) : -2;
}

/* Item 7: the writer's memory cgroup pays; repeated processes cost one row. */
static void test_kmem(void)
{
	char path[128], name[64];
	struct eacct_batch b;
	long long s0, s1, peak_null, peak_eacct;
	void *buf;
	size_t len;
	int i;

	write_str(CG_ROOT "/cgroup.subtree_control", "+memory");
	mkcg(CG_ROOT "/writer");
	mkcg(HCG "/K");
	eacct_batch_init(&b, next_seq());
	for (i = 0; i < 2000; i++) {
		snprintf(path, sizeof(path), HCG "/K/k%d", i);
		mkcg(path);
		eacct_batch_add_cgroup(&b, cg_id(path), PKG0, 0, 0);
	}
	buf = eacct_batch_encode(&b, &len);
	eacct_batch_free(&b);
	s0 = memstat(CG_ROOT "/writer", "slab");
	tap(write_from(CG_ROOT "/writer", DEV, buf, len) > 0, "kmem: 2,000 cgroups registered from a writer in its own memory cgroup");
	s1 = memstat(CG_ROOT "/writer", "slab");
	free(buf);
	diag("kmem: the writer's slab grew by %lld bytes (%lld per cgroup)", s1 - s0, (s1 - s0) / 2000);
	tap(s0 >= 0 && s1 - s0 >= 2000 * 128,
	    "kmem: entries and names charged to the writer's memory cgroup (%lld bytes)", s1 - s0);

	/* 20,000 records of one process: one row, not 20,000 spares. */
	eacct_batch_init(&b, next_seq());
	for (i = 0; i < 20000; i++)
		eacct_batch_add_process(&b, getpid(), cg_id(HCG), PKG0, 1, 0, "dup");
	buf = eacct_batch_encode(&b, &len);
	eacct_batch_free(&b);
	mkcg(CG_ROOT "/writer-null");
	mkcg(CG_ROOT "/writer-eacct");
	peak_null = write_from(CG_ROOT "/writer-null", "/dev/null", buf, len);
	peak_eacct = write_from(CG_ROOT "/writer-eacct", DEV, buf, len);
	free(buf);
	diag("kmem: memory.peak writing 20,000 records of one process: %lld to /dev/null, %lld to /dev/eacct",
	     peak_null, peak_eacct);
	tap(peak_null > 0 && peak_eacct > 0 && peak_eacct - peak_null < 512 * 1024,
	    "kmem: 20,000 records of one process cost the writer %lld bytes more than /dev/null",
	    peak_eacct - peak_null);
	for (i = 0; i < 2000; i++) {
		snprintf(name, sizeof(name), HCG "/K/k%d", i);
		rmdir(name);
	}
	rmdir(HCG "/K");
	rmdir(CG_ROOT "/writer-null");
	rmdir(CG_ROOT "/writer-eacct");
	rmdir(CG_ROOT "/writer");
}

/* Deeper than EACCT_MAX_DEPTH: the ancestor at that depth stands in. */
static void test_depth(void)
{
	int fd[EACCT_MAX_DEPTH + 48], mfd, next, i, levels, ok = 1;
	uint64_t um = rd(SYS "/stats/records_unmirrored"), deepest;
	char buf[64];

	mkcg(HCG "/chain");
	/* HCG is at level 1, chain at 2: levels 3 to MAX_DEPTH + 40 below it. */
	levels = EACCT_MAX_DEPTH + 40 - 2;
	fd[0] = open(HCG "/chain", O_RDONLY | O_DIRECTORY);
	for (i = 1; i <= levels; i++) {
		if (mkdirat(fd[i - 1], "d", 0755) && errno != EEXIST)
			break;
		fd[i] = openat(fd[i - 1], "d", O_RDONLY | O_DIRECTORY);
	}
	levels = i - 1;
	deepest = id_at(fd[levels - 1], "d");
	tap(!charge(deepest, PKG0, 7, 0), "depth: a record for a cgroup %d levels deep lands", levels + 2);
	/* The mirror goes down to EACCT_MAX_DEPTH and stops there. */
	mfd = open(HMIR "/chain", O_RDONLY | O_DIRECTORY);
	for (i = 3; mfd >= 0 && i <= EACCT_MAX_DEPTH + 1; i++) {
		next = openat(mfd, "d", O_RDONLY | O_DIRECTORY);
		if (i <= EACCT_MAX_DEPTH && next < 0)
			ok = 0;
		if (i == EACCT_MAX_DEPTH)
			ok &= rd_at(next, "energy_uj") == 7;
		if (i == EACCT_MAX_DEPTH + 1 && next >= 0)
			ok = 0;
		close(mfd);
		mfd = next;
	}
	if (mfd >= 0)
		close(mfd);
	snprintf(buf, sizeof(buf), "%d", EACCT_MAX_DEPTH);
	tap(ok && rd(SYS "/stats/records_unmirrored") == um + 1,
	    "depth: mirrored down to level %s, whose entry took the charge; none below", buf);
	for (i = levels; i >= 1; i--) {
		unlinkat(fd[i - 1], "d", AT_REMOVEDIR);
		close(fd[i]);
	}
	close(fd[0]);
	rmdir(HCG "/chain");
}

/* An id that names no cgroup (gone before any batch named it) lands on the root. */
static void test_unknown(void)
{
	uint64_t r0 = rd(SYS "/cgroups/cpu_energy_uj"), h0 = rd(HMIR "/energy_uj");
	uint64_t un = rd(SYS "/stats/records_unresolved");
	uint64_t rej = rd(SYS "/stats/batches_rejected");
	struct eacct_batch b;
	int err;

	mkcg(HCG "/gone");
	eacct_batch_init(&b, next_seq());
	eacct_batch_add_cgroup(&b, cg_id(HCG "/gone"), PKG0, 11, 0);
	rmdir(HCG "/gone");
	eacct_batch_add_cgroup(&b, 1ULL << 50, PKG0, 13, 0);
	eacct_batch_add_cgroup(&b, cg_id(HCG), PKG0, 17, 0);
	eacct_batch_add_process(&b, getpid(), 1ULL << 50, PKG0, 13, 0, "unknown");
	err = batch_write(&b);
	eacct_batch_free(&b);
	tap(!err && rd(SYS "/stats/batches_rejected") == rej,
	    "unknown: a batch naming a cgroup removed before any batch and an id of none lands (%s)",
	    strerror(-err));
	tap(rd(SYS "/cgroups/cpu_energy_uj") - r0 == 11 + 13 + 17 &&
	    rd(HMIR "/energy_uj") - h0 == 17 &&
	    rd(SYS "/stats/records_unresolved") - un == 2,
	    "unknown: their energy on the root, the other cgroup's on it, 2 records counted in records_unresolved");
}

/* How many rows of the table are for @tgid, and the sum of their CPU energy. */
static int rows_of(pid_t tgid, uint64_t *cpu)
{
	FILE *f = fopen("/proc/eacct/processes", "r");
	char line[1024];
	int n = 0;
	long pid;
	unsigned long long e;

	*cpu = 0;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%ld %*s %*s %*s %*s %llu", &pid, &e) == 2 && pid == tgid) {
			n++;
			*cpu += e;
		}
	if (f)
		fclose(f);
	return n;
}

static int process_batch(pid_t tgid, uint64_t uj, const char *comm)
{
	struct eacct_batch b;
	int err;

	eacct_batch_init(&b, next_seq());
	eacct_batch_add_process(&b, tgid, cg_id(HCG), PKG0, uj, 0, comm);
	err = batch_write(&b);
	eacct_batch_free(&b);
	return err;
}

/* A pid number reused by another short-lived process gets a row of its own. */
static void test_reuse(void)
{
	uint64_t cpu;
	int status, n;
	pid_t c = fork();

	if (c == 0) {
		pause();
		_exit(0);
	}
	process_batch(c, 100, "first");
	kill(c, SIGKILL);
	waitpid(c, &status, 0);
	usleep(1300 * 1000);	/* the sync sees it gone */
	/* Its last interval's records, in the next batch: the same row. */
	process_batch(c, 20, "first");
	n = rows_of(c, &cpu);
	tap(n == 1 && cpu == 120, "reuse: a process's records after its exit, in the next batch, join its row (%d rows, %llu uJ)",
	    n, (unsigned long long)cpu);
	/* A batch later: another process that had its number, gone too. */
	process_batch(c, 7, "second");
	n = rows_of(c, &cpu);
	tap(n == 2 && cpu == 127, "reuse: a later record for that pid makes a row of its own (%d rows)", n);
	/* Never seen alive: a row of its own each time. */
	process_batch(4100000, 1, "ghost");
	process_batch(4100000, 1, "ghost");
	n = rows_of(4100000, &cpu);
	tap(n == 2, "reuse: a pid never seen alive is never merged across batches (%d rows)", n);
}

/* Item 11: a reader with nothing to see does not hold ingest up. */
static void test_stall(void)
{
	uint64_t c = cg_id(HCG);
	struct eacct_batch b;
	double worst = 0, t;
	int i, status;
	pid_t readers[2];

	set_param("max_processes", "40000");
	set_param("retain_max_processes", "40000");
	eacct_batch_init(&b, next_seq());
	for (i = 0; i < 30000; i++)
		eacct_batch_add_process(&b, 3500000 + i, c, PKG0, 1, 0, "hidden");
	batch_write(&b);
	eacct_batch_free(&b);
	for (i = 0; i < 2; i++) {
		readers[i] = fork();
		if (readers[i] == 0) {
			long lines;

			if (setgid(NOBODY) || setuid(NOBODY))
				_exit(1);
			for (;;)
				read_table(&lines);
		}
	}
	usleep(200 * 1000);
	for (i = 0; i < 50; i++) {
		t = now();
		charge(c, PKG0, 1, 0);
		t = now() - t;
		if (t > worst)
			worst = t;
	}
	for (i = 0; i < 2; i++) {
		kill(readers[i], SIGKILL);
		waitpid(readers[i], &status, 0);
	}
	tap(worst < 0.5, "stall: ingest beside two unprivileged readers of a 30,000-row table: worst batch %.0f ms",
	    worst * 1000);
	set_param("retain_max_processes", "1024");
	set_param("max_processes", "32768");
}

/*
 * One batch names /Y/X (and /Y/Z) alive, resolved while they live, and
 * they are removed before the batch is applied: they are mirrored as
 * dying, at max_cgroups. Making room must not evict the entry a new one
 * hangs under, nor make one twice. True if the window was hit.
 */
static bool race_dying(long delay_us, bool twokids)
{
	uint64_t x, z = 0, rej = rd(SYS "/stats/batches_rejected");
	char path[384], buf[256];
	struct eacct_batch b;
	int i, err, status;
	bool hit;
	pid_t child;

	mkcg(HCG "/Y");
	mkcg(HCG "/Y/X");
	x = cg_id(HCG "/Y/X");
	if (twokids) {
		mkcg(HCG "/Y/Z");
		z = cg_id(HCG "/Y/Z");
	}
	set_param_u64("max_cgroups", rd(SYS "/stats/cgroups") + 1);
	eacct_batch_init(&b, next_seq());
	eacct_batch_add_cgroup(&b, x, PKG0, 5, 0);
	if (z)
		eacct_batch_add_cgroup(&b, z, PKG0, 5, 0);
	/* Many process records: a window of seconds between resolving and applying. */
	for (i = 0; i < 200000; i++)
		eacct_batch_add_process(&b, 3700000 + i, x, PKG0, 1, 0, "p");
	child = fork();
	if (child == 0) {
		usleep(delay_us);
		rmdir(HCG "/Y/X");
		rmdir(HCG "/Y/Z");
		rmdir(HCG "/Y");
		_exit(0);
	}
	err = batch_write(&b);
	waitpid(child, &status, 0);
	eacct_batch_free(&b);
	snprintf(path, sizeof(path), SYS "/removed/%" PRIu64, x);
	hit = exists(path);
	/* Every entry's path readable, as a user; no crash, no duplicate. */
	if (fork() == 0) {
		DIR *d = opendir(SYS "/removed");
		struct dirent *e;

		if (setgid(NOBODY) || setuid(NOBODY))
			_exit(1);
		while (d && (e = readdir(d))) {
			snprintf(path, sizeof(path), SYS "/removed/%s/path", e->d_name);
			read_str(path, buf, sizeof(buf));
		}
		_exit(0);
	}
	wait(&status);
	tap(!err && rd(SYS "/stats/batches_rejected") == rej && !charge(cg_id(HCG), PKG0, 1, 0),
	    "race: cgroups removed between resolving and applying a batch, at max_cgroups%s (%ld ms): it lands, the next too",
	    twokids ? ", two children" : "", delay_us / 1000);
	set_param("max_cgroups", "65536");
	return hit;
}

static void test_race(void)
{
	static const long delays[] = { 300000, 400000, 500000, 650000 };
	int twokids, i, hit;

	for (twokids = 0; twokids < 2; twokids++) {
		for (i = 0, hit = 0; !hit && i < 4; i++)
			hit = race_dying(delays[i], twokids);
		diag("race: the window (resolved alive, mirrored dying) %s", hit ? "hit" : "missed");
	}
}

static void cleanup(void)
{
	rmdir(HCG);
}

static const struct vm_test tests[] = {
	{ "setup", setup },
	{ "squat", test_squat },
	{ "maxcg", test_maxcg },
	{ "names", test_names },
	{ "overflow", test_overflow },
	{ "sequence", test_sequence },
	{ "extensible", test_extensible },
	{ "rollback", test_rollback },
	{ "action", test_action },
	{ "order", test_order },
	{ "scale", test_scale },
	{ "privacy", test_privacy },
	{ "kmem", test_kmem },
	{ "depth", test_depth },
	{ "unknown", test_unknown },
	{ "reuse", test_reuse },
	{ "stall", test_stall },
	{ "race", test_race },
	{ "cleanup", cleanup },
};

int main(int argc, char **argv)
{
	return run_named_tests("hostile", tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
