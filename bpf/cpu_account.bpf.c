// SPDX-License-Identifier: GPL-2.0
/*
 * On-CPU time per cgroup, per CPU package and per process.
 *
 * The time source is the scheduler's own se.sum_exec_runtime, the clock
 * cgroup's cpu.stat is built from, so the two agree; reading it costs two
 * loads where a timestamp would cost a clock read at every switch.
 *
 * The switch hook is the hot path (it runs at every context switch) and
 * touches only the outgoing task's storage: it adds the task's runtime
 * since its last switch-out to a per-package counter there. Nothing is
 * looked up in a hash map. The per-cgroup and per-process maps are filled
 * off the hot path: by the "collect" task iterator eacctd runs once per
 * interval, when a task moves to another cgroup, and at a task's final
 * switch when it dies, so short-lived processes are counted in full.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "cpu_account.h"

#define TASK_DEAD 0x80

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct eacct_task_acct);
} task_acct SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EACCT_MAX_CGROUPS);
	__type(key, __u64);
	__type(value, struct eacct_cgroup_cpu);
} cgroup_ns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EACCT_MAX_PROCESSES);
	__type(key, struct eacct_process_key);
	__type(value, struct eacct_process_cpu);
} process_ns SEC(".maps");

/* CPU number to package index, filled by eacctd before loading. */
__u8 cpu_pkg[EACCT_MAX_CPUS];
struct eacct_cpu_stats stats;

static __always_inline __u64 task_cgroup_id(struct task_struct *t)
{
	return BPF_CORE_READ(t, cgroups, dfl_cgrp, kn, id);
}

static __always_inline struct eacct_cgroup_cpu *cgroup_entry(__u64 id)
{
	static const struct eacct_cgroup_cpu zero;
	struct eacct_cgroup_cpu *c;

	c = bpf_map_lookup_elem(&cgroup_ns, &id);
	if (c)
		return c;
	bpf_map_update_elem(&cgroup_ns, &id, &zero, BPF_NOEXIST);
	c = bpf_map_lookup_elem(&cgroup_ns, &id);
	if (!c)
		__sync_fetch_and_add(&stats.cgroup_map_full, 1);
	return c;
}

static __always_inline struct eacct_process_cpu *
process_entry(struct task_struct *t, __u64 cgroup_id, bool dead)
{
	static const struct eacct_process_cpu zero;
	struct task_struct *leader = BPF_CORE_READ(t, group_leader);
	struct eacct_process_key key = {
		.tgid = BPF_CORE_READ(t, tgid),
		.start_ns = BPF_CORE_READ(leader, start_time),
	};
	struct eacct_process_cpu *p;

	p = bpf_map_lookup_elem(&process_ns, &key);
	if (!p) {
		bpf_map_update_elem(&process_ns, &key, &zero, BPF_NOEXIST);
		p = bpf_map_lookup_elem(&process_ns, &key);
		if (!p) {
			__sync_fetch_and_add(&stats.process_map_full, 1);
			return NULL;
		}
		BPF_CORE_READ_STR_INTO(&p->comm, leader, comm);
	}
	p->cgroup_id = cgroup_id;
	if (dead && t == leader)
		p->exited = 1;
	return p;
}

/*
 * Move the task's unflushed time into its cgroup's and process's entries.
 * Several flushers may meet on one task; the compare-and-swap on
 * flushed[] lets exactly one of them carry each nanosecond.
 */
static __always_inline void flush(struct task_struct *t,
				  struct eacct_task_acct *ta, bool dead)
{
	struct eacct_cgroup_cpu *c = NULL;
	struct eacct_process_cpu *p = NULL;
	__u64 done, now, cgid = ta->cgroup_id;
	int i;

	for (i = 0; i < EACCT_MAX_PKG; i++) {
		now = ta->ns[i];
		done = ta->flushed[i];
		if (now == done)
			continue;
		if (__sync_val_compare_and_swap(&ta->flushed[i], done, now) != done) {
			__sync_fetch_and_add(&stats.flush_races, 1);
			continue;
		}
		if (!c)
			c = cgroup_entry(cgid);
		if (!p)
			p = process_entry(t, cgid, dead);
		if (c)
			__sync_fetch_and_add(&c->ns[i], now - done);
		if (p)
			__sync_fetch_and_add(&p->ns[i], now - done);
	}
	if (dead && !p && t == BPF_CORE_READ(t, group_leader)) {
		/* A leader dying with nothing left to flush still ends its row. */
		p = process_entry(t, cgid, dead);
	}
}

SEC("tp_btf/sched_switch")
int BPF_PROG(account_switch, bool preempt, struct task_struct *prev,
	     struct task_struct *next, unsigned int prev_state)
{
	struct eacct_task_acct *ta;
	__u64 runtime;
	__u32 pkg;

	if (!prev->pid)		/* the idle task */
		return 0;
	ta = bpf_task_storage_get(&task_acct, prev, NULL,
				  BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!ta) {
		__sync_fetch_and_add(&stats.storage_misses, 1);
		return 0;
	}
	runtime = prev->se.sum_exec_runtime;
	if (!ta->cgroup_id) {
		/* Older than us: count from the slice now ending. */
		ta->cgroup_id = task_cgroup_id(prev);
		ta->last_runtime = prev->se.prev_sum_exec_runtime;
		if (ta->last_runtime > runtime)
			ta->last_runtime = runtime;
	}
	pkg = cpu_pkg[bpf_get_smp_processor_id() & (EACCT_MAX_CPUS - 1)];
	ta->ns[pkg & (EACCT_MAX_PKG - 1)] += runtime - ta->last_runtime;
	ta->last_runtime = runtime;

	if (prev_state & TASK_DEAD)	/* its last switch: flush it all */
		flush(prev, ta, true);
	return 0;
}

/* A new task's storage starts at zero runtime: its whole life counts. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(account_fork, struct task_struct *parent, struct task_struct *child)
{
	struct eacct_task_acct *ta;

	ta = bpf_task_storage_get(&task_acct, child, NULL,
				  BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!ta) {
		__sync_fetch_and_add(&stats.storage_misses, 1);
		return 0;
	}
	ta->cgroup_id = task_cgroup_id(child);
	return 0;
}

/* Time before a move belongs to the cgroup the task is leaving. */
SEC("tp_btf/cgroup_attach_task")
int BPF_PROG(account_attach, struct cgroup *dst, const char *path,
	     struct task_struct *task, bool threadgroup)
{
	struct eacct_task_acct *ta;

	if (BPF_CORE_READ(dst, root, hierarchy_id) != 0)	/* v1 */
		return 0;
	ta = bpf_task_storage_get(&task_acct, task, NULL, 0);
	if (!ta)
		return 0;
	flush(task, ta, false);
	ta->cgroup_id = BPF_CORE_READ(dst, kn, id);
	return 0;
}

/* Run by eacctd each interval: every task's time into the maps. */
SEC("iter/task")
int collect(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct eacct_task_acct *ta;

	if (!task)
		return 0;
	ta = bpf_task_storage_get(&task_acct, task, NULL, 0);
	if (ta && ta->cgroup_id)
		flush(task, ta, false);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
