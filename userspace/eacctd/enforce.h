/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Budget enforcement: each interval, the cgroups over budget (from
 * eacct.ko's budgets/ links) get the action their budget_action names,
 * through their cgroup v2 files, and lose it when no longer over budget
 * (raised, cleared, the cgroup gone):
 *  - notify: a log line (the module's uevent has told udev already);
 *  - throttle=PCT: cpu.max set to PCT % of the CPUs the cgroup may use
 *    (cpuset.cpus.effective), never above a limit it already had; the
 *    old cpu.max is put back after;
 *  - freeze: cgroup.freeze 1, then 0.
 * What was done is kept in a file, so that a restarted eacctd undoes its
 * predecessor's work and applies what was crossed while it was down.
 * Actions are on cgroup ids, not paths: before each write the directory at
 * the path must still be the cgroup of that id (its inode number). One
 * removed and made again there (a service restarted) is another cgroup:
 * the action is dropped with a log line, nothing written to the new one.
 */
#ifndef EACCT_ENFORCE_H
#define EACCT_ENFORCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/cgroupctl.h"

struct json_object;

struct enforced {
	uint64_t id;			/* acted on; kept in the file */
	char path[1024];		/* in the cgroup2 tree, where id was */
	enum eacct_action action;
	unsigned int pct;		/* throttle */
	char saved_cpu_max[64];		/* throttle: cpu.max before, to restore */
	char state[160];		/* what it is now, for eacct budget show */
};

struct enforcer {
	char sysfs[256];		/* eacct.ko's tree */
	char cgroup_root[4096];		/* the cgroup2 mount */
	char file[256];			/* what was done, across restarts */
	bool apply;			/* enforce = yes; no: only log */
	struct enforced *e;
	size_t n, cap;
	void (*log)(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
};

/* Load what a previous eacctd did. A missing file is no error. */
int enforcer_init(struct enforcer *f);
/* One reconciliation, after each batch. */
void enforcer_run(struct enforcer *f);
/* The enforced budgets, a new array (the caller's), for the status file. */
struct json_object *enforcer_json(const struct enforcer *f);
void enforcer_free(struct enforcer *f);

#endif /* EACCT_ENFORCE_H */
