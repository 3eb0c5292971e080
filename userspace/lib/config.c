// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "region.h"
#include "sysfile.h"
#include "units.h"

void eacct_config_defaults(struct eacct_config *c)
{
	memset(c, 0, sizeof(*c));
	c->interval_ms = 1000;
	c->prune_after = 300;
	c->idle_policy = EACCT_IDLE_PROPORTIONAL;
	c->pue = 1.0;
	c->model_idle_w = 10;
	c->model_tdp_w = 65;
	c->gpu_sched_tracepoints = true;
	c->enforce = true;
	snprintf(c->enforce_file, sizeof(c->enforce_file), "/var/lib/eacct/enforced.json");
	snprintf(c->sysfs, sizeof(c->sysfs), "/sys/kernel/eacct");
	c->intensity_refresh_s = 900;
	c->intensity_max_age_s = 21600;
	snprintf(c->device, sizeof(c->device), "/dev/eacct");
	snprintf(c->state_file, sizeof(c->state_file), "/var/lib/eacct/eacctd.state");
	snprintf(c->status_file, sizeof(c->status_file), "/run/eacct/status.json");
	snprintf(c->bpf_pin_dir, sizeof(c->bpf_pin_dir), "/sys/fs/bpf/eacct");
	snprintf(c->powercap_root, sizeof(c->powercap_root), "/sys/class/powercap");
	snprintf(c->perf_pmu_root, sizeof(c->perf_pmu_root),
		 "/sys/bus/event_source/devices/power");
	snprintf(c->msr_root, sizeof(c->msr_root), "/dev/cpu");
	snprintf(c->hwmon_root, sizeof(c->hwmon_root), "/sys/class/hwmon");
	snprintf(c->drm_root, sizeof(c->drm_root), "/sys/class/drm");
	snprintf(c->nvml_library, sizeof(c->nvml_library), "libnvidia-ml.so.1");
	snprintf(c->cpu_root, sizeof(c->cpu_root), "/sys/devices/system/cpu");
}

static int set_double(double *dst, const char *v, double min, double max)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(v, &end);
	if (errno || end == v || *end || d < min || d > max)
		return -EINVAL;
	*dst = d;
	return 0;
}

static int set_bool(bool *dst, const char *v)
{
	if (!strcmp(v, "yes") || !strcmp(v, "on") || !strcmp(v, "1"))
		*dst = true;
	else if (!strcmp(v, "no") || !strcmp(v, "off") || !strcmp(v, "0"))
		*dst = false;
	else
		return -EINVAL;
	return 0;
}

static int set_path(char *dst, size_t len, const char *v)
{
	if (v[0] != '/' || strlen(v) >= len)
		return -EINVAL;
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

#define PATH_KEY(name) { #name, offsetof(struct eacct_config, name) }

static const struct {
	const char *key;
	size_t offset;
} path_keys[] = {
	PATH_KEY(device), PATH_KEY(state_file), PATH_KEY(status_file), PATH_KEY(bpf_pin_dir),
	PATH_KEY(powercap_root), PATH_KEY(perf_pmu_root), PATH_KEY(msr_root),
	PATH_KEY(hwmon_root), PATH_KEY(cpu_root), PATH_KEY(drm_root),
	PATH_KEY(nvml_library), PATH_KEY(intensity_file), PATH_KEY(intensity_token_file),
	PATH_KEY(enforce_file), PATH_KEY(sysfs),
};

static const char *const source_names[] = {
	[EACCT_INTENSITY_AUTO] = "auto",
	[EACCT_INTENSITY_CONSTANT] = "constant",
	[EACCT_INTENSITY_REGION] = "region",
	[EACCT_INTENSITY_FILE] = "file",
	[EACCT_INTENSITY_UK_API] = "uk-api",
	[EACCT_INTENSITY_EMAPS] = "electricitymaps",
};

const char *eacct_intensity_source_name(enum eacct_intensity_source s)
{
	return s <= EACCT_INTENSITY_EMAPS ? source_names[s] : "?";
}

enum eacct_intensity_source eacct_intensity_source(const struct eacct_config *c)
{
	if (c->intensity_source != EACCT_INTENSITY_AUTO)
		return c->intensity_source;
	if (c->intensity_file[0])
		return EACCT_INTENSITY_FILE;
	if (c->intensity_region[0])
		return EACCT_INTENSITY_REGION;
	return EACCT_INTENSITY_CONSTANT;
}

const char *eacct_intensity_url(const struct eacct_config *c)
{
	if (c->intensity_url[0])
		return c->intensity_url;
	if (eacct_intensity_source(c) == EACCT_INTENSITY_EMAPS)
		return "https://api.electricitymap.org/v3/carbon-intensity/latest";
	return "https://api.carbonintensity.org.uk/intensity";
}

static double region_value(const char *iso3, char *src, size_t len)
{
	const struct eacct_region *r = eacct_region_find(iso3);

	snprintf(src, len, "region %s (%s, %d, annual average)", r->iso3, r->name, r->year);
	return r->g_per_kwh;
}

double eacct_intensity_fixed(const struct eacct_config *c, bool *fallback, char *src,
			     size_t len)
{
	enum eacct_intensity_source s = eacct_intensity_source(c);

	*fallback = s != EACCT_INTENSITY_CONSTANT && s != EACCT_INTENSITY_REGION;
	if (c->intensity_region[0] && s != EACCT_INTENSITY_CONSTANT)
		return region_value(c->intensity_region, src, len);
	snprintf(src, len, "constant %g g/kWh", c->intensity_g_per_kwh);
	return c->intensity_g_per_kwh;
}

static int set_uint(unsigned int *dst, const char *v, double min, double max)
{
	double d;

	if (set_double(&d, v, min, max) || d != (unsigned int)d)
		return -EINVAL;
	*dst = (unsigned int)d;
	return 0;
}

static int set_key(struct eacct_config *c, const char *key, const char *v)
{
	double d;
	size_t i;

	if (!strcmp(key, "interval")) {
		if (set_double(&d, v, 10, 3600000) || d != (unsigned int)d)
			return -EINVAL;
		c->interval_ms = (unsigned int)d;
		return 0;
	}
	if (!strcmp(key, "prune_after")) {
		if (set_double(&d, v, 2, 1000000) || d != (unsigned int)d)
			return -EINVAL;
		c->prune_after = (unsigned int)d;
		return 0;
	}
	if (!strcmp(key, "idle_policy"))
		return eacct_idle_policy_parse(v, &c->idle_policy);
	if (!strcmp(key, "intensity")) {
		char ignored[128];
		double g;

		if (eacct_parse_intensity(v, &g, ignored, sizeof(ignored)) || g > 10000)
			return -EINVAL;
		c->intensity_g_per_kwh = g;
		return 0;
	}
	if (!strcmp(key, "intensity_source")) {
		for (i = 0; i < sizeof(source_names) / sizeof(source_names[0]); i++) {
			if (!strcmp(v, source_names[i])) {
				c->intensity_source = (enum eacct_intensity_source)i;
				return 0;
			}
		}
		return -EINVAL;
	}
	if (!strcmp(key, "intensity_region")) {
		if (*v && !eacct_region_find(v))
			return -EINVAL;
		snprintf(c->intensity_region, sizeof(c->intensity_region), "%s",
			 *v ? eacct_region_find(v)->iso3 : "");
		return 0;
	}
	if (!strcmp(key, "intensity_url")) {
		if (strncmp(v, "http://", 7) && strncmp(v, "https://", 8))
			return -EINVAL;
		if (strlen(v) >= sizeof(c->intensity_url))
			return -EINVAL;
		memcpy(c->intensity_url, v, strlen(v) + 1);
		return 0;
	}
	if (!strcmp(key, "intensity_zone")) {
		if (!*v || strlen(v) >= sizeof(c->intensity_zone) ||
		    strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") !=
		    strlen(v))
			return -EINVAL;
		memcpy(c->intensity_zone, v, strlen(v) + 1);
		return 0;
	}
	if (!strcmp(key, "intensity_refresh"))
		return set_uint(&c->intensity_refresh_s, v, 10, 86400);
	if (!strcmp(key, "intensity_max_age"))
		return set_uint(&c->intensity_max_age_s, v, 0, 31 * 86400);
	if (!strcmp(key, "intensity_signal")) {
		if (strcmp(v, "average") && strcmp(v, "marginal"))
			return -EINVAL;
		c->intensity_marginal = !strcmp(v, "marginal");
		return 0;
	}
	if (!strcmp(key, "pue"))
		return set_double(&c->pue, v, 1.0, 10.0);
	if (!strcmp(key, "model_idle_w"))
		return set_double(&c->model_idle_w, v, 0, 100000);
	if (!strcmp(key, "model_tdp_w"))
		return set_double(&c->model_tdp_w, v, 0, 100000);
	if (!strcmp(key, "gpu_sched_tracepoints"))
		return set_bool(&c->gpu_sched_tracepoints, v);
	if (!strcmp(key, "enforce"))
		return set_bool(&c->enforce, v);
	if (!strcmp(key, "metrics_listen")) {
		/* "PORT", "ADDR:PORT" or "[ADDR6]:PORT": checked when it binds. */
		if (strlen(v) >= sizeof(c->metrics_listen) ||
		    strspn(v, "0123456789abcdefABCDEF.:[]") != strlen(v))
			return -EINVAL;
		memcpy(c->metrics_listen, v, strlen(v) + 1);
		return 0;
	}
	if (!strcmp(key, "nvml_library") && !strcmp(v, "none")) {
		snprintf(c->nvml_library, sizeof(c->nvml_library), "none");
		return 0;
	}
	for (i = 0; i < sizeof(path_keys) / sizeof(path_keys[0]); i++)
		if (!strcmp(key, path_keys[i].key))
			return set_path((char *)c + path_keys[i].offset, 256, v);
	return -ENOENT;
}

int eacct_config_parse(struct eacct_config *c, const char *text, char *err,
		       size_t errlen)
{
	struct eacct_config next = *c;
	char *copy, *cursor, *line, *eq, *key, *val, *hash;
	int lineno = 0, rc = 0;

	copy = strdup(text);
	if (!copy)
		return -ENOMEM;
	cursor = copy;
	while (!rc && (line = eacct_next_line(&cursor, &lineno))) {
		eq = strchr(line, '=');
		if (!eq) {
			snprintf(err, errlen, "line %d: expected 'key = value'", lineno);
			rc = -EINVAL;
			break;
		}
		*eq = '\0';
		key = eacct_trim(line);
		val = eq + 1;
		/* "interval = 500  # faster": a '#' after white space starts a comment. */
		for (hash = strchr(val, '#'); hash; hash = strchr(hash + 1, '#')) {
			if (hash > val && (hash[-1] == ' ' || hash[-1] == '\t')) {
				*hash = '\0';
				break;
			}
		}
		val = eacct_trim(val);
		rc = set_key(&next, key, val);
		if (rc == -ENOENT)
			snprintf(err, errlen, "line %d: unknown key '%s'", lineno, key);
		else if (rc)
			snprintf(err, errlen, "line %d: bad value '%s' for %s",
				 lineno, val, key);
		if (rc)
			rc = -EINVAL;
	}
	free(copy);
	if (!rc && next.model_tdp_w < next.model_idle_w) {
		snprintf(err, errlen, "model_tdp_w is below model_idle_w");
		rc = -EINVAL;
	}
	if (!rc && eacct_intensity_source(&next) == EACCT_INTENSITY_REGION &&
	    !next.intensity_region[0]) {
		snprintf(err, errlen, "intensity_source = region needs intensity_region");
		rc = -EINVAL;
	}
	if (!rc && eacct_intensity_source(&next) == EACCT_INTENSITY_FILE &&
	    !next.intensity_file[0]) {
		snprintf(err, errlen, "intensity_source = file needs intensity_file");
		rc = -EINVAL;
	}
	if (!rc && eacct_intensity_source(&next) == EACCT_INTENSITY_EMAPS &&
	    (!next.intensity_zone[0] || !next.intensity_token_file[0])) {
		snprintf(err, errlen, "intensity_source = electricitymaps needs intensity_zone and intensity_token_file");
		rc = -EINVAL;
	}
	if (!rc)
		*c = next;
	return rc;
}

int eacct_config_load(struct eacct_config *c, const char *path, char *err,
		      size_t errlen)
{
	char buf[65536];
	size_t n;
	FILE *f;

	f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	if (n == sizeof(buf) - 1) {
		snprintf(err, errlen, "%s: larger than 64 KiB", path);
		return -EFBIG;
	}
	buf[n] = '\0';
	return eacct_config_parse(c, buf, err, errlen);
}

int eacct_config_read(struct eacct_config *c, const char *path,
		      bool must_exist, bool *missing, char *err, size_t errlen)
{
	int rc;

	eacct_config_defaults(c);
	rc = eacct_config_load(c, path, err, errlen);
	*missing = rc == -ENOENT;
	return *missing && !must_exist ? 0 : rc;
}
