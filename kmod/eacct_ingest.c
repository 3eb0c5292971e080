// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/eacct: where eacctd writes one sequenced batch per interval.
 *
 * A batch goes through three steps under eacct_write_mutex:
 *
 * 1. validate the bytes without looking at the kernel's state;
 * 2. check it against the state and allocate what it needs: every cgroup
 *    id resolved, every counter it touches proven not to wrap, the
 *    process rows allocated. Nothing visible changes here, so a batch
 *    refused at this step or the first changes nothing;
 * 3. apply: mirror the cgroups new to the module, then add the deltas.
 *    Nothing in this step refuses the batch: a cgroup that cannot be
 *    mirrored has its charges land on its nearest mirrored ancestor.
 *
 * No cgroup's name, number or existence refuses a batch: an id that is
 * neither tracked, remembered nor a live cgroup (one removed before any
 * batch named it) is charged to the root, every cgroup's ancestor, and
 * counted in stats/records_unresolved.
 *
 * Sequence numbers only go up, by at most EACCT_MAX_SEQ_STEP: a writer
 * that restarts and replays its last batch gets -EALREADY instead of
 * counting the energy twice, and no batch can use the sequence up.
 */
#include <linux/bsearch.h>
#include <linux/capability.h>
#include <linux/cgroup.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "eacct.h"

/* A batch as this module reads it: known layouts, whatever was written. */
struct eacct_batch {
	struct eacct_batch_header hdr;
	const struct eacct_cgroup_record *cgr;
	const struct eacct_process_record *pr;
	void *copy;			/* records laid out anew, if they had to be */
};

/* A cgroup id of the batch that the module did not track yet. */
struct eacct_new_cgroup {
	u64 id;
	struct cgroup *cgrp;		/* referenced; NULL: no such cgroup */
	struct eacct_cgroup *entry;	/* where its charges go, once mirrored */
};

/* Sums of one batch per domain; under eacct_write_mutex, zero between batches. */
static struct {
	u64 energy_uj;
	u64 idle_uj;
	u64 carbon_ug;
	bool checked;
} eacct_domain_sums[EACCT_NR_CLASSES][EACCT_MAX_DOMAIN_INDEX];

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

/* The extensible-struct rule: bytes past what we know must be zero. */
static int eacct_check_tail(const void *p, size_t size, size_t known)
{
	return size > known && memchr_inv(p + known, 0, size - known) ? -E2BIG : 0;
}

/* A record size from the header: 0 for _VER0, else at least that. */
static int eacct_record_size(u16 field, size_t ver0, size_t *size)
{
	*size = field ? field : ver0;
	if (*size < ver0 || *size % 8)
		return -EINVAL;
	if (*size > EACCT_MAX_STRUCT_SIZE)
		return -E2BIG;
	return 0;
}

/*
 * Read a batch's layout: sizes, counts, lengths, and the records copied
 * to the known layout if the writer's are larger.
 */
static int eacct_batch_parse(const void *buf, size_t len, struct eacct_batch *b)
{
	const struct eacct_batch_header *raw = buf;
	size_t hsize, cgsize, prsize, cg_bytes, pr_bytes, size, i;
	struct eacct_process_record *pr;
	struct eacct_cgroup_record *cgr;
	const void *cgp, *prp;
	int err;

	memset(b, 0, sizeof(*b));
	if (len < EACCT_BATCH_HEADER_SIZE_VER0)
		return -EINVAL;
	if (raw->magic != EACCT_BATCH_MAGIC)
		return -EBADMSG;
	if (raw->version != EACCT_BATCH_VERSION)
		return -EPROTONOSUPPORT;
	hsize = raw->header_size;
	if (hsize < EACCT_BATCH_HEADER_SIZE_VER0 || hsize % 8 || hsize > len)
		return -EINVAL;
	if (hsize > EACCT_MAX_STRUCT_SIZE)
		return -E2BIG;
	memcpy(&b->hdr, buf, min(hsize, sizeof(b->hdr)));
	if (b->hdr.flags || !b->hdr.seq)
		return -EINVAL;
	err = eacct_record_size(b->hdr.cgroup_record_size,
				EACCT_CGROUP_RECORD_SIZE_VER0, &cgsize);
	if (!err)
		err = eacct_record_size(b->hdr.process_record_size,
					EACCT_PROCESS_RECORD_SIZE_VER0, &prsize);
	if (err)
		return err;
	if (check_mul_overflow((size_t)b->hdr.nr_cgroup_records, cgsize, &cg_bytes) ||
	    check_mul_overflow((size_t)b->hdr.nr_process_records, prsize, &pr_bytes) ||
	    check_add_overflow(cg_bytes, pr_bytes, &size) ||
	    check_add_overflow(size, hsize, &size) ||
	    size > EACCT_BATCH_MAX_BYTES)
		return -EMSGSIZE;
	/* Short or with trailing bytes: not the batch the header describes. */
	if (len != size)
		return -EINVAL;
	err = eacct_check_tail(buf, hsize, sizeof(b->hdr));
	if (err)
		return err;

	cgp = buf + hsize;
	prp = cgp + cg_bytes;
	/* The usual case: the writer's layout is ours, read in place. */
	if (cgsize == sizeof(*b->cgr) && prsize == sizeof(*b->pr)) {
		b->cgr = cgp;
		b->pr = prp;
		return 0;
	}
	for (i = 0; i < b->hdr.nr_cgroup_records; i++) {
		err = eacct_check_tail(cgp + i * cgsize, cgsize, sizeof(*b->cgr));
		if (err)
			return err;
	}
	for (i = 0; i < b->hdr.nr_process_records; i++) {
		err = eacct_check_tail(prp + i * prsize, prsize, sizeof(*b->pr));
		if (err)
			return err;
	}
	cgr = kvmalloc(b->hdr.nr_cgroup_records * sizeof(*cgr) +
		       b->hdr.nr_process_records * sizeof(*pr) + 1, GFP_KERNEL);
	if (!cgr)
		return -ENOMEM;
	pr = (void *)(cgr + b->hdr.nr_cgroup_records);
	for (i = 0; i < b->hdr.nr_cgroup_records; i++)
		memcpy(&cgr[i], cgp + i * cgsize, sizeof(*cgr));
	for (i = 0; i < b->hdr.nr_process_records; i++)
		memcpy(&pr[i], prp + i * prsize, sizeof(*pr));
	b->copy = cgr;
	b->cgr = cgr;
	b->pr = pr;
	return 0;
}

/* Everything that can be checked without looking at the kernel's state. */
static int eacct_batch_validate(const struct eacct_batch *b)
{
	const struct eacct_cgroup_record *cgr = b->cgr;
	const struct eacct_process_record *pr = b->pr;
	u32 i;
	int err;

	for (i = 0; i < b->hdr.nr_cgroup_records; i++) {
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
	for (i = 0; i < b->hdr.nr_process_records; i++) {
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

static int eacct_u64_cmp(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static int eacct_new_cmp(const void *a, const void *b)
{
	return eacct_u64_cmp(&((const struct eacct_new_cgroup *)a)->id,
			     &((const struct eacct_new_cgroup *)b)->id);
}

/*
 * Where the charges of @id go: a tracked entry, or a new cgroup's; *found
 * false for an id that names no cgroup (charged to the root).
 */
static struct eacct_cgroup *eacct_batch_target(u64 id,
					       struct eacct_new_cgroup *news,
					       size_t nr_news, bool *found)
{
	struct eacct_new_cgroup key = { .id = id }, *n;
	struct eacct_cgroup *cg = eacct_cgroup_lookup(id);

	*found = true;
	if (cg)
		return cg;
	n = bsearch(&key, news, nr_news, sizeof(*news), eacct_new_cmp);
	*found = n && n->cgrp;
	/*
	 * Resolved before, so one of the two: unless making room for a new
	 * entry evicted its own and the memory of where it went failed.
	 */
	return n && n->entry ? n->entry : eacct_cgroup_root();
}

static void eacct_news_put(struct eacct_new_cgroup *news, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++)
		if (news[i].cgrp)
			cgroup_put(news[i].cgrp);
	kvfree(news);
}

/*
 * The batch's cgroup ids that the module does not track, resolved to
 * live cgroups, each once; one that names no live cgroup keeps a NULL
 * cgroup and is charged to the root.
 */
static int eacct_batch_resolve(const struct eacct_batch *b,
			       struct eacct_new_cgroup **out, size_t *nr_out)
{
	u32 nr_cg = b->hdr.nr_cgroup_records, nr = nr_cg + b->hdr.nr_process_records;
	struct eacct_new_cgroup *news;
	size_t n = 0, k, i;
	u64 *ids, id;

	*out = NULL;
	*nr_out = 0;
	ids = kvmalloc_array(nr + 1, sizeof(*ids), GFP_KERNEL);
	if (!ids)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		if (i < nr_cg && (b->cgr[i].flags & EACCT_RECORD_IDLE))
			continue;
		id = i < nr_cg ? b->cgr[i].cgroup_id : b->pr[i - nr_cg].cgroup_id;
		if (!eacct_cgroup_lookup(id))
			ids[n++] = id;
		if (!(i % 1024))
			cond_resched();
	}
	sort(ids, n, sizeof(*ids), eacct_u64_cmp, NULL);
	for (i = 0, k = 0; i < n; i++)
		if (!k || ids[k - 1] != ids[i])
			ids[k++] = ids[i];
	n = k;
	news = n ? kvcalloc(n, sizeof(*news), GFP_KERNEL) : NULL;
	if (n && !news) {
		kvfree(ids);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		news[i].id = ids[i];
		news[i].cgrp = eacct_cgroup_get(ids[i]);
		if (!(i % 64))
			cond_resched();
	}
	kvfree(ids);
	*out = news;
	*nr_out = n;
	return 0;
}

/*
 * Would the batch wrap a counter? Every cgroup counter is at most the
 * root's (counters are hierarchical), so the root's bound them all.
 */
static int eacct_batch_check_sums(const struct eacct_batch *b)
{
	struct eacct_cgroup *root = eacct_cgroup_root();
	u64 class_sum[EACCT_NR_CLASSES] = { 0 }, carbon = 0, energy = 0, v;
	const struct eacct_cgroup_record *r;
	u32 i, c, x;
	int err = 0;

	for (i = 0; !err && i < b->hdr.nr_cgroup_records; i++) {
		r = &b->cgr[i];
		c = EACCT_DOMAIN_CLASS(r->domain);
		x = EACCT_DOMAIN_INDEX(r->domain);
		if (check_add_overflow(eacct_domain_sums[c][x].energy_uj, r->energy_uj,
				       &eacct_domain_sums[c][x].energy_uj) ||
		    check_add_overflow(eacct_domain_sums[c][x].carbon_ug, r->carbon_ug,
				       &eacct_domain_sums[c][x].carbon_ug))
			err = -EOVERFLOW;
		if (r->flags & EACCT_RECORD_IDLE) {
			eacct_domain_sums[c][x].idle_uj += r->energy_uj;
			continue;
		}
		if (check_add_overflow(class_sum[c], r->energy_uj, &class_sum[c]) ||
		    check_add_overflow(carbon, r->carbon_ug, &carbon))
			err = -EOVERFLOW;
	}
	for (c = 0; !err && c < EACCT_NR_CLASSES; c++) {
		v = atomic64_read(&root->energy_uj[c]);
		if (check_add_overflow(v, class_sum[c], &v) ||
		    check_add_overflow(energy, v, &energy))
			err = -EOVERFLOW;
	}
	if (!err && check_add_overflow((u64)atomic64_read(&root->carbon_ug), carbon, &v))
		err = -EOVERFLOW;
	/* Each domain the batch touches once; then its sums back to zero. */
	for (i = 0; i < b->hdr.nr_cgroup_records; i++) {
		c = EACCT_DOMAIN_CLASS(b->cgr[i].domain);
		x = EACCT_DOMAIN_INDEX(b->cgr[i].domain);
		if (!err && !eacct_domain_sums[c][x].checked) {
			eacct_domain_sums[c][x].checked = true;
			err = eacct_domain_check(b->cgr[i].domain,
						 eacct_domain_sums[c][x].energy_uj,
						 eacct_domain_sums[c][x].idle_uj,
						 eacct_domain_sums[c][x].carbon_ug);
		}
	}
	for (i = 0; i < b->hdr.nr_cgroup_records; i++) {
		c = EACCT_DOMAIN_CLASS(b->cgr[i].domain);
		x = EACCT_DOMAIN_INDEX(b->cgr[i].domain);
		memset(&eacct_domain_sums[c][x], 0, sizeof(eacct_domain_sums[c][x]));
	}
	return err;
}

/* Step 3: mirror the new cgroups, then add the deltas. Cannot fail. */
static void eacct_batch_apply(const struct eacct_batch *b,
			      struct eacct_new_cgroup *news, size_t nr_news,
			      struct eacct_process_batch *pb,
			      struct list_head *reap)
{
	const struct eacct_cgroup_record *r;
	u64 unmirrored = 0, unresolved = 0;
	struct eacct_cgroup *cg;
	bool found;
	size_t i;

	for (i = 0; i < nr_news; i++) {
		if (news[i].cgrp)
			news[i].entry = eacct_cgroup_mirror(news[i].cgrp, reap);
		if (!(i % 64))
			cond_resched();
	}

	mutex_lock(&eacct_mutex);
	for (i = 0; i < b->hdr.nr_cgroup_records; i++) {
		r = &b->cgr[i];
		if (!(r->flags & EACCT_RECORD_IDLE)) {
			cg = eacct_batch_target(r->cgroup_id, news, nr_news, &found);
			if (!found)
				unresolved++;
			else if (cg->id != r->cgroup_id)
				unmirrored++;
			eacct_cgroup_charge(cg, EACCT_DOMAIN_CLASS(r->domain),
					    r->energy_uj, r->carbon_ug);
		}
		eacct_domain_charge(r->domain, r->energy_uj, r->carbon_ug,
				    r->flags & EACCT_RECORD_IDLE);
		if (!(i % 1024))
			cond_resched();
	}
	eacct_process_commit(pb, b->hdr.seq);
	WRITE_ONCE(eacct_stats.last_seq, b->hdr.seq);
	eacct_budget_check_all();
	mutex_unlock(&eacct_mutex);
	atomic64_add(unmirrored, &eacct_stats.records_unmirrored);
	atomic64_add(unresolved, &eacct_stats.records_unresolved);
	eacct_domain_publish();
}

static int eacct_batch_ingest(const struct eacct_batch *b)
{
	struct eacct_process_batch *pb = NULL;
	struct eacct_new_cgroup *news = NULL;
	size_t nr_news = 0;
	LIST_HEAD(reap);
	u64 last;
	int err;

	mutex_lock(&eacct_write_mutex);
	last = READ_ONCE(eacct_stats.last_seq);
	if (b->hdr.seq <= last) {
		err = -EALREADY;
		goto out;
	}
	if (b->hdr.seq - last > EACCT_MAX_SEQ_STEP) {
		err = -ERANGE;
		goto out;
	}
	err = eacct_batch_resolve(b, &news, &nr_news);
	if (!err)
		err = eacct_batch_check_sums(b);
	if (!err)
		err = eacct_process_prepare(b->pr, b->hdr.nr_process_records, &pb);
	if (err) {
		eacct_news_put(news, nr_news);
		goto out;
	}
	eacct_batch_apply(b, news, nr_news, pb, &reap);
	eacct_news_put(news, nr_news);
	eacct_cgroup_reap(&reap);
out:
	mutex_unlock(&eacct_write_mutex);
	return err;
}

static ssize_t eacct_dev_write(struct file *file, const char __user *ubuf,
			       size_t len, loff_t *ppos)
{
	struct eacct_batch b;
	void *buf;
	int err;

	/* The opener's credentials and ours: a passed fd grants nothing. */
	if (!file_ns_capable(file, &init_user_ns, CAP_SYS_ADMIN) ||
	    !capable(CAP_SYS_ADMIN)) {
		atomic64_inc(&eacct_stats.batches_rejected);
		return -EPERM;
	}
	if (len > EACCT_BATCH_MAX_BYTES) {
		atomic64_inc(&eacct_stats.batches_rejected);
		return -EMSGSIZE;
	}
	buf = vmemdup_user(ubuf, len);
	if (IS_ERR(buf)) {
		atomic64_inc(&eacct_stats.batches_rejected);
		return PTR_ERR(buf);
	}

	err = eacct_batch_parse(buf, len, &b);
	if (!err)
		err = eacct_batch_validate(&b);
	if (!err)
		err = eacct_batch_ingest(&b);
	kvfree(b.copy);
	kvfree(buf);
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

/**
 * eacct_ingest_init() - register /dev/eacct
 *
 * Return: 0 or -errno from misc_register().
 */
int eacct_ingest_init(void)
{
	return misc_register(&eacct_miscdev);
}

/**
 * eacct_ingest_exit() - remove /dev/eacct; no write can be in flight
 */
void eacct_ingest_exit(void)
{
	misc_deregister(&eacct_miscdev);
}
