/* SPDX-License-Identifier: GPL-2.0 */
/* Which CPU package (socket) each CPU belongs to, from sysfs. */
#ifndef EACCT_TOPOLOGY_H
#define EACCT_TOPOLOGY_H

#include <stdint.h>

/*
 * Read <cpu_dir>/cpuN/topology/physical_package_id for every CPU listed
 * (normally cpu_dir is /sys/devices/system/cpu) and number the packages
 * densely from 0 in the order of their ids. cpu_pkg[] gets a package index
 * for each CPU number below max_cpus (0 for absent CPUs). Returns the
 * number of packages, or a negative errno: -E2BIG beyond max_pkgs packages
 * or max_cpus CPUs, -ENOENT if no CPU is listed.
 */
int eacct_cpu_packages(const char *cpu_dir, uint8_t *cpu_pkg, int max_cpus,
		       int max_pkgs);

#endif /* EACCT_TOPOLOGY_H */
