/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Splitting one domain's measured energy over the cgroups (or processes)
 * that were active, in exact integer microjoules. Pure functions.
 */
#ifndef EACCT_ATTRIB_H
#define EACCT_ATTRIB_H

#include <stddef.h>
#include <stdint.h>

/*
 * What happens to the energy of a domain's idle capacity.
 *
 * PROPORTIONAL (the default): every measured microjoule goes to someone
 * who ran in the interval, by activity share; idle power is part of what
 * running a workload costs, and the per-cgroup totals add up to the
 * meter's. Only an interval with no activity at all stays unattributed.
 *
 * UNATTRIBUTED: a cgroup is charged its share of the domain's capacity
 * (activity / capacity, e.g. on-CPU ns / (CPUs x interval)); the energy
 * of unused capacity is reported as idle and charged to nobody.
 */
enum eacct_idle_policy {
	EACCT_IDLE_PROPORTIONAL,
	EACCT_IDLE_UNATTRIBUTED,
};

int eacct_idle_policy_parse(const char *name, enum eacct_idle_policy *policy);
const char *eacct_idle_policy_name(enum eacct_idle_policy policy);

/*
 * Split @energy_uj over @n consumers by @activity. Writes @charge[i] and
 * returns the unattributed remainder, so that sum(charge) + return value
 * == energy_uj exactly. @capacity is the activity of a fully busy domain;
 * it matters for UNATTRIBUTED only and is raised to the total activity if
 * that is larger (clock skew between meter and activity source).
 *
 * Rounding: each share is within one microjoule of the exact rational
 * share; the fractions are carried from one consumer to the next (a
 * cumulative split), so none is dropped.
 */
uint64_t eacct_split(uint64_t energy_uj, const uint64_t *activity, size_t n,
		     uint64_t capacity, enum eacct_idle_policy policy,
		     uint64_t *charge);

/*
 * Add @v to @id's activity among the @n (ids, act) pairs, appending @id
 * if it is new and fewer than @max are there. Returns the new count.
 */
size_t eacct_tally(uint64_t *ids, uint64_t *act, size_t n, size_t max,
		   uint64_t id, uint64_t v);

#endif /* EACCT_ATTRIB_H */
