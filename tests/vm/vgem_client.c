// SPDX-License-Identifier: GPL-2.0
/*
 * A stand-in for a GPU job submitter, on vgem (a real DRM driver with no
 * hardware): COUNT times, attach a fence to a buffer (a "job" starts),
 * hold it HOLD_MS, signal it (the job ends), then wait GAP_MS.
 *
 * Usage: vgem-client DEVICE HOLD_MS GAP_MS COUNT [--leave] [--go=FILE]
 * --leave: attach one more fence and exit without signalling it.
 * --go=FILE: once ready (device open, buffer made), wait for FILE to
 * exist before the first fence, so that several clients start together.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/ioctl.h>
#include <linux/types.h>
#include <sys/ioctl.h>

/* From the kernel's uapi drm/drm_mode.h and drm/vgem_drm.h (stable ABI). */
struct mode_create_dumb {
	__u32 height, width, bpp, flags, handle, pitch;
	__u64 size;
};

struct vgem_fence_attach {
	__u32 handle, flags, out_fence, pad;
};

struct vgem_fence_signal {
	__u32 fence, flags;
};

#define DRM_BASE		'd'
#define IOCTL_CREATE_DUMB	_IOWR(DRM_BASE, 0xB2, struct mode_create_dumb)
#define IOCTL_FENCE_ATTACH	_IOWR(DRM_BASE, 0x40 + 1, struct vgem_fence_attach)
#define IOCTL_FENCE_SIGNAL	_IOW(DRM_BASE, 0x40 + 2, struct vgem_fence_signal)
#define VGEM_FENCE_WRITE	0x1

static int fence_attach(int fd, __u32 handle, __u32 *fence)
{
	struct vgem_fence_attach a = { .handle = handle, .flags = VGEM_FENCE_WRITE };

	if (ioctl(fd, IOCTL_FENCE_ATTACH, &a))
		return -errno;
	*fence = a.out_fence;
	return 0;
}

int main(int argc, char **argv)
{
	struct mode_create_dumb bo = { .height = 64, .width = 64, .bpp = 32 };
	struct vgem_fence_signal s = { 0 };
	const char *go = NULL;
	int fd, hold_ms, gap_ms, count, i, leave = 0;

	if (argc < 5) {
		fprintf(stderr, "usage: vgem-client DEVICE HOLD_MS GAP_MS COUNT [--leave] [--go=FILE]\n");
		return 2;
	}
	for (i = 5; i < argc; i++) {
		if (!strcmp(argv[i], "--leave"))
			leave = 1;
		else if (!strncmp(argv[i], "--go=", 5))
			go = argv[i] + 5;
	}
	hold_ms = atoi(argv[2]);
	gap_ms = atoi(argv[3]);
	count = atoi(argv[4]);
	fd = open(argv[1], O_RDWR | O_CLOEXEC);
	if (fd < 0 || ioctl(fd, IOCTL_CREATE_DUMB, &bo)) {
		fprintf(stderr, "vgem-client: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	while (go && access(go, F_OK))
		usleep(1000);
	for (i = 0; i < count; i++) {
		if (fence_attach(fd, bo.handle, &s.fence)) {
			fprintf(stderr, "vgem-client: fence attach: %s\n", strerror(errno));
			return 1;
		}
		usleep(hold_ms * 1000);
		if (ioctl(fd, IOCTL_FENCE_SIGNAL, &s)) {
			fprintf(stderr, "vgem-client: fence signal: %s\n", strerror(errno));
			return 1;
		}
		usleep(gap_ms * 1000);
	}
	if (leave)
		return fence_attach(fd, bo.handle, &s.fence) ? 1 : 0;
	return 0;
}
