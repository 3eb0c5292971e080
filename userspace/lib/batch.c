// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "batch.h"

static const char *const class_prefix[EACCT_NR_CLASSES] = {
	[EACCT_CLASS_CPU] = "package",
	[EACCT_CLASS_DRAM] = "dram",
	[EACCT_CLASS_GPU] = "gpu",
};

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &end, 10);
	if (errno || *end)
		return errno ? -errno : -EINVAL;
	return 0;
}

int eacct_domain_parse(const char *name, uint32_t *domain)
{
	uint64_t index;
	size_t n;
	int class;

	for (class = 0; class < EACCT_NR_CLASSES; class++) {
		n = strlen(class_prefix[class]);
		if (strncmp(name, class_prefix[class], n) || name[n] != '-')
			continue;
		if (parse_u64(name + n + 1, &index) ||
		    index >= EACCT_MAX_DOMAIN_INDEX)
			return -EINVAL;
		*domain = EACCT_DOMAIN(class, index);
		return 0;
	}
	return -EINVAL;
}

int eacct_domain_format(uint32_t domain, char *buf, size_t len)
{
	uint32_t class = EACCT_DOMAIN_CLASS(domain);
	int n;

	if (class >= EACCT_NR_CLASSES ||
	    EACCT_DOMAIN_INDEX(domain) >= EACCT_MAX_DOMAIN_INDEX)
		return -EINVAL;
	n = snprintf(buf, len, "%s-%u", class_prefix[class],
		     EACCT_DOMAIN_INDEX(domain));
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

void eacct_batch_init(struct eacct_batch *b, uint64_t seq)
{
	memset(b, 0, sizeof(*b));
	b->seq = seq;
}

void eacct_batch_free(struct eacct_batch *b)
{
	free(b->cgroups);
	free(b->processes);
	eacct_batch_init(b, 0);
}

int eacct_batch_add_cgroup(struct eacct_batch *b, uint64_t cgroup_id,
			   uint32_t domain, uint64_t energy_uj,
			   uint64_t carbon_ug)
{
	struct eacct_cgroup_record *r;

	r = eacct_array_push((void **)&b->cgroups, &b->cap_cgroups, &b->nr_cgroups,
			     sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->cgroup_id = cgroup_id;
	r->domain = domain;
	r->energy_uj = energy_uj;
	r->carbon_ug = carbon_ug;
	return 0;
}

int eacct_batch_add_idle(struct eacct_batch *b, uint32_t domain,
			 uint64_t energy_uj, uint64_t carbon_ug)
{
	int err = eacct_batch_add_cgroup(b, 0, domain, energy_uj, carbon_ug);

	if (!err)
		b->cgroups[b->nr_cgroups - 1].flags = EACCT_RECORD_IDLE;
	return err;
}

int eacct_batch_add_process(struct eacct_batch *b, uint32_t tgid,
			    uint64_t cgroup_id, uint32_t domain,
			    uint64_t energy_uj, uint64_t carbon_ug,
			    const char *comm)
{
	struct eacct_process_record *r;

	r = eacct_array_push((void **)&b->processes, &b->cap_processes, &b->nr_processes,
			     sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->cgroup_id = cgroup_id;
	r->tgid = tgid;
	r->domain = domain;
	r->energy_uj = energy_uj;
	r->carbon_ug = carbon_ug;
	/* Like the kernel's comm: truncated to 15 bytes, NUL terminated. */
	snprintf(r->comm, sizeof(r->comm), "%s", comm ? comm : "");
	return 0;
}

void *eacct_batch_encode(const struct eacct_batch *b, size_t *len)
{
	struct eacct_batch_header hdr = {
		.magic = EACCT_BATCH_MAGIC,
		.version = EACCT_BATCH_VERSION,
		.header_size = sizeof(hdr),
		.seq = b->seq,
		.nr_cgroup_records = (uint32_t)b->nr_cgroups,
		.nr_process_records = (uint32_t)b->nr_processes,
	};
	size_t cg_bytes = b->nr_cgroups * sizeof(*b->cgroups);
	size_t pr_bytes = b->nr_processes * sizeof(*b->processes);
	char *buf;

	*len = sizeof(hdr) + cg_bytes + pr_bytes;
	buf = malloc(*len);
	if (!buf)
		return NULL;
	memcpy(buf, &hdr, sizeof(hdr));
	if (cg_bytes)
		memcpy(buf + sizeof(hdr), b->cgroups, cg_bytes);
	if (pr_bytes)
		memcpy(buf + sizeof(hdr) + cg_bytes, b->processes, pr_bytes);
	return buf;
}

int eacct_batch_decode(const void *buf, size_t len, struct eacct_batch *b)
{
	struct eacct_batch_header hdr;
	size_t cg_bytes, pr_bytes;
	const char *p = buf;

	eacct_batch_init(b, 0);
	if (len < sizeof(hdr))
		return -EINVAL;
	memcpy(&hdr, buf, sizeof(hdr));
	if (hdr.magic != EACCT_BATCH_MAGIC || hdr.version != EACCT_BATCH_VERSION ||
	    hdr.header_size != sizeof(hdr) ||
	    (hdr.cgroup_record_size && hdr.cgroup_record_size != sizeof(*b->cgroups)) ||
	    (hdr.process_record_size && hdr.process_record_size != sizeof(*b->processes)))
		return -EINVAL;
	cg_bytes = (size_t)hdr.nr_cgroup_records * sizeof(*b->cgroups);
	pr_bytes = (size_t)hdr.nr_process_records * sizeof(*b->processes);
	if (len != sizeof(hdr) + cg_bytes + pr_bytes)
		return -EINVAL;
	b->seq = hdr.seq;
	b->cgroups = malloc(cg_bytes + 1);
	b->processes = malloc(pr_bytes + 1);
	if (!b->cgroups || !b->processes) {
		eacct_batch_free(b);
		return -ENOMEM;
	}
	memcpy(b->cgroups, p + sizeof(hdr), cg_bytes);
	memcpy(b->processes, p + sizeof(hdr) + cg_bytes, pr_bytes);
	b->nr_cgroups = b->cap_cgroups = hdr.nr_cgroup_records;
	b->nr_processes = b->cap_processes = hdr.nr_process_records;
	return 0;
}

#define MAX_FIELDS 8

/* Split @line in place on blanks; returns the number of fields. */
static int split(char *line, char *field[MAX_FIELDS + 1])
{
	int n = 0;
	char *tok, *save = NULL;

	for (tok = strtok_r(line, " \t\r\n", &save); tok;
	     tok = strtok_r(NULL, " \t\r\n", &save)) {
		if (n == MAX_FIELDS + 1)
			return -1;
		field[n++] = tok;
	}
	return n;
}

int eacct_batch_parse_line(struct eacct_batch *b, const char *line,
			   eacct_cgroup_resolver resolve)
{
	char *copy, *f[MAX_FIELDS + 1];
	uint64_t id, energy, carbon, tgid;
	uint32_t domain;
	int n, err = -EINVAL;

	copy = strdup(line);
	if (!copy)
		return -ENOMEM;
	n = split(copy, f);
	if (n == 0 || f[0][0] == '#') {
		err = 0;
	} else if (n == 5 && !strcmp(f[0], "cgroup")) {
		err = resolve(f[1], &id);
		if (!err)
			err = eacct_domain_parse(f[2], &domain);
		if (!err)
			err = parse_u64(f[3], &energy);
		if (!err)
			err = parse_u64(f[4], &carbon);
		if (!err)
			err = eacct_batch_add_cgroup(b, id, domain, energy, carbon);
	} else if (n == 4 && !strcmp(f[0], "idle")) {
		err = eacct_domain_parse(f[1], &domain);
		if (!err)
			err = parse_u64(f[2], &energy);
		if (!err)
			err = parse_u64(f[3], &carbon);
		if (!err)
			err = eacct_batch_add_idle(b, domain, energy, carbon);
	} else if (n == 7 && !strcmp(f[0], "process")) {
		err = parse_u64(f[1], &tgid);
		if (!err && (!tgid || tgid > UINT32_MAX))
			err = -ERANGE;
		if (!err)
			err = resolve(f[2], &id);
		if (!err)
			err = eacct_domain_parse(f[3], &domain);
		if (!err)
			err = parse_u64(f[4], &energy);
		if (!err)
			err = parse_u64(f[5], &carbon);
		if (!err)
			err = eacct_batch_add_process(b, (uint32_t)tgid, id,
						      domain, energy, carbon,
						      f[6]);
	}
	free(copy);
	return err;
}
