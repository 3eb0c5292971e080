/* SPDX-License-Identifier: GPL-2.0 */
/*
 * eacctd's view of GPU use: per interval, what each cgroup did on each
 * GPU (fence busy time, ioctls), from the BPF map, as deltas.
 */
#ifndef EACCT_GPU_ACTIVITY_H
#define EACCT_GPU_ACTIVITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf_gpu.h"
#include "lib/gpu.h"
#include "lib/fdinfo.h"
#include "lib/nvrm.h"
#include "lib/xcheck.h"

struct ring_buffer;

enum eacct_gpu_method {
	EACCT_GPU_BY_NOTHING,		/* nobody used it: all idle */
	EACCT_GPU_BY_BUSY_TIME,		/* fences: submit to signal */
	EACCT_GPU_BY_IOCTLS,		/* no fences seen: ioctl counts */
	EACCT_GPU_BY_NVML,		/* NVML per-process samples */
	EACCT_GPU_BY_CONTEXTS,		/* live NVIDIA work contexts (RM ioctls) */
	EACCT_GPU_BY_FDINFO,		/* drm-engine-* time from fdinfo */
};

const char *eacct_gpu_method_name(enum eacct_gpu_method m);

struct gpu_user {			/* one BPF map entry */
	struct eacct_gpu_key key;
	int gpu;			/* index in the GPU list, -1: not a GPU we meter */
	uint64_t busy_ns, ioctls;	/* cumulative, as last charged */
	uint64_t d_busy, d_ioctls;	/* this interval */
	unsigned int idle;		/* intervals in a row without use */
	bool gone;			/* taken out of the map this interval */
};

struct gpu_activity {
	struct eacct_bpf_gpu bpf;
	struct gpu_user *users;		/* sorted by key */
	size_t nr, cap;
	struct ring_buffer *nv_rb;	/* NVIDIA RM ioctls from BPF */
	struct eacct_nvrm nvrm;		/* the objects they made */
	struct eacct_drm_client *clients, *prev;	/* fdinfo, now and before */
	uint64_t *client_delta;		/* engine ns this interval, per client */
	uint64_t *client_cgroup;	/* its cgroup, where the delta is not 0 */
	int nr_clients, nr_prev;
};

/*
 * Read every DRM client's fdinfo under @proc: deltas since the last call,
 * and the cgroup (under the cgroup2 mount @cgroup_root) of those used.
 */
int gpu_activity_read_fdinfo(struct gpu_activity *a, const char *proc,
			     const char *cgroup_root);

/*
 * Engine time per cgroup this interval on the device at PCI address
 * @pdev, from fdinfo; (id, ns) pairs up to @max. Returns how many.
 */
size_t gpu_activity_fdinfo_basis(const struct gpu_activity *a, const char *pdev,
				 uint64_t *ids, uint64_t *act, size_t max);

/*
 * The cross-check: this interval's busy-time split (@ids, @busy) against
 * fdinfo engine time on the device at PCI address @pdev, added to @x when
 * the driver shows fdinfo clients there. When @window intervals are in,
 * the window closes: returns its distance (eacct_xcheck_close), else -1.
 */
double gpu_activity_crosscheck(const struct gpu_activity *a, const char *pdev,
			       const uint64_t *ids, const uint64_t *busy, size_t n,
			       struct eacct_xcheck *x, unsigned int window);

/* After eacct_bpf_gpu_open(): follow NVIDIA RM ioctls. 0 or -errno. */
int gpu_activity_start(struct gpu_activity *a);
void gpu_activity_stop(struct gpu_activity *a);

/*
 * Live NVIDIA work contexts per cgroup on device instance @device, as
 * gpu_activity_split_basis() gives its pairs. Returns how many cgroups.
 */
size_t gpu_activity_nv_contexts(const struct gpu_activity *a, int device,
				uint64_t *ids, uint64_t *act, size_t max);

/*
 * Read the map and compute this interval's deltas. With @baseline_only,
 * entries start from what they hold now. Entries idle for @prune_after
 * intervals leave the map, their last value charged this interval.
 */
int gpu_activity_read(struct gpu_activity *a, const struct eacct_gpu *gpus,
		      int nr_gpus, unsigned int prune_after, bool baseline_only);

/*
 * Activity per cgroup on GPU @gpu this interval, by the best method there
 * is: busy time if any fence ended, else ioctls. Writes up to @max
 * (cgroup id, activity) pairs, one per cgroup; returns how many, and the
 * method in *method.
 */
size_t gpu_activity_split_basis(const struct gpu_activity *a, int gpu,
				uint64_t *ids, uint64_t *act, size_t max,
				enum eacct_gpu_method *method);

/* After the interval is charged: drop entries taken out of the map. */
void gpu_activity_forget_gone(struct gpu_activity *a);

#endif /* EACCT_GPU_ACTIVITY_H */
