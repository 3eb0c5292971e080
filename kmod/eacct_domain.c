// SPDX-License-Identifier: GPL-2.0
/*
 * Node totals per energy domain: /sys/kernel/eacct/domains/<name>/.
 *
 * The counters live in a fixed table, one slot per possible domain, so
 * that charging a domain never needs memory; a domain's directory appears
 * once a batch has charged it. They are the node's own energy, readable
 * by root alone unless node_readable is set.
 */
#include <linux/kobject.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "eacct.h"

static const char *const eacct_class_prefix[EACCT_NR_CLASSES] = {
	[EACCT_CLASS_CPU] = "package",
	[EACCT_CLASS_DRAM] = "dram",
	[EACCT_CLASS_GPU] = "gpu",
};

struct eacct_domain {
	atomic64_t energy_uj;		/* charged and idle */
	atomic64_t idle_uj;		/* of which no cgroup's */
	atomic64_t carbon_ug;
	struct kobject *kobj;		/* its directory, once published */
	bool charged;			/* a batch has charged it */
};

/* A domain's directory. */
struct eacct_domain_dir {
	struct kobject kobj;
	struct eacct_domain *d;
};

static struct kobject *eacct_domains_kobj;
/* Counters: atomic; the rest under eacct_write_mutex. */
static struct eacct_domain eacct_domains[EACCT_NR_CLASSES][EACCT_MAX_DOMAIN_INDEX];

static struct eacct_domain *eacct_domain_of(u32 domain)
{
	return &eacct_domains[EACCT_DOMAIN_CLASS(domain)][EACCT_DOMAIN_INDEX(domain)];
}

static inline struct eacct_domain *to_eacct_domain(struct kobject *kobj)
{
	return container_of(kobj, struct eacct_domain_dir, kobj)->d;
}

static ssize_t energy_uj_show(struct kobject *kobj,
			      struct kobj_attribute *attr, char *buf)
{
	u64 val = atomic64_read(&to_eacct_domain(kobj)->energy_uj);

	return sysfs_emit(buf, "%llu\n", val);
}

static ssize_t idle_uj_show(struct kobject *kobj,
			    struct kobj_attribute *attr, char *buf)
{
	u64 val = atomic64_read(&to_eacct_domain(kobj)->idle_uj);

	return sysfs_emit(buf, "%llu\n", val);
}

static ssize_t carbon_ug_show(struct kobject *kobj,
			      struct kobj_attribute *attr, char *buf)
{
	u64 val = atomic64_read(&to_eacct_domain(kobj)->carbon_ug);

	return sysfs_emit(buf, "%llu\n", val);
}

static struct kobj_attribute eacct_domain_energy_uj = __ATTR_RO(energy_uj);
static struct kobj_attribute eacct_domain_idle_uj = __ATTR_RO(idle_uj);
static struct kobj_attribute eacct_domain_carbon_ug = __ATTR_RO(carbon_ug);

static struct attribute *eacct_domain_attrs[] = {
	&eacct_domain_energy_uj.attr,
	&eacct_domain_idle_uj.attr,
	&eacct_domain_carbon_ug.attr,
	NULL,
};

static const struct attribute_group eacct_domain_group = {
	.attrs = eacct_domain_attrs,
	.is_visible = eacct_node_attr_visible,
};

static const struct attribute_group *eacct_domain_groups[] = {
	&eacct_domain_group,
	NULL,
};

static void eacct_domain_release(struct kobject *kobj)
{
	kfree(container_of(kobj, struct eacct_domain_dir, kobj));
	eacct_kobj_released();
}

static const struct kobj_type eacct_domain_ktype = {
	.release = eacct_domain_release,
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = eacct_domain_groups,
};

/**
 * eacct_domain_check() - would these sums overflow the domain's counters?
 * @domain: EACCT_DOMAIN(class, index), validated
 * @energy_uj: a batch's energy for it, idle included
 * @idle_uj: of which idle
 * @carbon_ug: its carbon
 *
 * Return: 0, or -EOVERFLOW.
 */
int eacct_domain_check(u32 domain, u64 energy_uj, u64 idle_uj, u64 carbon_ug)
{
	struct eacct_domain *d = eacct_domain_of(domain);
	u64 sum;

	if (check_add_overflow((u64)atomic64_read(&d->energy_uj), energy_uj, &sum) ||
	    check_add_overflow((u64)atomic64_read(&d->idle_uj), idle_uj, &sum) ||
	    check_add_overflow((u64)atomic64_read(&d->carbon_ug), carbon_ug, &sum))
		return -EOVERFLOW;
	return 0;
}

/**
 * eacct_domain_publish() - make the directories of charged domains
 *
 * Called with eacct_write_mutex held. One that cannot be made now (no
 * memory) is counted in stats/mirror_errors and tried again after the
 * next batch; its counters are kept meanwhile.
 */
void eacct_domain_publish(void)
{
	struct eacct_domain_dir *dir;
	struct eacct_domain *d;
	int class, index, err;

	lockdep_assert_held(&eacct_write_mutex);
	for (class = 0; class < EACCT_NR_CLASSES; class++) {
		for (index = 0; index < EACCT_MAX_DOMAIN_INDEX; index++) {
			d = &eacct_domains[class][index];
			if (!d->charged || d->kobj)
				continue;
			dir = kzalloc(sizeof(*dir), GFP_KERNEL_ACCOUNT);
			if (!dir) {
				atomic64_inc(&eacct_stats.mirror_errors);
				continue;
			}
			dir->d = d;
			kobject_init(&dir->kobj, &eacct_domain_ktype);
			eacct_kobj_created();
			err = kobject_add(&dir->kobj, eacct_domains_kobj, "%s-%d",
					  eacct_class_prefix[class], index);
			if (err) {
				atomic64_inc(&eacct_stats.mirror_errors);
				kobject_put(&dir->kobj);
				continue;
			}
			d->kobj = &dir->kobj;
		}
	}
}

/**
 * eacct_domain_charge() - add a record's energy and carbon to its domain
 * @domain: EACCT_DOMAIN(class, index), validated
 * @energy_uj: energy
 * @carbon_ug: carbon
 * @idle: an idle record: its energy counts in idle_uj too
 *
 * Context: eacct_mutex held.
 */
void eacct_domain_charge(u32 domain, u64 energy_uj, u64 carbon_ug, bool idle)
{
	struct eacct_domain *d = eacct_domain_of(domain);

	d->charged = true;
	atomic64_add(energy_uj, &d->energy_uj);
	if (idle)
		atomic64_add(energy_uj, &d->idle_uj);
	atomic64_add(carbon_ug, &d->carbon_ug);
}

int eacct_domain_init(void)
{
	eacct_domains_kobj = kobject_create_and_add("domains", &eacct_kset->kobj);
	return eacct_domains_kobj ? 0 : -ENOMEM;
}

void eacct_domain_exit(void)
{
	struct eacct_domain *d;
	int class, index;

	for (class = 0; class < EACCT_NR_CLASSES; class++) {
		for (index = 0; index < EACCT_MAX_DOMAIN_INDEX; index++) {
			d = &eacct_domains[class][index];
			if (d->kobj)
				kobject_put(d->kobj);
			memset(d, 0, sizeof(*d));
		}
	}
	kobject_put(eacct_domains_kobj);
}
