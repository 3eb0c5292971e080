// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "gpu_activity.h"
#include "lib/array.h"
#include "lib/attrib.h"
#include "lib/counter.h"
#include "lib/cgroupfs.h"

static const char *const method_names[] = {
	[EACCT_GPU_BY_NOTHING] = "unused",
	[EACCT_GPU_BY_BUSY_TIME] = "fence busy time",
	[EACCT_GPU_BY_IOCTLS] = "ioctl count",
	[EACCT_GPU_BY_NVML] = "NVML",
	[EACCT_GPU_BY_CONTEXTS] = "live NVIDIA work contexts (RM ioctls)",
	[EACCT_GPU_BY_FDINFO] = "fdinfo engine time (drm-engine-*)",
};

const char *eacct_gpu_method_name(enum eacct_gpu_method m)
{
	return m <= EACCT_GPU_BY_FDINFO ? method_names[m] : "?";
}

static int cmp_key(const struct eacct_gpu_key *x, const struct eacct_gpu_key *y)
{
	if (x->cgroup_id != y->cgroup_id)
		return x->cgroup_id < y->cgroup_id ? -1 : 1;
	return x->rdev < y->rdev ? -1 : x->rdev > y->rdev;
}

static int cmp_user(const void *a, const void *b)
{
	return cmp_key(&((const struct gpu_user *)a)->key,
		       &((const struct gpu_user *)b)->key);
}

static struct gpu_user *find(struct gpu_activity *a, size_t n,
			     const struct eacct_gpu_key *key)
{
	struct gpu_user k = { .key = *key };

	return n ? bsearch(&k, a->users, n, sizeof(k), cmp_user) : NULL;
}

static struct gpu_user *add(struct gpu_activity *a, const struct eacct_gpu_key *key)
{
	struct gpu_user *u = eacct_array_push((void **)&a->users, &a->cap, &a->nr, sizeof(*u));

	if (u)
		u->key = *key;
	return u;
}

/* A counter read now against the last charged value: the delta, saved. */
static void advance(struct gpu_user *u, const struct eacct_gpu_use *v)
{
	u->d_busy += eacct_counter_delta(u->busy_ns, v->busy_ns, 0, NULL);
	u->d_ioctls += eacct_counter_delta(u->ioctls, v->ioctls, 0, NULL);
	u->busy_ns = v->busy_ns;
	u->ioctls = v->ioctls;
}

static int on_nv_ioctl(void *ctx, void *data, size_t len)
{
	struct eacct_nvrm *t = ctx;

	if (len < sizeof(struct eacct_nv_ioctl))
		t->failed++;
	else
		eacct_nvrm_apply(t, data);
	return 0;
}

int gpu_activity_start(struct gpu_activity *a)
{
	eacct_nvrm_init(&a->nvrm);
	a->nv_rb = ring_buffer__new(eacct_bpf_gpu_nv_ioctls(&a->bpf), on_nv_ioctl,
				    &a->nvrm, NULL);
	return a->nv_rb ? 0 : -errno;
}

void gpu_activity_stop(struct gpu_activity *a)
{
	ring_buffer__free(a->nv_rb);
	a->nv_rb = NULL;
	eacct_nvrm_free(&a->nvrm);
	free(a->clients);
	free(a->prev);
	free(a->client_delta);
	free(a->client_cgroup);
	a->clients = a->prev = NULL;
	a->client_delta = a->client_cgroup = NULL;
}

#define MAX_DRM_CLIENTS 4096

static bool same_client(const struct eacct_drm_client *x, const struct eacct_drm_client *y)
{
	return x->client_id == y->client_id && !strcmp(x->pdev, y->pdev) &&
	       !strcmp(x->driver, y->driver);
}

int gpu_activity_read_fdinfo(struct gpu_activity *a, const char *proc,
			     const char *cgroup_root)
{
	struct eacct_drm_client *tmp;
	int i, k;

	if (!a->clients) {
		a->clients = calloc(MAX_DRM_CLIENTS, sizeof(*a->clients));
		a->prev = calloc(MAX_DRM_CLIENTS, sizeof(*a->prev));
		a->client_delta = calloc(MAX_DRM_CLIENTS, sizeof(*a->client_delta));
		a->client_cgroup = calloc(MAX_DRM_CLIENTS, sizeof(*a->client_cgroup));
		if (!a->clients || !a->prev || !a->client_delta || !a->client_cgroup)
			return -ENOMEM;
	}
	/* This reading becomes the previous one; the new one goes in clients. */
	tmp = a->prev;
	a->prev = a->clients;
	a->nr_prev = a->nr_clients;
	a->clients = tmp;
	a->nr_clients = eacct_drm_clients(proc, a->clients, MAX_DRM_CLIENTS);
	for (i = 0; i < a->nr_clients; i++) {
		a->client_delta[i] = 0;
		for (k = 0; k < a->nr_prev; k++) {
			if (!same_client(&a->clients[i], &a->prev[k]))
				continue;
			if (a->clients[i].engine_ns > a->prev[k].engine_ns)
				a->client_delta[i] = a->clients[i].engine_ns - a->prev[k].engine_ns;
			break;
		}
		/* Once per client, whatever the number of GPUs asking. */
		if (a->client_delta[i] &&
		    eacct_pid_cgroup_id(proc, cgroup_root, a->clients[i].pid,
					&a->client_cgroup[i]))
			a->client_delta[i] = 0;	/* gone: its share goes to the others */
	}
	return 0;
}

size_t gpu_activity_fdinfo_basis(const struct gpu_activity *a, const char *pdev,
				 uint64_t *ids, uint64_t *act, size_t max)
{
	size_t n = 0;
	int i;

	for (i = 0; i < a->nr_clients; i++)
		if (a->client_delta[i] && !strcmp(a->clients[i].pdev, pdev))
			n = eacct_tally(ids, act, n, max, a->client_cgroup[i],
					a->client_delta[i]);
	return n;
}

double gpu_activity_crosscheck(const struct gpu_activity *a, const char *pdev,
			       const uint64_t *ids, const uint64_t *busy, size_t n,
			       struct eacct_xcheck *x, unsigned int window)
{
	size_t max = (size_t)a->nr_clients, m;
	uint64_t *eids;
	int i;

	for (i = 0; i < a->nr_clients; i++)
		if (!strcmp(a->clients[i].pdev, pdev))
			break;
	if (i == a->nr_clients)
		return -1;	/* no fdinfo from this driver: nothing to compare */
	eids = calloc(2 * max, sizeof(*eids));
	if (!eids)
		return -1;
	m = gpu_activity_fdinfo_basis(a, pdev, eids, eids + max, max);
	i = eacct_xcheck_add(x, ids, busy, n, eids, eids + max, m);
	free(eids);
	if (i || x->intervals < window)
		return -1;
	return eacct_xcheck_close(x);
}

/* RM frees a process's objects when it closes the device: so do we. */
static void forget_exited(struct eacct_nvrm *t)
{
	uint32_t alive = 0, tgid;
	size_t i = 0;

	/* A process's objects are mostly neighbours: one kill(0) for a run. */
	while (i < t->nr) {
		tgid = t->objs[i].tgid;
		if (tgid == alive || !kill((pid_t)tgid, 0) || errno != ESRCH) {
			alive = tgid;
			i++;
			continue;
		}
		/* Removal keeps the order: the objects before i stay put. */
		eacct_nvrm_forget_process(t, tgid);
	}
}

size_t gpu_activity_nv_contexts(const struct gpu_activity *a, int device,
				uint64_t *ids, uint64_t *act, size_t max)
{
	return eacct_nvrm_split(&a->nvrm, device, ids, act, max);
}

int gpu_activity_read(struct gpu_activity *a, const struct eacct_gpu *gpus,
		      int nr_gpus, unsigned int prune_after, bool baseline_only)
{
	size_t i, n, sorted = a->nr;
	struct eacct_gpu_key *keys;
	struct eacct_gpu_use *vals, last;
	struct gpu_user *u;
	int err;

	for (i = 0; i < a->nr; i++) {
		u = &a->users[i];
		u->d_busy = u->d_ioctls = 0;
		if (baseline_only || u->idle < prune_after ||
		    eacct_bpf_gpu_take(&a->bpf, &u->key, &last))
			continue;
		advance(u, &last);
		u->gone = true;
	}
	if (a->nv_rb) {
		ring_buffer__consume(a->nv_rb);
		forget_exited(&a->nvrm);
	}
	err = eacct_bpf_gpu_credit(&a->bpf);
	if (!err)
		err = eacct_bpf_gpu_read(&a->bpf, &keys, &vals, &n);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		u = find(a, sorted, &keys[i]);
		if (!u) {
			u = add(a, &keys[i]);
			if (!u) {
				err = -ENOMEM;
				break;
			}
			u->gpu = eacct_gpu_by_node(gpus, nr_gpus, keys[i].rdev);
			if (baseline_only) {
				u->busy_ns = vals[i].busy_ns;
				u->ioctls = vals[i].ioctls;
				continue;
			}
		}
		advance(u, &vals[i]);
	}
	free(keys);
	free(vals);
	if (a->nr != sorted)
		qsort(a->users, a->nr, sizeof(*a->users), cmp_user);
	for (i = 0; i < a->nr; i++) {
		u = &a->users[i];
		u->idle = u->d_busy || u->d_ioctls ? 0 : u->idle + 1;
	}
	return err;
}

size_t gpu_activity_split_basis(const struct gpu_activity *a, int gpu,
				uint64_t *ids, uint64_t *act, size_t max,
				enum eacct_gpu_method *method)
{
	bool busy = false, ioctls = false;
	const struct gpu_user *u;
	size_t i, n = 0;

	for (i = 0; i < a->nr; i++) {
		u = &a->users[i];
		if (u->gpu != gpu)
			continue;
		busy |= u->d_busy != 0;
		ioctls |= u->d_ioctls != 0;
	}
	*method = busy ? EACCT_GPU_BY_BUSY_TIME :
		  ioctls ? EACCT_GPU_BY_IOCTLS : EACCT_GPU_BY_NOTHING;
	if (*method == EACCT_GPU_BY_NOTHING)
		return 0;
	/* Sorted by cgroup: a cgroup's nodes (card, render) are neighbours. */
	for (i = 0; i < a->nr; i++) {
		uint64_t v;

		u = &a->users[i];
		v = busy ? u->d_busy : u->d_ioctls;
		if (u->gpu != gpu || !v)
			continue;
		if (n && ids[n - 1] == u->key.cgroup_id) {
			act[n - 1] += v;
			continue;
		}
		if (n == max)
			break;
		ids[n] = u->key.cgroup_id;
		act[n++] = v;
	}
	return n;
}

void gpu_activity_forget_gone(struct gpu_activity *a)
{
	size_t i, kept = 0;

	for (i = 0; i < a->nr; i++)
		if (!a->users[i].gone)
			a->users[kept++] = a->users[i];
	a->nr = kept;
}
