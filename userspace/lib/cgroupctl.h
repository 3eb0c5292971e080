/* SPDX-License-Identifier: GPL-2.0 */
/* What budget enforcement writes into cgroup v2 files. Pure functions. */
#ifndef EACCT_CGROUPCTL_H
#define EACCT_CGROUPCTL_H

#include <stdbool.h>
#include <stddef.h>

enum eacct_action { EACCT_DO_NOTIFY, EACCT_DO_THROTTLE, EACCT_DO_FREEZE };

/* "notify", "throttle=PCT" (1-99) or "freeze"; false if none of them. */
bool eacct_action_parse(const char *s, enum eacct_action *a, unsigned int *pct);

/*
 * cpu.max for throttling to @pct % of @cpus CPUs, from the current value
 * @cur ("max 100000" or "50000 100000"): its period kept, and never a
 * quota above the current one (throttling does not lift a limit).
 * 0 or -EINVAL.
 */
int eacct_throttled_cpu_max(const char *cur, unsigned int pct, unsigned int cpus,
			    char *out, size_t len);

/* CPUs in a cpuset list ("0-3,8,10-11"); 0 if it is not one. */
unsigned int eacct_cpulist_count(const char *list);

#endif /* EACCT_CGROUPCTL_H */
