/* SPDX-License-Identifier: GPL-2.0 */
/*
 * eacct: durable per-cgroup energy and carbon counters.
 *
 * Locking: eacct_write_mutex serialises the writers of the tree (ingest,
 * the periodic sync, module exit), including the sysfs directories they
 * add and delete. eacct_mutex, taken inside it, guards the state itself:
 * the cgroup lists and budgets, the domains, the process table and the
 * batch sequence. Counters are atomic64_t so that sysfs reads take no lock.
 * kobject_del() waits for sysfs callbacks to finish and the budget_ug
 * store takes eacct_mutex, so entries are unlinked under eacct_mutex and
 * deleted after it is dropped (eacct_cgroup_reap()).
 */
#ifndef _EACCT_H
#define _EACCT_H

#include <linux/atomic.h>
#include <linux/kobject.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/eacct.h>

#define EACCT_VERSION "0.1.0"

extern struct mutex eacct_write_mutex;
extern struct mutex eacct_mutex;
extern struct kset *eacct_kset;

/* Module parameters, see eacct_main.c. */
extern bool eacct_world_readable;
extern unsigned int eacct_retain_secs;
extern unsigned int eacct_retain_max;
extern unsigned int eacct_max_cgroups;
extern unsigned int eacct_retain_max_processes;
extern unsigned int eacct_max_processes;

struct eacct_stats {
	atomic64_t batches_applied;
	atomic64_t batches_rejected;
	atomic64_t processes_dropped;
	atomic64_t mirror_errors;
	u64 last_seq;			/* under eacct_mutex */
};

extern struct eacct_stats eacct_stats;

struct eacct_cgroup {
	struct kobject kobj;		/* kobj.parent is parent->kobj */
	struct hlist_node hash_node;	/* eacct_cgroup_hash, by id */
	struct list_head sibling;	/* in parent->children */
	struct list_head children;
	struct list_head removed_node;	/* in eacct_removed_list, FIFO */
	struct list_head budget_node;	/* in eacct_budget_list */
	struct list_head pending_node;	/* on an ingest's pending or reap list */
	struct eacct_cgroup *parent;	/* NULL for the root cgroup */
	u64 id;
	atomic64_t energy_uj[EACCT_NR_CLASSES];
	atomic64_t carbon_ug;
	u64 budget_ug;			/* 0: none; under eacct_mutex */
	u64 energy_budget_uj;		/* 0: none; under eacct_mutex */
	unsigned long removed_at;	/* jiffies */
	u8 budget_action;		/* enum eacct_budget_action */
	u8 throttle_pct;		/* for EACCT_ACTION_THROTTLE */
	bool budget_exceeded;		/* under eacct_mutex */
	bool budget_linked;		/* in budgets/; under eacct_mutex */
	bool removed;			/* under eacct_mutex */
	bool dead;			/* unlinked, awaiting kobject_del() */
};

/*
 * What the budget's enforcer (eacctd) is to do once it is exceeded; the
 * module only keeps it, beside the budget, for everyone to read.
 */
enum eacct_budget_action {
	EACCT_ACTION_NOTIFY,		/* log and uevent only */
	EACCT_ACTION_THROTTLE,		/* cpu.max at throttle_pct */
	EACCT_ACTION_FREEZE,		/* cgroup.freeze */
};

struct eacct_domain {
	struct kobject kobj;
	atomic64_t energy_uj;		/* charged and idle */
	atomic64_t idle_uj;		/* of which no cgroup's */
	atomic64_t carbon_ug;
};

/* eacct_main.c */
umode_t eacct_attr_visible(struct kobject *kobj, struct attribute *attr, int n);

/* eacct_cgroup.c */
int eacct_cgroup_init(void);
void eacct_cgroup_exit(void);
struct eacct_cgroup *eacct_cgroup_find(u64 id);
int eacct_cgroup_prepare(u64 id, struct list_head *pending);
void eacct_cgroup_commit(struct list_head *pending);
void eacct_cgroup_abort(struct list_head *pending, struct list_head *reap);
void eacct_cgroup_reap(struct list_head *reap);
void eacct_cgroup_charge(struct eacct_cgroup *cg, unsigned int class,
			 u64 energy_uj, u64 carbon_ug);
void eacct_cgroup_check_budgets(void);
void eacct_cgroup_sync(struct list_head *reap);
int eacct_cgroup_path(struct eacct_cgroup *cg, char *buf, size_t len);
unsigned int eacct_cgroup_count(void);
unsigned int eacct_cgroup_removed_count(void);

/* eacct_domain.c */
int eacct_domain_init(void);
void eacct_domain_exit(void);
int eacct_domain_prepare(u32 domain);
void eacct_domain_charge(u32 domain, u64 energy_uj, u64 carbon_ug, bool idle);

/* eacct_process.c */
int eacct_process_init(void);
void eacct_process_exit(void);
int eacct_process_prepare(const struct eacct_process_record *recs,
			  u32 nr, struct list_head *spares);
void eacct_process_commit(const struct eacct_process_record *recs,
			  u32 nr, struct list_head *spares);
void eacct_process_free_spares(struct list_head *spares);
void eacct_process_sync(void);
unsigned int eacct_process_count(void);

/* eacct_ingest.c */
int eacct_ingest_init(void);
void eacct_ingest_exit(void);
int eacct_batch_validate(const void *batch, size_t len);

#endif /* _EACCT_H */
