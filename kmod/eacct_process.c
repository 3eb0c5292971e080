// SPDX-License-Identifier: GPL-2.0
/*
 * Per-process energy: the table behind /proc/eacct/processes.
 *
 * An entry holds a reference on the process's struct pid, so a recycled
 * pid number is told apart from the process it once named, and liveness
 * is the kernel's own answer. A process already gone when its first record
 * arrives (it lived less than one interval) gets an entry without a pid.
 * Exited processes stay for retain_secs, at most retain_max_processes of
 * them; the whole table holds at most max_processes entries. A record that
 * finds no room is dropped from this table alone and counted in
 * stats/processes_dropped: cgroup counters never depend on it.
 */
#include <linux/hashtable.h>
#include <linux/jiffies.h>
#include <linux/limits.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/proc_fs.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "eacct.h"

#define EACCT_PROCESS_HASH_BITS 10

struct eacct_process {
	struct hlist_node hash_node;	/* by tgid */
	struct list_head node;		/* eacct_process_list, oldest first */
	struct pid *pid;		/* NULL: gone before its first record */
	u64 cgroup_id;
	u64 energy_uj[EACCT_NR_CLASSES];
	u64 carbon_ug;
	unsigned long exited_at;	/* jiffies; valid when exited */
	bool exited;
	u32 tgid;
	char comm[EACCT_COMM_LEN];
};

static DEFINE_HASHTABLE(eacct_process_hash, EACCT_PROCESS_HASH_BITS);
static LIST_HEAD(eacct_process_list);
static struct proc_dir_entry *eacct_proc_dir;
static unsigned int eacct_nr_processes;
static unsigned int eacct_nr_exited;
/* For the cgroup column; under eacct_mutex. */
static char eacct_process_path_buf[PATH_MAX];

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
 * The entry a record for @tgid charges: the one holding @pid, or with no
 * live process behind @tgid any more, the newest entry of a gone process.
 */
static struct eacct_process *eacct_process_find(u32 tgid, struct pid *pid)
{
	struct eacct_process *p;

	/* New entries are added at the head of a chain: newest first. */
	hash_for_each_possible(eacct_process_hash, p, hash_node, tgid)
		if (p->tgid == tgid && (pid ? p->pid == pid : eacct_process_gone(p)))
			return p;
	return NULL;
}

static void eacct_process_free(struct eacct_process *p)
{
	hash_del(&p->hash_node);
	list_del(&p->node);
	eacct_nr_processes--;
	if (p->exited)
		eacct_nr_exited--;
	put_pid(p->pid);
	kfree(p);
}

static void eacct_process_mark_exited(struct eacct_process *p)
{
	p->exited = true;
	p->exited_at = jiffies;
	eacct_nr_exited++;
}

/* Evict exited entries past retention or beyond retain_max_processes. */
static void eacct_process_expire(void)
{
	unsigned long keep = msecs_to_jiffies(eacct_retain_secs * 1000UL);
	struct eacct_process *p, *tmp;

	list_for_each_entry_safe(p, tmp, &eacct_process_list, node) {
		if (!p->exited)
			continue;
		if (eacct_nr_exited <= eacct_retain_max_processes &&
		    time_before(jiffies, p->exited_at + keep))
			continue;
		eacct_process_free(p);
	}
}

/* Evict the oldest exited entry to make room; false if there is none. */
static bool eacct_process_evict_one(void)
{
	struct eacct_process *p;

	list_for_each_entry(p, &eacct_process_list, node) {
		if (p->exited) {
			eacct_process_free(p);
			return true;
		}
	}
	return false;
}

/*
 * Allocate, before anything is applied, one entry for each record that
 * finds none, so that the commit cannot fail.
 */
int eacct_process_prepare(const struct eacct_process_record *recs, u32 nr,
			  struct list_head *spares)
{
	struct eacct_process *p;
	struct pid *pid;
	bool found;
	u32 i;

	for (i = 0; i < nr; i++) {
		pid = eacct_pid_get(recs[i].tgid);
		mutex_lock(&eacct_mutex);
		found = eacct_process_find(recs[i].tgid, pid);
		mutex_unlock(&eacct_mutex);
		put_pid(pid);
		if (found)
			continue;
		p = kzalloc(sizeof(*p), GFP_KERNEL);
		if (!p) {
			eacct_process_free_spares(spares);
			return -ENOMEM;
		}
		list_add_tail(&p->node, spares);
	}
	return 0;
}

void eacct_process_free_spares(struct list_head *spares)
{
	struct eacct_process *p, *tmp;

	list_for_each_entry_safe(p, tmp, spares, node) {
		list_del(&p->node);
		kfree(p);
	}
}

static struct eacct_process *eacct_process_add(u32 tgid, struct pid *pid,
					       struct list_head *spares)
{
	struct eacct_process *p;

	if (list_empty(spares))
		return NULL;
	if (eacct_nr_processes >= eacct_max_processes &&
	    !eacct_process_evict_one())
		return NULL;
	p = list_first_entry(spares, struct eacct_process, node);
	list_move_tail(&p->node, &eacct_process_list);
	p->tgid = tgid;
	p->pid = get_pid(pid);
	hash_add(eacct_process_hash, &p->hash_node, tgid);
	eacct_nr_processes++;
	if (!pid)
		eacct_process_mark_exited(p);
	return p;
}

/* Apply process records; under eacct_mutex. */
void eacct_process_commit(const struct eacct_process_record *recs, u32 nr,
			  struct list_head *spares)
{
	const struct eacct_process_record *rec;
	struct eacct_process *p;
	struct pid *pid;
	u32 i;

	lockdep_assert_held(&eacct_mutex);
	for (i = 0; i < nr; i++) {
		rec = &recs[i];
		pid = eacct_pid_get(rec->tgid);
		p = eacct_process_find(rec->tgid, pid);
		if (!p)
			p = eacct_process_add(rec->tgid, pid, spares);
		put_pid(pid);
		if (!p) {
			atomic64_inc(&eacct_stats.processes_dropped);
			continue;
		}
		p->cgroup_id = rec->cgroup_id;
		if (rec->comm[0])
			strscpy(p->comm, rec->comm, sizeof(p->comm));
		p->energy_uj[EACCT_DOMAIN_CLASS(rec->domain)] += rec->energy_uj;
		p->carbon_ug += rec->carbon_ug;
	}
	eacct_process_free_spares(spares);
}

/* Notice exits and expire old entries; called by the periodic sync. */
void eacct_process_sync(void)
{
	struct eacct_process *p;

	mutex_lock(&eacct_mutex);
	list_for_each_entry(p, &eacct_process_list, node)
		if (!p->exited && eacct_process_gone(p))
			eacct_process_mark_exited(p);
	eacct_process_expire();
	mutex_unlock(&eacct_mutex);
}

unsigned int eacct_process_count(void)
{
	return READ_ONCE(eacct_nr_processes);
}

static void *eacct_process_seq_start(struct seq_file *m, loff_t *pos)
{
	mutex_lock(&eacct_mutex);
	return seq_list_start_head(&eacct_process_list, *pos);
}

static void *eacct_process_seq_next(struct seq_file *m, void *v, loff_t *pos)
{
	return seq_list_next(v, &eacct_process_list, pos);
}

static void eacct_process_seq_stop(struct seq_file *m, void *v)
{
	mutex_unlock(&eacct_mutex);
}

static int eacct_process_seq_show(struct seq_file *m, void *v)
{
	struct eacct_process *p;
	struct eacct_cgroup *cg;

	if (v == &eacct_process_list) {
		seq_puts(m, "pid comm state cgroup_id cgroup cpu_energy_uj dram_energy_uj gpu_energy_uj carbon_ug\n");
		return 0;
	}
	p = list_entry(v, struct eacct_process, node);
	cg = eacct_cgroup_find(p->cgroup_id);
	if (!cg || eacct_cgroup_path(cg, eacct_process_path_buf,
				     sizeof(eacct_process_path_buf)))
		strscpy(eacct_process_path_buf, "?", sizeof(eacct_process_path_buf));

	seq_printf(m, "%u ", p->tgid);
	seq_escape(m, p->comm[0] ? p->comm : "?", " \t\n\\");
	seq_printf(m, " %s %llu ", p->exited || eacct_process_gone(p) ?
		   "exited" : "live", p->cgroup_id);
	seq_escape(m, eacct_process_path_buf, " \t\n\\");
	seq_printf(m, " %llu %llu %llu %llu\n",
		   p->energy_uj[EACCT_CLASS_CPU], p->energy_uj[EACCT_CLASS_DRAM],
		   p->energy_uj[EACCT_CLASS_GPU], p->carbon_ug);
	return 0;
}

static const struct seq_operations eacct_process_seq_ops = {
	.start = eacct_process_seq_start,
	.next = eacct_process_seq_next,
	.stop = eacct_process_seq_stop,
	.show = eacct_process_seq_show,
};

int eacct_process_init(void)
{
	eacct_proc_dir = proc_mkdir("eacct", NULL);
	if (!eacct_proc_dir)
		return -ENOMEM;
	if (!proc_create_seq("processes", eacct_world_readable ? 0444 : 0400,
			     eacct_proc_dir, &eacct_process_seq_ops)) {
		proc_remove(eacct_proc_dir);
		return -ENOMEM;
	}
	return 0;
}

void eacct_process_exit(void)
{
	struct eacct_process *p, *tmp;

	/* proc_remove() waits for readers in flight. */
	proc_remove(eacct_proc_dir);
	mutex_lock(&eacct_mutex);
	list_for_each_entry_safe(p, tmp, &eacct_process_list, node)
		eacct_process_free(p);
	mutex_unlock(&eacct_mutex);
}
