// SPDX-License-Identifier: GPL-2.0
/*
 * Owns the GPUs (struct gpus): discovery (DRM and NVML), a domain per GPU
 * with an energy meter, the GPU BPF programs and the gpu_scheduler
 * tracepoints, and reading their activity each interval.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "eacctd.h"

struct domain *gpus_new_domain(struct eacctd *e, int gpu)
{
	struct domain *dom = &e->dom.list[e->dom.nr++];

	memset(dom, 0, sizeof(*dom));
	memcpy(dom->name, e->gpu.list[gpu].name, sizeof(e->gpu.list[gpu].name));
	dom->gpu = gpu;
	dom->pkg = -1;
	dom->id = EACCT_DOMAIN(EACCT_CLASS_GPU, gpu);
	return dom;
}

/* NVIDIA GPUs from NVML, beside or merged with the DRM ones. */
static void add_nvml_gpus(struct eacctd *e)
{
	char err[256];

	if (!strcmp(e->cfg.nvml_library, "none"))
		return;
	e->gpu.nvml = eacct_nvml_open(e->cfg.nvml_library, err, sizeof(err));
	if (!e->gpu.nvml) {
		logmsg("NVML: not used (%s)", err);
		return;
	}
	e->gpu.nr = eacct_gpus_add_nvml(e->gpu.nvml, e->gpu.list, e->gpu.nr, EACCT_MAX_GPUS,
					e->gpu.nvml_of);
}

/*
 * One domain per GPU with an energy meter. GPU use is counted by BPF on
 * every GPU; one without a meter is reported and not charged.
 */
static void setup_domains(struct eacctd *e)
{
	struct eacct_nvml_gpu *ng;
	struct eacct_gpu *g;
	struct domain *dom;
	int i;

	e->gpu.nr = eacct_gpus_detect(e->cfg.drm_root, e->gpu.list, EACCT_MAX_GPUS);
	add_nvml_gpus(e);
	for (i = 0; i < e->gpu.nr; i++) {
		g = &e->gpu.list[i];
		ng = e->gpu.nvml_of[i];
		if (ng && (!g->has_meter || !g->meter.usable) && !ng->lost && !ng->error[0]) {
			dom = gpus_new_domain(e, i);
			dom->nvml = ng;
			dom->last_total = ng->total_uj;
			logmsg("%s (%s, %s, %s): NVML %s%s", g->name, ng->name, g->driver,
			       g->device, ng->integrated ? "power x time (INTEGRATED: no energy counter before Volta)" :
			       "energy counter", ng->mig ? "; MIG on" : "");
			continue;
		}
		if (!g->has_meter || !g->meter.usable) {
			logmsg("%s (%s, %s): no usable energy meter%s%s; its use is counted, not charged",
			       g->name, g->driver, g->device,
			       g->has_meter ? ": " : ng ? ": " : "",
			       g->has_meter ? g->meter.error : ng ? ng->error : "");
			continue;
		}
		dom = gpus_new_domain(e, i);
		dom->meter = &g->meter;
		dom->last_total = g->meter.total_uj;
		e->gpu.nr_drm_domains++;
		logmsg("%s (%s, %s): %s %s%s", g->name, g->driver, g->device,
		       eacct_meter_kind_name(g->meter.kind), g->meter.source,
		       g->meter.integrated ? " (INTEGRATED power x time)" : "");
	}
}

/*
 * drm_sched jobs start counting when they run: from the gpu_scheduler
 * tracepoints where they can be attached, else from their "scheduled"
 * fence. gpu-sched is a module that may load after eacctd starts: while
 * none is attached, try again once a minute.
 */
#define SCHED_RETRY_MS 60000

static void attach_sched_tracepoints(struct eacctd *e, bool first)
{
	struct gpus *g = &e->gpu;
	char names[64];
	int n;

	if (!e->cfg.gpu_sched_tracepoints || g->sched_tps) {
		if (first && !e->cfg.gpu_sched_tracepoints)
			logmsg("drm_sched jobs: gpu_scheduler tracepoints off (configuration); a job runs from its scheduled fence's signal");
		return;
	}
	if (!first && g->sched_retry && --g->sched_retry)
		return;
	n = eacct_bpf_gpu_sched_attach(&g->act.bpf, names, sizeof(names));
	if (n > 0) {
		g->sched_tps = n;
		logmsg("drm_sched jobs: run time from the gpu_scheduler tracepoint %s", names);
		return;
	}
	g->sched_retry = SCHED_RETRY_MS / e->cfg.interval_ms + 1;
	if (first && n == 0)
		logmsg("drm_sched jobs: no gpu_scheduler tracepoints (gpu-sched not loaded); a job runs from its scheduled fence's signal");
	else if (first)
		logmsg("drm_sched jobs: gpu_scheduler tracepoints not attached (%s); a job runs from its scheduled fence's signal",
		       strerror(-n));
}

/* GPU use from BPF; without it, CPU accounting goes on alone. */
void gpus_start(struct eacctd *e)
{
	struct gpus *g = &e->gpu;
	int err;

	setup_domains(e);
	err = eacct_bpf_gpu_open(&g->act.bpf, e->cfg.bpf_pin_dir, "/proc/devices");
	if (err) {
		logmsg("cannot load the GPU BPF programs: %s; GPU energy, if metered, counted as idle",
		       strerror(-err));
		return;
	}
	err = gpu_activity_read(&g->act, g->list, g->nr, e->cfg.prune_after, true);
	if (err) {
		logmsg("reading GPU activity: %s", strerror(-err));
		eacct_bpf_gpu_close(&g->act.bpf);
		return;
	}
	err = gpu_activity_start(&g->act);
	if (err)
		logmsg("NVIDIA RM ioctls not followed: %s", strerror(-err));
	g->loaded = true;
	logmsg("GPU use from BPF (ioctls on DRM and NVIDIA devices, dma_fence busy time)%s",
	       g->act.bpf.upgraded ? ": pinned programs of another build replaced, maps kept" :
	       g->act.bpf.reused ? ": pinned programs still running" : "");
	attach_sched_tracepoints(e, true);
}

/* This interval's GPU use; on error the GPUs' energy stays idle this once. */
void gpus_read(struct eacctd *e)
{
	struct gpus *g = &e->gpu;
	int err;

	if (!g->loaded)
		return;
	attach_sched_tracepoints(e, false);
	if (g->nr_drm_domains)
		gpu_activity_read_fdinfo(&g->act, "/proc", e->cgroup_root);
	err = gpu_activity_read(&g->act, g->list, g->nr, e->cfg.prune_after, false);
	if (err)
		logmsg("reading GPU activity: %s", strerror(-err));
}

/* What the drm_sched path saw, for the log at exit. */
static void log_sched_stats(struct eacctd *e)
{
	struct eacct_sched_stats tp;
	struct eacct_gpu_stats st;

	eacct_bpf_gpu_stats(&e->gpu.act.bpf, &st);
	eacct_bpf_gpu_sched_stats(&e->gpu.act.bpf, &tp);
	if (st.sched_pairs || tp.jobs_run)
		logmsg("drm_sched jobs: %" PRIu64 " queued, %" PRIu64 " started by the run tracepoint (%" PRIu64 " run events), %" PRIu64 " by their scheduled fence",
		       (uint64_t)st.sched_pairs, (uint64_t)tp.run_marked,
		       (uint64_t)tp.jobs_run, (uint64_t)st.sched_run_by_fence);
}

void gpus_stop(struct eacctd *e)
{
	if (e->gpu.loaded) {
		log_sched_stats(e);
		gpu_split_log_crosschecks(e);
		gpu_activity_stop(&e->gpu.act);
		eacct_bpf_gpu_close(&e->gpu.act.bpf);
		e->gpu.loaded = false;
	}
	eacct_nvml_close(e->gpu.nvml);
	e->gpu.nvml = NULL;
}
