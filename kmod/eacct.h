/* SPDX-License-Identifier: GPL-2.0 */
/*
 * eacct: durable per-cgroup energy and carbon counters.
 *
 * Locking: eacct_write_mutex serialises the writers of the tree (ingest,
 * the periodic sync, module exit), including the sysfs directories they
 * add, move and delete. eacct_mutex, taken inside it, guards the state
 * itself: the cgroup lists and budgets, the domains, the process table and
 * the batch sequence. Counters are atomic64_t so that sysfs reads take no
 * lock. kobject_del() waits for sysfs callbacks to finish and the budget
 * stores take eacct_mutex, so entries are unlinked under eacct_mutex and
 * deleted after it is dropped (eacct_cgroup_reap()).
 *
 * Memory: entries, names, process rows and domains are allocated with
 * __GFP_ACCOUNT from the writer's context, so they are charged to the
 * memory cgroup of the process writing /dev/eacct (eacctd's).
 */
#ifndef _EACCT_H
#define _EACCT_H

#include <linux/atomic.h>
#include <linux/kobject.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/eacct.h>

#define EACCT_VERSION "0.2.0"

/*
 * Limits of the mirror, so that what a tenant does with depth and names
 * bounds the work and memory each cgroup costs: a cgroup deeper than
 * EACCT_MAX_DEPTH, with a name longer than NAME_MAX, or whose directory's
 * sysfs path would be longer than EACCT_MAX_MIRROR_PATH gets no
 * directory; its charges go to its nearest ancestor that has one.
 */
#define EACCT_MAX_DEPTH		256
#define EACCT_MAX_MIRROR_PATH	32768

struct cgroup;

extern struct mutex eacct_write_mutex;
extern struct mutex eacct_mutex;
extern struct kset *eacct_kset;

/* Module parameters, see eacct_main.c. */
extern bool eacct_world_readable;
extern bool eacct_node_readable;
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
	atomic64_t records_unmirrored;
	atomic64_t records_unresolved;
	u64 last_seq;			/* under eacct_mutex */
};

extern struct eacct_stats eacct_stats;

/* Where an entry's directory is; see eacct_cgroup_retire(). */
enum eacct_place {
	EACCT_IN_TREE,		/* cgroups/<path>, named as in cgroupfs */
	EACCT_RETIRING,		/* cgroups/<path>/../%<id>, on its way */
	EACCT_IN_REMOVED,	/* removed/%<id>, to be renamed <id> */
	EACCT_RETIRED,		/* removed/<id> */
};

struct eacct_cgroup {
	struct kobject kobj;
	struct hlist_node hash_node;	/* eacct_cgroup_hash, by id */
	struct list_head sibling;	/* in parent->children */
	struct list_head children;	/* live and removed ones */
	struct list_head removed_node;	/* in eacct_removed_list, FIFO */
	struct list_head budget_node;	/* in eacct_budget_list */
	struct list_head reap_node;	/* on a list for eacct_cgroup_reap() */
	struct eacct_cgroup *parent;	/* the cgroup's parent; NULL for root */
	struct cgroup *cgrp;		/* referenced until it is removed */
	const char *name;		/* the cgroup's own name; NULL for root */
	u64 id;
	unsigned int depth;		/* 0 for the root: its cgroup's level */
	unsigned int path_len;		/* of its directory under /sys */
	atomic64_t energy_uj[EACCT_NR_CLASSES];
	atomic64_t carbon_ug;
	u64 budget_ug;			/* 0: none; under eacct_mutex */
	u64 energy_budget_uj;		/* 0: none; under eacct_mutex */
	unsigned long removed_at;	/* jiffies */
	u32 budget_action;		/* EACCT_ACTION_* | pct << 8, one word */
	u8 place;			/* enum eacct_place */
	bool budget_exceeded;		/* under eacct_mutex */
	bool budget_linked;		/* in budgets/; under eacct_mutex */
	bool removed;			/* under eacct_mutex */
	bool dead;			/* unlinked, awaiting kobject_del() */
};

static inline struct eacct_cgroup *to_eacct_cgroup(struct kobject *kobj)
{
	return container_of(kobj, struct eacct_cgroup, kobj);
}

/*
 * What the budget's enforcer (eacctd) is to do once it is exceeded; the
 * module only keeps it, beside the budget, for everyone to read.
 */
enum eacct_budget_action {
	EACCT_ACTION_NOTIFY,		/* log and uevent only */
	EACCT_ACTION_THROTTLE,		/* cpu.max at the percentage */
	EACCT_ACTION_FREEZE,		/* cgroup.freeze */
};

/* eacct_main.c */
umode_t eacct_attr_visible(struct kobject *kobj, struct attribute *attr, int n);
umode_t eacct_node_attr_visible(struct kobject *kobj, struct attribute *attr,
				int n);
void eacct_kobj_created(void);
void eacct_kobj_released(void);

/* eacct_cgroup.c */
int eacct_cgroup_init(void);
void eacct_cgroup_exit(void);
void eacct_cgroup_destroy_cache(void);
struct eacct_cgroup *eacct_cgroup_root(void);
struct eacct_cgroup *eacct_cgroup_find(u64 id);
u64 eacct_cgroup_energy(struct eacct_cgroup *cg);
struct eacct_cgroup *eacct_cgroup_lookup(u64 id);
struct cgroup *eacct_cgroup_get(u64 id);
struct eacct_cgroup *eacct_cgroup_mirror(struct cgroup *cgrp,
					 struct list_head *reap);
void eacct_cgroup_reap(struct list_head *reap);
void eacct_cgroup_charge(struct eacct_cgroup *cg, unsigned int class,
			 u64 energy_uj, u64 carbon_ug);
void eacct_cgroup_sync(struct list_head *reap);
int eacct_cgroup_path(struct eacct_cgroup *cg, u64 top_id, char *buf,
		      size_t len);
unsigned int eacct_cgroup_count(void);
unsigned int eacct_cgroup_removed_count(void);

/* eacct_budget.c */
extern const struct attribute_group eacct_budget_group;
int eacct_budget_init(void);
void eacct_budget_exit(void);
void eacct_budget_check_all(void);
void eacct_budget_forget(struct eacct_cgroup *cg);
void eacct_budget_unlink(struct eacct_cgroup *cg);

/* eacct_domain.c */
int eacct_domain_init(void);
void eacct_domain_exit(void);
int eacct_domain_check(u32 domain, u64 energy_uj, u64 idle_uj, u64 carbon_ug);
void eacct_domain_publish(void);
void eacct_domain_charge(u32 domain, u64 energy_uj, u64 carbon_ug, bool idle);

/* eacct_process.c */
struct eacct_process_batch;
int eacct_process_init(void);
void eacct_process_exit(void);
int eacct_process_prepare(const struct eacct_process_record *recs, u32 nr,
			  struct eacct_process_batch **out);
void eacct_process_commit(struct eacct_process_batch *pb, u64 seq);
void eacct_process_abort(struct eacct_process_batch *pb);
void eacct_process_sync(void);
unsigned int eacct_process_count(void);

/* eacct_ingest.c */
int eacct_ingest_init(void);
void eacct_ingest_exit(void);

#endif /* _EACCT_H */
