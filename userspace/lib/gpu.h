/* SPDX-License-Identifier: GPL-2.0 */
/*
 * GPUs as the DRM class shows them (/sys/class/drm): one GPU per device,
 * whatever nodes it has (cardN, renderDN), each node known by its dev_t,
 * as BPF sees it on an ioctl. NVIDIA's proprietary driver shows no DRM
 * node on many systems; its GPUs come from NVML instead (nvml.h).
 */
#ifndef EACCT_GPU_H
#define EACCT_GPU_H

#include <stdbool.h>
#include <stdint.h>

#include "meter.h"

#define EACCT_MAX_GPUS		16
#define EACCT_GPU_MAX_NODES	4

/* The kernel's dev_t, as in inode->i_rdev. */
#define EACCT_KDEV(major, minor) (((uint32_t)(major) << 20) | (uint32_t)(minor))

struct eacct_gpu {
	char name[16];			/* "gpu-N": its eacct domain */
	char driver[32];		/* "i915", "amdgpu", "vgem", ... */
	char device[512];		/* the device's sysfs path */
	uint32_t nodes[EACCT_GPU_MAX_NODES];	/* dev_t of card and render nodes */
	int nr_nodes;
	bool has_meter;
	struct eacct_meter meter;	/* energy counter or integrated power */
};

/*
 * Find the GPUs under @drm_root (normally /sys/class/drm), up to @max, in
 * the order of their card numbers. Returns how many.
 */
int eacct_gpus_detect(const char *drm_root, struct eacct_gpu *out, int max);

struct eacct_nvml_lib;
struct eacct_nvml_gpu;

/*
 * Add NVML's GPUs to the @n found in the DRM class: a DRM device at the
 * same PCI address (nvidia-drm shows one) is the same GPU; the others
 * become GPUs of their own ("nvidia"). Each gets its /dev/nvidiaN node;
 * nvml_of[i] is set to GPU i's NVML device. Returns the new count.
 */
int eacct_gpus_add_nvml(struct eacct_nvml_lib *lib, struct eacct_gpu *gpus, int n,
			int max, struct eacct_nvml_gpu **nvml_of);

/* The GPU one of whose nodes is @rdev, or -1. */
int eacct_gpu_by_node(const struct eacct_gpu *gpus, int n, uint32_t rdev);

#endif /* EACCT_GPU_H */
