// SPDX-License-Identifier: GPL-2.0
/*
 * Budgets on mirrored cgroups: a carbon budget (budget_ug) and an energy
 * budget (energy_budget_uj), each on the hierarchical counter;
 * budget_exceeded is 1 while either is passed, and budget_action says what
 * the enforcer (eacctd) is to do then.
 *
 * Every cgroup with a budget has a link /sys/kernel/eacct/budgets/<id>, so
 * that its enforcer finds them all without reading the whole tree. When
 * budget_exceeded changes, the file is notified (poll() wakes) and a
 * KOBJ_CHANGE uevent goes out for budgets/ itself, naming the cgroup by
 * id: its size never depends on the names or depth a tenant chooses.
 */
#include <linux/capability.h>
#include <linux/kobject.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "eacct.h"

static LIST_HEAD(eacct_budget_list);
static struct kobject *eacct_budgets_kobj;

#define EACCT_ACTION(word)	((word) & 0xff)
#define EACCT_ACTION_PCT(word)	(((word) >> 8) & 0x7f)

/* "notify", "throttle=PCT" or "freeze", from one read of the word. */
static void eacct_action_str(const struct eacct_cgroup *cg, char *buf,
			     size_t len)
{
	u32 word = READ_ONCE(cg->budget_action);

	switch (EACCT_ACTION(word)) {
	case EACCT_ACTION_THROTTLE:
		snprintf(buf, len, "throttle=%u", EACCT_ACTION_PCT(word));
		break;
	case EACCT_ACTION_FREEZE:
		snprintf(buf, len, "freeze");
		break;
	default:
		snprintf(buf, len, "notify");
		break;
	}
}

/* Set budget_exceeded anew; wake pollers and tell udev if it changed. */
static void eacct_budget_check(struct eacct_cgroup *cg)
{
	char id_env[48], state_env[32], action_env[48];
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

	sysfs_notify(&cg->kobj, NULL, "budget_exceeded");
	eacct_action_str(cg, action, sizeof(action));
	snprintf(id_env, sizeof(id_env), "EACCT_CGROUP_ID=%llu", cg->id);
	snprintf(state_env, sizeof(state_env), "EACCT_BUDGET_EXCEEDED=%d",
		 exceeded);
	snprintf(action_env, sizeof(action_env), "EACCT_BUDGET_ACTION=%s",
		 action);
	envp[0] = "EACCT_EVENT=budget";
	envp[1] = id_env;
	envp[2] = state_env;
	envp[3] = action_env;
	envp[4] = NULL;
	kobject_uevent_env(eacct_budgets_kobj, KOBJ_CHANGE, envp);
}

/**
 * eacct_budget_check_all() - budget_exceeded of every cgroup with a budget
 *
 * Context: eacct_mutex held; after a batch is applied.
 */
void eacct_budget_check_all(void)
{
	struct eacct_cgroup *cg;
	unsigned int n = 0;

	list_for_each_entry(cg, &eacct_budget_list, budget_node) {
		eacct_budget_check(cg);
		if (!(++n % 256))
			cond_resched();
	}
}

/*
 * After a budget changed: the budget list and the budgets/<id> link
 * follow whether @cg has a budget, then the flag is checked anew.
 */
static void eacct_budget_changed(struct eacct_cgroup *cg)
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
	eacct_budget_check(cg);
}

/**
 * eacct_budget_forget() - take an entry off the budget list
 * @cg: an entry being unlinked
 *
 * Its link goes in eacct_budget_unlink(), once eacct_mutex is dropped.
 *
 * Context: eacct_mutex held.
 */
void eacct_budget_forget(struct eacct_cgroup *cg)
{
	lockdep_assert_held(&eacct_mutex);
	list_del_init(&cg->budget_node);
}

/**
 * eacct_budget_unlink() - remove the budgets/<id> link of a dead entry
 * @cg: an entry unlinked by eacct_cgroup_unlink()
 */
void eacct_budget_unlink(struct eacct_cgroup *cg)
{
	char name[24];

	if (!cg->budget_linked)
		return;
	snprintf(name, sizeof(name), "%llu", cg->id);
	sysfs_remove_link(eacct_budgets_kobj, name);
	cg->budget_linked = false;
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
	eacct_budget_changed(cg);
	mutex_unlock(&eacct_mutex);
	return count;
}

static ssize_t budget_ug_store(struct kobject *kobj,
			       struct kobj_attribute *attr,
			       const char *buf, size_t count)
{
	return eacct_budget_store(kobj, &to_eacct_cgroup(kobj)->budget_ug, buf,
				  count);
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
	u8 pct = 0;
	u32 word;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (sysfs_streq(buf, "notify"))
		word = EACCT_ACTION_NOTIFY;
	else if (sysfs_streq(buf, "freeze"))
		word = EACCT_ACTION_FREEZE;
	else if (!strncmp(buf, "throttle=", 9) && !kstrtou8(buf + 9, 10, &pct) &&
		 pct >= 1 && pct <= 99)
		word = EACCT_ACTION_THROTTLE | (u32)pct << 8;
	else
		return -EINVAL;

	mutex_lock(&eacct_mutex);
	if (cg->dead) {
		mutex_unlock(&eacct_mutex);
		return -ENODEV;
	}
	/* One word: a reader never sees one field new and the other old. */
	WRITE_ONCE(cg->budget_action, word);
	mutex_unlock(&eacct_mutex);
	return count;
}

static ssize_t budget_exceeded_show(struct kobject *kobj,
				    struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n",
			  READ_ONCE(to_eacct_cgroup(kobj)->budget_exceeded));
}

static struct kobj_attribute eacct_attr_budget_ug = __ATTR_RW(budget_ug);
static struct kobj_attribute eacct_attr_energy_budget_uj = __ATTR_RW(energy_budget_uj);
static struct kobj_attribute eacct_attr_budget_action = __ATTR_RW(budget_action);
static struct kobj_attribute eacct_attr_budget_exceeded = __ATTR_RO(budget_exceeded);

static struct attribute *eacct_budget_attrs[] = {
	&eacct_attr_budget_ug.attr,
	&eacct_attr_energy_budget_uj.attr,
	&eacct_attr_budget_action.attr,
	&eacct_attr_budget_exceeded.attr,
	NULL,
};

/* The root cgroup's budget speaks of the node's energy: node_readable. */
static umode_t eacct_budget_attr_visible(struct kobject *kobj,
					 struct attribute *attr, int n)
{
	if (to_eacct_cgroup(kobj) == eacct_cgroup_root())
		return eacct_node_attr_visible(kobj, attr, n);
	return eacct_attr_visible(kobj, attr, n);
}

const struct attribute_group eacct_budget_group = {
	.attrs = eacct_budget_attrs,
	.is_visible = eacct_budget_attr_visible,
};

/* budgets/ is a kobject of eacct's kset, the one that sends uevents. */
static void eacct_budgets_release(struct kobject *kobj)
{
	kfree(kobj);
	eacct_kobj_released();
}

static const struct kobj_type eacct_budgets_ktype = {
	.release = eacct_budgets_release,
	.sysfs_ops = &kobj_sysfs_ops,
};

int eacct_budget_init(void)
{
	int err;

	eacct_budgets_kobj = kzalloc(sizeof(*eacct_budgets_kobj), GFP_KERNEL);
	if (!eacct_budgets_kobj)
		return -ENOMEM;
	kobject_init(eacct_budgets_kobj, &eacct_budgets_ktype);
	eacct_kobj_created();
	eacct_budgets_kobj->kset = eacct_kset;
	err = kobject_add(eacct_budgets_kobj, &eacct_kset->kobj, "budgets");
	if (err)
		kobject_put(eacct_budgets_kobj);
	return err;
}

void eacct_budget_exit(void)
{
	kobject_put(eacct_budgets_kobj);
}
