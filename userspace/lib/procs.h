/* SPDX-License-Identifier: GPL-2.0 */
/* The rows of /proc/eacct/processes (Documentation/ABI/testing/procfs-eacct). */
#ifndef EACCT_PROCS_H
#define EACCT_PROCS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EACCT_PROCS_FILE "/proc/eacct/processes"

struct eacct_proc_row {
	uint32_t pid;
	char comm[64];			/* unescaped */
	bool exited;
	uint64_t cgroup_id;
	char *cgroup;			/* its path in the mirror, "?" if untracked */
	uint64_t cpu_uj, dram_uj, gpu_uj, carbon_ug;
};

struct eacct_procs {
	struct eacct_proc_row *rows;
	size_t n, cap;
};

/*
 * Parse the table's text; rows that do not have its shape are skipped
 * and counted in *bad (if not NULL). 0 or -ENOMEM.
 */
int eacct_procs_parse(const char *text, struct eacct_procs *p, size_t *bad);
/* Read and parse @path. 0 or -errno. */
int eacct_procs_read(const char *path, struct eacct_procs *p);
void eacct_procs_free(struct eacct_procs *p);

#endif /* EACCT_PROCS_H */
