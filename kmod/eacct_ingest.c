// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/eacct: where eacctd writes one sequenced batch per interval.
 *
 * A batch is checked whole before anything is touched, then every
 * allocation it needs is made, and only then are the counters changed,
 * which cannot fail. So a batch is applied entirely or not at all, and a
 * refused one changes nothing. Sequence numbers only go up: a writer that
 * restarts and replays its last batch gets -EALREADY instead of counting
 * the energy twice.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "eacct.h"

static bool eacct_domain_valid(u32 domain)
{
	return EACCT_DOMAIN_CLASS(domain) < EACCT_NR_CLASSES &&
	       EACCT_DOMAIN_INDEX(domain) < EACCT_MAX_DOMAIN_INDEX;
}

static int eacct_record_validate(u64 cgroup_id, u32 domain, u64 energy_uj,
				 u64 carbon_ug)
{
	if (!cgroup_id)
		return -EINVAL;
	if (!eacct_domain_valid(domain))
		return -EDOM;
	if (energy_uj > EACCT_MAX_DELTA || carbon_ug > EACCT_MAX_DELTA)
		return -ERANGE;
	return 0;
}

static const struct eacct_cgroup_record *
eacct_batch_cgroups(const struct eacct_batch_header *hdr)
{
	return (const void *)(hdr + 1);
}

static const struct eacct_process_record *
eacct_batch_processes(const struct eacct_batch_header *hdr)
{
	return (const void *)(eacct_batch_cgroups(hdr) + hdr->nr_cgroup_records);
}

/* Everything that can be checked without looking at the kernel's state. */
int eacct_batch_validate(const void *batch, size_t len)
{
	const struct eacct_batch_header *hdr = batch;
	const struct eacct_cgroup_record *cgr;
	const struct eacct_process_record *pr;
	size_t cg_bytes, pr_bytes, size;
	u32 i;
	int err;

	if (len < sizeof(*hdr))
		return -EINVAL;
	if (hdr->magic != EACCT_BATCH_MAGIC)
		return -EBADMSG;
	if (hdr->version != EACCT_BATCH_VERSION ||
	    hdr->header_size != sizeof(*hdr))
		return -EPROTONOSUPPORT;
	if (hdr->flags || hdr->reserved || !hdr->seq)
		return -EINVAL;
	if (check_mul_overflow((size_t)hdr->nr_cgroup_records, sizeof(*cgr),
			       &cg_bytes) ||
	    check_mul_overflow((size_t)hdr->nr_process_records, sizeof(*pr),
			       &pr_bytes) ||
	    check_add_overflow(cg_bytes, pr_bytes, &size) ||
	    check_add_overflow(size, sizeof(*hdr), &size) ||
	    size > EACCT_BATCH_MAX_BYTES)
		return -EMSGSIZE;
	/* Short or with trailing bytes: not the batch the header describes. */
	if (len != size)
		return -EINVAL;

	cgr = eacct_batch_cgroups(hdr);
	for (i = 0; i < hdr->nr_cgroup_records; i++) {
		if (cgr[i].flags & ~EACCT_RECORD_IDLE)
			return -EINVAL;
		if (cgr[i].flags & EACCT_RECORD_IDLE) {
			/* Idle energy belongs to no cgroup: id must be 0. */
			if (cgr[i].cgroup_id)
				return -EINVAL;
			err = eacct_record_validate(1, cgr[i].domain,
						    cgr[i].energy_uj,
						    cgr[i].carbon_ug);
		} else {
			err = eacct_record_validate(cgr[i].cgroup_id,
						    cgr[i].domain,
						    cgr[i].energy_uj,
						    cgr[i].carbon_ug);
		}
		if (err)
			return err;
	}
	pr = eacct_batch_processes(hdr);
	for (i = 0; i < hdr->nr_process_records; i++) {
		if (!pr[i].tgid ||
		    !memchr(pr[i].comm, '\0', sizeof(pr[i].comm)))
			return -EINVAL;
		err = eacct_record_validate(pr[i].cgroup_id, pr[i].domain,
					    pr[i].energy_uj, pr[i].carbon_ug);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Make every allocation the batch needs: cgroup entries first, since an
 * unknown cgroup id refuses the batch, then domains and process entries.
 */
static int eacct_batch_prepare(const struct eacct_batch_header *hdr,
			       struct list_head *pending,
			       struct list_head *spares)
{
	const struct eacct_cgroup_record *cgr = eacct_batch_cgroups(hdr);
	const struct eacct_process_record *pr = eacct_batch_processes(hdr);
	u32 i;
	int err;

	for (i = 0; i < hdr->nr_cgroup_records; i++) {
		if (cgr[i].flags & EACCT_RECORD_IDLE)
			continue;
		err = eacct_cgroup_prepare(cgr[i].cgroup_id, pending);
		if (err)
			return err;
	}
	for (i = 0; i < hdr->nr_process_records; i++) {
		err = eacct_cgroup_prepare(pr[i].cgroup_id, pending);
		if (err)
			return err;
	}
	for (i = 0; i < hdr->nr_cgroup_records; i++) {
		err = eacct_domain_prepare(cgr[i].domain);
		if (err)
			return err;
	}
	return eacct_process_prepare(pr, hdr->nr_process_records, spares);
}

/* Change the counters; nothing here can fail. */
static void eacct_batch_apply(const struct eacct_batch_header *hdr,
			      struct list_head *spares)
{
	const struct eacct_cgroup_record *cgr = eacct_batch_cgroups(hdr);
	u32 i;

	mutex_lock(&eacct_mutex);
	for (i = 0; i < hdr->nr_cgroup_records; i++) {
		bool idle = cgr[i].flags & EACCT_RECORD_IDLE;

		if (!idle)
			eacct_cgroup_charge(eacct_cgroup_find(cgr[i].cgroup_id),
					    EACCT_DOMAIN_CLASS(cgr[i].domain),
					    cgr[i].energy_uj, cgr[i].carbon_ug);
		eacct_domain_charge(cgr[i].domain, cgr[i].energy_uj,
				    cgr[i].carbon_ug, idle);
	}
	eacct_process_commit(eacct_batch_processes(hdr),
			     hdr->nr_process_records, spares);
	WRITE_ONCE(eacct_stats.last_seq, hdr->seq);
	eacct_cgroup_check_budgets();
	mutex_unlock(&eacct_mutex);
}

static int eacct_batch_ingest(const struct eacct_batch_header *hdr)
{
	LIST_HEAD(pending);
	LIST_HEAD(spares);
	LIST_HEAD(reap);
	int err;

	mutex_lock(&eacct_write_mutex);
	if (hdr->seq <= READ_ONCE(eacct_stats.last_seq)) {
		err = -EALREADY;
		goto out;
	}
	err = eacct_batch_prepare(hdr, &pending, &spares);
	if (err) {
		eacct_process_free_spares(&spares);
		eacct_cgroup_abort(&pending, &reap);
		eacct_cgroup_reap(&reap);
		goto out;
	}
	eacct_cgroup_commit(&pending);
	eacct_batch_apply(hdr, &spares);
out:
	mutex_unlock(&eacct_write_mutex);
	return err;
}

static ssize_t eacct_dev_write(struct file *file, const char __user *ubuf,
			       size_t len, loff_t *ppos)
{
	void *batch;
	int err;

	/* The opener's credentials and ours: a passed fd grants nothing. */
	if (!file_ns_capable(file, &init_user_ns, CAP_SYS_ADMIN) ||
	    !capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (len > EACCT_BATCH_MAX_BYTES) {
		atomic64_inc(&eacct_stats.batches_rejected);
		return -EMSGSIZE;
	}
	batch = vmemdup_user(ubuf, len);
	if (IS_ERR(batch))
		return PTR_ERR(batch);

	err = eacct_batch_validate(batch, len);
	if (!err)
		err = eacct_batch_ingest(batch);
	kvfree(batch);
	if (err) {
		atomic64_inc(&eacct_stats.batches_rejected);
		return err;
	}
	atomic64_inc(&eacct_stats.batches_applied);
	return len;
}

static int eacct_dev_open(struct inode *inode, struct file *file)
{
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	return nonseekable_open(inode, file);
}

static const struct file_operations eacct_dev_fops = {
	.owner = THIS_MODULE,
	.open = eacct_dev_open,
	.write = eacct_dev_write,
};

static struct miscdevice eacct_miscdev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "eacct",
	.fops = &eacct_dev_fops,
	.mode = 0600,
};

int eacct_ingest_init(void)
{
	return misc_register(&eacct_miscdev);
}

void eacct_ingest_exit(void)
{
	misc_deregister(&eacct_miscdev);
}
