/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/* mockgpu's ioctls, shared by the test driver and its client. */
#ifndef MOCKGPU_DRM_H
#define MOCKGPU_DRM_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <linux/types.h>
#include <linux/ioctl.h>
#endif

#define DRM_MOCKGPU_SUBMIT	0x00
#define DRM_MOCKGPU_WAIT	0x01

/* Queue one job that keeps the engine busy for @duration_us. */
struct drm_mockgpu_submit {
	__u32 duration_us;	/* 1 .. 10 s */
	__u32 pad;		/* must be 0 */
	__u64 seqno;		/* out: the job's number on this file, from 1 */
};

/* Wait until this file's jobs up to @seqno have finished. */
struct drm_mockgpu_wait {
	__u64 seqno;
	__u32 timeout_ms;
	__u32 pad;
};

/* DRM_COMMAND_BASE is 0x40; 'd' is DRM_IOCTL_BASE. */
#define DRM_IOCTL_MOCKGPU_SUBMIT \
	_IOWR('d', 0x40 + DRM_MOCKGPU_SUBMIT, struct drm_mockgpu_submit)
#define DRM_IOCTL_MOCKGPU_WAIT \
	_IOW('d', 0x40 + DRM_MOCKGPU_WAIT, struct drm_mockgpu_wait)

#endif /* MOCKGPU_DRM_H */
