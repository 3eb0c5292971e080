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

/* Whether @r's sums can go into @t: no record above EACCT_MAX_DELTA. */
static bool fits(uint64_t t_energy, uint64_t t_carbon, uint64_t energy, uint64_t carbon)
{
	return t_energy <= EACCT_MAX_DELTA && t_carbon <= EACCT_MAX_DELTA &&
	       energy <= EACCT_MAX_DELTA - t_energy && carbon <= EACCT_MAX_DELTA - t_carbon;
}

static int merge_cgroup(struct eacct_batch *into, const struct eacct_cgroup_record *r)
{
	struct eacct_cgroup_record *t;
	size_t i;

	for (i = 0; i < into->nr_cgroups; i++) {
		t = &into->cgroups[i];
		if (t->cgroup_id != r->cgroup_id || t->domain != r->domain ||
		    t->flags != r->flags)
			continue;
		if (fits(t->energy_uj, t->carbon_ug, r->energy_uj, r->carbon_ug)) {
			t->energy_uj += r->energy_uj;
			t->carbon_ug += r->carbon_ug;
			return 0;
		}
	}
	if (r->flags & EACCT_RECORD_IDLE)
		return eacct_batch_add_idle(into, r->domain, r->energy_uj, r->carbon_ug);
	return eacct_batch_add_cgroup(into, r->cgroup_id, r->domain, r->energy_uj,
				      r->carbon_ug);
}

static int merge_process(struct eacct_batch *into, const struct eacct_process_record *r)
{
	struct eacct_process_record *t;
	size_t i;

	for (i = 0; i < into->nr_processes; i++) {
		t = &into->processes[i];
		if (t->tgid != r->tgid || t->cgroup_id != r->cgroup_id ||
		    t->domain != r->domain)
			continue;
		if (fits(t->energy_uj, t->carbon_ug, r->energy_uj, r->carbon_ug)) {
			t->energy_uj += r->energy_uj;
			t->carbon_ug += r->carbon_ug;
			return 0;
		}
	}
	return eacct_batch_add_process(into, r->tgid, r->cgroup_id, r->domain,
				       r->energy_uj, r->carbon_ug, r->comm);
}

/*
 * Quadratic in the records, but only while batches are refused, and
 * then over one interval's records per cgroup and domain at most.
 */
int account_merge(struct eacct_batch *into, const struct eacct_batch *from)
{
	size_t i;
	int err = 0;

	for (i = 0; i < from->nr_cgroups && !err; i++)
		err = merge_cgroup(into, &from->cgroups[i]);
	for (i = 0; i < from->nr_processes && !err; i++)
		err = merge_process(into, &from->processes[i]);
	return err;
}
