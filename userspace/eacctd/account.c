// SPDX-License-Identifier: GPL-2.0
/*
 * Owns the rule that turns one interval's readings into records: each
 * domain's energy split over its active cgroups (eacct_split), its carbon
 * over the same charges (eacct_carbon_split), each CPU charge split again
 * over the cgroup's processes, and what nobody was charged as idle. Also
 * the folding of a refused batch into the next (account_merge).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "cpu_account.h"
#include "lib/carbon.h"

/* The processes of @cgroup_id: a run in @in->procs, sorted by cgroup. */
static size_t procs_of(const struct account_input *in, uint64_t cgroup_id,
		       size_t *first)
{
	size_t lo = 0, hi = in->nr_procs, n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (in->procs[mid].cgroup_id < cgroup_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (n = 0; lo + n < in->nr_procs && in->procs[lo + n].cgroup_id == cgroup_id; n++)
		;
	*first = lo;
	return n;
}

static uint64_t sum_of(const uint64_t *v, size_t n)
{
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i < n; i++)
		sum |= v[i];	/* zero or not is all that is asked */
	return sum;
}

/* A cgroup's charge on a CPU domain, over its processes by their time there. */
static int add_processes(struct eacct_batch *b, const struct account_input *in,
			 const struct account_domain *dom, uint64_t cgroup_id,
			 uint64_t charge, uint64_t carbon)
{
	const struct account_proc *p;
	uint64_t *act, *share, *cshare;
	size_t first, n, i;
	int err = 0;

	n = procs_of(in, cgroup_id, &first);
	if (!n)
		return 0;
	act = calloc(3 * n, sizeof(*act));
	if (!act)
		return -ENOMEM;
	share = act + n;
	cshare = share + n;
	p = in->procs + first;
	for (i = 0; i < n; i++)
		act[i] = p[i].act[dom->pkg];
	/*
	 * None of them ran on this package in the interval, yet the cgroup
	 * did (its time while eacctd was down, say, which the processes'
	 * fresh baselines do not hold): by their time on any package, else
	 * alike. A cgroup's charge always lands on its processes' rows.
	 */
	if (!sum_of(act, n)) {
		for (i = 0; i < n; i++)
			for (int k = 0; k < EACCT_MAX_PKG; k++)
				act[i] += p[i].act[k];
		if (!sum_of(act, n))
			for (i = 0; i < n; i++)
				act[i] = 1;
	}
	eacct_split(charge, act, n, 0, EACCT_IDLE_PROPORTIONAL, share);
	eacct_split(carbon, share, n, 0, EACCT_IDLE_PROPORTIONAL, cshare);
	for (i = 0; i < n && !err; i++)
		if (share[i])
			err = eacct_batch_add_process(b, p[i].tgid, cgroup_id, dom->id,
						      share[i], cshare[i], p[i].comm);
	free(act);
	return err;
}

static int account_domain(struct eacct_batch *b, const struct account_input *in,
			  const struct account_domain *dom)
{
	uint64_t *charge, *carbon, idle, cidle;
	size_t i, n = dom->n;
	int err = 0;

	charge = calloc(2 * n + 1, sizeof(*charge));
	if (!charge)
		return -ENOMEM;
	carbon = charge + n;
	idle = eacct_split(dom->energy_uj, dom->act, n, dom->capacity, dom->policy, charge);
	cidle = eacct_carbon_split(dom->carbon_ug, charge, n, idle, carbon);
	if (cidle == UINT64_MAX)
		err = -ENOMEM;
	for (i = 0; i < n && !err; i++) {
		if (!charge[i])
			continue;
		err = eacct_batch_add_cgroup(b, dom->ids[i], dom->id, charge[i], carbon[i]);
		if (!err && dom->pkg >= 0)
			err = add_processes(b, in, dom, dom->ids[i], charge[i], carbon[i]);
	}
	if (!err && (idle || cidle))
		err = eacct_batch_add_idle(b, dom->id, idle, cidle);
	free(charge);
	return err;
}

int account_batch(struct eacct_batch *b, const struct account_input *in)
{
	size_t k;
	int err = 0;

	for (k = 0; k < in->nr_doms && !err; k++)
		err = account_domain(b, in, &in->doms[k]);
	return err;
}

uint64_t account_batch_energy(const struct eacct_batch *b)
{
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i < b->nr_cgroups; i++)
		sum += b->cgroups[i].energy_uj;
	return sum;
}

/* Whether @energy and @carbon can go into a record holding @t_*: none above EACCT_MAX_DELTA. */
static bool fits(uint64_t t_energy, uint64_t t_carbon, uint64_t energy, uint64_t carbon)
{
	return t_energy <= EACCT_MAX_DELTA && t_carbon <= EACCT_MAX_DELTA &&
	       energy <= EACCT_MAX_DELTA - t_energy && carbon <= EACCT_MAX_DELTA - t_carbon;
}

static int cmp_cgroup_key(const void *a, const void *b)
{
	const struct eacct_cgroup_record *x = a, *y = b;

	if (x->cgroup_id != y->cgroup_id)
		return x->cgroup_id < y->cgroup_id ? -1 : 1;
	if (x->domain != y->domain)
		return x->domain < y->domain ? -1 : 1;
	return x->flags < y->flags ? -1 : x->flags > y->flags;
}

static int cmp_process_key(const void *a, const void *b)
{
	const struct eacct_process_record *x = a, *y = b;

	if (x->tgid != y->tgid)
		return x->tgid < y->tgid ? -1 : 1;
	if (x->cgroup_id != y->cgroup_id)
		return x->cgroup_id < y->cgroup_id ? -1 : 1;
	return x->domain < y->domain ? -1 : x->domain > y->domain;
}

/*
 * Sorted by key, then each of @from's records looked up among @into's
 * own: O((n + m) log n), as a carry may hold a record per cgroup and
 * domain on a node of thousands of cgroups.
 */
int account_merge(struct eacct_batch *into, const struct eacct_batch *from)
{
	size_t i, n = into->nr_cgroups, np = into->nr_processes;
	int err = 0;

	qsort(into->cgroups, n, sizeof(*into->cgroups), cmp_cgroup_key);
	qsort(into->processes, np, sizeof(*into->processes), cmp_process_key);
	for (i = 0; i < from->nr_cgroups && !err; i++) {
		const struct eacct_cgroup_record *r = &from->cgroups[i];
		struct eacct_cgroup_record *t = n ? bsearch(r, into->cgroups, n, sizeof(*r),
							    cmp_cgroup_key) : NULL;

		if (t && fits(t->energy_uj, t->carbon_ug, r->energy_uj, r->carbon_ug)) {
			t->energy_uj += r->energy_uj;
			t->carbon_ug += r->carbon_ug;
		} else if (r->flags & EACCT_RECORD_IDLE) {
			err = eacct_batch_add_idle(into, r->domain, r->energy_uj, r->carbon_ug);
		} else {
			err = eacct_batch_add_cgroup(into, r->cgroup_id, r->domain, r->energy_uj,
						     r->carbon_ug);
		}
	}
	for (i = 0; i < from->nr_processes && !err; i++) {
		const struct eacct_process_record *r = &from->processes[i];
		struct eacct_process_record *t = np ? bsearch(r, into->processes, np, sizeof(*r),
							      cmp_process_key) : NULL;

		if (t && fits(t->energy_uj, t->carbon_ug, r->energy_uj, r->carbon_ug)) {
			t->energy_uj += r->energy_uj;
			t->carbon_ug += r->carbon_ug;
		} else {
			err = eacct_batch_add_process(into, r->tgid, r->cgroup_id, r->domain,
						      r->energy_uj, r->carbon_ug, r->comm);
		}
	}
	return err;
}

/* A record's energy or carbon above what the module takes in one: split in several. */
int account_split_large(struct eacct_batch *b)
{
	size_t i, n = b->nr_cgroups;
	int err = 0;

	for (i = 0; i < n && !err; i++) {
		struct eacct_cgroup_record *r = &b->cgroups[i];
		uint64_t e, c;

		while (!err && (r->energy_uj > EACCT_MAX_DELTA || r->carbon_ug > EACCT_MAX_DELTA)) {
			e = r->energy_uj > EACCT_MAX_DELTA ? r->energy_uj - EACCT_MAX_DELTA : 0;
			c = r->carbon_ug > EACCT_MAX_DELTA ? r->carbon_ug - EACCT_MAX_DELTA : 0;
			r->energy_uj -= e;
			r->carbon_ug -= c;
			err = r->flags & EACCT_RECORD_IDLE ?
			      eacct_batch_add_idle(b, r->domain, e, c) :
			      eacct_batch_add_cgroup(b, r->cgroup_id, r->domain, e, c);
			/* The rest is in the new record (the array may have moved). */
			r = &b->cgroups[b->nr_cgroups - 1];
		}
	}
	/* Process rows are the cgroups' detail: one too large is cut, not split. */
	for (i = 0; i < b->nr_processes; i++) {
		if (b->processes[i].energy_uj > EACCT_MAX_DELTA)
			b->processes[i].energy_uj = EACCT_MAX_DELTA;
		if (b->processes[i].carbon_ug > EACCT_MAX_DELTA)
			b->processes[i].carbon_ug = EACCT_MAX_DELTA;
	}
	return err;
}
