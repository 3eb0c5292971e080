// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroupctl.h"

bool eacct_action_parse(const char *s, enum eacct_action *a, unsigned int *pct)
{
	char *end;
	long v;

	*pct = 0;
	if (!strcmp(s, "notify")) {
		*a = EACCT_DO_NOTIFY;
		return true;
	}
	if (!strcmp(s, "freeze")) {
		*a = EACCT_DO_FREEZE;
		return true;
	}
	if (strncmp(s, "throttle=", 9))
		return false;
	v = strtol(s + 9, &end, 10);
	if (end == s + 9 || *end || v < 1 || v > 99)
		return false;
	*a = EACCT_DO_THROTTLE;
	*pct = (unsigned int)v;
	return true;
}

int eacct_throttled_cpu_max(const char *cur, unsigned int pct, unsigned int cpus,
			    char *out, size_t len)
{
	char quota[32];
	uint64_t period, q, want;
	char *end;

	if (sscanf(cur, "%31s %" SCNu64, quota, &period) != 2 || !period || !pct ||
	    pct > 100 || !cpus)
		return -EINVAL;
	want = period * pct * cpus / 100;
	if (want < 1000)
		want = 1000;		/* the kernel's smallest quota, 1 ms */
	if (strcmp(quota, "max")) {
		q = strtoull(quota, &end, 10);
		if (*end || !q)
			return -EINVAL;
		if (q < want)
			want = q;
	}
	snprintf(out, len, "%" PRIu64 " %" PRIu64, want, period);
	return 0;
}

unsigned int eacct_cpulist_count(const char *list)
{
	unsigned int n = 0;
	const char *p = list;
	unsigned long a, b;
	char *end;

	while (*p && *p != '\n') {
		a = strtoul(p, &end, 10);
		if (end == p)
			return 0;
		b = a;
		p = end;
		if (*p == '-') {
			b = strtoul(p + 1, &end, 10);
			if (end == p + 1 || b < a)
				return 0;
			p = end;
		}
		n += (unsigned int)(b - a + 1);
		if (*p == ',')
			p++;
		else if (*p && *p != '\n')
			return 0;
	}
	return n;
}
