// SPDX-License-Identifier: GPL-2.0
/*
 * Per-interval cost of eacctd's GPU readers with 100 GPU processes:
 *  - fdinfo: eacct_drm_clients() over a /proc fixture of 100 processes,
 *    each with 8 fds of which one is a DRM client; and over this host's
 *    real /proc (its processes, no DRM file: the cost of looking);
 *  - NVML: one energy read and the per-process samples of 100 processes,
 *    each placed in its cgroup through /proc/PID/cgroup, against the NVML
 *    test library (which parses its script at every call: an upper bound
 *    for eacct's side; a real driver's own cost is not measured here).
 * Prints "BENCH key value" lines.
 *
 * Usage: gpu-reader-bench NVML_TEST_LIBRARY
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/cgroupfs.h"
#include "lib/fdinfo.h"
#include "lib/nvml.h"

#define PROCS 100
#define REPS 50

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void fixture(const char *root)
{
	char path[256];
	int p, fd;
	FILE *f;

	for (p = 0; p < PROCS; p++) {
		snprintf(path, sizeof(path), "%s/%d", root, 1000 + p);
		mkdir(path, 0755);
		snprintf(path, sizeof(path), "%s/%d/fd", root, 1000 + p);
		mkdir(path, 0755);
		snprintf(path, sizeof(path), "%s/%d/fdinfo", root, 1000 + p);
		mkdir(path, 0755);
		for (fd = 0; fd < 8; fd++) {
			snprintf(path, sizeof(path), "%s/%d/fd/%d", root, 1000 + p, fd);
			if (symlink(fd == 5 ? "/dev/dri/renderD128" : "/dev/null", path))
				exit(1);
			snprintf(path, sizeof(path), "%s/%d/fdinfo/%d", root, 1000 + p, fd);
			f = fopen(path, "w");
			fprintf(f, "pos:\t0\nflags:\t02100002\ndrm-driver:\ti915\n"
				"drm-client-id:\t%d\ndrm-pdev:\t0000:00:02.0\n"
				"drm-engine-render:\t%d ns\ndrm-engine-copy:\t0 ns\n", p, p * 1000);
			fclose(f);
		}
	}
}

int main(int argc, char **argv)
{
	static struct eacct_drm_client c[4096];
	struct eacct_nvml_use use[256];
	char root[64], script[128], cgroot[4096], err[256];
	struct eacct_nvml_lib *lib;
	double t0, per;
	uint64_t id;
	int i, k, n = 0;
	bool by_mem;
	FILE *f;

	snprintf(root, sizeof(root), "/tmp/eacct-procbench-XXXXXX");
	if (argc < 2 || !mkdtemp(root))
		return 1;
	fixture(root);
	t0 = now_us();
	for (i = 0; i < REPS; i++)
		n = eacct_drm_clients(root, c, 4096);
	per = (now_us() - t0) / REPS;
	printf("BENCH gpu_fdinfo_scan_us_100_processes %.0f\n", per);
	fprintf(stderr, "gpu-reader-bench: %d clients in the fixture\n", n);
	t0 = now_us();
	for (i = 0; i < REPS; i++)
		n = eacct_drm_clients("/proc", c, 4096);
	printf("BENCH gpu_fdinfo_scan_us_host_proc %.0f\n", (now_us() - t0) / REPS);

	/* NVML: 100 processes, samples for each; pids of this host's processes. */
	snprintf(script, sizeof(script), "%s/nvml", root);
	f = fopen(script, "w");
	fprintf(f, "gpu 0 name=H200 bus=00000000:3B:00.0 minor=0 energy=1000\n");
	for (i = 0, k = 0; i < PROCS; i++)
		fprintf(f, "util 0 pid=%d ts=%d sm=%d\n", getpid(), 10 + i, i % 100);
	fclose(f);
	setenv("EACCT_FAKE_NVML", script, 1);
	lib = eacct_nvml_open(argv[1], err, sizeof(err));
	if (!lib) {
		fprintf(stderr, "gpu-reader-bench: %s\n", err);
		return 1;
	}
	eacct_cgroup2_mount("/proc/self/mounts", cgroot, sizeof(cgroot));
	t0 = now_us();
	for (i = 0; i < REPS; i++) {
		eacct_nvml_gpu(lib, 0)->last_sample_us = 0;	/* all samples new */
		eacct_nvml_read_energy(lib, eacct_nvml_gpu(lib, 0));
		n = eacct_nvml_process_use(lib, eacct_nvml_gpu(lib, 0), use, 256, &by_mem);
		for (k = 0; k < PROCS; k++)	/* each process to its cgroup */
			eacct_pid_cgroup_id("/proc", cgroot, use[0].pid, &id);
	}
	printf("BENCH gpu_nvml_interval_us_100_processes %.0f\n", (now_us() - t0) / REPS);
	eacct_nvml_close(lib);
	snprintf(script, sizeof(script), "rm -rf %s", root);
	return system(script) ? 1 : 0;
}
