// SPDX-License-Identifier: GPL-2.0
/*
 * Owns what BPF says about CPU use: the per-cgroup and per-process tables
 * (struct activity) read from the cgroup_ns and process_ns maps each
 * interval, their pruning, and the BPF programs' loss counters, logged
 * whenever one grows (and shown by status.c).
 */
#include <errno.h>
#include <stddef.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "eacctd.h"
#include "bpf_maps.h"
#include "cpu_account.skel.h"
#include "lib/array.h"
#include "lib/counter.h"

static int cmp_cg(const void *a, const void *b)
{
	uint64_t x = ((const struct cg *)a)->id, y = ((const struct cg *)b)->id;

	return x < y ? -1 : x > y;
}

/* Each package's new reading of a cumulative counter: its delta, saved. */
static void advance(uint64_t *seen, uint64_t *delta, const __u64 *now)
{
	int k;

	for (k = 0; k < EACCT_MAX_PKG; k++) {
		delta[k] = eacct_counter_delta(seen[k], now[k], 0, NULL);
		seen[k] = now[k];
	}
}

static struct cg *find_cg_in(struct activity *a, uint64_t id, size_t n)
{
	struct cg key = { .id = id };

	return n ? bsearch(&key, a->cgs, n, sizeof(*a->cgs), cmp_cg) : NULL;
}

struct cg *activity_find_cg(struct activity *a, uint64_t id)
{
	return find_cg_in(a, id, a->nr_cgs);
}

/* Append an entry; the caller sorts the array again afterwards. */
static struct cg *add_cg(struct activity *a, uint64_t id)
{
	struct cg *c = eacct_array_push((void **)&a->cgs, &a->cap_cgs, &a->nr_cgs, sizeof(*c));

	if (c)
		c->id = id;
	return c;
}

/*
 * Each cgroup's on-CPU time this interval. With @baseline_only, new
 * cgroups start from what they have now.
 *
 * A cgroup idle for prune_after intervals (removed, most likely) leaves
 * the bounded map: lookup-and-delete hands over its last value
 * atomically, charged this interval. If it runs again, the BPF side
 * starts a new entry from zero, which the counter rule reads as new.
 */
static int read_cgroups(struct eacctd *e, bool baseline_only)
{
	struct activity *a = &e->act;
	int fd = bpf_map__fd(e->bpf.skel->maps.cgroup_ns);
	size_t i, n, sorted = a->nr_cgs;
	struct eacct_cgroup_cpu *vals;
	__u64 *keys;
	struct cg *c;
	int err;

	for (i = 0; i < a->nr_cgs; i++) {
		struct eacct_cgroup_cpu last;

		c = &a->cgs[i];
		memset(c->delta, 0, sizeof(c->delta));
		if (baseline_only || c->idle < e->cfg.prune_after ||
		    bpf_map_lookup_and_delete_elem(fd, &c->id, &last))
			continue;
		advance(c->ns, c->delta, last.ns);
		c->pruned = true;
	}
	err = bpf_map_read_all(fd, sizeof(*keys), sizeof(*vals), EACCT_MAX_CGROUPS,
			       (void **)&keys, (void **)&vals, &n);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		c = find_cg_in(a, keys[i], sorted);
		if (!c) {
			c = add_cg(a, keys[i]);
			if (!c) {
				err = -ENOMEM;
				break;
			}
			if (baseline_only) {
				memcpy(c->ns, vals[i].ns, sizeof(c->ns));
				continue;
			}
		}
		advance(c->ns, c->delta, vals[i].ns);
	}
	free(keys);
	free(vals);
	if (a->nr_cgs != sorted)
		qsort(a->cgs, a->nr_cgs, sizeof(*a->cgs), cmp_cg);
	for (i = 0; i < a->nr_cgs; i++) {
		bool busy = false;

		c = &a->cgs[i];
		for (int k = 0; k < EACCT_MAX_PKG; k++)
			busy |= c->delta[k] != 0;
		c->idle = busy ? 0 : c->idle + 1;
	}
	return err;
}

static int cmp_proc(const void *a, const void *b)
{
	const struct eacct_process_key *x = &((const struct proc *)a)->key;
	const struct eacct_process_key *y = &((const struct proc *)b)->key;

	if (x->tgid != y->tgid)
		return x->tgid < y->tgid ? -1 : 1;
	return x->start_ns < y->start_ns ? -1 : x->start_ns > y->start_ns;
}

static int cmp_proc_cgroup(const void *a, const void *b)
{
	uint64_t x = (*(struct proc *const *)a)->cgroup_id;
	uint64_t y = (*(struct proc *const *)b)->cgroup_id;

	return x < y ? -1 : x > y;
}

static struct proc *add_proc(struct activity *a, const struct eacct_process_key *key)
{
	struct proc *p = eacct_array_push((void **)&a->procs, &a->cap_procs, &a->nr_procs,
					  sizeof(*p));

	if (p)
		p->key = *key;
	return p;
}

/* Per-process time this interval, from the process_ns map. */
static int read_processes(struct eacctd *e, bool baseline_only)
{
	struct activity *a = &e->act;
	int fd = bpf_map__fd(e->bpf.skel->maps.process_ns);
	struct eacct_process_key *keys;
	struct eacct_process_cpu *vals, *v;
	size_t i, n, sorted = a->nr_procs;
	struct proc probe, *p, **by;
	int err;

	err = bpf_map_read_all(fd, sizeof(*keys), sizeof(*vals), EACCT_MAX_PROCESSES,
			       (void **)&keys, (void **)&vals, &n);
	if (err)
		return err;
	for (i = 0; i < a->nr_procs; i++)
		memset(a->procs[i].delta, 0, sizeof(a->procs[i].delta));
	for (i = 0; i < n; i++) {
		v = &vals[i];
		probe.key = keys[i];
		p = sorted ? bsearch(&probe, a->procs, sorted, sizeof(*a->procs), cmp_proc) : NULL;
		if (!p) {
			p = add_proc(a, &keys[i]);
			if (!p) {
				err = -ENOMEM;
				break;
			}
			if (baseline_only)
				memcpy(p->ns, v->ns, sizeof(p->ns));
		}
		advance(p->ns, p->delta, v->ns);
		p->cgroup_id = v->cgroup_id;
		p->exited = v->exited;
		memcpy(p->comm, v->comm, sizeof(p->comm));
		p->comm[sizeof(p->comm) - 1] = '\0';
	}
	free(keys);
	free(vals);
	if (err)
		return err;
	if (a->nr_procs != sorted)
		qsort(a->procs, a->nr_procs, sizeof(*a->procs), cmp_proc);
	by = realloc(a->by_cgroup, (a->nr_procs + 1) * sizeof(*by));
	if (!by)
		return -ENOMEM;
	a->by_cgroup = by;
	for (i = 0; i < a->nr_procs; i++)
		by[i] = &a->procs[i];
	qsort(by, a->nr_procs, sizeof(*by), cmp_proc_cgroup);
	return 0;
}

int activity_read(struct eacctd *e, bool baseline_only)
{
	int err = eacct_bpf_cpu_collect(&e->bpf);

	if (!err)
		err = read_cgroups(e, baseline_only);
	if (!err)
		err = read_processes(e, baseline_only);
	return err;
}

/*
 * Once the interval is charged: cgroups taken out of the map are
 * forgotten, and exited processes too, here and in BPF (after their
 * last time was read, so none is lost).
 */
void activity_forget(struct eacctd *e)
{
	struct activity *a = &e->act;
	int fd = bpf_map__fd(e->bpf.skel->maps.process_ns);
	size_t i, j = 0, n = 0;

	for (i = 0; i < a->nr_cgs; i++) {
		if (a->cgs[i].pruned) {
			n++;
			continue;
		}
		a->cgs[j++] = a->cgs[i];
	}
	a->nr_cgs = j;
	if (n)
		logmsg("%zu cgroup(s) idle for %u intervals left the BPF map", n,
		       e->cfg.prune_after);
	for (i = j = 0; i < a->nr_procs; i++) {
		if (a->procs[i].exited) {
			bpf_map_delete_elem(fd, &a->procs[i].key);
			continue;
		}
		a->procs[j++] = a->procs[i];
	}
	a->nr_procs = j;
}

void activity_losses(struct eacctd *e, struct bpf_losses *out)
{
	memset(out, 0, sizeof(*out));
	eacct_bpf_cpu_stats(&e->bpf, &out->cpu);
	if (e->gpu.loaded)
		eacct_bpf_gpu_stats(&e->gpu.act.bpf, &out->gpu);
}

struct loss_counter {
	const char *name, *meaning;
	size_t off;
	bool gpu;
};

#define CPU_LOSS(f, m) { #f, m, offsetof(struct bpf_losses, cpu.f), false }
#define GPU_LOSS(f, m) { #f, m, offsetof(struct bpf_losses, gpu.f), true }

/* Every counter of a loss, in the order status and metrics show them. */
static const struct loss_counter loss_counters[] = {
	CPU_LOSS(storage_misses, "tasks died before their time was counted"),
	CPU_LOSS(cgroup_map_full, "on-CPU ns dropped: the cgroup map was full"),
	CPU_LOSS(process_map_full, "process rows not kept: the process map was full"),
	CPU_LOSS(flush_races, "on-CPU time late or lost to racing flushes"),
	CPU_LOSS(move_misses, "threads moved with no record of when: their time since last read went to the cgroup they left"),
	GPU_LOSS(use_map_full, "GPU use dropped: the GPU user map was full"),
	GPU_LOSS(fence_map_full, "fences not followed: the fence map was full"),
	GPU_LOSS(claim_races, "GPU busy time late: racing credits"),
	GPU_LOSS(nv_ioctls_lost, "NVIDIA ioctls not seen: the ring buffer was full"),
};
#define nr_loss_counters (sizeof(loss_counters) / sizeof(loss_counters[0]))

size_t activity_nr_losses(void)
{
	return nr_loss_counters;
}

uint64_t activity_loss_value(const struct bpf_losses *l, size_t i)
{
	return *(const __u64 *)((const char *)l + loss_counters[i].off);
}

const char *activity_loss_name(size_t i)
{
	return loss_counters[i].name;
}

/* A counter that grew is logged with how much, once per interval. */
void activity_log_losses(struct eacctd *e)
{
	struct bpf_losses now;
	uint64_t was, is;
	size_t i;

	activity_losses(e, &now);
	for (i = 0; i < nr_loss_counters; i++) {
		was = activity_loss_value(&e->act.losses, i);
		is = activity_loss_value(&now, i);
		if (is > was)
			logmsg("BPF %s +%" PRIu64 " (%" PRIu64 " in all): %s",
			       loss_counters[i].name, is - was, is, loss_counters[i].meaning);
	}
	e->act.losses = now;
}

void activity_free(struct activity *a)
{
	free(a->cgs);
	free(a->procs);
	free(a->by_cgroup);
	memset(a, 0, sizeof(*a));
}
