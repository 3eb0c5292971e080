// SPDX-License-Identifier: GPL-2.0
/*
 * In-guest benchmark of eacct.ko. Prints "BENCH key value" lines.
 *
 * - ingest cost per record, batches of 100 and of 10,000 records;
 * - cost of reading one energy_uj with 100, then 10,000 cgroups tracked,
 *   measured alternately in the same run;
 * - kernel memory per tracked cgroup (Slab in /proc/meminfo).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../userspace/lib/batch.h"

#define CG "/sys/fs/cgroup/bench"
#define NR_CG 10000
#define PKG0 EACCT_DOMAIN(EACCT_CLASS_CPU, 0)

static uint64_t ids[NR_CG];
static uint64_t seq;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static long slab_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f;

	sync();
	f = fopen("/proc/sys/vm/drop_caches", "w");
	if (f) {
		fputs("3", f);
		fclose(f);
	}
	f = fopen("/proc/meminfo", "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Slab: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

/* Time one batch of records for cgroups [first, first + nr). */
static double ingest(int first, int nr, uint64_t uj)
{
	struct eacct_batch b;
	double t0, t1;
	size_t len;
	void *buf;
	int fd, i;

	eacct_batch_init(&b, ++seq);
	for (i = 0; i < nr; i++)
		eacct_batch_add_cgroup(&b, ids[first + i], PKG0, uj, 1);
	buf = eacct_batch_encode(&b, &len);
	eacct_batch_free(&b);
	fd = open("/dev/eacct", O_WRONLY);
	t0 = now_ns();
	if (write(fd, buf, len) != (ssize_t)len)
		fprintf(stderr, "bench: write: %s\n", strerror(errno));
	t1 = now_ns();
	close(fd);
	free(buf);
	return t1 - t0;
}

static double read_cost(const char *path, int reps)
{
	char buf[64];
	double t0 = now_ns();
	int i, fd;

	for (i = 0; i < reps; i++) {
		fd = open(path, O_RDONLY);
		if (fd < 0 || read(fd, buf, sizeof(buf)) <= 0)
			fprintf(stderr, "bench: %s: %s\n", path, strerror(errno));
		close(fd);
	}
	return (now_ns() - t0) / reps;
}

static void make_cgroups(int from, int to)
{
	char path[128];
	struct stat st;
	int i;

	for (i = from; i < to; i++) {
		snprintf(path, sizeof(path), CG "/c%d", i);
		if (mkdir(path, 0755) || stat(path, &st)) {
			fprintf(stderr, "bench: %s: %s\n", path, strerror(errno));
			exit(1);
		}
		ids[i] = st.st_ino;
	}
}

int main(void)
{
	const char *probe = "/sys/kernel/eacct/cgroups/bench/c0/energy_uj";
	double t, r100 = 0, r10k = 0, ing100 = 0, ing10k = 0;
	long kb0, kb1;
	int i, round;

	if (system("insmod /eacct.ko")) {
		fprintf(stderr, "bench: insmod failed\n");
		return 1;
	}
	mkdir(CG, 0755);
	make_cgroups(0, NR_CG);

	/* 100 tracked: warm up, then measure reads. */
	ingest(0, 100, 0);
	read_cost(probe, 2000);
	r100 = read_cost(probe, 20000);

	/* Memory of tracking the other 9,900 (their cgroups already exist). */
	kb0 = slab_kb();
	t = ingest(100, NR_CG - 100, 0);
	kb1 = slab_kb();
	printf("BENCH ingest_first_sight_ns_per_cgroup %.0f\n", t / (NR_CG - 100));
	printf("BENCH module_bytes_per_cgroup %.0f\n",
	       (kb1 - kb0) * 1024.0 / (NR_CG - 100));

	read_cost(probe, 2000);
	r10k = read_cost(probe, 20000);

	/* Steady-state ingest, alternating the two sizes to share the noise. */
	for (round = 0; round < 5; round++) {
		for (i = 0; i < 20; i++)
			ing100 += ingest((i * 100) % NR_CG, 100, 1);
		ing10k += ingest(0, NR_CG, 1);
	}
	printf("BENCH ingest_ns_per_record_batch_100 %.0f\n", ing100 / (5 * 20 * 100));
	printf("BENCH ingest_ns_per_record_batch_10000 %.0f\n", ing10k / (5 * NR_CG));
	printf("BENCH sysfs_read_ns_100_cgroups %.0f\n", r100);
	printf("BENCH sysfs_read_ns_10k_cgroups %.0f\n", r10k);
	printf("BENCH sysfs_read_ratio_10k_vs_100 %.3f\n", r10k / r100);
	return 0;
}
