// SPDX-License-Identifier: GPL-2.0
/*
 * Per-process energy: the table behind /proc/eacct/processes.
 *
 * A row holds a reference on the process's struct pid, so a recycled pid
 * number is told apart from the process it once named, and liveness is
 * the kernel's own answer. A process already gone when its first record
 * arrives (it lived less than one interval) gets a row without a pid.
 * Exited processes stay for retain_secs, at most retain_max_processes of
 * them; the whole table holds at most max_processes rows. A record that
 * finds no room (or no memory) is dropped from this table alone and
 * counted in stats/processes_dropped: cgroup counters never depend on it.
 *
 * Readers see only rows they could read in /proc/<pid>/io: processes of
 * the pid namespace of their /proc, whose credentials match theirs as the
 * ptrace rules want (PTRACE_MODE_READ_FSCREDS), or all with CAP_SYS_PTRACE.
 * The kernel does not export ptrace_may_access() to modules, so the
 * capability and uid rules are applied here and LSMs are not asked: the
 * result is never wider than ptrace's own.
 *
 * A record for a process that is gone lands on its row only if that
 * process was still alive after the previous batch (its last interval's
 * records arrive once it is gone); otherwise it makes a row of its own, so
 * a pid number reused by a short-lived process of someone else never
 * merges into an old row.
 *
 * Rows are indexed by a serial number in an xarray, in the order made, so
 * that a reader resumes at its position in O(log n). A reader copies each
 * row it may see under eacct_mutex and lets go of the mutex every few
 * dozen rows it may not: no reader holds ingest up for long.
 */
#include <linux/cred.h>
#include <linux/hashtable.h>
#include <linux/jiffies.h>
#include <linux/limits.h>
#include <linux/mm.h>
#include <linux/nsproxy.h>
#include <linux/cgroup.h>
#include <linux/overflow.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/proc_fs.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/coredump.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/user_namespace.h>
#include <linux/xarray.h>

#include "eacct.h"

#define EACCT_PROCESS_HASH_BITS 10

struct eacct_process {
	struct hlist_node hash_node;	/* by tgid */
	struct list_head exited_node;	/* eacct_exited_list, oldest first */
	unsigned long serial;		/* index in eacct_rows */
	struct pid *pid;		/* NULL: gone before its first record */
	const struct cred *cred;	/* as last seen alive; NULL if never */
	u64 cgroup_id;
	u64 energy_uj[EACCT_NR_CLASSES];
	u64 carbon_ug;
	unsigned long exited_at;	/* jiffies; valid when exited */
	u64 alive_seq;			/* last batch after which it lived */
	bool exited;
	bool dumpable;			/* as last seen alive */
	u32 tgid;
	char comm[EACCT_COMM_LEN];
};

/* A batch's records of one process, summed before anything is applied. */
struct eacct_process_group {
	u32 first;			/* in order[] */
	u32 count;
	struct eacct_process *row;	/* found, or a new one; NULL: dropped */
	bool fresh;
	u64 energy_uj[EACCT_NR_CLASSES];
	u64 carbon_ug;
};

struct eacct_process_batch {
	const struct eacct_process_record *recs;
	u32 *order;			/* record indices by (tgid, index) */
	struct eacct_process_group *groups;
	u32 nr_groups;
};

static DEFINE_HASHTABLE(eacct_process_hash, EACCT_PROCESS_HASH_BITS);
static DEFINE_XARRAY(eacct_rows);
static LIST_HEAD(eacct_exited_list);
static unsigned long eacct_next_serial = 1;
static struct proc_dir_entry *eacct_proc_dir;
static unsigned int eacct_nr_processes;
static unsigned int eacct_nr_exited;

static struct pid *eacct_pid_get(u32 tgid)
{
	struct pid *pid;

	rcu_read_lock();
	pid = get_pid(find_pid_ns(tgid, &init_pid_ns));
	rcu_read_unlock();
	/* A thread's id, or a process already reaped: no live process. */
	if (pid && !pid_has_task(pid, PIDTYPE_TGID)) {
		put_pid(pid);
		pid = NULL;
	}
	return pid;
}

static bool eacct_process_gone(const struct eacct_process *p)
{
	return !p->pid || !pid_has_task(p->pid, PIDTYPE_TGID);
}

/*
 * The row a record for @tgid charges: the one holding @pid; with no live
 * process behind @tgid, the newest row of a gone process if that process
 * was seen alive after the batch before this one was applied (@prev is
 * that batch's sequence number): these are its last interval's records.
 * Else none.
 */
static struct eacct_process *eacct_process_find(u32 tgid, struct pid *pid,
						u64 prev)
{
	struct eacct_process *p;

	/* New rows are added at the head of a chain: newest first. */
	hash_for_each_possible(eacct_process_hash, p, hash_node, tgid) {
		if (p->tgid != tgid)
			continue;
		if (pid) {
			if (p->pid == pid)
				return p;
			continue;
		}
		if (eacct_process_gone(p))
			return p->pid && p->alive_seq >= prev ? p : NULL;
	}
	return NULL;
}

static void eacct_process_free(struct eacct_process *p)
{
	hash_del(&p->hash_node);
	xa_erase(&eacct_rows, p->serial);
	eacct_nr_processes--;
	if (p->exited) {
		list_del(&p->exited_node);
		eacct_nr_exited--;
	}
	put_pid(p->pid);
	if (p->cred)
		put_cred(p->cred);
	kfree(p);
}

static void eacct_process_mark_exited(struct eacct_process *p)
{
	p->exited = true;
	p->exited_at = jiffies;
	list_add_tail(&p->exited_node, &eacct_exited_list);
	eacct_nr_exited++;
}

/* Evict exited rows past retention or beyond retain_max_processes. */
static void eacct_process_expire(void)
{
	unsigned long keep = (unsigned long)eacct_retain_secs * HZ;
	struct eacct_process *p, *tmp;
	unsigned int n = 0;

	list_for_each_entry_safe(p, tmp, &eacct_exited_list, exited_node) {
		if (eacct_nr_exited <= eacct_retain_max_processes &&
		    time_before(jiffies, p->exited_at + keep))
			break;
		eacct_process_free(p);
		if (!(++n % 256))
			cond_resched();
	}
}

/*
 * Dumpable as ptrace judges it (task_still_dumpable()): by its mm, or
 * once that is gone (a zombie, an exiting leader), by what exit_mm() kept.
 */
static bool eacct_task_dumpable(struct task_struct *task)
{
	bool dumpable;

	task_lock(task);
	dumpable = task->mm ? get_dumpable(task->mm) == SUID_DUMP_USER :
			      task->user_dumpable;
	task_unlock(task);
	return dumpable;
}

/*
 * Remember who may read the row: the process's credentials, if it is
 * alive, and that it was after batch @seq.
 */
static void eacct_process_see(struct eacct_process *p, u64 seq)
{
	const struct cred *cred = NULL;
	struct task_struct *task;
	bool dumpable;

	if (!p->pid)
		return;
	task = get_pid_task(p->pid, PIDTYPE_TGID);
	if (!task)
		return;
	cred = get_task_cred(task);
	dumpable = eacct_task_dumpable(task);
	put_task_struct(task);
	if (p->cred)
		put_cred(p->cred);
	p->cred = cred;
	p->dumpable = dumpable;
	p->alive_seq = seq;
}

static int eacct_record_cmp(const void *a, const void *b, const void *priv)
{
	const struct eacct_process_record *recs = priv;
	u32 i = *(const u32 *)a, j = *(const u32 *)b;

	if (recs[i].tgid != recs[j].tgid)
		return recs[i].tgid < recs[j].tgid ? -1 : 1;
	return i < j ? -1 : i > j;
}

void eacct_process_abort(struct eacct_process_batch *pb)
{
	u32 g;

	if (!pb)
		return;
	for (g = 0; g < pb->nr_groups; g++)
		if (pb->groups[g].fresh)
			kfree(pb->groups[g].row);
	kvfree(pb->groups);
	kvfree(pb->order);
	kfree(pb);
}

/* Sum one group's records; -EOVERFLOW if they or its row would wrap. */
static int eacct_process_sum(struct eacct_process_batch *pb,
			     struct eacct_process_group *grp)
{
	const struct eacct_process_record *rec;
	struct eacct_process *row = grp->row;
	u32 k, class;
	u64 total;

	for (k = grp->first; k < grp->first + grp->count; k++) {
		rec = &pb->recs[pb->order[k]];
		class = EACCT_DOMAIN_CLASS(rec->domain);
		if (check_add_overflow(grp->energy_uj[class], rec->energy_uj,
				       &grp->energy_uj[class]) ||
		    check_add_overflow(grp->carbon_ug, rec->carbon_ug,
				       &grp->carbon_ug))
			return -EOVERFLOW;
	}
	if (!row || grp->fresh)
		return 0;
	for (class = 0; class < EACCT_NR_CLASSES; class++)
		if (check_add_overflow(row->energy_uj[class],
				       grp->energy_uj[class], &total))
			return -EOVERFLOW;
	if (check_add_overflow(row->carbon_ug, grp->carbon_ug, &total))
		return -EOVERFLOW;
	return 0;
}

/**
 * eacct_process_prepare() - check and allocate for a batch's process records
 * @recs: the records, validated
 * @nr: how many
 * @out: the prepared batch, for eacct_process_commit() or _abort()
 *
 * Records of one process are summed first, so a batch that repeats a
 * process costs one row, not one per record. A row that cannot be
 * allocated is no error: its records are dropped at commit and counted.
 *
 * Context: eacct_write_mutex held.
 * Return: 0, -ENOMEM for the batch's own bookkeeping, or -EOVERFLOW if a
 * process's counters would wrap.
 */
int eacct_process_prepare(const struct eacct_process_record *recs, u32 nr,
			  struct eacct_process_batch **out)
{
	struct eacct_process_batch *pb;
	struct eacct_process_group *grp;
	struct pid *pid;
	int err = 0;
	u32 i, g;
	u64 prev;

	*out = NULL;
	if (!nr)
		return 0;
	pb = kzalloc(sizeof(*pb), GFP_KERNEL);
	if (!pb)
		return -ENOMEM;
	pb->recs = recs;
	pb->order = kvmalloc_array(nr, sizeof(*pb->order), GFP_KERNEL);
	pb->groups = kvcalloc(nr, sizeof(*pb->groups), GFP_KERNEL);
	if (!pb->order || !pb->groups) {
		eacct_process_abort(pb);
		return -ENOMEM;
	}
	for (i = 0; i < nr; i++)
		pb->order[i] = i;
	sort_r(pb->order, nr, sizeof(*pb->order), eacct_record_cmp, NULL, recs);

	for (i = 0; i < nr; i++) {
		if (i && recs[pb->order[i]].tgid == recs[pb->order[i - 1]].tgid) {
			pb->groups[pb->nr_groups - 1].count++;
			continue;
		}
		grp = &pb->groups[pb->nr_groups++];
		grp->first = i;
		grp->count = 1;
	}
	/* Rows change only under eacct_write_mutex, which the caller holds. */
	mutex_lock(&eacct_mutex);
	prev = eacct_stats.last_seq;
	for (g = 0; g < pb->nr_groups; g++) {
		grp = &pb->groups[g];
		pid = eacct_pid_get(recs[pb->order[grp->first]].tgid);
		grp->row = eacct_process_find(recs[pb->order[grp->first]].tgid, pid,
					      prev);
		put_pid(pid);
		err = eacct_process_sum(pb, grp);
		if (err)
			break;
		if (!(g % 256))
			cond_resched();
	}
	mutex_unlock(&eacct_mutex);
	for (g = 0; !err && g < pb->nr_groups; g++) {
		grp = &pb->groups[g];
		if (grp->row)
			continue;
		grp->row = kzalloc(sizeof(*grp->row), GFP_KERNEL_ACCOUNT);
		grp->fresh = grp->row;
		if (!(g % 256))
			cond_resched();
	}
	if (err) {
		eacct_process_abort(pb);
		return err;
	}
	*out = pb;
	return 0;
}

/* Put a new row in the table; false if there is no room for it. */
static bool eacct_process_add(struct eacct_process *p, u32 tgid)
{
	struct eacct_process *old;
	struct pid *pid;

	old = list_first_entry_or_null(&eacct_exited_list, struct eacct_process,
				       exited_node);
	if (eacct_nr_processes >= eacct_max_processes && !old)
		return false;
	/* The slot first: no row is evicted for one that cannot be stored. */
	p->serial = eacct_next_serial;
	if (xa_err(xa_store(&eacct_rows, p->serial, p, GFP_KERNEL_ACCOUNT)))
		return false;
	eacct_next_serial++;
	if (eacct_nr_processes >= eacct_max_processes)
		eacct_process_free(old);
	pid = eacct_pid_get(tgid);
	p->tgid = tgid;
	p->pid = pid;
	hash_add(eacct_process_hash, &p->hash_node, tgid);
	eacct_nr_processes++;
	if (!pid)
		eacct_process_mark_exited(p);
	return true;
}

/**
 * eacct_process_commit() - apply a prepared batch's process records
 * @pb: from eacct_process_prepare(); freed here
 * @seq: the batch's sequence number
 *
 * Context: eacct_write_mutex and eacct_mutex held.
 */
void eacct_process_commit(struct eacct_process_batch *pb, u64 seq)
{
	const struct eacct_process_record *rec;
	struct eacct_process_group *grp;
	struct eacct_process *p;
	u32 g, k, class;
	int pass;

	lockdep_assert_held(&eacct_mutex);
	if (!pb)
		return;
	/*
	 * Rows already in the table first: making room for a new row may
	 * evict an exited one, and none may go while this batch still holds it.
	 */
	for (pass = 0; pass < 2; pass++) {
		for (g = 0; g < pb->nr_groups; g++) {
			grp = &pb->groups[g];
			if (grp->fresh != pass)
				continue;
			p = grp->row;
			rec = &pb->recs[pb->order[grp->first]];
			if (p && grp->fresh && !eacct_process_add(p, rec->tgid)) {
				kfree(p);
				p = NULL;
			}
			grp->fresh = false;
			if (!p) {
				atomic64_add(grp->count, &eacct_stats.processes_dropped);
				continue;
			}
			for (k = grp->first; k < grp->first + grp->count; k++) {
				rec = &pb->recs[pb->order[k]];
				p->cgroup_id = rec->cgroup_id;
				if (rec->comm[0])
					strscpy(p->comm, rec->comm, sizeof(p->comm));
			}
			for (class = 0; class < EACCT_NR_CLASSES; class++)
				p->energy_uj[class] += grp->energy_uj[class];
			p->carbon_ug += grp->carbon_ug;
			eacct_process_see(p, seq);
			if (!(g % 256))
				cond_resched();
		}
	}
	eacct_process_abort(pb);
}

/**
 * eacct_process_sync() - notice exits and expire old rows
 *
 * Context: eacct_write_mutex held; called by the periodic sync.
 */
void eacct_process_sync(void)
{
	struct eacct_process *p;
	unsigned long serial;

	mutex_lock(&eacct_mutex);
	xa_for_each(&eacct_rows, serial, p) {
		if (!p->exited && eacct_process_gone(p))
			eacct_process_mark_exited(p);
		else if (!p->exited)
			p->alive_seq = eacct_stats.last_seq;
		if (!(serial % 256))
			cond_resched();
	}
	eacct_process_expire();
	mutex_unlock(&eacct_mutex);
}

unsigned int eacct_process_count(void)
{
	return READ_ONCE(eacct_nr_processes);
}

/* One row as a reader gets it: copied under eacct_mutex. */
struct eacct_process_view {
	unsigned long serial;
	pid_t nr;			/* in the reader's pid namespace */
	bool exited;
	u64 cgroup_id;
	u64 energy_uj[EACCT_NR_CLASSES];
	u64 carbon_ug;
	char comm[EACCT_COMM_LEN];
};

/* What the opener of /proc/eacct/processes may see. */
struct eacct_process_reader {
	struct pid_namespace *pid_ns;	/* of the /proc it was opened in */
	const struct cred *cred;	/* the opener's */
	u64 cgns_root_id;		/* the opener's cgroup namespace root */
	bool see_all;			/* CAP_SYS_PTRACE and DAC in the initial ns */
	struct eacct_process_view view;
	char path[PATH_MAX];		/* the cgroup column */
};

/* commoncap's rule, without the LSMs and their audit of each row. */
static bool eacct_cred_ns_capable(const struct cred *cred,
				  struct user_namespace *ns, int cap)
{
	for (;;) {
		if (ns == cred->user_ns)
			return cap_raised(cred->cap_effective, cap);
		if (ns->level <= cred->user_ns->level)
			return false;
		if (ns->parent == cred->user_ns && uid_eq(ns->owner, cred->euid))
			return true;
		ns = ns->parent;
	}
}

/*
 * What reading another user's /proc/<pid>/io takes: ptrace's capability,
 * and past the file's mode (0400, the process's owner), a DAC one.
 */
static bool eacct_cred_may_read_others(const struct cred *cred,
				       struct user_namespace *ns)
{
	return eacct_cred_ns_capable(cred, ns, CAP_SYS_PTRACE) &&
	       (eacct_cred_ns_capable(cred, ns, CAP_DAC_READ_SEARCH) ||
		eacct_cred_ns_capable(cred, ns, CAP_DAC_OVERRIDE));
}

/* __ptrace_may_access()'s uid rule for PTRACE_MODE_FSCREDS. */
static bool eacct_same_ids(const struct cred *r, const struct cred *t)
{
	return uid_eq(r->fsuid, t->euid) && uid_eq(r->fsuid, t->suid) &&
	       uid_eq(r->fsuid, t->uid) && gid_eq(r->fsgid, t->egid) &&
	       gid_eq(r->fsgid, t->sgid) && gid_eq(r->fsgid, t->gid);
}

/* May the reader see @p? The pid it knows it by goes in @nr. */
static bool eacct_process_visible(struct eacct_process_reader *r,
				  struct eacct_process *p, pid_t *nr)
{
	struct task_struct *task;
	const struct cred *tcred;
	bool dumpable, ok;

	if (!p->pid) {
		/* Never seen alive: only the initial namespace knows it. */
		*nr = p->tgid;
		return r->see_all && r->pid_ns == &init_pid_ns;
	}
	*nr = pid_nr_ns(p->pid, r->pid_ns);
	if (!*nr)
		return false;
	if (r->see_all)
		return true;

	rcu_read_lock();
	task = pid_task(p->pid, PIDTYPE_TGID);
	if (task) {
		tcred = __task_cred(task);
		dumpable = eacct_task_dumpable(task);
	} else {
		tcred = p->cred;
		dumpable = p->dumpable;
	}
	/* Not dumpable: CAP_SYS_PTRACE in the initial namespace (see_all). */
	ok = tcred && dumpable &&
	     (eacct_same_ids(r->cred, tcred) ||
	      eacct_cred_may_read_others(r->cred, tcred->user_ns));
	rcu_read_unlock();
	return ok;
}

/*
 * The first row from serial *pos on that the reader may see, copied into
 * r->view; NULL at the end. eacct_mutex is let go every 64 rows skipped.
 */
static void *eacct_process_next_visible(struct eacct_process_reader *r,
					loff_t *pos)
{
	struct eacct_process_view *v = &r->view;
	unsigned long serial = *pos;
	struct eacct_process *p;
	struct eacct_cgroup *cg;
	unsigned int skipped = 0;
	bool found = false;
	pid_t nr;

	mutex_lock(&eacct_mutex);
	while ((p = xa_find(&eacct_rows, &serial, ULONG_MAX, XA_PRESENT))) {
		if (eacct_process_visible(r, p, &nr)) {
			found = true;
			break;
		}
		serial++;
		if (!(++skipped % 64)) {
			mutex_unlock(&eacct_mutex);
			cond_resched();
			mutex_lock(&eacct_mutex);
		}
	}
	if (found) {
		v->serial = serial;
		v->nr = nr;
		v->exited = p->exited || eacct_process_gone(p);
		v->cgroup_id = p->cgroup_id;
		memcpy(v->energy_uj, p->energy_uj, sizeof(v->energy_uj));
		v->carbon_ug = p->carbon_ug;
		memcpy(v->comm, p->comm, sizeof(v->comm));
		cg = eacct_cgroup_find(p->cgroup_id);
		if (!cg || eacct_cgroup_path(cg, r->cgns_root_id, r->path,
					     sizeof(r->path)))
			strscpy(r->path, "?", sizeof(r->path));
	}
	mutex_unlock(&eacct_mutex);
	/* Where to look next time, even if this row goes meanwhile. */
	*pos = found ? serial : max_t(unsigned long, serial, *pos);
	return found ? v : NULL;
}

static void *eacct_process_seq_start(struct seq_file *m, loff_t *pos)
{
	if (!*pos)
		return SEQ_START_TOKEN;
	return eacct_process_next_visible(m->private, pos);
}

static void *eacct_process_seq_next(struct seq_file *m, void *v, loff_t *pos)
{
	struct eacct_process_reader *r = m->private;

	*pos = v == SEQ_START_TOKEN ? 1 : r->view.serial + 1;
	return eacct_process_next_visible(r, pos);
}

static void eacct_process_seq_stop(struct seq_file *m, void *v)
{
}

static int eacct_process_seq_show(struct seq_file *m, void *v)
{
	struct eacct_process_reader *r = m->private;
	struct eacct_process_view *row = v;

	if (v == SEQ_START_TOKEN) {
		seq_puts(m, "pid comm state cgroup_id cgroup cpu_energy_uj dram_energy_uj gpu_energy_uj carbon_ug\n");
		return 0;
	}
	seq_printf(m, "%d ", row->nr);
	seq_escape(m, row->comm[0] ? row->comm : "?", " \t\n\\");
	seq_printf(m, " %s %llu ", row->exited ? "exited" : "live", row->cgroup_id);
	seq_escape(m, r->path, " \t\n\\");
	seq_printf(m, " %llu %llu %llu %llu\n",
		   row->energy_uj[EACCT_CLASS_CPU], row->energy_uj[EACCT_CLASS_DRAM],
		   row->energy_uj[EACCT_CLASS_GPU], row->carbon_ug);
	return 0;
}

static const struct seq_operations eacct_process_seq_ops = {
	.start = eacct_process_seq_start,
	.next = eacct_process_seq_next,
	.stop = eacct_process_seq_stop,
	.show = eacct_process_seq_show,
};

static int eacct_process_open(struct inode *inode, struct file *file)
{
	struct eacct_process_reader *r;
	struct cgroup *cgns_root;

	r = __seq_open_private(file, &eacct_process_seq_ops, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->pid_ns = proc_pid_ns(inode->i_sb);
	r->cred = file->f_cred;
	r->see_all = eacct_cred_may_read_others(r->cred, &init_user_ns);
	cgns_root = current->nsproxy->cgroup_ns->root_cset->dfl_cgrp;
	/* The real root needs no prefix to strip. */
	r->cgns_root_id = cgroup_parent(cgns_root) ? cgroup_id(cgns_root) : 0;
	return 0;
}

static const struct proc_ops eacct_process_proc_ops = {
	.proc_open = eacct_process_open,
	.proc_read = seq_read,
	.proc_lseek = seq_lseek,
	.proc_release = seq_release_private,
};

int eacct_process_init(void)
{
	eacct_proc_dir = proc_mkdir("eacct", NULL);
	if (!eacct_proc_dir)
		return -ENOMEM;
	/* Every row is filtered for its reader: the file itself is open. */
	if (!proc_create("processes", eacct_world_readable ? 0444 : 0400,
			 eacct_proc_dir, &eacct_process_proc_ops)) {
		proc_remove(eacct_proc_dir);
		return -ENOMEM;
	}
	return 0;
}

void eacct_process_exit(void)
{
	struct eacct_process *p;
	unsigned long serial;

	/* proc_remove() waits for readers in flight. */
	proc_remove(eacct_proc_dir);
	mutex_lock(&eacct_mutex);
	xa_for_each(&eacct_rows, serial, p) {
		eacct_process_free(p);
		cond_resched();
	}
	mutex_unlock(&eacct_mutex);
	xa_destroy(&eacct_rows);
}
