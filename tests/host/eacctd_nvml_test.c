// SPDX-License-Identifier: GPL-2.0
/*
 * eacctd with an NVIDIA GPU seen through NVML, on this host (no module:
 * batches go to a file, read back here): the test NVML library built
 * from tests/nvml/fake_nvml.c, scripted from here, reports a GPU whose
 * energy counter advances and per-process SM samples 3:1 for a process
 * in each of two cgroups; then the GPU is lost. Checks: the GPU's energy
 * in the batches is exactly the counter's advance, split 3:1 (within
 * 2 %), and a lost GPU is reported once while CPU accounting goes on.
 *
 * Usage: eacctd-nvml-test EACCTD NVML_TEST_LIBRARY   (prints TAP lines)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/eacct.h>

#include "cgroup_child.h"
#include "lib/cgroupfs.h"
#include "run_dir.h"
#include "tap.h"



static void write_file(const char *path, const char *text)
{
	char tmp[256];
	FILE *f;

	/* Renamed into place: the library never reads half a script. */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return;
	fputs(text, f);
	fclose(f);
	rename(tmp, path);
}

static pid_t sleeper_in(const char *cgroup)
{
	pid_t p = fork_into_cgroup(cgroup);

	if (p)
		return p;
	for (;;)
		pause();
}

/* GPU energy per cgroup in every batch of the file; CPU records after @from. */
static int read_batches(uint64_t a, uint64_t b, uint64_t *ea, uint64_t *eb,
			uint64_t *gpu_total, size_t from, int *cpu_after)
{
	struct eacct_batch_header h;
	struct eacct_cgroup_record r;
	struct eacct_process_record p;
	size_t off = 0;
	uint32_t i;
	FILE *f = fopen(path_in("batches"), "r");

	*ea = *eb = *gpu_total = 0;
	*cpu_after = 0;
	if (!f)
		return -errno;
	while (fread(&h, sizeof(h), 1, f) == 1) {
		if (h.magic != EACCT_BATCH_MAGIC || h.header_size != sizeof(h)) {
			fclose(f);
			return -EBADMSG;
		}
		for (i = 0; i < h.nr_cgroup_records && fread(&r, sizeof(r), 1, f) == 1; i++) {
			if (EACCT_DOMAIN_CLASS(r.domain) != EACCT_CLASS_GPU) {
				*cpu_after += off >= from;
				continue;
			}
			*gpu_total += r.energy_uj;
			if (r.cgroup_id == a)
				*ea += r.energy_uj;
			else if (r.cgroup_id == b)
				*eb += r.energy_uj;
		}
		for (i = 0; i < h.nr_process_records && fread(&p, sizeof(p), 1, f) == 1; i++)
			;
		off = (size_t)ftell(f);
	}
	fclose(f);
	return 0;
}

static size_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : (size_t)st.st_size;
}

int main(int argc, char **argv)
{
	char root[4096], base[4200], cga[4300], cgb[4300], script[512], conf[1024];
	uint64_t mj = 5000, mj0, ida, idb, ea, eb, total;
	pid_t pa, pb, daemon;
	int i, status, cpu_after;
	size_t lost_at;

	tap_prefix = "eacctd nvml";
	if (argc < 3 || eacct_cgroup2_mount("/proc/self/mounts", root, sizeof(root))) {
		fprintf(stderr, "usage: eacctd-nvml-test EACCTD NVML_LIBRARY (cgroup2 needed)\n");
		return 1;
	}
	snprintf(dir, sizeof(dir), "/tmp/eacct-nvml-test-%d", getpid());
	mkdir(dir, 0755);
	snprintf(base, sizeof(base), "%s/eacct-nvml-test-%d", root, getpid());
	snprintf(cga, sizeof(cga), "%s/a", base);
	snprintf(cgb, sizeof(cgb), "%s/b", base);
	mkdir(base, 0755);
	mkdir(cga, 0755);
	mkdir(cgb, 0755);
	pa = sleeper_in(cga);
	pb = sleeper_in(cgb);
	usleep(100 * 1000);
	eacct_cgroup_id(NULL, cga, &ida);
	eacct_cgroup_id(NULL, cgb, &idb);

	mj0 = mj;
	snprintf(script, sizeof(script),
		 "gpu 0 name=H200 bus=00000000:3B:00.0 minor=0 energy=%" PRIu64 "\n", mj);
	write_file(path_in("script"), script);
	snprintf(conf, sizeof(conf),
		 "interval = 500\ndevice = %s/batches\nstate_file = %s/state\n"
		 "bpf_pin_dir = /sys/fs/bpf/eacct-nvml-test-%d\ndrm_root = /nonexistent\n"
		 "powercap_root = /nonexistent\nperf_pmu_root = /nonexistent\n"
		 "msr_root = /nonexistent\nhwmon_root = /nonexistent\n"
		 "nvml_library = %s\nsysfs = %s\n", dir, dir, getpid(), argv[2], dir);
	write_file(path_in("conf"), conf);
	write_file(path_in("seq"), "0\n");	/* the module's, read before the first batch */
	fclose(fopen(path_in("batches"), "w"));

	daemon = fork();
	if (!daemon) {
		int fd = open(path_in("eacctd.log"), O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(fd, 2);
		setenv("EACCT_FAKE_NVML", path_in("script"), 1);
		execl(argv[1], argv[1], "-c", path_in("conf"), (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 100 && !log_has("running:"); i++)
		usleep(100 * 1000);
	tap(log_has("gpu-0 (H200, nvidia, 00000000:3B:00.0): NVML energy counter"),
	    "the NVML GPU is found, metered by its energy counter");

	/* 2 s: +1 J every 250 ms, SM samples 75 % and 25 %. */
	for (i = 1; i <= 8; i++) {
		usleep(250 * 1000);
		mj += 1000;
		snprintf(script, sizeof(script),
			 "gpu 0 name=H200 bus=00000000:3B:00.0 minor=0 energy=%" PRIu64 "\n"
			 "util 0 pid=%d ts=%d sm=75\nutil 0 pid=%d ts=%d sm=25\n",
			 mj, pa, i * 1000, pb, i * 1000);
		write_file(path_in("script"), script);
	}
	usleep(1200 * 1000);	/* two intervals: every joule read */
	lost_at = file_size(path_in("batches"));
	write_file(path_in("script"), "gpu 0 name=H200 bus=00000000:3B:00.0 minor=0 energy=rc:15\n");
	usleep(1600 * 1000);
	kill(daemon, SIGTERM);
	waitpid(daemon, &status, 0);
	tap(WIFEXITED(status) && WEXITSTATUS(status) == 0, "eacctd ran to the end (status %d)", status);

	read_batches(ida, idb, &ea, &eb, &total, lost_at, &cpu_after);
	tap(total == (mj - mj0) * 1000,
	    "GPU energy in the batches is the counter's advance: %" PRIu64 " uJ of %" PRIu64,
	    total, (mj - mj0) * 1000);
	tap(eb && 100 * ea >= 294 * eb && 100 * ea <= 306 * eb,
	    "SM samples 3:1 give energy 3:1 within 2 %%: %" PRIu64 " / %" PRIu64 " uJ", ea, eb);
	tap(log_has("gpu-0: energy split by NVML per-process SM utilisation"),
	    "the method is logged");
	tap(log_count("GPU is lost") == 1, "a lost GPU is reported once");
	tap(cpu_after > 0, "CPU accounting goes on after the GPU is lost (%d CPU records)",
	    cpu_after);

	kill(pa, SIGKILL);
	kill(pb, SIGKILL);
	waitpid(pa, &status, 0);
	waitpid(pb, &status, 0);
	rmdir(cga);
	rmdir(cgb);
	rmdir(base);
	/* --reset-bpf removes the pin directory itself, when it is empty. */
	snprintf(conf, sizeof(conf), "%s -c %s/conf --reset-bpf 2>/dev/null && "
		 "! test -e /sys/fs/bpf/eacct-nvml-test-%d && rm -rf %s", argv[1], dir,
		 getpid(), dir);
	if (system(conf))
		fprintf(stderr, "eacctd-nvml-test: cleanup failed\n");
	return tap_done("eacctd-nvml");
}
