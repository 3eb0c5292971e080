// SPDX-License-Identifier: GPL-2.0
/*
 * Node totals per energy domain: /sys/kernel/eacct/domains/<name>/.
 * A domain appears the first time a batch charges it.
 */
#include <linux/kobject.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "eacct.h"

static const char *const eacct_class_prefix[EACCT_NR_CLASSES] = {
	[EACCT_CLASS_CPU] = "package",
	[EACCT_CLASS_DRAM] = "dram",
	[EACCT_CLASS_GPU] = "gpu",
};

static struct kobject *eacct_domains_kobj;
/* Under eacct_write_mutex to add; read by ingest under the same mutex. */
static struct eacct_domain *eacct_domains[EACCT_NR_CLASSES][EACCT_MAX_DOMAIN_INDEX];

static inline struct eacct_domain *to_eacct_domain(struct kobject *kobj)
{
	return container_of(kobj, struct eacct_domain, kobj);
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
	.is_visible = eacct_attr_visible,
};

static const struct attribute_group *eacct_domain_groups[] = {
	&eacct_domain_group,
	NULL,
};

static void eacct_domain_release(struct kobject *kobj)
{
	kfree(to_eacct_domain(kobj));
}

static const struct kobj_type eacct_domain_ktype = {
	.release = eacct_domain_release,
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = eacct_domain_groups,
};

/* Create the domain's directory if this is its first charge. */
int eacct_domain_prepare(u32 domain)
{
	u32 class = EACCT_DOMAIN_CLASS(domain);
	u32 index = EACCT_DOMAIN_INDEX(domain);
	struct eacct_domain *d;
	int err;

	lockdep_assert_held(&eacct_write_mutex);
	if (eacct_domains[class][index])
		return 0;
	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return -ENOMEM;
	err = kobject_init_and_add(&d->kobj, &eacct_domain_ktype,
				   eacct_domains_kobj, "%s-%u",
				   eacct_class_prefix[class], index);
	if (err) {
		kobject_put(&d->kobj);
		return err;
	}
	/*
	 * Kept even if the batch fails later: an empty domain directory is
	 * no counted energy, and the meter that names it exists.
	 */
	eacct_domains[class][index] = d;
	return 0;
}

void eacct_domain_charge(u32 domain, u64 energy_uj, u64 carbon_ug, bool idle)
{
	struct eacct_domain *d;

	d = eacct_domains[EACCT_DOMAIN_CLASS(domain)][EACCT_DOMAIN_INDEX(domain)];
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
	int class, index;

	for (class = 0; class < EACCT_NR_CLASSES; class++) {
		for (index = 0; index < EACCT_MAX_DOMAIN_INDEX; index++) {
			if (!eacct_domains[class][index])
				continue;
			kobject_put(&eacct_domains[class][index]->kobj);
			eacct_domains[class][index] = NULL;
		}
	}
	kobject_put(eacct_domains_kobj);
}
