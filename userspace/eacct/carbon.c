// SPDX-License-Identifier: GPL-2.0
/*
 * eacct carbon: energy to CO2e, g = kWh x PUE x intensity, for a given
 * energy or a cgroup's accounted one.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "lib/carbon.h"
#include "lib/intensity.h"
#include "lib/region.h"
#include "lib/tree.h"
#include "lib/units.h"

static const char usage[] =
"Usage: eacct carbon ENERGY [--intensity VALUE | --region ISO3] [--pue X] [--json]\n"
"       eacct carbon --cgroup CGROUP [--intensity VALUE | --region ISO3] [--pue X]\n"
"CO2e of an energy: g = kWh x PUE x intensity.\n"
"  ENERGY             a number and a unit: J, kJ, MJ, Wh, kWh, MWh, GWh\n"
"  --cgroup=CGROUP    a cgroup's energy as eacct.ko accounted it (path or id)\n"
"  --intensity=VALUE  grid intensity: g/kWh (the default unit), kg/kWh,\n"
"                     lb/kWh or lb/MWh\n"
"  --region=ISO3      a country's annual average (ISO 3166-1 alpha-3)\n"
"  --pue=X            the data centre's power usage effectiveness (1.0)\n"
"Without --intensity or --region, eacctd's configured source is used\n"
"(constant, region or time-series file). Intensities are location-based\n"
"(SCI): no market-based figures, no offsets.\n"
"Country intensities: " EACCT_REGION_SOURCE ".\n";

/*
 * The intensity eacctd is configured with, now: a series file's value in
 * force, else what needs nothing fetched (for an API, its fallback).
 * False if that is nothing (0).
 */
static bool configured(const struct eacct_config *cfg, double *g, char *src, size_t len)
{
	struct eacct_series s = { 0 };
	char err[256];
	int64_t since;
	bool fallback;

	if (eacct_intensity_source(cfg) == EACCT_INTENSITY_FILE &&
	    !eacct_series_load(&s, cfg->intensity_file, err, sizeof(err)) &&
	    !eacct_series_at(&s, time(NULL), cfg->intensity_max_age_s, g, &since)) {
		snprintf(src, len, "%s, in force now", cfg->intensity_file);
		eacct_series_free(&s);
		return true;
	}
	eacct_series_free(&s);
	*g = eacct_intensity_fixed(cfg, &fallback, src, len);
	if (fallback && len > strlen(src) + 40)
		strcat(src, " (eacctd's fallback)");
	return *g > 0;
}

int cmd_carbon(struct eacct_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "intensity", required_argument, NULL, 'i' },
		{ "region", required_argument, NULL, 'r' },
		{ "pue", required_argument, NULL, 'p' },
		{ "cgroup", required_argument, NULL, 'g' },
		EACCT_COMMON_OPTS, { 0 },
	};
	const char *cgroup = NULL, *region = NULL, *intensity = NULL;
	char err[256], src[512], dir[PATH_MAX], path[PATH_MAX], buf[64], amount[128];
	struct eacct_cg_stat cg = { 0 };
	const struct eacct_region *r;
	double joules, g, pue = 1.0, co2e;
	struct json_object *o;
	char *end;
	int c, rc;

	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			intensity = optarg;
			break;
		case 'r':
			region = optarg;
			break;
		case 'p':
			pue = strtod(optarg, &end);
			if (end == optarg || *end || !(pue >= 1.0 && pue <= 10.0))
				return eacct_fail("--pue '%s': a number from 1.0 to 10", optarg);
			break;
		case 'g':
			cgroup = optarg;
			break;
		case 'j':
			ctx->json = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			return eacct_usage_error("carbon", eacct_bad_arg(argc, argv));
		}
	}
	/* "5 kWh" as two words is one energy. */
	if (!cgroup && optind + 2 == argc) {
		snprintf(amount, sizeof(amount), "%s %s", argv[optind], argv[optind + 1]);
		argv[++optind] = amount;
	}
	if (!!cgroup == (optind < argc) || optind + 1 < argc) {
		return eacct_usage_error("carbon", optind < argc ? argv[optind] : NULL);
	}
	if (intensity && region)
		return eacct_fail("--intensity and --region: one or the other");
	if (cgroup) {
		if (!eacct_module_present(ctx))
			return 1;
		rc = eacct_tree_resolve(ctx->sysfs, ctx->cgroup_mount, cgroup, dir, sizeof(dir),
					path, sizeof(path));
		if (rc)
			return eacct_fail("%s: %s", cgroup, rc == -ENOENT ?
					  "no such cgroup in eacct (never charged?)" : "not a cgroup path or id");
		rc = eacct_cg_read(dir, path, &cg);
		if (rc)
			return eacct_fail("%s: %s", dir, strerror(-rc));
		joules = cg.energy_uj / 1e6;
	} else if (eacct_parse_energy(argv[optind], &joules, err, sizeof(err))) {
		return eacct_fail("%s", err);
	}
	if (intensity) {
		if (eacct_parse_intensity(intensity, &g, err, sizeof(err)))
			return eacct_fail("--intensity %s", err);
		snprintf(src, sizeof(src), "given");
	} else if (region) {
		r = eacct_region_find(region);
		if (!r)
			return eacct_fail("--region '%s': not an ISO 3166-1 alpha-3 code in the table",
					  region);
		g = r->g_per_kwh;
		snprintf(src, sizeof(src), "region %s (%s, %d)", r->iso3, r->name, r->year);
	} else if (!configured(&ctx->cfg, &g, src, sizeof(src))) {
		return eacct_fail("no intensity: give --intensity or --region, or configure one for eacctd");
	}
	co2e = eacct_co2e_g(joules, pue, g);

	if (ctx->json) {
		o = json_object_new_object();
		if (cgroup) {
			json_object_object_add(o, "cgroup", json_object_new_string(cg.path));
			json_object_object_add(o, "id", eacct_json_u64(cg.id));
			json_object_object_add(o, "accounted_co2e_g",
					       json_object_new_double(cg.carbon_ug / 1e6));
		}
		json_object_object_add(o, "energy_j", json_object_new_double(joules));
		json_object_object_add(o, "energy_kwh", json_object_new_double(joules / EACCT_J_PER_KWH));
		json_object_object_add(o, "pue", json_object_new_double(pue));
		json_object_object_add(o, "intensity_g_per_kwh", json_object_new_double(g));
		json_object_object_add(o, "intensity_source", json_object_new_string(src));
		json_object_object_add(o, "co2e_g", json_object_new_double(co2e));
		eacct_json_print(o);
		free(cg.path);
		return 0;
	}
	if (cgroup)
		printf("cgroup      %s (id %llu)\n", cg.path, (unsigned long long)cg.id);
	eacct_format_energy(joules, buf, sizeof(buf));
	printf("energy      %s = ", buf);
	if (joules >= 3600) {
		eacct_format_kwh(joules, buf, sizeof(buf));
		printf("%s\n", buf);
	} else {
		printf("%.3g kWh\n", joules / EACCT_J_PER_KWH);
	}
	printf("intensity   %g g/kWh, %s\n", g, src);
	printf("PUE         %.2f\n", pue);
	eacct_format_mass(co2e, buf, sizeof(buf));
	printf("CO2e        %s\n", buf);
	if (cgroup) {
		eacct_format_mass(cg.carbon_ug / 1e6, buf, sizeof(buf));
		printf("accounted   %s (each interval at the intensity then in force)\n", buf);
	}
	free(cg.path);
	return 0;
}
