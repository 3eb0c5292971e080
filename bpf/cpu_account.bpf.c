// SPDX-License-Identifier: GPL-2.0
/*
 * On-CPU time per cgroup, per CPU package and per process.
 *
 * The time source is the scheduler's own se.sum_exec_runtime, the clock
 * cgroup's cpu.stat is built from, so the two agree; reading it costs two
 * loads where a timestamp would cost a clock read at every switch.
 *
 * Each task's storage holds its runtime per package, and how much of it
 * is already in the per-cgroup and per-process maps. Those are filled off
 * the hot path: by the "collect" task iterator eacctd runs once per
 * interval, when a task moves to another cgroup (the other threads of a
 * process moved whole at their next reading, see struct move_log), and
 * at a task's final switch when it dies, so short-lived processes are
 * counted in full.
 *
 * On the switch path, any store costs: measured on the build machine, an
 * empty program 77 ns, one store into a per-CPU array slot 126 ns, the
 * task storage update 157-171 ns (an earlier variant that recorded each
 * slice's package there cost 2.4x an empty program). So the switch hook
 * stores nothing except for a dying task, and the runtime is read when
 * collecting.
 *
 * With several packages, the time must also go to the package it ran on.
 * A task's CPU changes only through set_task_cpu(), which fires
 * sched_migrate_task first; so all the runtime a task gained since the
 * last reading was gained on the CPU it is on now. Reading it at each
 * migration between packages (far rarer than switches) and otherwise
 * whenever it is read anyway gives the exact split, with nothing added
 * to the switch path.
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

/*
 * eacctd deletes from these two (pruned cgroups, exited processes). In a
 * preallocated map a deleted element is reused at once, so an add by a
 * program still holding its pointer would land on another key; without
 * preallocation it is freed after RCU, and such a late add is lost with
 * it, never misplaced.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, EACCT_MAX_CGROUPS);
	__type(key, __u64);
	__type(value, struct eacct_cgroup_cpu);
} cgroup_ns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, EACCT_MAX_PROCESSES);
	__type(key, struct eacct_process_key);
	__type(value, struct eacct_process_cpu);
} process_ns SEC(".maps");

/*
 * A whole process moved (its pid written to cgroup.procs) fires
 * cgroup_attach_task once, for its leader. The other threads are
 * moved too, but their task storage is out of reach there: walking the
 * thread list gives addresses read with bpf_probe_read_kernel(), which
 * bpf_task_storage_get() refuses, and the open-coded task iterator that
 * would give usable pointers (bpf_iter_task_new) is 6.7+, a kfunc that
 * would keep the whole object from loading on 6.1. What the walk can
 * read is each thread's runtime at the move and the cgroup it is in
 * now: it records them here, and whoever next reads that thread's
 * runtime (the collection, its death, its leaving for another package)
 * finds its tag and its cgroup differ and replays the record, splitting
 * its time at the move as at a single task's move: the runtime at the
 * thread's last update before it (a tick or a switch) to the old
 * cgroup, as cpu.stat does. Two limits, both a tick at most per
 * thread running on another CPU at the move, both shared with a single
 * task's move: the tracepoint comes some microseconds after the kernel
 * has switched the threads' cgroups, and a tick landing in between is
 * charged to the new cgroup by cpu.stat, read here as the old one's
 * (seen once in 38 runs of the host test with four threads unpinned:
 * 4 ms); and with the cpu controller on, the kernel's own move updates
 * a running thread's runtime first, charging that slice to the new
 * cgroup (Documentation/eacctd.rst).
 */
#define MOVE_STEPS		4	/* moves kept per thread between readings */
#define EACCT_MAX_MOVED		16384	/* threads moved and not read since */
#define MOVE_WALK_MAX		(1 << 16)	/* threads walked at one move */

struct move_key {
	__u32 tid;
	__u32 pad;
	__u64 start_ns;			/* its start_time: tids come back */
};

struct move_log {
	__u32 nr;			/* steps used */
	__u32 pad;
	struct {
		__u64 runtime;		/* se.sum_exec_runtime at the move */
		__u64 cgroup_id;	/* where it went */
	} step[MOVE_STEPS];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);	/* empty but for moves */
	__uint(max_entries, EACCT_MAX_MOVED);
	__type(key, struct move_key);
	__type(value, struct move_log);
} moves SEC(".maps");

/* Filled by eacctd before loading. */
const volatile __u32 nr_pkgs = 1;
/* When these programs were loaded, CLOCK_MONOTONIC ns (task start_time's clock). */
const volatile __u64 loaded_ns;
__u8 cpu_pkg[EACCT_MAX_CPUS];	/* CPU number to package index */
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

/*
 * A process has exited once its last thread has. The leader is no sign:
 * after pthread_exit() in main it dies first and the others run on. But
 * do_exit() counts signal->live down in each thread (after PF_EXITING,
 * before its final switch), and nothing raises the count from 0, since
 * only a live thread can clone another. So the last of the group's
 * final switches always finds it at 0, and marks the row (below, and in
 * flush()); any flush finding 0 may mark it earlier. Threads still in
 * do_exit() then may flush a little more after eacctd has pruned the
 * row: the row they make is marked exited too, and goes the same way.
 */
static __always_inline bool group_dead(struct task_struct *t)
{
	return BPF_CORE_READ(t, signal, live.counter) == 0;
}

static __always_inline struct eacct_process_key process_key(struct task_struct *t)
{
	struct eacct_process_key key = {
		.tgid = BPF_CORE_READ(t, tgid),
		.start_ns = BPF_CORE_READ(t, group_leader, start_time),
	};

	return key;
}

static __always_inline struct eacct_process_cpu *
process_entry(struct task_struct *t, __u64 cgroup_id)
{
	static const struct eacct_process_cpu zero;
	struct eacct_process_key key = process_key(t);
	struct eacct_process_cpu *p;

	p = bpf_map_lookup_elem(&process_ns, &key);
	if (!p) {
		bpf_map_update_elem(&process_ns, &key, &zero, BPF_NOEXIST);
		p = bpf_map_lookup_elem(&process_ns, &key);
		if (!p) {
			__sync_fetch_and_add(&stats.process_map_full, 1);
			return NULL;
		}
		BPF_CORE_READ_STR_INTO(&p->comm, t, group_leader, comm);
	}
	p->cgroup_id = cgroup_id;
	if (group_dead(t))
		p->exited = 1;
	return p;
}

/*
 * Claim [*from, to) of a counter that only grows: a compare-and-swap on
 * *from. A loser tries again from where the winner stopped, so when two
 * callers meet (a collection and a dying task's last switch, say) the
 * later reading is never dropped. Returns the nanoseconds claimed.
 */
#define CLAIM_TRIES 8

static __always_inline __u64 claim(__u64 *from, __u64 to)
{
	__u64 old;
	int i;

	for (i = 0; i < CLAIM_TRIES; i++) {
		old = *from;
		if (to <= old)
			return 0;
		if (__sync_val_compare_and_swap(from, old, to) == old)
			return to - old;
	}
	__sync_fetch_and_add(&stats.flush_races, 1);
	return 0;
}

/* Where a flush puts time: its tag's entries, found at the first ns. */
struct flush_to {
	__u64 cgid;
	struct eacct_cgroup_cpu *c;
	struct eacct_process_cpu *p;
};

/* Package @i's unflushed time into @to's entries. */
static __always_inline void flush_pkg(struct task_struct *t,
				      struct eacct_task_acct *ta, __u32 i,
				      struct flush_to *to)
{
	__u64 delta;

	i &= EACCT_MAX_PKG - 1;
	delta = claim(&ta->flushed[i], ta->ns[i]);
	if (!delta)
		return;
	if (!to->c)
		to->c = cgroup_entry(to->cgid);
	if (!to->p)
		to->p = process_entry(t, to->cgid);
	if (to->c)
		__sync_fetch_and_add(&to->c->ns[i], delta);
	if (to->p)
		__sync_fetch_and_add(&to->p->ns[i], delta);
}

/* Move the task's unflushed time into its cgroup's and process's entries. */
static __always_inline void flush(struct task_struct *t,
				  struct eacct_task_acct *ta, bool dead)
{
	struct flush_to to = { .cgid = ta->cgroup_id };
	__u32 i;

	/*
	 * Packages past nr_pkgs never see time. Read-only data is a known
	 * constant to the verifier: bounded by it, the loop is verified
	 * once per package in use rather than eight times.
	 */
	for (i = 0; i < EACCT_MAX_PKG && i < nr_pkgs; i++)
		flush_pkg(t, ta, i, &to);
	if (dead && !to.p && group_dead(t)) {
		/*
		 * The last thread to die ends its process's row even with
		 * nothing left to flush (a collection took it all). The row
		 * is looked up, not made: if it is gone, eacctd has already
		 * seen it exited and pruned it.
		 */
		struct eacct_process_key key = process_key(t);
		struct eacct_process_cpu *p;

		p = bpf_map_lookup_elem(&process_ns, &key);
		if (p)
			p->exited = 1;
	}
}

static __always_inline __u32 cpu_package(__u32 cpu)
{
	return nr_pkgs == 1 ? 0 : cpu_pkg[cpu & (EACCT_MAX_CPUS - 1)];
}

/*
 * Bring the task's runtime up to @runtime (read already) in the package
 * of the CPU it is on. The runtime is read before the CPU: should the
 * task move between the two reads, the migration hook claims that
 * runtime first, for the CPU it was gained on. Several callers may race
 * on one task; claim() gives each nanosecond to exactly one of them.
 */
static __always_inline __u32 catch_up_to(struct task_struct *t,
					 struct eacct_task_acct *ta, __u64 runtime)
{
	__u64 delta;
	__u32 pkg;

	asm volatile("" ::: "memory");
	pkg = cpu_package(t->thread_info.cpu) & (EACCT_MAX_PKG - 1);
	delta = claim(&ta->last_runtime, runtime);
	if (delta)
		__sync_fetch_and_add(&ta->ns[pkg], delta);
	return pkg;
}

static __always_inline void catch_up(struct task_struct *t,
				     struct eacct_task_acct *ta)
{
	catch_up_to(t, ta, t->se.sum_exec_runtime);
}

static __always_inline struct move_key move_key_of(struct task_struct *t)
{
	struct move_key key = {
		.tid = BPF_CORE_READ(t, pid),
		.start_ns = BPF_CORE_READ(t, start_time),
	};

	return key;
}

/*
 * Replay @t's recorded moves: its time up to each move goes to the
 * cgroup it was in until then, and its tag follows it. What was read
 * before the first move is flushed first, from every package; what
 * comes after was all gained on the package it is on now (had it left
 * for another since, the migration hook would have replayed the record
 * first), so each step flushes that package alone.
 */
static __always_inline void replay(struct task_struct *t,
				   struct eacct_task_acct *ta)
{
	struct move_key key = move_key_of(t);
	struct flush_to to;
	struct move_log *log;
	__u32 i, nr, pkg;

	log = bpf_map_lookup_elem(&moves, &key);
	if (!log)
		return;
	flush(t, ta, false);
	nr = log->nr;
	for (i = 0; i < MOVE_STEPS && i < nr; i++) {
		to.cgid = ta->cgroup_id;
		to.c = NULL;
		to.p = NULL;
		pkg = catch_up_to(t, ta, log->step[i].runtime);
		flush_pkg(t, ta, pkg, &to);
		ta->cgroup_id = log->step[i].cgroup_id;
	}
	bpf_map_delete_elem(&moves, &key);
}

/*
 * Bring @t's tag to the cgroup it is in (callers saw them differ, or @t
 * is dying). A thread that moved with no record of it (the record map
 * full, more than MOVE_STEPS moves between two readings, a reading
 * between the move and its record) has its time since it was last read
 * go to the cgroup it left, as at a move of a single task, and is
 * counted.
 */
static __always_inline void settle(struct task_struct *t,
				   struct eacct_task_acct *ta)
{
	__u64 cur;

	replay(t, ta);
	cur = task_cgroup_id(t);
	if (ta->cgroup_id == cur)
		return;
	__sync_fetch_and_add(&stats.move_misses, 1);
	catch_up(t, ta);
	flush(t, ta, false);
	ta->cgroup_id = cur;
}

/* No storage to replay it into: a move recorded for @t means nothing. */
static __always_inline void forget_moves(struct task_struct *t)
{
	struct move_key key = move_key_of(t);

	bpf_map_delete_elem(&moves, &key);
}

/* First sight of a task older than us: count from @runtime on. */
static __always_inline void adopt(struct task_struct *t,
				  struct eacct_task_acct *ta, __u64 runtime)
{
	ta->last_runtime = runtime;
	ta->cgroup_id = task_cgroup_id(t);
	forget_moves(t);
}

/*
 * The only work on the switch path: a dying task's last slice, which
 * ran on this CPU. Reading even a constant from a map costs a TLB miss
 * now and then on this path (measured: +40 ns), so nothing but the
 * arguments is read until a dying task shows up.
 */
SEC("tp_btf/sched_switch")
int BPF_PROG(account_switch, bool preempt, struct task_struct *prev,
	     struct task_struct *next, unsigned int prev_state)
{
	struct eacct_task_acct *ta;

	if (!(prev_state & TASK_DEAD))
		return 0;
	ta = bpf_task_storage_get(&task_acct, prev, NULL, 0);
	if (!ta || !ta->cgroup_id) {
		/* Born under us, storage refused at fork, never collected: lost. */
		if (!ta && loaded_ns && prev->start_time > loaded_ns)
			__sync_fetch_and_add(&stats.storage_misses, 1);
		forget_moves(prev);
		return 0;
	}
	/* Moved with its process since last read? Its record dies with it. */
	settle(prev, ta);
	catch_up(prev, ta);
	flush(prev, ta, true);	/* its last switch: flush it all */
	return 0;
}

/*
 * Several packages only (eacctd attaches it then): a task leaving for
 * another package takes its runtime so far to the package it ran on.
 */
SEC("tp_btf/sched_migrate_task")
int BPF_PROG(account_migrate, struct task_struct *p, int dest_cpu)
{
	struct eacct_task_acct *ta;

	if (cpu_package(p->thread_info.cpu) == cpu_package(dest_cpu))
		return 0;
	ta = bpf_task_storage_get(&task_acct, p, NULL, 0);
	if (!ta || !ta->cgroup_id)
		return 0;
	/* Its time before a move it made with its process: this package's. */
	if (ta->cgroup_id != task_cgroup_id(p))
		settle(p, ta);
	catch_up(p, ta);
	return 0;
}

/* A new task's storage starts at zero runtime: its whole life counts. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(account_fork, struct task_struct *parent, struct task_struct *child)
{
	struct eacct_task_acct *ta;

	ta = bpf_task_storage_get(&task_acct, child, NULL,
				  BPF_LOCAL_STORAGE_GET_F_CREATE);
	/*
	 * The helper may refuse to create (another task storage call under
	 * way on this CPU, or no memory): "collect" makes it later and,
	 * the task being born under us, counts its runtime from 0.
	 */
	if (ta)
		ta->cgroup_id = task_cgroup_id(child);
	return 0;
}

struct move_walk {
	__u64 head;		/* &signal->thread_head, where the walk ends */
	__u64 node;		/* the next thread's thread_node */
	__u32 skip;		/* the tid handled with its own storage */
};

/*
 * One thread of a process just moved: record its runtime and cgroup.
 * The attach path holds cgroup_threadgroup_rwsem for writing (no thread
 * of the group forks or sets PF_EXITING under it), and a tracepoint
 * runs under RCU, which the list_del_rcu() of thread_node at a thread's
 * release respects: the walk sees every thread that was moved.
 */
static long log_move(__u32 i, struct move_walk *w)
{
	struct move_log *log, one = { .nr = 1 };
	struct list_head *node = (void *)w->node;
	struct task_struct *t;
	struct move_key key;
	__u64 runtime, cgid;
	__u32 n;

	if (!node || w->node == w->head)
		return 1;
	t = (void *)node - bpf_core_field_offset(struct task_struct, thread_node);
	w->node = (__u64)BPF_CORE_READ(node, next);
	key.tid = BPF_CORE_READ(t, pid);
	if (key.tid == w->skip)
		return 0;
	key.pad = 0;
	key.start_ns = BPF_CORE_READ(t, start_time);
	runtime = BPF_CORE_READ(t, se.sum_exec_runtime);
	/* Not dst: a thread already exiting is not moved (PF_EXITING). */
	cgid = BPF_CORE_READ(t, cgroups, dfl_cgrp, kn, id);
	log = bpf_map_lookup_elem(&moves, &key);
	if (!log) {
		one.step[0].runtime = runtime;
		one.step[0].cgroup_id = cgid;
		/* No room: counted when the thread is read (settle()). */
		bpf_map_update_elem(&moves, &key, &one, BPF_NOEXIST);
		return 0;
	}
	n = log->nr;
	if (n < MOVE_STEPS) {
		log->step[n].runtime = runtime;
		log->step[n].cgroup_id = cgid;
		log->nr = n + 1;
	}
	return 0;
}

/*
 * Time before a move belongs to the cgroup the task is leaving. With
 * @threadgroup, @task is the leader of a process moved whole: the
 * other threads get a record each (see struct move_log).
 */
SEC("tp_btf/cgroup_attach_task")
int BPF_PROG(account_attach, struct cgroup *dst, const char *path,
	     struct task_struct *task, bool threadgroup)
{
	struct eacct_task_acct *ta;
	struct move_walk w;

	if (BPF_CORE_READ(dst, root, hierarchy_id) != 0)	/* v1 */
		return 0;
	ta = bpf_task_storage_get(&task_acct, task, NULL, 0);
	if (ta && ta->cgroup_id) {
		/*
		 * As the kernel charges cpu.stat: runtime up to the task's
		 * last update goes to the old cgroup. Its tag is its cgroup
		 * now, which is not dst if it was exiting (not moved).
		 */
		replay(task, ta);
		catch_up(task, ta);
		flush(task, ta, false);
		ta->cgroup_id = task_cgroup_id(task);
	}
	if (!threadgroup)
		return 0;
	w.head = (__u64)BPF_CORE_READ(task, signal) +
		 bpf_core_field_offset(struct signal_struct, thread_head);
	w.node = (__u64)BPF_CORE_READ(task, signal, thread_head.next);
	w.skip = task->pid;
	/* A thread beyond MOVE_WALK_MAX is counted when read (settle()). */
	bpf_loop(MOVE_WALK_MAX, log_move, &w, 0);
	return 0;
}

/* Run by eacctd each interval: every task's time into the maps. */
SEC("iter/task")
int collect(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct eacct_task_acct *ta;

	if (!task || !task->pid)
		return 0;
	ta = bpf_task_storage_get(&task_acct, task, NULL,
				  BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!ta) {
		__sync_fetch_and_add(&stats.storage_misses, 1);
		return 0;
	}
	if (!ta->cgroup_id) {
		/* Older than us: from now on. Born under us: all of it. */
		if (loaded_ns && BPF_CORE_READ(task, start_time) > loaded_ns)
			adopt(task, ta, 0);
		else
			adopt(task, ta, BPF_CORE_READ(task, se.sum_exec_runtime));
		return 0;
	}
	if (ta->cgroup_id != task_cgroup_id(task))
		settle(task, ta);	/* moved with its process */
	catch_up(task, ta);
	flush(task, ta, false);
	return 0;
}


char LICENSE[] SEC("license") = "GPL";
