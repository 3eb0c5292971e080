// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>

#include "attrib.h"

static const char *const policy_names[] = {
	[EACCT_IDLE_PROPORTIONAL] = "proportional",
	[EACCT_IDLE_UNATTRIBUTED] = "unattributed",
};

int eacct_idle_policy_parse(const char *name, enum eacct_idle_policy *policy)
{
	size_t i;

	for (i = 0; i < sizeof(policy_names) / sizeof(policy_names[0]); i++) {
		if (!strcmp(name, policy_names[i])) {
			*policy = i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *eacct_idle_policy_name(enum eacct_idle_policy policy)
{
	return policy <= EACCT_IDLE_UNATTRIBUTED ? policy_names[policy] : "?";
}

uint64_t eacct_split(uint64_t energy_uj, const uint64_t *activity, size_t n,
		     uint64_t capacity, enum eacct_idle_policy policy,
		     uint64_t *charge)
{
	unsigned __int128 total = 0, cum = 0;
	uint64_t given = 0, upto;
	size_t i;

	for (i = 0; i < n; i++)
		total += activity[i];
	if (policy == EACCT_IDLE_UNATTRIBUTED && capacity > total)
		total = capacity;
	if (!total) {
		memset(charge, 0, n * sizeof(*charge));
		return energy_uj;
	}

	/*
	 * Consumer i gets floor(E * S_i / T) - floor(E * S_(i-1) / T), S the
	 * running sum of activity: the shares telescope to floor(E * S_n / T),
	 * which is E itself when T is the total activity.
	 */
	for (i = 0; i < n; i++) {
		cum += activity[i];
		upto = (uint64_t)(cum * energy_uj / total);
		charge[i] = upto - given;
		given = upto;
	}
	return energy_uj - given;
}

size_t eacct_tally(uint64_t *ids, uint64_t *act, size_t n, size_t max,
		   uint64_t id, uint64_t v)
{
	size_t k;

	for (k = 0; k < n; k++) {
		if (ids[k] == id) {
			act[k] += v;
			return n;
		}
	}
	if (n < max) {
		ids[n] = id;
		act[n++] = v;
	}
	return n;
}
