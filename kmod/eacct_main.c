// SPDX-License-Identifier: GPL-2.0
/*
 * eacct: per-cgroup energy and carbon accounting.
 *
 * eacctd measures and attributes energy in userspace; this module keeps
 * the books where every reader can find them: /sys/kernel/eacct/.
 */
#include <linux/atomic.h>
#include <linux/jiffies.h>
#include <linux/kobject.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/sysfs.h>
#include <linux/wait_bit.h>
#include <linux/workqueue.h>

#include "eacct.h"

/* Serialises the writers of the tree: ingest, the sync work, exit. */
DEFINE_MUTEX(eacct_write_mutex);
/* Guards the state itself; see eacct.h for the rules. */
DEFINE_MUTEX(eacct_mutex);
struct kset *eacct_kset;
struct eacct_stats eacct_stats;

bool eacct_world_readable = true;
module_param_named(world_readable, eacct_world_readable, bool, 0444);
MODULE_PARM_DESC(world_readable,
		 "Per-cgroup energy and carbon files and the process table readable by all users (default: 1)");

bool eacct_node_readable;
module_param_named(node_readable, eacct_node_readable, bool, 0444);
MODULE_PARM_DESC(node_readable,
		 "The node's energy (domains/ and the root cgroup's counters) readable by all users (default: 0)");

unsigned int eacct_retain_secs = 300;
module_param_named(retain_secs, eacct_retain_secs, uint, 0644);
MODULE_PARM_DESC(retain_secs,
		 "Seconds that removed cgroups and exited processes stay readable (default: 300)");

unsigned int eacct_retain_max = 1024;
module_param_named(retain_max, eacct_retain_max, uint, 0644);
MODULE_PARM_DESC(retain_max,
		 "Most removed cgroups kept at once, oldest dropped first (default: 1024)");

unsigned int eacct_max_cgroups = 65536;
module_param_named(max_cgroups, eacct_max_cgroups, uint, 0644);
MODULE_PARM_DESC(max_cgroups,
		 "Most cgroups tracked, removed ones included (default: 65536)");

unsigned int eacct_retain_max_processes = 1024;
module_param_named(retain_max_processes, eacct_retain_max_processes, uint, 0644);
MODULE_PARM_DESC(retain_max_processes,
		 "Most exited processes kept at once (default: 1024)");

unsigned int eacct_max_processes = 32768;
module_param_named(max_processes, eacct_max_processes, uint, 0644);
MODULE_PARM_DESC(max_processes,
		 "Most processes in /proc/eacct/processes (default: 32768)");

static unsigned int eacct_sync_ms = 1000;
module_param_named(sync_ms, eacct_sync_ms, uint, 0644);
MODULE_PARM_DESC(sync_ms,
		 "Milliseconds between checks for removed cgroups and exited processes (default: 1000)");

/**
 * eacct_attr_visible() - mode of a cgroup counter or budget file
 * @kobj: its directory
 * @attr: the file
 * @n: its index in the group
 *
 * Return: its mode, or with world_readable=0, the owner's bits alone.
 */
umode_t eacct_attr_visible(struct kobject *kobj, struct attribute *attr, int n)
{
	return eacct_world_readable ? attr->mode : attr->mode & 0600;
}

/**
 * eacct_node_attr_visible() - mode of a file of the node's own energy
 * @kobj: its directory (a domain's, or the root cgroup's)
 * @attr: the file
 * @n: its index in the group
 *
 * The node's energy, like powercap's energy_uj, is root's alone unless
 * node_readable is set (and world_readable is not cleared).
 *
 * Return: the mode.
 */
umode_t eacct_node_attr_visible(struct kobject *kobj, struct attribute *attr,
				int n)
{
	return eacct_world_readable && eacct_node_readable ?
	       attr->mode : attr->mode & 0600;
}

/*
 * The module's kobjects whose release has not run yet. A release may run
 * well after the last kobject_put() (CONFIG_DEBUG_KOBJECT_RELEASE delays
 * it by seconds, and any holder of a reference may); module exit waits
 * for them all before the slab cache and the code they call go away.
 */
static atomic_t eacct_kobj_count = ATOMIC_INIT(0);

/**
 * eacct_kobj_created() - count a kobject whose release is the module's
 */
void eacct_kobj_created(void)
{
	atomic_inc(&eacct_kobj_count);
}

/**
 * eacct_kobj_released() - called last by each such release
 */
void eacct_kobj_released(void)
{
	if (atomic_dec_and_test(&eacct_kobj_count))
		wake_up_var(&eacct_kobj_count);
}

static void eacct_kobj_wait(void)
{
	wait_var_event(&eacct_kobj_count, !atomic_read(&eacct_kobj_count));
}

static void eacct_sync_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(eacct_sync_work, eacct_sync_fn);

static void eacct_sync_fn(struct work_struct *work)
{
	LIST_HEAD(reap);

	mutex_lock(&eacct_write_mutex);
	eacct_cgroup_sync(&reap);
	eacct_cgroup_reap(&reap);
	eacct_process_sync();
	mutex_unlock(&eacct_write_mutex);
	schedule_delayed_work(&eacct_sync_work,
			      msecs_to_jiffies(max(eacct_sync_ms, 10U)));
}

static ssize_t version_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%s\n", EACCT_VERSION);
}

static ssize_t seq_show(struct kobject *kobj, struct kobj_attribute *attr,
			char *buf)
{
	return sysfs_emit(buf, "%llu\n", READ_ONCE(eacct_stats.last_seq));
}

static struct kobj_attribute eacct_attr_version = __ATTR_RO(version);
static struct kobj_attribute eacct_attr_seq = __ATTR_RO(seq);

static struct attribute *eacct_root_attrs[] = {
	&eacct_attr_version.attr,
	&eacct_attr_seq.attr,
	NULL,
};

static const struct attribute_group eacct_root_group = {
	.attrs = eacct_root_attrs,
};

#define EACCT_STAT_ATTR(_name, _expr)					\
static ssize_t _name##_show(struct kobject *kobj,			\
			    struct kobj_attribute *attr, char *buf)	\
{									\
	return sysfs_emit(buf, "%llu\n", (u64)(_expr));			\
}									\
static struct kobj_attribute eacct_stat_##_name = __ATTR_RO(_name)

EACCT_STAT_ATTR(batches_applied, atomic64_read(&eacct_stats.batches_applied));
EACCT_STAT_ATTR(batches_rejected, atomic64_read(&eacct_stats.batches_rejected));
EACCT_STAT_ATTR(cgroups, eacct_cgroup_count());
EACCT_STAT_ATTR(cgroups_removed, eacct_cgroup_removed_count());
EACCT_STAT_ATTR(processes, eacct_process_count());
EACCT_STAT_ATTR(processes_dropped, atomic64_read(&eacct_stats.processes_dropped));
EACCT_STAT_ATTR(mirror_errors, atomic64_read(&eacct_stats.mirror_errors));
EACCT_STAT_ATTR(records_unmirrored, atomic64_read(&eacct_stats.records_unmirrored));
EACCT_STAT_ATTR(records_unresolved, atomic64_read(&eacct_stats.records_unresolved));

static struct attribute *eacct_stats_attrs[] = {
	&eacct_stat_batches_applied.attr,
	&eacct_stat_batches_rejected.attr,
	&eacct_stat_cgroups.attr,
	&eacct_stat_cgroups_removed.attr,
	&eacct_stat_processes.attr,
	&eacct_stat_processes_dropped.attr,
	&eacct_stat_mirror_errors.attr,
	&eacct_stat_records_unmirrored.attr,
	&eacct_stat_records_unresolved.attr,
	NULL,
};

static const struct attribute_group eacct_stats_group = {
	.name = "stats",
	.attrs = eacct_stats_attrs,
};

static const struct attribute_group *eacct_root_groups[] = {
	&eacct_root_group,
	&eacct_stats_group,
	NULL,
};

static int __init eacct_init(void)
{
	int err;

	eacct_kset = kset_create_and_add("eacct", NULL, kernel_kobj);
	if (!eacct_kset)
		return -ENOMEM;
	err = sysfs_create_groups(&eacct_kset->kobj, eacct_root_groups);
	if (err)
		goto err_kset;
	err = eacct_domain_init();
	if (err)
		goto err_groups;
	err = eacct_budget_init();
	if (err)
		goto err_domain;
	err = eacct_cgroup_init();
	if (err)
		goto err_budget;
	err = eacct_process_init();
	if (err)
		goto err_cgroup;
	/* Last: once the device exists, batches may arrive. */
	err = eacct_ingest_init();
	if (err)
		goto err_process;
	schedule_delayed_work(&eacct_sync_work, msecs_to_jiffies(eacct_sync_ms));
	return 0;

err_process:
	eacct_process_exit();
err_cgroup:
	mutex_lock(&eacct_write_mutex);
	eacct_cgroup_exit();
	mutex_unlock(&eacct_write_mutex);
err_budget:
	eacct_budget_exit();
err_domain:
	eacct_domain_exit();
	eacct_kobj_wait();
	eacct_cgroup_destroy_cache();
err_groups:
	sysfs_remove_groups(&eacct_kset->kobj, eacct_root_groups);
err_kset:
	kset_unregister(eacct_kset);
	return err;
}

static void __exit eacct_exit(void)
{
	/* No writer can be left: an open /dev/eacct pins the module. */
	eacct_ingest_exit();
	cancel_delayed_work_sync(&eacct_sync_work);
	eacct_process_exit();
	mutex_lock(&eacct_write_mutex);
	eacct_cgroup_exit();
	mutex_unlock(&eacct_write_mutex);
	eacct_budget_exit();
	eacct_domain_exit();
	/* Releases may still be on their way: they use the cache and our code. */
	eacct_kobj_wait();
	eacct_cgroup_destroy_cache();
	sysfs_remove_groups(&eacct_kset->kobj, eacct_root_groups);
	kset_unregister(eacct_kset);
}

module_init(eacct_init);
module_exit(eacct_exit);

MODULE_DESCRIPTION("Per-cgroup energy and carbon accounting");
MODULE_AUTHOR("eacct maintainers <maintainers@users.noreply.r-seed-9259f083.example>");
MODULE_LICENSE("GPL");
MODULE_VERSION(EACCT_VERSION);
