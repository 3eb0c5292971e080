// SPDX-License-Identifier: GPL-2.0
/*
 * The cgroup v2 tree mirrored under /sys/kernel/eacct/cgroups.
 *
 * A cgroup gets an entry the first time a batch names it, together with
 * every ancestor that has none yet. Counters are hierarchical: a charge is
 * added to the cgroup and to each of its ancestors at ingest, so a read is
 * one atomic load whatever the size of the tree. The periodic sync follows
 * renames and notices removals; removed cgroups stay readable for
 * retain_secs, at most retain_max of them, oldest evicted first.
 *
 * Budgets: a carbon budget (budget_ug) and an energy budget
 * (energy_budget_uj), each on the hierarchical counter; budget_exceeded is
 * 1 while either is passed. Every cgroup with a budget has a link in
 * /sys/kernel/eacct/budgets/<id>, so that its enforcer finds them all
 * without reading the whole tree.
 */
#include <linux/capability.h>
#include <linux/cgroup.h>
#include <linux/hashtable.h>
#include <linux/jiffies.h>
#include <linux/kernfs.h>
#include <linux/limits.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "eacct.h"

#define EACCT_CGROUP_HASH_BITS 12

static DEFINE_HASHTABLE(eacct_cgroup_hash, EACCT_CGROUP_HASH_BITS);
static LIST_HEAD(eacct_removed_list);
static LIST_HEAD(eacct_budget_list);
static struct kmem_cache *eacct_cgroup_cache;
static struct eacct_cgroup *eacct_root;
static struct kobject *eacct_budgets_kobj;
static unsigned int eacct_nr_cgroups;
static unsigned int eacct_nr_removed;
/* Scratch space for cgroup paths, under eacct_write_mutex. */
static char eacct_name_buf[PATH_MAX];

static inline struct eacct_cgroup *to_eacct_cgroup(struct kobject *kobj)
{
	return container_of(kobj, struct eacct_cgroup, kobj);
}

static ssize_t id_show(struct kobject *kobj, struct kobj_attribute *attr,
		       char *buf)
{
	return sysfs_emit(buf, "%llu\n", to_eacct_cgroup(kobj)->id);
}

static u64 eacct_cgroup_energy(struct eacct_cgroup *cg)
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

static ssize_t budget_ug_show(struct kobject *kobj,
			      struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", READ_ONCE(to_eacct_cgroup(kobj)->budget_ug));
}

static ssize_t energy_budget_uj_show(struct kobject *kobj,
				     struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  READ_ONCE(to_eacct_cgroup(kobj)->energy_budget_uj));
}

static const char *const eacct_action_names[] = {
	[EACCT_ACTION_NOTIFY] = "notify",
	[EACCT_ACTION_THROTTLE] = "throttle",
	[EACCT_ACTION_FREEZE] = "freeze",
};

/* "notify", "throttle=PCT" or "freeze" into @buf (at least 16 bytes). */
static void eacct_action_str(const struct eacct_cgroup *cg, char *buf, size_t len)
{
	u8 action = READ_ONCE(cg->budget_action);

	if (action == EACCT_ACTION_THROTTLE)
		snprintf(buf, len, "throttle=%u", READ_ONCE(cg->throttle_pct));
	else
		snprintf(buf, len, "%s", eacct_action_names[action]);
}

static void eacct_cgroup_check_budget(struct eacct_cgroup *cg)
{
	char id_env[48], state_env[32], event_env[32], action_env[48];
	char action[16];
	char *envp[5];
	bool exceeded;

	lockdep_assert_held(&eacct_mutex);
	exceeded = (cg->budget_ug &&
		    (u64)atomic64_read(&cg->carbon_ug) > cg->budget_ug) ||
		   (cg->energy_budget_uj &&
		    eacct_cgroup_energy(cg) > cg->energy_budget_uj);
	if (exceeded == cg->budget_exceeded)
		return;
	WRITE_ONCE(cg->budget_exceeded, exceeded);

	/* Wake poll()ers of budget_exceeded, then tell udev listeners. */
	sysfs_notify(&cg->kobj, NULL, "budget_exceeded");
	eacct_action_str(cg, action, sizeof(action));
	snprintf(event_env, sizeof(event_env), "EACCT_EVENT=budget");
	snprintf(id_env, sizeof(id_env), "EACCT_CGROUP_ID=%llu", cg->id);
	snprintf(state_env, sizeof(state_env), "EACCT_BUDGET_EXCEEDED=%d",
		 exceeded);
	snprintf(action_env, sizeof(action_env), "EACCT_BUDGET_ACTION=%s", action);
	envp[0] = event_env;
	envp[1] = id_env;
	envp[2] = state_env;
	envp[3] = action_env;
	envp[4] = NULL;
	kobject_uevent_env(&cg->kobj, KOBJ_CHANGE, envp);
}

/*
 * After a budget changed: the budget list and the budgets/<id> link
 * follow whether @cg has a budget, then the flag is checked anew.
 */
static void eacct_cgroup_budget_changed(struct eacct_cgroup *cg)
{
	bool has = cg->budget_ug || cg->energy_budget_uj;
	char name[24];

	lockdep_assert_held(&eacct_mutex);
	snprintf(name, sizeof(name), "%llu", cg->id);
	if (has && list_empty(&cg->budget_node)) {
		list_add_tail(&cg->budget_node, &eacct_budget_list);
		if (!sysfs_create_link(eacct_budgets_kobj, &cg->kobj, name))
			cg->budget_linked = true;
		else
			atomic64_inc(&eacct_stats.mirror_errors);
	} else if (!has && !list_empty(&cg->budget_node)) {
		list_del_init(&cg->budget_node);
		if (cg->budget_linked)
			sysfs_remove_link(eacct_budgets_kobj, name);
		cg->budget_linked = false;
	}
	eacct_cgroup_check_budget(cg);
}

/* A budget file's write: a decimal u64, 0 for none. */
static ssize_t eacct_budget_store(struct kobject *kobj, u64 *field,
				  const char *buf, size_t count)
{
	struct eacct_cgroup *cg = to_eacct_cgroup(kobj);
	u64 budget;
	int err;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	err = kstrtou64(buf, 10, &budget);
	if (err)
		return err;

	mutex_lock(&eacct_mutex);
	if (cg->dead) {
		mutex_unlock(&eacct_mutex);
		return -ENODEV;
	}
	WRITE_ONCE(*field, budget);
	eacct_cgroup_budget_changed(cg);
	mutex_unlock(&eacct_mutex);
	return count;
}

static ssize_t budget_ug_store(struct kobject *kobj,
			       struct kobj_attribute *attr,
			       const char *buf, size_t count)
{
	return eacct_budget_store(kobj, &to_eacct_cgroup(kobj)->budget_ug, buf, count);
}

static ssize_t energy_budget_uj_store(struct kobject *kobj,
				      struct kobj_attribute *attr,
				      const char *buf, size_t count)
{
	return eacct_budget_store(kobj, &to_eacct_cgroup(kobj)->energy_budget_uj,
				  buf, count);
}

static ssize_t budget_action_show(struct kobject *kobj,
				  struct kobj_attribute *attr, char *buf)
{
	char action[16];

	eacct_action_str(to_eacct_cgroup(kobj), action, sizeof(action));
	return sysfs_emit(buf, "%s\n", action);
}

static ssize_t budget_action_store(struct kobject *kobj,
				   struct kobj_attribute *attr,
				   const char *buf, size_t count)
{
	struct eacct_cgroup *cg = to_eacct_cgroup(kobj);
	u8 action, pct = 0;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (sysfs_streq(buf, "notify"))
		action = EACCT_ACTION_NOTIFY;
	else if (sysfs_streq(buf, "freeze"))
		action = EACCT_ACTION_FREEZE;
	else if (!strncmp(buf, "throttle=", 9) && !kstrtou8(buf + 9, 10, &pct) &&
		 pct >= 1 && pct <= 99)
		action = EACCT_ACTION_THROTTLE;
	else
		return -EINVAL;

	mutex_lock(&eacct_mutex);
	if (cg->dead) {
		mutex_unlock(&eacct_mutex);
		return -ENODEV;
	}
	WRITE_ONCE(cg->throttle_pct, pct);
	WRITE_ONCE(cg->budget_action, action);
	mutex_unlock(&eacct_mutex);
	return count;
}

static ssize_t budget_exceeded_show(struct kobject *kobj,
				    struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n",
			  READ_ONCE(to_eacct_cgroup(kobj)->budget_exceeded));
}

static ssize_t removed_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(to_eacct_cgroup(kobj)->removed));
}

static struct kobj_attribute eacct_attr_id = __ATTR_RO(id);
static struct kobj_attribute eacct_attr_energy_uj = __ATTR_RO(energy_uj);
static struct kobj_attribute eacct_attr_cpu_energy_uj = __ATTR_RO(cpu_energy_uj);
static struct kobj_attribute eacct_attr_dram_energy_uj = __ATTR_RO(dram_energy_uj);
static struct kobj_attribute eacct_attr_gpu_energy_uj = __ATTR_RO(gpu_energy_uj);
static struct kobj_attribute eacct_attr_carbon_ug = __ATTR_RO(carbon_ug);
static struct kobj_attribute eacct_attr_budget_ug = __ATTR_RW(budget_ug);
static struct kobj_attribute eacct_attr_energy_budget_uj = __ATTR_RW(energy_budget_uj);
static struct kobj_attribute eacct_attr_budget_action = __ATTR_RW(budget_action);
static struct kobj_attribute eacct_attr_budget_exceeded = __ATTR_RO(budget_exceeded);
static struct kobj_attribute eacct_attr_removed = __ATTR_RO(removed);

static struct attribute *eacct_cgroup_attrs[] = {
	&eacct_attr_id.attr,
	&eacct_attr_energy_uj.attr,
	&eacct_attr_cpu_energy_uj.attr,
	&eacct_attr_dram_energy_uj.attr,
	&eacct_attr_gpu_energy_uj.attr,
	&eacct_attr_carbon_ug.attr,
	&eacct_attr_budget_ug.attr,
	&eacct_attr_energy_budget_uj.attr,
	&eacct_attr_budget_action.attr,
	&eacct_attr_budget_exceeded.attr,
	&eacct_attr_removed.attr,
	NULL,
};

static const struct attribute_group eacct_cgroup_group = {
	.attrs = eacct_cgroup_attrs,
	.is_visible = eacct_attr_visible,
};

static const struct attribute_group *eacct_cgroup_groups[] = {
	&eacct_cgroup_group,
	NULL,
};

static void eacct_cgroup_release(struct kobject *kobj)
{
	kmem_cache_free(eacct_cgroup_cache, to_eacct_cgroup(kobj));
}

static const struct kobj_type eacct_cgroup_ktype = {
	.release = eacct_cgroup_release,
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = eacct_cgroup_groups,
};

struct eacct_cgroup *eacct_cgroup_find(u64 id)
{
	struct eacct_cgroup *cg;

	hash_for_each_possible(eacct_cgroup_hash, cg, hash_node, id)
		if (cg->id == id)
			return cg;
	return NULL;
}

/* The last component of the cgroup's path, in eacct_name_buf. */
static const char *eacct_cgroup_name(struct cgroup *cgrp)
{
	int len;

	lockdep_assert_held(&eacct_write_mutex);
	len = kernfs_path_from_node(cgrp->kn, NULL, eacct_name_buf,
				    sizeof(eacct_name_buf));
	if (len < 0)
		return ERR_PTR(len);
	if (len >= sizeof(eacct_name_buf))
		return ERR_PTR(-ENAMETOOLONG);
	return strrchr(eacct_name_buf, '/') + 1;
}

static int eacct_cgroup_rename(struct eacct_cgroup *cg, const char *name)
{
	int err;

	/* eacct_cgroup_path() reads names under eacct_mutex. */
	mutex_lock(&eacct_mutex);
	err = kobject_rename(&cg->kobj, name);
	mutex_unlock(&eacct_mutex);
	return err;
}

/*
 * Give up @name under @parent: a sibling still holding it is either a
 * removed cgroup kept for retention or one renamed since the last sync.
 * It moves to "<name>@<id>"; the sync renames a live one again later.
 * Returns 1 if @name is one of our attribute files ("energy_uj" is a valid
 * cgroup name): the caller then uses "<name>@<id>" for its own entry.
 */
static int eacct_cgroup_make_room(struct eacct_cgroup *parent,
				  const char *name)
{
	struct kernfs_node *kn;
	struct eacct_cgroup *sib;
	char *new_name;
	int err;

	/* The common case, no such name, costs one rbtree lookup. */
	kn = sysfs_get_dirent(parent->kobj.sd, name);
	if (!kn)
		return 0;
	sysfs_put(kn);

	list_for_each_entry(sib, &parent->children, sibling) {
		if (strcmp(kobject_name(&sib->kobj), name))
			continue;
		new_name = kasprintf(GFP_KERNEL, "%.200s@%llu", name, sib->id);
		if (!new_name)
			return -ENOMEM;
		err = eacct_cgroup_rename(sib, new_name);
		kfree(new_name);
		return err;
	}
	return 1;
}

/* Add one entry under @parent; it is linked at once and put on @pending. */
static int eacct_cgroup_create(struct cgroup *cgrp,
			       struct eacct_cgroup *parent,
			       struct list_head *pending)
{
	struct eacct_cgroup *cg;
	const char *name;
	int err, taken;

	if (eacct_nr_cgroups >= eacct_max_cgroups)
		return -ENOSPC;
	name = eacct_cgroup_name(cgrp);
	if (IS_ERR(name))
		return PTR_ERR(name);
	taken = eacct_cgroup_make_room(parent, name);
	if (taken < 0)
		return taken;

	cg = kmem_cache_zalloc(eacct_cgroup_cache, GFP_KERNEL);
	if (!cg)
		return -ENOMEM;
	INIT_LIST_HEAD(&cg->sibling);
	INIT_LIST_HEAD(&cg->children);
	INIT_LIST_HEAD(&cg->removed_node);
	INIT_LIST_HEAD(&cg->budget_node);
	cg->id = cgroup_id(cgrp);
	cg->parent = parent;
	cg->kobj.kset = eacct_kset;
	if (taken)
		err = kobject_init_and_add(&cg->kobj, &eacct_cgroup_ktype,
					   &parent->kobj, "%.200s@%llu", name,
					   cg->id);
	else
		err = kobject_init_and_add(&cg->kobj, &eacct_cgroup_ktype,
					   &parent->kobj, "%s", name);
	if (err) {
		atomic64_inc(&eacct_stats.mirror_errors);
		kobject_put(&cg->kobj);
		return err;
	}

	mutex_lock(&eacct_mutex);
	hash_add(eacct_cgroup_hash, &cg->hash_node, cg->id);
	list_add_tail(&cg->sibling, &parent->children);
	eacct_nr_cgroups++;
	mutex_unlock(&eacct_mutex);
	list_add_tail(&cg->pending_node, pending);
	return 0;
}

/*
 * Make sure the cgroup @id and all its ancestors have entries. New entries
 * go on @pending, parents first, until eacct_cgroup_commit() keeps them or
 * eacct_cgroup_abort() drops them.
 */
int eacct_cgroup_prepare(u64 id, struct list_head *pending)
{
	struct cgroup *cgrp, *top;
	struct eacct_cgroup *parent;
	int err = 0;

	lockdep_assert_held(&eacct_write_mutex);
	if (eacct_cgroup_find(id))
		return 0;
	cgrp = cgroup_get_from_id(id);
	if (IS_ERR_OR_NULL(cgrp))
		return -ENOENT;

	/* The root has an entry from the start, so each walk ends. */
	while (!err && !eacct_cgroup_find(id)) {
		top = cgrp;
		while (!(parent = eacct_cgroup_find(cgroup_id(cgroup_parent(top)))))
			top = cgroup_parent(top);
		err = eacct_cgroup_create(top, parent, pending);
	}
	cgroup_put(cgrp);
	return err;
}

void eacct_cgroup_commit(struct list_head *pending)
{
	struct eacct_cgroup *cg, *tmp;

	list_for_each_entry_safe(cg, tmp, pending, pending_node)
		list_del_init(&cg->pending_node);
}

/* Unlink a childless entry; it goes on @reap for eacct_cgroup_reap(). */
static void eacct_cgroup_unlink(struct eacct_cgroup *cg, struct list_head *reap)
{
	lockdep_assert_held(&eacct_mutex);
	WARN_ON(!list_empty(&cg->children));
	cg->dead = true;
	hash_del(&cg->hash_node);
	list_del_init(&cg->sibling);
	list_del_init(&cg->budget_node);
	if (cg->removed) {
		list_del_init(&cg->removed_node);
		eacct_nr_removed--;
	}
	eacct_nr_cgroups--;
	list_add_tail(&cg->pending_node, reap);
}

void eacct_cgroup_abort(struct list_head *pending, struct list_head *reap)
{
	struct eacct_cgroup *cg, *tmp;

	mutex_lock(&eacct_mutex);
	list_for_each_entry_safe_reverse(cg, tmp, pending, pending_node) {
		list_del_init(&cg->pending_node);
		eacct_cgroup_unlink(cg, reap);
	}
	mutex_unlock(&eacct_mutex);
}

/* Delete unlinked entries, children first; eacct_mutex must not be held. */
void eacct_cgroup_reap(struct list_head *reap)
{
	struct eacct_cgroup *cg, *tmp;

	char name[24];

	list_for_each_entry_safe(cg, tmp, reap, pending_node) {
		list_del(&cg->pending_node);
		if (cg->budget_linked) {
			snprintf(name, sizeof(name), "%llu", cg->id);
			sysfs_remove_link(eacct_budgets_kobj, name);
		}
		kobject_del(&cg->kobj);
		kobject_put(&cg->kobj);
	}
}

void eacct_cgroup_charge(struct eacct_cgroup *cg, unsigned int class,
			 u64 energy_uj, u64 carbon_ug)
{
	for (; cg; cg = cg->parent) {
		atomic64_add(energy_uj, &cg->energy_uj[class]);
		atomic64_add(carbon_ug, &cg->carbon_ug);
	}
}

void eacct_cgroup_check_budgets(void)
{
	struct eacct_cgroup *cg;

	list_for_each_entry(cg, &eacct_budget_list, budget_node)
		eacct_cgroup_check_budget(cg);
}

/* Follow a rename of the cgroup, or notice that it is gone. */
static void eacct_cgroup_sync_one(struct eacct_cgroup *cg)
{
	struct cgroup *cgrp = cgroup_get_from_id(cg->id);
	const char *name;
	int err;

	if (IS_ERR_OR_NULL(cgrp)) {
		mutex_lock(&eacct_mutex);
		WRITE_ONCE(cg->removed, true);
		cg->removed_at = jiffies;
		list_add_tail(&cg->removed_node, &eacct_removed_list);
		eacct_nr_removed++;
		mutex_unlock(&eacct_mutex);
		return;
	}
	name = eacct_cgroup_name(cgrp);
	if (!IS_ERR(name) && strcmp(name, kobject_name(&cg->kobj))) {
		err = eacct_cgroup_make_room(cg->parent, name);
		if (!err)
			err = eacct_cgroup_rename(cg, name);
		if (err < 0)
			atomic64_inc(&eacct_stats.mirror_errors);
	}
	cgroup_put(cgrp);
}

/*
 * Drop removed entries past their retention, or beyond retain_max, oldest
 * first. An entry whose children are still kept waits for them.
 */
static void eacct_cgroup_expire(struct list_head *reap)
{
	unsigned long keep = msecs_to_jiffies(eacct_retain_secs * 1000UL);
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
			eacct_cgroup_unlink(cg, reap);
			progress = true;
		}
	}
	mutex_unlock(&eacct_mutex);
}

void eacct_cgroup_sync(struct list_head *reap)
{
	struct eacct_cgroup *cg;
	int bkt;

	lockdep_assert_held(&eacct_write_mutex);
	hash_for_each(eacct_cgroup_hash, bkt, cg, hash_node)
		if (cg != eacct_root && !cg->removed)
			eacct_cgroup_sync_one(cg);
	eacct_cgroup_expire(reap);
}

/* The mirrored path of @cg, "/" for the root; under eacct_mutex. */
int eacct_cgroup_path(struct eacct_cgroup *cg, char *buf, size_t len)
{
	size_t pos = len, n;

	if (len < 2)
		return -ENAMETOOLONG;
	buf[--pos] = '\0';
	if (!cg->parent)
		buf[--pos] = '/';
	for (; cg->parent; cg = cg->parent) {
		n = strlen(kobject_name(&cg->kobj));
		if (pos < n + 1)
			return -ENAMETOOLONG;
		pos -= n;
		memcpy(buf + pos, kobject_name(&cg->kobj), n);
		buf[--pos] = '/';
	}
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

int eacct_cgroup_init(void)
{
	struct cgroup *root;
	int err;

	eacct_cgroup_cache = KMEM_CACHE(eacct_cgroup, 0);
	if (!eacct_cgroup_cache)
		return -ENOMEM;
	eacct_budgets_kobj = kobject_create_and_add("budgets", &eacct_kset->kobj);
	if (!eacct_budgets_kobj) {
		err = -ENOMEM;
		goto err_cache;
	}

	root = cgroup_get_from_path("/");
	if (IS_ERR_OR_NULL(root)) {
		err = root ? PTR_ERR(root) : -ENOENT;
		goto err_cache;
	}
	eacct_root = kmem_cache_zalloc(eacct_cgroup_cache, GFP_KERNEL);
	if (!eacct_root) {
		cgroup_put(root);
		err = -ENOMEM;
		goto err_cache;
	}
	INIT_LIST_HEAD(&eacct_root->sibling);
	INIT_LIST_HEAD(&eacct_root->children);
	INIT_LIST_HEAD(&eacct_root->removed_node);
	INIT_LIST_HEAD(&eacct_root->budget_node);
	INIT_LIST_HEAD(&eacct_root->pending_node);
	eacct_root->id = cgroup_id(root);
	cgroup_put(root);
	eacct_root->kobj.kset = eacct_kset;
	err = kobject_init_and_add(&eacct_root->kobj, &eacct_cgroup_ktype,
				   &eacct_kset->kobj, "cgroups");
	if (err) {
		kobject_put(&eacct_root->kobj);
		goto err_cache;
	}
	hash_add(eacct_cgroup_hash, &eacct_root->hash_node, eacct_root->id);
	eacct_nr_cgroups = 1;
	return 0;

err_cache:
	kobject_put(eacct_budgets_kobj);
	kmem_cache_destroy(eacct_cgroup_cache);
	return err;
}

/* Tear the whole tree down, leaves first; under eacct_write_mutex. */
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
	}
	mutex_unlock(&eacct_mutex);
	eacct_cgroup_reap(&reap);
	kobject_put(eacct_budgets_kobj);
	kmem_cache_destroy(eacct_cgroup_cache);
}
