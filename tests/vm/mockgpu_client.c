// SPDX-License-Identifier: GPL-2.0
/*
 * A GPU client of mockgpu (tests/vm/mockgpu): keeps DEPTH jobs of
 * DURATION_US each queued on the engine for SECONDS, then waits for the
 * last one and prints "jobs N engine_ns E lifetime_ns L": how many of its
 * jobs ran, the engine time they used as the driver's fdinfo shows it
 * (drm-engine-gfx, whatever time they spent queued), and the sum of their
 * lifetimes from submit to completion (queue time included).
 *
 * Usage: mockgpu-client DEVICE DURATION_US DEPTH SECONDS [--go=FILE]
 * --go=FILE: once the device is open, wait for FILE before submitting.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "mockgpu/mockgpu_drm.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

#define MAX_DEPTH 64

static double submitted_at[MAX_DEPTH];
static double lifetimes;

/* Wait for job @seqno, and all before it; their lifetimes are summed. */
static int wait_job(int fd, __u64 seqno, __u64 *waited)
{
	struct drm_mockgpu_wait w = { .seqno = seqno, .timeout_ms = 30000 };
	double t;

	if (ioctl(fd, DRM_IOCTL_MOCKGPU_WAIT, &w))
		return -errno;
	t = now_s();
	for (; *waited < seqno; (*waited)++)
		lifetimes += t - submitted_at[(*waited + 1) % MAX_DEPTH];
	return 0;
}

/* drm-engine-gfx from our own fdinfo. */
static unsigned long long engine_ns(int fd)
{
	unsigned long long ns = 0;
	char path[64], line[128];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "drm-engine-gfx: %llu ns", &ns) == 1)
			break;
	if (f)
		fclose(f);
	return ns;
}

int main(int argc, char **argv)
{
	struct drm_mockgpu_submit s = { 0 };
	const char *go = NULL;
	int fd, depth, err;
	double seconds, end;
	__u64 last = 0, waited = 0;

	if (argc < 5) {
		fprintf(stderr, "usage: mockgpu-client DEVICE DURATION_US DEPTH SECONDS [--go=FILE]\n");
		return 2;
	}
	if (argc > 5 && !strncmp(argv[5], "--go=", 5))
		go = argv[5] + 5;
	s.duration_us = atoi(argv[2]);
	depth = atoi(argv[3]);
	seconds = atof(argv[4]);
	if (depth < 1 || depth > MAX_DEPTH) {
		fprintf(stderr, "mockgpu-client: DEPTH is 1 to %d\n", MAX_DEPTH);
		return 2;
	}
	fd = open(argv[1], O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "mockgpu-client: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	while (go && access(go, F_OK))
		usleep(1000);
	end = now_s() + seconds;
	while (now_s() < end) {
		/* Keep DEPTH in flight: wait for the oldest beyond that. */
		if (last >= (__u64)depth && (err = wait_job(fd, last - depth + 1, &waited))) {
			fprintf(stderr, "mockgpu-client: wait: %s\n", strerror(-err));
			return 1;
		}
		if (ioctl(fd, DRM_IOCTL_MOCKGPU_SUBMIT, &s)) {
			fprintf(stderr, "mockgpu-client: submit: %s\n", strerror(errno));
			return 1;
		}
		last = s.seqno;
		submitted_at[last % MAX_DEPTH] = now_s();
	}
	if (last && (err = wait_job(fd, last, &waited))) {
		fprintf(stderr, "mockgpu-client: wait: %s\n", strerror(-err));
		return 1;
	}
	printf("jobs %llu engine_ns %llu lifetime_ns %.0f\n", (unsigned long long)last,
	       engine_ns(fd), lifetimes * 1e9);
	return 0;
}
