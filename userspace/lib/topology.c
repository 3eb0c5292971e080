// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sysfile.h"
#include "topology.h"

#define MAX_CPUS 4096

static int read_int(const char *path, int *val)
{
	char buf[32], *end;
	int err = eacct_file_read_line(AT_FDCWD, path, buf, sizeof(buf));
	long v;

	if (err)
		return err;
	v = strtol(buf, &end, 10);
	if (end == buf || v < INT32_MIN || v > INT32_MAX)
		return -EINVAL;
	*val = (int)v;
	return 0;
}

/* "cpu12" -> 12; anything else (cpufreq, cpuidle, ...) -> -1. */
static int cpu_number(const char *name)
{
	char *end;
	long cpu;

	if (strncmp(name, "cpu", 3) || name[3] < '0' || name[3] > '9')
		return -1;
	cpu = strtol(name + 3, &end, 10);
	return *end || cpu >= MAX_CPUS ? -1 : (int)cpu;
}

int eacct_cpu_packages(const char *cpu_dir, uint8_t *cpu_pkg, int max_cpus,
		       int max_pkgs)
{
	static int pkg_id[MAX_CPUS];
	int cpu, id, nr_cpus = 0, nr_pkgs = 0, last = -1, next, i;
	char path[512];
	struct dirent *de;
	DIR *d;

	if (max_cpus > MAX_CPUS)
		return -EINVAL;
	d = opendir(cpu_dir);
	if (!d)
		return -errno;
	for (i = 0; i < MAX_CPUS; i++)
		pkg_id[i] = -1;
	while ((de = readdir(d))) {
		cpu = cpu_number(de->d_name);
		if (cpu < 0)
			continue;
		if (cpu >= max_cpus) {
			closedir(d);
			return -E2BIG;
		}
		snprintf(path, sizeof(path), "%s/%s/topology/physical_package_id",
			 cpu_dir, de->d_name);
		/* A CPU without topology (offline) counts as package 0. */
		if (read_int(path, &id) || id < 0)
			id = 0;
		pkg_id[cpu] = id;
		nr_cpus++;
	}
	closedir(d);
	if (!nr_cpus)
		return -ENOENT;

	/* Number the distinct ids densely, smallest first. */
	memset(cpu_pkg, 0, max_cpus);
	for (;;) {
		next = -1;
		for (cpu = 0; cpu < max_cpus; cpu++)
			if (pkg_id[cpu] > last && (next < 0 || pkg_id[cpu] < next))
				next = pkg_id[cpu];
		if (next < 0)
			break;
		if (nr_pkgs == max_pkgs)
			return -E2BIG;
		for (cpu = 0; cpu < max_cpus; cpu++)
			if (pkg_id[cpu] == next)
				cpu_pkg[cpu] = (uint8_t)nr_pkgs;
		nr_pkgs++;
		last = next;
	}
	return nr_pkgs;
}
