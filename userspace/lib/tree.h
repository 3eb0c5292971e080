/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading eacct.ko's counters back: /sys/kernel/eacct/cgroups (the cgroup
 * tree mirrored, one value per file), its budgets/ links and domains/.
 * The root is a parameter, so that tests read fixture trees of the same
 * shape.
 */
#ifndef EACCT_TREE_H
#define EACCT_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EACCT_SYSFS "/sys/kernel/eacct"

struct eacct_cg_stat {
	char *path;			/* mirrored path: "/" is the root cgroup */
	uint64_t id;
	uint64_t energy_uj, cpu_uj, dram_uj, gpu_uj;
	uint64_t carbon_ug;
	uint64_t budget_ug, energy_budget_uj;
	char action[16];		/* budget_action */
	bool exceeded, removed;
};

struct eacct_tree {
	struct eacct_cg_stat *cgs;	/* in walk order: parents before children */
	size_t n, cap;
};

/* One cgroup's files under @dir; @path is what it is called. 0 or -errno. */
int eacct_cg_read(const char *dir, const char *path, struct eacct_cg_stat *c);
/* Every cgroup under @sysfs (EACCT_SYSFS)/cgroups. 0 or -errno. */
int eacct_tree_read(const char *sysfs, struct eacct_tree *t);

/*
 * The same, reading only some files of each cgroup: each is an open, a
 * read and a close, and a scrape of a large tree is mostly that.
 * EACCT_READ_CPU, _DRAM, _GPU: the class's energy (energy_uj is their
 * sum), _CARBON: carbon_ug; _ID: id; _BUDGETS: budgets, action,
 * exceeded, removed. What is not read is 0, as is, without a read, a
 * class in the subtree of a cgroup where it is 0 (counters include the
 * descendants).
 */
#define EACCT_READ_CPU		0x01u
#define EACCT_READ_DRAM		0x02u
#define EACCT_READ_GPU		0x04u
#define EACCT_READ_CARBON	0x08u
#define EACCT_READ_ENERGY	0x0fu	/* the four above */
#define EACCT_READ_ID		0x10u
#define EACCT_READ_BUDGETS	0x20u
#define EACCT_READ_ALL		0x3fu
int eacct_tree_read_some(const char *sysfs, struct eacct_tree *t, unsigned int what);
/* Only the cgroups with a budget, from @sysfs/budgets. 0 or -errno. */
int eacct_tree_read_budgets(const char *sysfs, struct eacct_tree *t);
void eacct_tree_free(struct eacct_tree *t);

/*
 * A cgroup named by the user: its id (digits), its path in the cgroup2
 * tree ("/a/b" or "a/b"), or a filesystem path under @cgroup_mount
 * ("/sys/fs/cgroup/a/b"). The mirrored directory in @dir. 0, -ENOENT
 * (eacct has no such cgroup) or -EINVAL.
 */
int eacct_tree_resolve(const char *sysfs, const char *cgroup_mount, const char *name,
		       char *dir, size_t len, char *path, size_t plen);

struct eacct_domain_stat {
	char name[32];
	uint64_t energy_uj, idle_uj, carbon_ug;
};

/*
 * The domains under @sysfs/domains, up to @max. How many, or -errno:
 * -EACCES when there are some but none may be read (root's alone).
 */
int eacct_domains_read(const char *sysfs, struct eacct_domain_stat *out, int max);

/*
 * The energy classes worth reading given the domains the module has (no
 * dram-N domain: every dram_energy_uj is 0, and so on), and carbon.
 */
unsigned int eacct_read_classes(const struct eacct_domain_stat *d, int n);

#endif /* EACCT_TREE_H */
