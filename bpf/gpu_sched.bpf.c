// SPDX-License-Identifier: GPL-2.0
/*
 * The gpu_scheduler tracepoints of drm_sched (amdgpu, xe, nouveau, v3d,
 * panfrost, ...): a job starts running on the hardware. Its "finished"
 * fence, bound to the submitting cgroup and queued by gpu_account.bpf.c,
 * starts counting busy time here. The run event is drm_run_job up to
 * 6.16 and drm_sched_job_run from 6.17; eacctd attaches this program to
 * whichever the kernel has. Both pass (struct drm_sched_job *, entity).
 *
 * drm_sched is a module (gpu-sched): its types come from the module's
 * BTF, so this object loads only where the module is there, apart from
 * gpu_account.bpf.c. Without it, the "scheduled" fence's signal marks the
 * same moment (right after the driver's run_job).
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "gpu_fences.bpf.h"

/* Only the fields read here; CO-RE finds them in gpu-sched's BTF. */
struct drm_sched_fence___eacct {
	struct dma_fence finished;
} __attribute__((preserve_access_index));

struct drm_sched_job___eacct {
	struct drm_sched_fence___eacct *s_fence;
} __attribute__((preserve_access_index));

struct eacct_sched_stats sched_stats;

SEC("raw_tp")
int BPF_PROG(sched_job_run, struct drm_sched_job___eacct *job)
{
	struct drm_sched_fence___eacct *s_fence = BPF_CORE_READ(job, s_fence);
	struct eacct_fence_key key = {
		.context = BPF_CORE_READ(s_fence, finished.context),
		.seqno = BPF_CORE_READ(s_fence, finished.seqno),
	};
	struct eacct_fence *f;

	__sync_fetch_and_add(&sched_stats.jobs_run, 1);
	f = bpf_map_lookup_elem(&fences, &key);
	if (f && fence_start_running(f, bpf_ktime_get_ns()))
		__sync_fetch_and_add(&sched_stats.run_marked, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
