/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by cgroup_events.bpf.c and its userspace readers. */
#ifndef EACCT_CGROUP_EVENTS_H
#define EACCT_CGROUP_EVENTS_H

enum eacct_cgroup_op {
	EACCT_CGROUP_MKDIR = 1,
	EACCT_CGROUP_RMDIR = 2,
};

struct eacct_cgroup_event {
	__u64 cgroup_id;	/* cgroup v2 id: the directory's inode number */
	__u32 op;		/* enum eacct_cgroup_op */
	__u32 level;		/* depth below the root, which is 0 */
};

#endif /* EACCT_CGROUP_EVENTS_H */
