/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A sysfs-shaped CPU topology with two packages (even CPUs on package 0,
 * odd ones on package 1) for this machine's CPUs, so the multi-package
 * code paths run on a one-socket host.
 */
#ifndef EACCT_TOPOLOGY_FIXTURE_H
#define EACCT_TOPOLOGY_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static inline const char *two_package_fixture(void)
{
	static char dir[64] = "/tmp/eacct-2pkg-XXXXXX";
	char path[256];
	long cpu, n = sysconf(_SC_NPROCESSORS_CONF);
	FILE *f;

	if (!mkdtemp(dir))
		return NULL;
	for (cpu = 0; cpu < n; cpu++) {
		snprintf(path, sizeof(path), "%s/cpu%ld", dir, cpu);
		mkdir(path, 0755);
		snprintf(path, sizeof(path), "%s/cpu%ld/topology", dir, cpu);
		mkdir(path, 0755);
		snprintf(path, sizeof(path), "%s/cpu%ld/topology/physical_package_id", dir, cpu);
		f = fopen(path, "w");
		if (!f)
			return NULL;
		fprintf(f, "%ld\n", cpu % 2);
		fclose(f);
	}
	return dir;
}

#endif /* EACCT_TOPOLOGY_FIXTURE_H */
