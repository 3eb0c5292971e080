/* SPDX-License-Identifier: GPL-2.0 */
/* eacctd's configuration: "key = value" lines, '#' comments. */
#ifndef EACCT_CONFIG_H
#define EACCT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "attrib.h"

#define EACCT_CONFIG_PATH "/etc/eacct/eacctd.conf"

struct eacct_config {
	unsigned int interval_ms;	/* interval = 1000 (ms) */
	unsigned int prune_after;	/* prune_after = 300 (idle intervals) */
	enum eacct_idle_policy idle_policy;	/* idle_policy = proportional */
	double intensity_g_per_kwh;	/* intensity = 0: carbon not charged */
	double pue;			/* pue = 1.0 */
	double model_idle_w;		/* model_idle_w = 10, per package */
	double model_tdp_w;		/* model_tdp_w = 65, per package */
	char device[256];		/* device = /dev/eacct */
	char state_file[256];		/* state_file = /var/lib/eacct/eacctd.state */
	char bpf_pin_dir[256];		/* bpf_pin_dir = /sys/fs/bpf/eacct */
	/* Meter roots, for fixtures and unusual layouts. */
	char powercap_root[256];	/* powercap_root = /sys/class/powercap */
	char perf_pmu_root[256];
	char msr_root[256];
	char hwmon_root[256];
	char cpu_root[256];
	char drm_root[256];		/* drm_root = /sys/class/drm */
	char nvml_library[256];		/* nvml_library = libnvidia-ml.so.1 ("none": off) */
	bool gpu_sched_tracepoints;	/* gpu_sched_tracepoints = yes */
};

void eacct_config_defaults(struct eacct_config *c);
/*
 * Apply @text over @c. On error returns -EINVAL with a message naming the
 * line in @err; @c is then left as it was before the call.
 */
int eacct_config_parse(struct eacct_config *c, const char *text, char *err,
		       size_t errlen);
/* The same from a file; a missing file is an error too (-ENOENT). */
int eacct_config_load(struct eacct_config *c, const char *path, char *err,
		      size_t errlen);
/*
 * What eacctd and eacct do: the defaults, then @path over them. A missing
 * file leaves the defaults unless @must_exist (the user named it); then,
 * as for any other error, the message is in @err. *missing says which.
 */
int eacct_config_read(struct eacct_config *c, const char *path,
		      bool must_exist, bool *missing, char *err, size_t errlen);

#endif /* EACCT_CONFIG_H */
