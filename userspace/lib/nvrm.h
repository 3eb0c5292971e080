/* SPDX-License-Identifier: GPL-2.0 */
/*
 * NVIDIA resource manager (RM) ioctls, as BPF captures them on
 * /dev/nvidia* (struct eacct_nv_ioctl), decoded into the objects a
 * process allocates: its live work contexts (channel groups, GPFIFO
 * channels, compute objects) per cgroup and GPU are what a GPU's energy
 * is split by when NVML gives no per-process figures.
 *
 * RM allocations arrive on /dev/nvidiactl, not on a GPU's node: an
 * object belongs to a GPU through its parents, up to the NV01_DEVICE_0
 * (0x80) whose allocation parameters name the device instance.
 * Layouts as in NVIDIA's open-gpu-kernel-modules (nvos.h, nv_escape.h,
 * nv-ioctl.h): NVOS21/NVOS64 (RM_ALLOC), NVOS00 (RM_FREE), NVOS54
 * (RM_CONTROL), nv_ioctl_xfer_t (NV_ESC_IOCTL_XFER_CMD). Pure functions.
 */
#ifndef EACCT_NVRM_H
#define EACCT_NVRM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/types.h>

#include "gpu_account.h"

#define NV_IOCTL_MAGIC		'F'
#define NV_ESC_RM_FREE		0x29
#define NV_ESC_RM_CONTROL	0x2A
#define NV_ESC_RM_ALLOC		0x2B
#define NV_ESC_IOCTL_XFER_CMD	(200 + 11)

#define NV01_ROOT		0x0000
#define NV01_ROOT_CLIENT	0x0041
#define NV01_DEVICE_0		0x0080
#define NV20_SUBDEVICE_0	0x2080
#define KEPLER_CHANNEL_GROUP_A	0xA06C

enum eacct_nvrm_kind {
	EACCT_NVRM_OTHER,
	EACCT_NVRM_CHANNEL_GROUP,	/* KEPLER_CHANNEL_GROUP_A */
	EACCT_NVRM_CHANNEL,		/* *_CHANNEL_GPFIFO_A, Volta 0xC36F .. Blackwell 0xCA6F */
	EACCT_NVRM_COMPUTE,		/* *_COMPUTE_A/B, Turing 0xC5C0 .. Blackwell 0xCEC0 */
};

enum eacct_nvrm_kind eacct_nvrm_class_kind(uint32_t hclass);

struct eacct_nvrm_event {
	enum { NVRM_NONE, NVRM_ALLOC, NVRM_FREE, NVRM_CONTROL } op;
	uint32_t h_root, h_parent, h_object, h_class;
	uint32_t device;		/* NV01_DEVICE_0: its device instance */
	uint32_t control_cmd;		/* NVRM_CONTROL */
	uint32_t status;		/* RM's NV_STATUS: 0 is success */
};

/*
 * Decode one captured ioctl. Returns 0 with @ev filled, -ENOTSUP for an
 * escape that allocates or frees nothing, -EINVAL for a malformed
 * record (wrong magic, a size that fits no layout).
 */
int eacct_nvrm_decode(const struct eacct_nv_ioctl *rec, struct eacct_nvrm_event *ev);

/* The live objects of every client, and who made them. */
struct eacct_nvrm_object {
	uint32_t h_root, handle, parent, h_class;
	int32_t device;			/* device instance, -1 not known (yet) */
	uint32_t tgid;
	uint64_t cgroup_id;
};

struct eacct_nvrm {
	struct eacct_nvrm_object *objs;
	size_t nr, cap;
	uint64_t decoded, failed, dropped;	/* records seen */
};

void eacct_nvrm_init(struct eacct_nvrm *t);
void eacct_nvrm_free(struct eacct_nvrm *t);

/* Apply one captured ioctl (successful ones change the table). */
int eacct_nvrm_apply(struct eacct_nvrm *t, const struct eacct_nv_ioctl *rec);

/* A process is gone: its objects with it (RM frees a client on close). */
void eacct_nvrm_forget_process(struct eacct_nvrm *t, uint32_t tgid);

/* Live work contexts of @cgroup_id on device instance @device. */
unsigned int eacct_nvrm_contexts(const struct eacct_nvrm *t, uint64_t cgroup_id,
				 int device);

/*
 * Every cgroup with live work contexts on @device: (id, contexts) pairs,
 * up to @max. Returns how many.
 */
size_t eacct_nvrm_split(const struct eacct_nvrm *t, int device, uint64_t *ids,
			uint64_t *act, size_t max);

#endif /* EACCT_NVRM_H */
