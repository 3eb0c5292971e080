/* SPDX-License-Identifier: GPL-2.0 */
/* Loading gpu_account.bpf.c and reading GPU use per cgroup and device. */
#ifndef EACCT_BPF_GPU_H
#define EACCT_BPF_GPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "gpu_account.h"

struct gpu_account_bpf;
struct gpu_sched_bpf;
struct bpf_link;

#define EACCT_SCHED_TPS 2		/* drm_run_job, drm_sched_job_run */

struct eacct_bpf_gpu {
	struct gpu_account_bpf *skel;
	bool reused;			/* found pinned: its maps go on */
	bool upgraded;			/* ... with another build's programs, replaced */
	struct gpu_sched_bpf *sched;	/* gpu_scheduler tracepoints, if attached */
	struct bpf_link *sched_links[EACCT_SCHED_TPS];
};

/*
 * Load and attach, or with @pin_dir reuse a pinned set (see bpf_cpu.h).
 * @proc_devices (normally /proc/devices) gives nvidia-uvm's major.
 */
int eacct_bpf_gpu_open(struct eacct_bpf_gpu *g, const char *pin_dir,
		       const char *proc_devices);
void eacct_bpf_gpu_unpin(const char *pin_dir);
/* Credit the busy time of fences still in flight up to now. */
int eacct_bpf_gpu_credit(struct eacct_bpf_gpu *g);
/*
 * Every (cgroup, device) entry: malloc()ed arrays in *keys and *vals, their
 * count in *n. 0 or a negative errno.
 */
int eacct_bpf_gpu_read(struct eacct_bpf_gpu *g, struct eacct_gpu_key **keys,
		       struct eacct_gpu_use **vals, size_t *n);
/* Remove one entry (a cgroup gone for good); its last value is returned. */
int eacct_bpf_gpu_take(struct eacct_bpf_gpu *g, const struct eacct_gpu_key *key,
		       struct eacct_gpu_use *last);
/* The ring buffer of NVIDIA RM ioctls (struct eacct_nv_ioctl). */
int eacct_bpf_gpu_nv_ioctls(struct eacct_bpf_gpu *g);
void eacct_bpf_gpu_stats(struct eacct_bpf_gpu *g, struct eacct_gpu_stats *out);
/*
 * After eacct_bpf_gpu_open(): start queued drm_sched jobs from the
 * gpu_scheduler run tracepoint, under whichever name the kernel has,
 * sharing the fence map. Not pinned: without eacctd, the "scheduled"
 * fences mark the same moment. Returns how many tracepoints were attached
 * (0: drm_sched is not in the kernel now, try again later) and their
 * names in @names, or a negative errno.
 */
int eacct_bpf_gpu_sched_attach(struct eacct_bpf_gpu *g, char *names, size_t len);
void eacct_bpf_gpu_sched_stats(struct eacct_bpf_gpu *g, struct eacct_sched_stats *out);
void eacct_bpf_gpu_close(struct eacct_bpf_gpu *g);

/* A character device's major from /proc/devices by name, or 0. */
unsigned int eacct_char_major(const char *proc_devices, const char *name);

#endif /* EACCT_BPF_GPU_H */
