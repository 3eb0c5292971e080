// SPDX-License-Identifier: GPL-2.0
/*
 * kobjhold: a test-only module that takes a reference on the kobject of a
 * directory under /sys/kernel and drops it hold_ms later.
 *
 * It makes on a stock kernel what CONFIG_DEBUG_KOBJECT_RELEASE makes on a
 * debug one: a kobject whose release runs seconds after its owner's last
 * kobject_put(), here after the owner's module has begun to unload. The
 * owner must wait for that release before it destroys its slab cache and
 * its code goes away.
 *
 *   insmod kobjhold.ko path=eacct/cgroups/hold hold_ms=2000
 */
#include <linux/kernfs.h>
#include <linux/kobject.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/workqueue.h>

static char *path = "";
module_param(path, charp, 0444);
MODULE_PARM_DESC(path, "Directory under /sys/kernel whose kobject to hold");

static unsigned int hold_ms = 2000;
module_param(hold_ms, uint, 0444);
MODULE_PARM_DESC(hold_ms, "Milliseconds to hold it");

static struct kobject *held;

static void kobjhold_put(struct work_struct *work)
{
	pr_info("kobjhold: dropping %s\n", path);
	kobject_put(held);
	held = NULL;
}

static DECLARE_DELAYED_WORK(kobjhold_work, kobjhold_put);

static int __init kobjhold_init(void)
{
	struct kernfs_node *kn, *next;
	char *copy, *rest, *name;

	copy = kstrdup(path, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	kn = kernel_kobj->sd;
	kernfs_get(kn);
	rest = copy;
	while (kn && (name = strsep(&rest, "/"))) {
		if (!*name)
			continue;
		next = sysfs_get_dirent(kn, name);
		kernfs_put(kn);
		kn = next;
	}
	kfree(copy);
	if (!kn)
		return -ENOENT;
	/* A sysfs directory's node points at its kobject. */
	if (kernfs_type(kn) != KERNFS_DIR || !kn->priv) {
		kernfs_put(kn);
		return -ENOTDIR;
	}
	held = kobject_get(kn->priv);
	kernfs_put(kn);
	schedule_delayed_work(&kobjhold_work, msecs_to_jiffies(hold_ms));
	return 0;
}

static void __exit kobjhold_exit(void)
{
	flush_delayed_work(&kobjhold_work);
}

module_init(kobjhold_init);
module_exit(kobjhold_exit);

MODULE_DESCRIPTION("Test only: hold a sysfs directory's kobject for a while");
MODULE_LICENSE("GPL");
