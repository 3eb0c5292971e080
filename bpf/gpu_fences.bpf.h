/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fences in flight, shared by gpu_account.bpf.c (which binds them to
 * cgroups and credits them) and gpu_sched.bpf.c (which starts queued
 * drm_sched jobs): eacctd gives both objects the same map.
 */
#ifndef EACCT_GPU_FENCES_BPF_H
#define EACCT_GPU_FENCES_BPF_H

#include "gpu_account.h"

/*
 * Not preallocated: a deleted fence's element is freed after an RCU
 * grace period, never reused under the feet of the credit iterator.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, EACCT_MAX_FENCES);
	__type(key, struct eacct_fence_key);
	__type(value, struct eacct_fence);
} fences SEC(".maps");

/*
 * A queued drm_sched job starts running now: its busy time counts from
 * here. Whichever sees the start first wins; the others find it taken.
 */
static __always_inline bool fence_start_running(struct eacct_fence *f, __u64 now)
{
	return __sync_val_compare_and_swap(&f->start_ns, EACCT_FENCE_QUEUED, now) ==
	       EACCT_FENCE_QUEUED;
}

#endif /* EACCT_GPU_FENCES_BPF_H */
