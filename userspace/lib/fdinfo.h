/* SPDX-License-Identifier: GPL-2.0 */
/*
 * DRM clients' own usage statistics, from /proc/PID/fdinfo/FD
 * (Documentation/gpu/drm-usage-stats.rst): for every open DRM file, its
 * drm-client-id, drm-pdev, and the busy time of its engines
 * ("drm-engine-<name>: <ns> ns"). Drivers that give cycles alone
 * ("drm-cycles-<name>", xe) have no time to split by: not read.
 * A client shared by several fds or processes (dup, fork, fd passing) is
 * counted once, under the first process seen. The cross-check of, and
 * fallback for, fence busy time.
 */
#ifndef EACCT_FDINFO_H
#define EACCT_FDINFO_H

#include <stdint.h>

struct eacct_drm_client {
	uint32_t pid;			/* the first process seen with it */
	uint64_t client_id;		/* drm-client-id */
	char pdev[32];			/* drm-pdev: "0000:00:02.0" */
	char driver[32];		/* drm-driver */
	uint64_t engine_ns;		/* sum of drm-engine-* */
};

/*
 * Every DRM client under @proc (normally /proc), up to @max. Returns how
 * many. Files that vanish or cannot be read (processes exiting, other
 * users' without privilege) are skipped.
 */
int eacct_drm_clients(const char *proc, struct eacct_drm_client *out, int max);

#endif /* EACCT_FDINFO_H */
