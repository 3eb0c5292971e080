/* SPDX-License-Identifier: GPL-2.0 */
/* Finding cgroup v2 and turning cgroup paths into cgroup ids. */
#ifndef EACCT_CGROUPFS_H
#define EACCT_CGROUPFS_H

#include <stddef.h>
#include <stdint.h>

/* Where cgroup2 is mounted, from @mounts (normally /proc/self/mounts). */
int eacct_cgroup2_mount(const char *mounts, char *buf, size_t len);
/*
 * A cgroup's id: a decimal number as it is, otherwise a path, absolute in
 * the cgroup2 tree ("/" is the root) or a filesystem path under @root.
 */
int eacct_cgroup_id(const char *root, const char *cgroup, uint64_t *id);
/*
 * The cgroup v2 id of process @pid, from @proc (normally /proc) and the
 * cgroup2 mount @root. 0 or a negative errno (-ESRCH: gone).
 */
int eacct_pid_cgroup_id(const char *proc, const char *root, uint32_t pid,
			uint64_t *id);

#endif /* EACCT_CGROUPFS_H */
