/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by cpu_account.bpf.c and eacctd: on-CPU time per cgroup and process. */
#ifndef EACCT_CPU_ACCOUNT_H
#define EACCT_CPU_ACCOUNT_H

#define EACCT_MAX_PKG		8	/* CPU packages (sockets) */
#define EACCT_MAX_CPUS		4096
#define EACCT_MAX_CGROUPS	16384
#define EACCT_MAX_PROCESSES	32768

/*
 * Per task (thread), in task storage. The runtime goes into ns[] (by the
 * task's own switch-out with several packages, else by whoever reads it,
 * claiming it with a compare-and-swap on last_runtime); flushers (the
 * collection iterator, the migration hook, the final switch of a dead
 * task) move ns - flushed into the maps below, claiming it likewise.
 */
struct eacct_task_acct {
	__u64 last_runtime;		/* se.sum_exec_runtime accounted so far */
	__u64 cgroup_id;		/* cgroup its unflushed time belongs to */
	__u64 ns[EACCT_MAX_PKG];	/* on-CPU ns per package, cumulative */
	__u64 flushed[EACCT_MAX_PKG];	/* of which already in the maps */
};

/* cgroup_ns map: key cgroup id (v2), cumulative on-CPU ns per package. */
struct eacct_cgroup_cpu {
	__u64 ns[EACCT_MAX_PKG];
};

/* process_ns map: a process is its tgid and its leader's start time. */
struct eacct_process_key {
	__u32 tgid;
	__u32 pad;
	__u64 start_ns;			/* group_leader->start_time */
};

struct eacct_process_cpu {
	__u64 ns[EACCT_MAX_PKG];
	__u64 cgroup_id;		/* the cgroup its last time was spent in */
	char comm[16];			/* the leader's comm */
	__u32 exited;			/* 1 once its last thread has died */
	__u32 pad;
};

/* Counters of trouble; every one is reported, none is silent. */
struct eacct_cpu_stats {
	__u64 storage_misses;		/* a task born under us died before any
					 * task storage: its runtime not counted */
	__u64 cgroup_map_full;		/* ns dropped: cgroup_ns had no room */
	__u64 process_map_full;		/* process_ns had no room (cgroups unaffected) */
	__u64 flush_races;		/* a claim lost its compare-and-swap 8 times: ns late or lost */
	__u64 move_misses;		/* a thread found moved with no record of
					 * when: its time since last read went to
					 * the cgroup it left */
};

#endif /* EACCT_CPU_ACCOUNT_H */
