/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One interval's readings -> one batch. Pure: memory in, records out, no
 * BPF, no meters, no module; unit-tested alone (tests/unit/test_account.c).
 */
#ifndef EACCTD_ACCOUNT_H
#define EACCTD_ACCOUNT_H

#include <stddef.h>
#include <stdint.h>

#include "lib/attrib.h"
#include "lib/batch.h"

/* A process's activity this interval, for the per-process rows. */
struct account_proc {
	uint32_t tgid;
	uint64_t cgroup_id;
	const uint64_t *act;		/* per package, this interval */
	const char *comm;
};

/* One domain's interval: its energy and carbon, and who was active. */
struct account_domain {
	uint32_t id;			/* EACCT_DOMAIN() */
	uint64_t energy_uj;
	uint64_t carbon_ug;
	uint64_t capacity;		/* activity of a fully busy domain; 0: shares only */
	enum eacct_idle_policy policy;
	size_t n;			/* (ids, act): active cgroups, ids unique */
	const uint64_t *ids, *act;
	int pkg;			/* >= 0: processes' act[pkg] splits each charge */
};

struct account_input {
	const struct account_domain *doms;
	size_t nr_doms;
	const struct account_proc *procs;	/* sorted by cgroup_id */
	size_t nr_procs;
};

/*
 * Every domain's energy and carbon into @b: a record per charged cgroup,
 * its processes' rows, and the rest as the domain's idle record, so that
 * per domain the records add up to energy_uj and carbon_ug exactly.
 * 0 or -ENOMEM.
 */
int account_batch(struct eacct_batch *b, const struct account_input *in);

/* Sum of a batch's cgroup and idle records' energy (what a loss loses). */
uint64_t account_batch_energy(const struct eacct_batch *b);

/*
 * Fold @from's records into @into, summing those of one key (cgroup or
 * idle, domain; process, cgroup, domain), a record never above
 * EACCT_MAX_DELTA. 0 or -ENOMEM (then part of @from may be in @into).
 */
int account_merge(struct eacct_batch *into, const struct eacct_batch *from);

/* Records above EACCT_MAX_DELTA split into several (process rows capped). 0 or -ENOMEM. */
int account_split_large(struct eacct_batch *b);

#endif /* EACCTD_ACCOUNT_H */
