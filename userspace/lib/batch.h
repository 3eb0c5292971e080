/* SPDX-License-Identifier: GPL-2.0 */
/* Building /dev/eacct batches: pure functions over memory, no I/O. */
#ifndef EACCT_BATCH_H
#define EACCT_BATCH_H

#include <stddef.h>
#include <stdint.h>
#include <linux/eacct.h>

struct eacct_batch {
	uint64_t seq;
	struct eacct_cgroup_record *cgroups;
	size_t nr_cgroups, cap_cgroups;
	struct eacct_process_record *processes;
	size_t nr_processes, cap_processes;
};

/* "package-0", "dram-1", "gpu-3" <-> EACCT_DOMAIN(class, index). */
int eacct_domain_parse(const char *name, uint32_t *domain);
int eacct_domain_format(uint32_t domain, char *buf, size_t len);

void eacct_batch_init(struct eacct_batch *b, uint64_t seq);
void eacct_batch_free(struct eacct_batch *b);
int eacct_batch_add_cgroup(struct eacct_batch *b, uint64_t cgroup_id,
			   uint32_t domain, uint64_t energy_uj,
			   uint64_t carbon_ug);
/* Energy of @domain that no cgroup was charged (EACCT_RECORD_IDLE). */
int eacct_batch_add_idle(struct eacct_batch *b, uint32_t domain,
			 uint64_t energy_uj, uint64_t carbon_ug);
int eacct_batch_add_process(struct eacct_batch *b, uint32_t tgid,
			    uint64_t cgroup_id, uint32_t domain,
			    uint64_t energy_uj, uint64_t carbon_ug,
			    const char *comm);
/* The wire form: a malloc()ed buffer of *len bytes, or NULL on ENOMEM. */
void *eacct_batch_encode(const struct eacct_batch *b, size_t *len);
/* Back from the wire form this library writes (a state file's batch). 0 or -EINVAL/-ENOMEM. */
int eacct_batch_decode(const void *buf, size_t len, struct eacct_batch *b);

/*
 * One text line to one record, for tools and tests:
 *   cgroup  CGROUP DOMAIN ENERGY_UJ CARBON_UG
 *   idle    DOMAIN ENERGY_UJ CARBON_UG
 *   process TGID CGROUP DOMAIN ENERGY_UJ CARBON_UG COMM
 * CGROUP is resolved by @resolve (an id, or a path). Blank lines and
 * lines starting with '#' add nothing. Returns 0 or a negative errno.
 */
typedef int (*eacct_cgroup_resolver)(const char *cgroup, uint64_t *id);
int eacct_batch_parse_line(struct eacct_batch *b, const char *line,
			   eacct_cgroup_resolver resolve);

#endif /* EACCT_BATCH_H */
