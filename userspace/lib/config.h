/* SPDX-License-Identifier: GPL-2.0 */
/* eacctd's configuration: "key = value" lines, '#' comments. */
#ifndef EACCT_CONFIG_H
#define EACCT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "attrib.h"

#define EACCT_CONFIG_PATH "/etc/eacct/eacctd.conf"

/* Where the grid's carbon intensity comes from (Documentation/carbon.rst). */
enum eacct_intensity_source {
	EACCT_INTENSITY_AUTO,		/* the first of: file, region, constant */
	EACCT_INTENSITY_CONSTANT,	/* intensity */
	EACCT_INTENSITY_REGION,		/* intensity_region: the bundled table */
	EACCT_INTENSITY_FILE,		/* intensity_file: a time series */
	EACCT_INTENSITY_UK_API,		/* api.carbonintensity.org.uk */
	EACCT_INTENSITY_EMAPS,		/* Electricity Maps v3 */
};

struct eacct_config {
	unsigned int interval_ms;	/* interval = 1000 (ms) */
	unsigned int prune_after;	/* prune_after = 300 (idle intervals) */
	enum eacct_idle_policy idle_policy;	/* idle_policy = proportional */
	double intensity_g_per_kwh;	/* intensity = 0: carbon not charged */
	enum eacct_intensity_source intensity_source;	/* intensity_source = auto */
	char intensity_region[4];	/* intensity_region = DEU */
	char intensity_file[256];	/* intensity_file = /etc/eacct/intensity.csv */
	char intensity_url[512];	/* intensity_url: the API's default if empty */
	char intensity_zone[32];	/* intensity_zone: Electricity Maps' zone */
	char intensity_token_file[256];	/* intensity_token_file: its auth-token */
	unsigned int intensity_refresh_s;	/* intensity_refresh = 900 */
	unsigned int intensity_max_age_s;	/* intensity_max_age = 21600 */
	bool intensity_marginal;	/* intensity_signal = average | marginal */
	double pue;			/* pue = 1.0 */
	double model_idle_w;		/* model_idle_w = 10, per package */
	double model_tdp_w;		/* model_tdp_w = 65, per package */
	char device[256];		/* device = /dev/eacct */
	char state_file[256];		/* state_file = /var/lib/eacct/eacctd.state */
	char status_file[256];		/* status_file = /run/eacct/status.json */
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
	bool enforce;			/* enforce = yes: apply budget actions */
	char enforce_file[256];		/* enforce_file = /var/lib/eacct/enforced.json */
	char sysfs[256];		/* sysfs = /sys/kernel/eacct */
	char metrics_listen[80];	/* metrics_listen = 127.0.0.1:9464; "": off */
};

void eacct_config_defaults(struct eacct_config *c);

/* The source in effect: "auto" resolved (file, else region, else constant). */
enum eacct_intensity_source eacct_intensity_source(const struct eacct_config *c);
const char *eacct_intensity_source_name(enum eacct_intensity_source s);
/* The API's URL: intensity_url, or the source's default. */
const char *eacct_intensity_url(const struct eacct_config *c);

/*
 * The intensity that needs nothing read or fetched: the constant's, or
 * the region's for intensity_source = region; for the other sources,
 * their fallback (intensity_region if set, else the constant), and
 * *fallback true. Where it comes from, in words, in @src.
 */
double eacct_intensity_fixed(const struct eacct_config *c, bool *fallback, char *src,
			     size_t len);
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
