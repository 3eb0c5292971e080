// SPDX-License-Identifier: GPL-2.0
/*
 * The cgroup v2 tree mirrored under /sys/kernel/eacct/cgroups.
 *
 * A cgroup gets an entry the first time a batch names it, together with
 * every ancestor that has none yet. The tree is always rooted at the real
 * root of the default hierarchy, and ids are resolved in the initial
 * cgroup namespace, whoever loads the module or writes the batch.
 *
 * Counters are hierarchical: a charge is added to the cgroup and to each
 * ancestor at ingest, the root first, so a read is one atomic load
 * whatever the size of the tree, and a reader that reads a child before
 * its parent never sees the child above the parent.
 *
 * Names: a directory carries the cgroup's own name, as cgroupfs does
 * (cgroup v2 has no rename(2), so it never changes). Names that would
 * clash with the entry's attribute files, and names that begin with '%',
 * get one '%' in front: the mapping is one to one, and no live name can
 * take the form "%<digits>".
 *
 * An entry that cannot be made (max_cgroups reached, no memory, deeper
 * than EACCT_MAX_DEPTH, a name longer than NAME_MAX, a path longer than
 * EACCT_MAX_MIRROR_PATH) is no error for the batch: its charges go to the
 * nearest ancestor that has an entry, and stats/records_unmirrored counts
 * them.
 *
 * Removal: each entry holds a reference on its cgroup, and the periodic
 * sync notices the cgroup dying. The entry then leaves the live tree for
 * removed/<id> and stays readable for retain_secs, at most retain_max of
 * them, oldest evicted first. An evicted id is remembered (up to
 * max_cgroups of them) with its parent's id, so that a late record for it
 * still lands on its nearest kept ancestor.
 */
#include <linux/cgroup.h>
#include <linux/hashtable.h>
#include <linux/jiffies.h>
#include <linux/kernfs.h>
#include <linux/limits.h>
#include <linux/nsproxy.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/workqueue.h>

#include "eacct.h"

#define EACCT_CGROUP_HASH_BITS 14
#define EACCT_FORGOTTEN_HASH_BITS 12

static DEFINE_HASHTABLE(eacct_cgroup_hash, EACCT_CGROUP_HASH_BITS);
static LIST_HEAD(eacct_removed_list);
static struct kmem_cache *eacct_cgroup_cache;
static struct eacct_cgroup *eacct_root;
static struct kobject *eacct_removed_kobj;
static unsigned int eacct_nr_cgroups;
static unsigned int eacct_nr_removed;

/* "/<name>" of the cgroup being mirrored; under eacct_write_mutex. */
static char eacct_name_buf[PATH_MAX + 2];

/*
 * Scratch for ancestor chains, under eacct_write_mutex: never shorter
 * than the deepest entry plus one, so that a charge needs no allocation.
 */
static void **eacct_chain;
static unsigned int eacct_chain_cap;

/* An evicted id, and the id of the parent its charges now go to. */
struct eacct_forgotten {
	struct hlist_node hash_node;
	struct list_head node;		/* eacct_forgotten_list, oldest first */
	u64 id;
	u64 parent_id;
};

static DEFINE_HASHTABLE(eacct_forgotten_hash, EACCT_FORGOTTEN_HASH_BITS);
static LIST_HEAD(eacct_forgotten_list);
static unsigned int eacct_nr_forgotten;

static ssize_t id_show(struct kobject *kobj, struct kobj_attribute *attr,
		       char *buf)
{
	return sysfs_emit(buf, "%llu\n", to_eacct_cgroup(kobj)->id);
}

/**
 * eacct_cgroup_energy() - an entry's energy, all classes together
 * @cg: the entry
 *
 * Ingest keeps this sum below U64_MAX (EOVERFLOW otherwise).
 *
 * Return: the sum of its class counters, read one after the other.
 */
u64 eacct_cgroup_energy(struct eacct_cgroup *cg)
{
	u64 sum = 0;
	int i;

	for (i = 0; i < EACCT_NR_CLASSES; i++)
		sum += atomic64_read(&cg->energy_uj[i]);
	return sum;
}

static ssize_t energy_uj_show(struct kobject *kobj,
			      struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", eacct_cgroup_energy(to_eacct_cgroup(kobj)));
}

static ssize_t eacct_class_show(struct kobject *kobj, unsigned int class,
				char *buf)
{
	u64 val = atomic64_read(&to_eacct_cgroup(kobj)->energy_uj[class]);

	return sysfs_emit(buf, "%llu\n", val);
}

static ssize_t cpu_energy_uj_show(struct kobject *kobj,
				  struct kobj_attribute *attr, char *buf)
{
	return eacct_class_show(kobj, EACCT_CLASS_CPU, buf);
}

static ssize_t dram_energy_uj_show(struct kobject *kobj,
				   struct kobj_attribute *attr, char *buf)
{
	return eacct_class_show(kobj, EACCT_CLASS_DRAM, buf);
}

static ssize_t gpu_energy_uj_show(struct kobject *kobj,
				  struct kobj_attribute *attr, char *buf)
{
	return eacct_class_show(kobj, EACCT_CLASS_GPU, buf);
}

static ssize_t carbon_ug_show(struct kobject *kobj,
			      struct kobj_attribute *attr, char *buf)
{
	u64 val = atomic64_read(&to_eacct_cgroup(kobj)->carbon_ug);

	return sysfs_emit(buf, "%llu\n", val);
}

static ssize_t removed_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(to_eacct_cgroup(kobj)->removed));
}

/* The cgroup's path under the cgroup2 mount, as it was when removed. */
static ssize_t path_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	size_t len;
	int err;

	mutex_lock(&eacct_mutex);
	err = eacct_cgroup_path(to_eacct_cgroup(kobj), 0, buf, PAGE_SIZE - 1);
	mutex_unlock(&eacct_mutex);
	if (err)
		return err;
	len = strlen(buf);
	buf[len++] = '\n';
	return len;
}

static struct kobj_attribute eacct_attr_id = __ATTR_RO(id);
static struct kobj_attribute eacct_attr_energy_uj = __ATTR_RO(energy_uj);
static struct kobj_attribute eacct_attr_cpu_energy_uj = __ATTR_RO(cpu_energy_uj);
static struct kobj_attribute eacct_attr_dram_energy_uj = __ATTR_RO(dram_energy_uj);
static struct kobj_attribute eacct_attr_gpu_energy_uj = __ATTR_RO(gpu_energy_uj);
static struct kobj_attribute eacct_attr_carbon_ug = __ATTR_RO(carbon_ug);
static struct kobj_attribute eacct_attr_removed = __ATTR_RO(removed);
static struct kobj_attribute eacct_attr_path = __ATTR_RO(path);

static struct attribute *eacct_cgroup_attrs[] = {
	&eacct_attr_id.attr,
	&eacct_attr_energy_uj.attr,
	&eacct_attr_cpu_energy_uj.attr,
	&eacct_attr_dram_energy_uj.attr,
	&eacct_attr_gpu_energy_uj.attr,
	&eacct_attr_carbon_ug.attr,
	&eacct_attr_removed.attr,
	&eacct_attr_path.attr,
	NULL,
};

/*
 * The root cgroup's counters are the node's: readable like domains/
 * (node_readable); the others like every cgroup counter (world_readable).
 */
static umode_t eacct_cgroup_attr_visible(struct kobject *kobj,
					 struct attribute *attr, int n)
{
	if (to_eacct_cgroup(kobj) == eacct_root)
		return eacct_node_attr_visible(kobj, attr, n);
	return eacct_attr_visible(kobj, attr, n);
}

static const struct attribute_group eacct_cgroup_group = {
	.attrs = eacct_cgroup_attrs,
	.is_visible = eacct_cgroup_attr_visible,
};

static const struct attribute_group *eacct_cgroup_groups[] = {
	&eacct_cgroup_group,
	&eacct_budget_group,
	NULL,
};

static void eacct_cgroup_release(struct kobject *kobj)
{
	struct eacct_cgroup *cg = to_eacct_cgroup(kobj);

	kfree(cg->name);
	kmem_cache_free(eacct_cgroup_cache, cg);
	eacct_kobj_released();
}

static const struct kobj_type eacct_cgroup_ktype = {
	.release = eacct_cgroup_release,
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = eacct_cgroup_groups,
};

/* Would @name hide an attribute file, or look escaped? */
static bool eacct_name_reserved(const char *name)
{
	const struct attribute_group *const *grp;
	struct attribute *const *attr;

	if (name[0] == '%')
		return true;
	for (grp = eacct_cgroup_groups; *grp; grp++)
		for (attr = (*grp)->attrs; *attr; attr++)
			if (!strcmp((*attr)->name, name))
				return true;
	return false;
}

struct eacct_cgroup *eacct_cgroup_root(void)
{
	return eacct_root;
}

/**
 * eacct_cgroup_find() - the entry of a cgroup id, live or removed
 * @id: cgroup id
 *
 * Context: eacct_write_mutex or eacct_mutex held.
 * Return: the entry, or NULL if the module keeps none for @id.
 */
struct eacct_cgroup *eacct_cgroup_find(u64 id)
{
	struct eacct_cgroup *cg;

	hash_for_each_possible(eacct_cgroup_hash, cg, hash_node, id)
		if (cg->id == id)
			return cg;
	return NULL;
}

static struct eacct_forgotten *eacct_forgotten_find(u64 id)
{
	struct eacct_forgotten *f;

	hash_for_each_possible(eacct_forgotten_hash, f, hash_node, id)
		if (f->id == id)
			return f;
	return NULL;
}

/**
 * eacct_cgroup_lookup() - the entry that a record for @id charges
 * @id: cgroup id
 *
 * A tracked id charges its own entry; an evicted one the nearest ancestor
 * still kept.
 *
 * Context: eacct_write_mutex held.
 * Return: the entry, or NULL if @id is neither tracked nor remembered.
 */
struct eacct_cgroup *eacct_cgroup_lookup(u64 id)
{
	struct eacct_forgotten *f;
	struct eacct_cgroup *cg;
	unsigned int hops;

	lockdep_assert_held(&eacct_write_mutex);
	cg = eacct_cgroup_find(id);
	/* Each hop is one level up: the chain ends within max_cgroups. */
	for (hops = 0; !cg && hops <= eacct_nr_forgotten; hops++) {
		f = eacct_forgotten_find(id);
		if (!f)
			return NULL;
		id = f->parent_id;
		cg = eacct_cgroup_find(id);
	}
	return cg;
}

/* Remember an evicted id, the oldest memory making room. */
static void eacct_forgotten_add(u64 id, u64 parent_id)
{
	struct eacct_forgotten *f;

	if (eacct_nr_forgotten >= eacct_max_cgroups) {
		f = list_first_entry_or_null(&eacct_forgotten_list,
					     struct eacct_forgotten, node);
		if (!f)
			return;
		hash_del(&f->hash_node);
		list_del(&f->node);
		eacct_nr_forgotten--;
		kfree(f);
	}
	f = kmalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return;		/* its late records get ENOENT */
	f->id = id;
	f->parent_id = parent_id;
	hash_add(eacct_forgotten_hash, &f->hash_node, id);
	list_add_tail(&f->node, &eacct_forgotten_list);
	eacct_nr_forgotten++;
}

static void eacct_forgotten_clear(void)
{
	struct eacct_forgotten *f, *tmp;

	list_for_each_entry_safe(f, tmp, &eacct_forgotten_list, node) {
		hash_del(&f->hash_node);
		kfree(f);
		cond_resched();
	}
	INIT_LIST_HEAD(&eacct_forgotten_list);
	eacct_nr_forgotten = 0;
}

/*
 * Has the cgroup been removed? rmdir clears CSS_ONLINE on its self css
 * (cgroup_destroy_locked()) before its directory goes, on every kernel;
 * css_is_dying() tests CSS_DYING on newer ones, which a self css never
 * gets.
 */
static bool eacct_cgroup_gone(struct cgroup *cgrp)
{
	return !(READ_ONCE(cgrp->self.flags) & CSS_ONLINE);
}

/* Is the writer's cgroup namespace rooted at the real root? */
static bool eacct_in_root_cgroup_ns(void)
{
	return current->nsproxy->cgroup_ns->root_cset->dfl_cgrp ==
	       &cgrp_dfl_root.cgrp;
}

struct eacct_resolve {
	struct work_struct work;
	u64 id;
	struct cgroup *cgrp;
};

static void eacct_resolve_fn(struct work_struct *work)
{
	struct eacct_resolve *r = container_of(work, struct eacct_resolve, work);

	r->cgrp = cgroup_get_from_id(r->id);
}

/**
 * eacct_cgroup_get() - a live cgroup by id, in the initial cgroup namespace
 * @id: cgroup id
 *
 * cgroup_get_from_id() answers in the caller's cgroup namespace; a writer
 * inside one (eacctd in a container) still names every cgroup of the
 * node, so the lookup then runs in a kworker, which is in the initial one.
 *
 * Return: the cgroup with a reference held, or NULL if there is none.
 */
struct cgroup *eacct_cgroup_get(u64 id)
{
	struct eacct_resolve r = { .id = id };

	if (eacct_in_root_cgroup_ns()) {
		r.cgrp = cgroup_get_from_id(id);
	} else {
		INIT_WORK_ONSTACK(&r.work, eacct_resolve_fn);
		queue_work(system_unbound_wq, &r.work);
		flush_work(&r.work);
		destroy_work_on_stack(&r.work);
	}
	return IS_ERR_OR_NULL(r.cgrp) ? NULL : r.cgrp;
}

/* Room in the chain scratch for @n entries. */
static int eacct_chain_reserve(unsigned int n)
{
	void **chain;

	if (n <= eacct_chain_cap)
		return 0;
	n = max(n, 2 * eacct_chain_cap);
	chain = kvmalloc_array(n, sizeof(*chain), GFP_KERNEL);
	if (!chain)
		return -ENOMEM;
	kvfree(eacct_chain);
	eacct_chain = chain;
	eacct_chain_cap = n;
	return 0;
}

/* Unlink an entry without children; it goes on @reap. */
static void eacct_cgroup_unlink(struct eacct_cgroup *cg, struct list_head *reap)
{
	lockdep_assert_held(&eacct_mutex);
	cg->dead = true;
	hash_del(&cg->hash_node);
	list_del_init(&cg->sibling);
	eacct_budget_forget(cg);
	if (cg->removed) {
		list_del_init(&cg->removed_node);
		eacct_nr_removed--;
	}
	eacct_nr_cgroups--;
	list_add_tail(&cg->reap_node, reap);
}

/* Drop a removed entry and remember where its charges go from now on. */
static void eacct_cgroup_evict(struct eacct_cgroup *cg, struct list_head *reap)
{
	eacct_forgotten_add(cg->id, cg->parent->id);
	eacct_cgroup_unlink(cg, reap);
}

/**
 * eacct_cgroup_reap() - delete unlinked entries, in the order unlinked
 * @reap: entries from eacct_cgroup_unlink()
 *
 * Context: eacct_mutex not held: kobject_del() waits for sysfs callbacks,
 * and some of those take it.
 */
void eacct_cgroup_reap(struct list_head *reap)
{
	struct eacct_cgroup *cg, *tmp;

	list_for_each_entry_safe(cg, tmp, reap, reap_node) {
		list_del(&cg->reap_node);
		eacct_budget_unlink(cg);
		kobject_del(&cg->kobj);
		if (cg->cgrp && cg != eacct_root)
			cgroup_put(cg->cgrp);
		cg->cgrp = NULL;
		kobject_put(&cg->kobj);
		cond_resched();
	}
}

/* Put @cg on the removed list, its retention starting now. */
static void eacct_cgroup_note_removed(struct eacct_cgroup *cg)
{
	lockdep_assert_held(&eacct_mutex);
	WRITE_ONCE(cg->removed, true);
	cg->removed_at = jiffies;
	list_add_tail(&cg->removed_node, &eacct_removed_list);
	eacct_nr_removed++;
}

static void eacct_cgroup_mark_removed(struct eacct_cgroup *cg)
{
	mutex_lock(&eacct_mutex);
	eacct_cgroup_note_removed(cg);
	mutex_unlock(&eacct_mutex);
	/* The cgroup may be freed now; the entry keeps its own copy of the name. */
	cgroup_put(cg->cgrp);
	cg->cgrp = NULL;
}

/*
 * Move a removed entry from the live tree to removed/<id>, in three steps
 * none of which can meet a name in use: "%<id>" beside its siblings (no
 * live name has that form), the move, then "<id>" (ids are unique). A step
 * that fails (no memory) is counted and tried again at the next sync.
 */
static int eacct_cgroup_retire(struct eacct_cgroup *cg)
{
	char name[24];
	int err = 0;

	if (cg->place == EACCT_IN_TREE) {
		snprintf(name, sizeof(name), "%%%llu", cg->id);
		err = kobject_rename(&cg->kobj, name);
		if (!err)
			cg->place = EACCT_RETIRING;
	}
	if (!err && cg->place == EACCT_RETIRING) {
		err = kobject_move(&cg->kobj, eacct_removed_kobj);
		if (!err)
			cg->place = EACCT_IN_REMOVED;
	}
	if (!err && cg->place == EACCT_IN_REMOVED) {
		snprintf(name, sizeof(name), "%llu", cg->id);
		err = kobject_rename(&cg->kobj, name);
		if (!err)
			cg->place = EACCT_RETIRED;
	}
	if (err)
		atomic64_inc(&eacct_stats.mirror_errors);
	return err;
}

/*
 * Make @kname free under @parent. Live cgroups have unique names, so a
 * sibling entry still holding it stands for a cgroup removed since the
 * last sync: it retires now.
 */
static int eacct_cgroup_clear_name(struct eacct_cgroup *parent,
				   const char *kname)
{
	struct kernfs_node *kn;
	struct eacct_cgroup *sib;

	kn = sysfs_get_dirent(parent->kobj.sd, kname);
	if (!kn)
		return 0;
	sysfs_put(kn);
	list_for_each_entry(sib, &parent->children, sibling) {
		if (sib->place != EACCT_IN_TREE ||
		    strcmp(kobject_name(&sib->kobj), kname))
			continue;
		if (!sib->removed) {
			if (!eacct_cgroup_gone(sib->cgrp))
				return -EEXIST;
			eacct_cgroup_mark_removed(sib);
		}
		return eacct_cgroup_retire(sib) ? -EEXIST : 0;
	}
	return -EEXIST;
}

/* Is removed/<id> free? (A directory there can only be a dropped entry's.) */
static int eacct_cgroup_clear_removed(u64 id)
{
	struct kernfs_node *kn;
	char name[24];

	snprintf(name, sizeof(name), "%llu", id);
	kn = sysfs_get_dirent(eacct_removed_kobj->sd, name);
	if (!kn)
		return 0;
	sysfs_put(kn);
	return -EEXIST;
}

/*
 * Evict the oldest removed entry without children, other than @keep (the
 * entry a new one is about to be linked under: it may be a removed one
 * still childless); false if there is none.
 */
static bool eacct_cgroup_evict_oldest(struct eacct_cgroup *keep,
				      struct list_head *reap)
{
	struct eacct_cgroup *cg;
	bool found = false;

	mutex_lock(&eacct_mutex);
	list_for_each_entry(cg, &eacct_removed_list, removed_node) {
		if (cg != keep && list_empty(&cg->children)) {
			eacct_cgroup_evict(cg, reap);
			found = true;
			break;
		}
	}
	mutex_unlock(&eacct_mutex);
	return found;
}

/* The fields every entry starts with; its kobject counted, no uevents. */
static void eacct_cgroup_init_entry(struct eacct_cgroup *cg, u64 id)
{
	INIT_LIST_HEAD(&cg->sibling);
	INIT_LIST_HEAD(&cg->children);
	INIT_LIST_HEAD(&cg->removed_node);
	INIT_LIST_HEAD(&cg->budget_node);
	INIT_LIST_HEAD(&cg->reap_node);
	cg->id = id;
	kobject_init(&cg->kobj, &eacct_cgroup_ktype);
	eacct_kobj_created();
	/* No uevents: their size would follow names a tenant chooses. */
	cg->kobj.uevent_suppress = 1;
}

/*
 * The entry of @cgrp, whose parent's entry is @parent. A cgroup already
 * dying gets its entry straight in removed/.
 */
static struct eacct_cgroup *eacct_cgroup_create(struct cgroup *cgrp,
						struct eacct_cgroup *parent,
						struct list_head *reap)
{
	struct cgroup *up = cgroup_parent(cgrp);
	struct eacct_cgroup *cg;
	bool dying = eacct_cgroup_gone(cgrp);
	unsigned int path_len;
	const char *name;
	char *kname;
	int len, err;

	if (eacct_nr_cgroups >= eacct_max_cgroups &&
	    !eacct_cgroup_evict_oldest(parent, reap))
		return ERR_PTR(-ENOSPC);
	/* "/<name>": the path from the parent, never cut short here. */
	len = kernfs_path_from_node(cgrp->kn, up->kn, eacct_name_buf,
				    sizeof(eacct_name_buf));
	if (len < 2 || len >= (int)sizeof(eacct_name_buf) - 1 ||
	    eacct_name_buf[0] != '/')
		return ERR_PTR(-ENAMETOOLONG);
	name = eacct_name_buf + 1;
	/* One more for a '%'; the directory's path ends in "/<name>". */
	path_len = parent->path_len + 2 + (len - 1);
	if (len - 1 > NAME_MAX || path_len > EACCT_MAX_MIRROR_PATH ||
	    parent->depth >= EACCT_MAX_DEPTH)
		return ERR_PTR(-ENAMETOOLONG);

	cg = kmem_cache_zalloc(eacct_cgroup_cache, GFP_KERNEL_ACCOUNT);
	if (!cg)
		return ERR_PTR(-ENOMEM);
	cg->name = kstrdup(name, GFP_KERNEL_ACCOUNT);
	if (!cg->name) {
		kmem_cache_free(eacct_cgroup_cache, cg);
		return ERR_PTR(-ENOMEM);
	}
	eacct_cgroup_init_entry(cg, cgroup_id(cgrp));
	cg->parent = parent;
	cg->depth = parent->depth + 1;
	cg->path_len = path_len;

	if (dying) {
		cg->place = EACCT_RETIRED;
		/* An evicted entry of the same id may await its deletion still. */
		err = eacct_cgroup_clear_removed(cg->id);
		if (!err)
			err = kobject_add(&cg->kobj, eacct_removed_kobj, "%llu", cg->id);
	} else {
		kname = eacct_name_reserved(name) ? kasprintf(GFP_KERNEL, "%%%s", name) :
						    kstrdup(name, GFP_KERNEL);
		err = kname ? eacct_cgroup_clear_name(parent, kname) : -ENOMEM;
		if (!err)
			err = kobject_add(&cg->kobj, &parent->kobj, "%s", kname);
		kfree(kname);
	}
	if (err) {
		kobject_put(&cg->kobj);
		return ERR_PTR(err);
	}
	if (!dying) {
		cgroup_get(cgrp);
		cg->cgrp = cgrp;
	}

	mutex_lock(&eacct_mutex);
	hash_add(eacct_cgroup_hash, &cg->hash_node, cg->id);
	list_add_tail(&cg->sibling, &parent->children);
	eacct_nr_cgroups++;
	if (dying)
		eacct_cgroup_note_removed(cg);
	mutex_unlock(&eacct_mutex);
	return cg;
}

/**
 * eacct_cgroup_mirror() - the entry that charges of @cgrp go to
 * @cgrp: a cgroup of the default hierarchy, referenced by the caller
 * @reap: entries evicted to make room, for eacct_cgroup_reap()
 *
 * Makes the entries of @cgrp and of its ancestors that have none, from
 * the top down. Where one cannot be made, the nearest ancestor with an
 * entry stands in for @cgrp.
 *
 * Context: eacct_write_mutex held, eacct_mutex not.
 * Return: an entry, never NULL: the root always has one.
 */
struct eacct_cgroup *eacct_cgroup_mirror(struct cgroup *cgrp,
					 struct list_head *reap)
{
	struct eacct_cgroup *parent = NULL, *cg;
	struct cgroup **missing;
	struct cgroup *top = cgrp, *pos;
	unsigned int n = 0, i;

	lockdep_assert_held(&eacct_write_mutex);
	cg = eacct_cgroup_find(cgroup_id(cgrp));
	if (cg)
		return cg;
	/* Deeper than the mirror goes: its ancestor at that depth stands in. */
	if (cgrp->level > EACCT_MAX_DEPTH) {
		top = cgroup_ancestor(cgrp, EACCT_MAX_DEPTH);
		atomic64_inc(&eacct_stats.mirror_errors);
	}
	/* The cgroups without an entry, from @top up: EACCT_MAX_DEPTH at most. */
	for (pos = top; pos; pos = cgroup_parent(pos), n++) {
		parent = eacct_cgroup_lookup(cgroup_id(pos));
		if (parent)
			break;
	}
	/*
	 * An ancestor whose entry was dropped (this very batch may have
	 * evicted it, its directory not yet deleted): it is gone, and so is
	 * all below it. Its kept ancestor stands in for them; no entry is
	 * made again for an id the module has let go of.
	 */
	if (!n || (parent && parent->id != cgroup_id(pos)))
		return parent;
	/* Out of parents: not under the real root (cannot be). */
	if (!pos) {
		atomic64_inc(&eacct_stats.mirror_errors);
		return eacct_root;
	}
	/* Room for the missing ones now, and for a charge to the deepest. */
	if (eacct_chain_reserve(parent->depth + n + 1)) {
		atomic64_inc(&eacct_stats.mirror_errors);
		return parent;
	}
	missing = (struct cgroup **)eacct_chain;
	for (i = 0, pos = top; i < n; i++, pos = cgroup_parent(pos))
		missing[i] = pos;

	while (n--) {
		cg = eacct_cgroup_create(missing[n], parent, reap);
		if (IS_ERR(cg)) {
			atomic64_inc(&eacct_stats.mirror_errors);
			break;
		}
		parent = cg;
	}
	return parent;
}

/**
 * eacct_cgroup_charge() - add a charge to an entry and its ancestors
 * @cg: the entry charged
 * @class: EACCT_CLASS_*
 * @energy_uj: energy
 * @carbon_ug: carbon
 *
 * Root first, then down to @cg: a reader that reads a child before its
 * parent never sees the child above the parent.
 *
 * Context: eacct_write_mutex and eacct_mutex held.
 */
void eacct_cgroup_charge(struct eacct_cgroup *cg, unsigned int class,
			 u64 energy_uj, u64 carbon_ug)
{
	struct eacct_cgroup **chain = (struct eacct_cgroup **)eacct_chain;
	unsigned int n = 0;

	for (; cg; cg = cg->parent)
		chain[n++] = cg;
	while (n--) {
		atomic64_add(energy_uj, &chain[n]->energy_uj[class]);
		atomic64_add(carbon_ug, &chain[n]->carbon_ug);
		/* A reader that sees a child's new value sees its parent's. */
		smp_mb__after_atomic();
	}
}

/*
 * Drop removed entries past their retention, or beyond retain_max, oldest
 * first. An entry whose children are still kept waits for them.
 */
static void eacct_cgroup_expire(struct list_head *reap)
{
	unsigned long keep = (unsigned long)eacct_retain_secs * HZ;
	struct eacct_cgroup *cg, *tmp;
	bool progress = true;

	mutex_lock(&eacct_mutex);
	while (progress) {
		progress = false;
		list_for_each_entry_safe(cg, tmp, &eacct_removed_list,
					 removed_node) {
			if (!list_empty(&cg->children))
				continue;
			if (eacct_nr_removed <= eacct_retain_max &&
			    time_before(jiffies, cg->removed_at + keep))
				continue;
			eacct_cgroup_evict(cg, reap);
			progress = true;
		}
		cond_resched();
	}
	mutex_unlock(&eacct_mutex);
}

/**
 * eacct_cgroup_sync() - notice removed cgroups, retire and expire entries
 * @reap: entries to delete once eacct_mutex is free
 *
 * One flag test per entry: the cgroup references make it O(1) each.
 *
 * Context: eacct_write_mutex held.
 */
void eacct_cgroup_sync(struct list_head *reap)
{
	struct eacct_cgroup *cg;
	unsigned int n = 0;
	int bkt;

	lockdep_assert_held(&eacct_write_mutex);
	hash_for_each(eacct_cgroup_hash, bkt, cg, hash_node) {
		if (cg == eacct_root)
			continue;
		if (!cg->removed && eacct_cgroup_gone(cg->cgrp))
			eacct_cgroup_mark_removed(cg);
		if (cg->removed && cg->place != EACCT_RETIRED)
			eacct_cgroup_retire(cg);
		if (!(++n % 1024))
			cond_resched();
	}
	eacct_cgroup_expire(reap);
}

/**
 * eacct_cgroup_path() - the cgroup's path under the cgroup2 mount
 * @cg: the entry
 * @top_id: 0, or the id of the cgroup the path is to be relative to
 * @buf: where to write it
 * @len: size of @buf
 *
 * Context: eacct_mutex held (or the entry otherwise pinned).
 * Return: 0; -ENOENT when @top_id is not an ancestor of @cg (or @cg);
 * -ENAMETOOLONG when the path does not fit.
 */
int eacct_cgroup_path(struct eacct_cgroup *cg, u64 top_id, char *buf,
		      size_t len)
{
	size_t pos = len, n;

	if (len < 2)
		return -ENAMETOOLONG;
	buf[--pos] = '\0';
	for (; cg->parent && cg->id != top_id; cg = cg->parent) {
		n = strlen(cg->name);
		if (pos < n + 1)
			return -ENAMETOOLONG;
		pos -= n;
		memcpy(buf + pos, cg->name, n);
		buf[--pos] = '/';
	}
	if (top_id && cg->id != top_id)
		return -ENOENT;
	if (pos == len - 1)
		buf[--pos] = '/';
	memmove(buf, buf + pos, len - pos);
	return 0;
}

unsigned int eacct_cgroup_count(void)
{
	return READ_ONCE(eacct_nr_cgroups);
}

unsigned int eacct_cgroup_removed_count(void)
{
	return READ_ONCE(eacct_nr_removed);
}

/**
 * eacct_cgroup_init() - the cache, removed/ and the root's entry
 *
 * Return: 0 or -errno. On failure the cache may remain: the caller
 * destroys it once released kobjects are waited for.
 */
int eacct_cgroup_init(void)
{
	int err;

	eacct_cgroup_cache = KMEM_CACHE(eacct_cgroup, SLAB_ACCOUNT);
	if (!eacct_cgroup_cache)
		return -ENOMEM;
	err = eacct_chain_reserve(64);
	if (err)
		goto err_cache;
	eacct_removed_kobj = kobject_create_and_add("removed", &eacct_kset->kobj);
	if (!eacct_removed_kobj) {
		err = -ENOMEM;
		goto err_chain;
	}
	eacct_root = kmem_cache_zalloc(eacct_cgroup_cache, GFP_KERNEL);
	if (!eacct_root) {
		err = -ENOMEM;
		goto err_removed;
	}
	/* The real root, whatever cgroup namespace loads the module. */
	eacct_root->cgrp = &cgrp_dfl_root.cgrp;
	eacct_cgroup_init_entry(eacct_root, cgroup_id(eacct_root->cgrp));
	eacct_root->name = NULL;	/* it has no name of its own */
	eacct_root->path_len = sizeof("/kernel/eacct/cgroups") - 1;
	err = kobject_add(&eacct_root->kobj, &eacct_kset->kobj, "cgroups");
	if (err) {
		kobject_put(&eacct_root->kobj);
		goto err_removed;
	}
	hash_add(eacct_cgroup_hash, &eacct_root->hash_node, eacct_root->id);
	eacct_nr_cgroups = 1;
	return 0;

err_removed:
	kobject_put(eacct_removed_kobj);
err_chain:
	kvfree(eacct_chain);
	eacct_chain = NULL;
	eacct_chain_cap = 0;
err_cache:
	/* Callers wait for released kobjects before the cache goes. */
	return err;
}

/**
 * eacct_cgroup_exit() - tear the whole tree down, leaves first
 *
 * Called with eacct_write_mutex held. The cache itself goes in
 * eacct_cgroup_destroy_cache(), once every entry's release has run.
 */
void eacct_cgroup_exit(void)
{
	struct eacct_cgroup *cg = eacct_root, *parent;
	LIST_HEAD(reap);

	mutex_lock(&eacct_mutex);
	while (cg) {
		if (!list_empty(&cg->children)) {
			cg = list_first_entry(&cg->children,
					      struct eacct_cgroup, sibling);
			continue;
		}
		parent = cg->parent;
		eacct_cgroup_unlink(cg, &reap);
		cg = parent;
		cond_resched();
	}
	eacct_forgotten_clear();
	mutex_unlock(&eacct_mutex);
	eacct_cgroup_reap(&reap);
	eacct_root = NULL;
	kobject_put(eacct_removed_kobj);
	kvfree(eacct_chain);
	eacct_chain = NULL;
	eacct_chain_cap = 0;
}

/**
 * eacct_cgroup_destroy_cache() - the entries' slab cache, once all are freed
 *
 * Called at exit after eacct_cgroup_exit() and once every release has run.
 */
void eacct_cgroup_destroy_cache(void)
{
	kmem_cache_destroy(eacct_cgroup_cache);
	eacct_cgroup_cache = NULL;
}
