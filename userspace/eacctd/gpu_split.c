// SPDX-License-Identifier: GPL-2.0
/*
 * Owns who used each GPU this interval (a GPU domain's ids, act and
 * method), by the best measure there is: NVML's per-process samples; on
 * NVIDIA without them, the live work contexts; fence busy time; where no
 * fence ended, the driver's fdinfo engine time; last, the ioctl count.
 * Also the cross-check of fence busy time against fdinfo engine time.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "eacctd.h"
#include "lib/attrib.h"
#include "lib/cgroupfs.h"

/* Room for @n users in the domain's arrays. 0 or -ENOMEM. */
static int reserve(struct domain *dom, size_t n)
{
	uint64_t *buf;

	if (n <= dom->cap_users)
		return 0;
	buf = calloc(2 * n, sizeof(*buf));
	if (!buf)
		return -ENOMEM;
	free(dom->ids);
	dom->ids = buf;
	dom->act = buf + n;
	dom->cap_users = n;
	return 0;
}

/*
 * NVML's view of who used an NVIDIA GPU: per process SM utilisation (or,
 * under MIG, the memory each running process holds), gathered by cgroup.
 * Returns how many cgroups, 0 if NVML has nothing (BPF's view is used).
 */
static size_t nvml_basis(struct eacctd *e, struct domain *dom, const char **label)
{
	struct eacct_nvml_use use[256];
	size_t n = 0;
	bool by_memory;
	uint64_t id;
	int nr, i;

	nr = eacct_nvml_process_use(e->gpu.nvml, dom->nvml, use, 256, &by_memory);
	if (nr <= 0 || reserve(dom, (size_t)nr))
		return 0;
	for (i = 0; i < nr; i++) {
		if (eacct_pid_cgroup_id("/proc", e->cgroup_root, use[i].pid, &id))
			continue;	/* exited: its share goes to the others */
		n = eacct_tally(dom->ids, dom->act, n, dom->cap_users, id, use[i].weight);
	}
	dom->method = EACCT_GPU_BY_NVML;
	*label = by_memory ? "NVML process memory (MIG: no per-process utilisation)" :
			     "NVML per-process SM utilisation";
	return n;
}

static size_t bpf_basis(struct eacctd *e, struct domain *dom)
{
	const char *pdev = strrchr(e->gpu.list[dom->gpu].device, '/');
	struct gpu_activity *a = &e->gpu.act;
	size_t n = 0, m, max;

	if (reserve(dom, a->nr + 1))
		return 0;
	max = dom->cap_users;
	if (e->gpu.nvml_of[dom->gpu]) {
		/* RM's device instance is taken to be the /dev/nvidiaN minor. */
		n = gpu_activity_nv_contexts(a, (int)e->gpu.nvml_of[dom->gpu]->minor,
					     dom->ids, dom->act, max);
		dom->method = EACCT_GPU_BY_CONTEXTS;
	}
	if (!n)
		n = gpu_activity_split_basis(a, dom->gpu, dom->ids, dom->act, max, &dom->method);
	if (dom->method == EACCT_GPU_BY_NOTHING || dom->method == EACCT_GPU_BY_IOCTLS) {
		m = gpu_activity_fdinfo_basis(a, pdev ? pdev + 1 : "", dom->ids, dom->act, max);
		if (m) {
			n = m;
			dom->method = EACCT_GPU_BY_FDINFO;
		}
	}
	return n;
}

/*
 * Fence busy time, checked against the driver's own engine time where
 * its fdinfo has one, over windows of XCHECK_WINDOW intervals: logged
 * when more than XCHECK_WARN of the split is placed differently, again
 * when they agree once more, and summed up at exit.
 */
#define XCHECK_WINDOW 10
#define XCHECK_WARN 0.10

static void crosscheck(struct eacctd *e, struct domain *dom)
{
	const char *pdev = strrchr(e->gpu.list[dom->gpu].device, '/');
	double dist;

	dist = gpu_activity_crosscheck(&e->gpu.act, pdev ? pdev + 1 : "", dom->ids, dom->act,
				       dom->nr_users, &dom->xcheck, XCHECK_WINDOW);
	if (dist < 0 || (dist > XCHECK_WARN) == dom->xcheck_off)
		return;
	dom->xcheck_off = dist > XCHECK_WARN;
	logmsg("%s: fence busy time and fdinfo engine time %s: %.1f %% of the split placed differently over %d intervals",
	       dom->name, dom->xcheck_off ? "DISAGREE" : "agree again", 100 * dist,
	       XCHECK_WINDOW);
}

/* Who used @dom this interval, into dom->ids/act/nr_users/method. */
int gpu_split(struct eacctd *e, struct domain *dom)
{
	const char *label = NULL;
	size_t n = 0;

	dom->method = EACCT_GPU_BY_NOTHING;
	if (dom->nvml)
		n = nvml_basis(e, dom, &label);
	if (!n && e->gpu.loaded) {
		n = bpf_basis(e, dom);
		label = eacct_gpu_method_name(dom->method);
	}
	dom->nr_users = n;
	if (dom->method != EACCT_GPU_BY_NOTHING && label != dom->method_name) {
		logmsg("%s: energy split by %s", dom->name, label);
		dom->method_name = label;
	}
	if (dom->method == EACCT_GPU_BY_BUSY_TIME)
		crosscheck(e, dom);
	return 0;
}

void gpu_split_log_crosschecks(struct eacctd *e)
{
	struct domain *dom;
	int i;

	for (i = 0; i < e->dom.nr; i++) {
		dom = &e->dom.list[i];
		if (dom->gpu < 0)
			continue;
		if (dom->xcheck.intervals)
			eacct_xcheck_close(&dom->xcheck);
		if (dom->xcheck.windows)
			logmsg("%s: fence busy time against fdinfo engine time: %u windows, worst %.1f %%, last %.1f %% of the split placed differently",
			       dom->name, dom->xcheck.windows, 100 * dom->xcheck.worst,
			       100 * dom->xcheck.last);
		eacct_xcheck_free(&dom->xcheck);
		free(dom->ids);
		dom->ids = dom->act = NULL;
		dom->cap_users = 0;
	}
}
