// SPDX-License-Identifier: GPL-2.0
/*
 * eacct: the admin command. Today: "eacct meters", the meter detection
 * report (the same detection eacctd runs and logs at start).
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/config.h"
#include "lib/gpu.h"
#include "lib/meter.h"
#include "lib/nvml.h"
#include "lib/topology.h"

#define MAX_METERS 64

static const char usage[] =
"Usage: eacct [-c CONFIG] [--json] meters\n"
"  meters        the energy meters found, which one each domain uses, and\n"
"                the domains that will be estimated for lack of one\n"
"  -c, --config  eacctd's configuration, for its meter roots (default\n"
"                " EACCT_CONFIG_PATH ", if present)\n"
"  -j, --json    JSON output\n";

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static const char *status(struct eacct_meter *m, struct eacct_meter *all, int n)
{
	if (!m->usable)
		return "unusable";
	return eacct_meter_pick(all, n, m->domain) == m ? "in use" : "alternative";
}

/* Every GPU in the DRM class and how it is metered. */
static void list_gpus(const struct eacct_config *cfg, bool json)
{
	static struct eacct_gpu g[EACCT_MAX_GPUS];
	struct eacct_nvml_gpu *nv[EACCT_MAX_GPUS] = { NULL };
	struct eacct_nvml_lib *lib = NULL;
	int n = eacct_gpus_detect(cfg->drm_root, g, EACCT_MAX_GPUS), i;
	const char *kind, *st, *source;
	char err[256] = "";

	if (strcmp(cfg->nvml_library, "none"))
		lib = eacct_nvml_open(cfg->nvml_library, err, sizeof(err));
	if (lib)
		n = eacct_gpus_add_nvml(lib, g, n, EACCT_MAX_GPUS, nv);
	for (i = 0; i < n; i++) {
		kind = g[i].has_meter ? eacct_meter_kind_name(g[i].meter.kind) : "-";
		st = !g[i].has_meter ? "none" : !g[i].meter.usable ? "unusable" :
		     g[i].meter.integrated ? "INTEGRATED" : "in use";
		source = g[i].has_meter ? g[i].meter.source : "no energy meter: use counted, not charged";
		if (nv[i] && (!g[i].has_meter || !g[i].meter.usable)) {
			kind = "nvml";
			st = nv[i]->lost || nv[i]->error[0] ? "unusable" :
			     nv[i]->integrated ? "INTEGRATED" : "in use";
			source = nv[i]->error[0] ? nv[i]->error : nv[i]->integrated ?
				 "power x time (no energy counter)" : "energy counter";
		}
		if (json) {
			printf("%s{\"domain\": \"%s\", \"driver\": ", i ? ", " : "", g[i].name);
			json_str(g[i].driver);
			printf(", \"device\": ");
			json_str(g[i].device);
			printf(", \"meter\": \"%s\", \"status\": \"%s\", \"source\": ", kind, st);
			json_str(source);
			if (nv[i]) {
				printf(", \"name\": ");
				json_str(nv[i]->name);
				printf(", \"mig\": %s", nv[i]->mig ? "true" : "false");
			}
			printf("}");
		} else {
			printf("%-11s %-9s %-12s %s (%s%s%s)%s%s\n", g[i].name, kind, st, source,
			       g[i].driver, nv[i] ? ", " : "", nv[i] ? nv[i]->name : "",
			       g[i].has_meter && !g[i].meter.usable ? ": " : "",
			       g[i].has_meter && !g[i].meter.usable ? g[i].meter.error : "");
		}
	}
	if (!json && !lib && strcmp(cfg->nvml_library, "none"))
		printf("%-11s %-9s %-12s %s\n", "nvidia", "nvml", "none", err);
	eacct_nvml_close(lib);
}

static int cmd_meters(const struct eacct_config *cfg, bool json)
{
	struct eacct_meter_roots roots = eacct_meter_real_roots;
	static struct eacct_meter m[MAX_METERS];
	static uint8_t pkg[4096];
	char domain[32];
	int n, i, p, nr_pkgs, kind, first = 1;

	roots.powercap = cfg->powercap_root;
	roots.perf_pmu = cfg->perf_pmu_root;
	roots.msr = cfg->msr_root;
	roots.hwmon = cfg->hwmon_root;
	roots.cpu = cfg->cpu_root;
	n = eacct_meters_detect(&roots, m, MAX_METERS);
	nr_pkgs = eacct_cpu_packages(cfg->cpu_root, pkg, 4096, 8);

	if (json)
		printf("{\"meters\": [");
	else
		printf("%-11s %-9s %-12s %s\n", "DOMAIN", "METER", "STATUS", "SOURCE");
	for (i = 0; i < n; i++) {
		if (json) {
			printf("%s{\"domain\": ", i ? ", " : "");
			json_str(m[i].domain);
			printf(", \"meter\": \"%s\", \"status\": \"%s\", \"source\": ",
			       eacct_meter_kind_name(m[i].kind), status(&m[i], m, n));
			json_str(m[i].source);
			if (!m[i].usable) {
				printf(", \"error\": ");
				json_str(m[i].error);
			}
			printf(", \"estimated\": false}");
		} else {
			printf("%-11s %-9s %-12s %s%s%s\n", m[i].domain,
			       eacct_meter_kind_name(m[i].kind), status(&m[i], m, n),
			       m[i].source, m[i].usable ? "" : ": ",
			       m[i].usable ? "" : m[i].error);
		}
	}
	if (json)
		printf("], \"estimated\": [");
	/* Packages with no usable meter: eacctd estimates them. */
	for (p = 0; p < nr_pkgs; p++) {
		for (kind = 0; kind < 2; kind++) {
			snprintf(domain, sizeof(domain), "%s-%d", kind ? "dram" : "package", p);
			if (eacct_meter_pick(m, n, domain))
				continue;
			if (kind) {
				if (!json)
					printf("%-11s %-9s %-12s %s\n", domain, "-", "none",
					       "not metered: DRAM energy is not accounted");
				continue;
			}
			if (json) {
				printf("%s{\"domain\": \"%s\", \"meter\": \"model\", "
				       "\"idle_w\": %g, \"tdp_w\": %g}", first ? "" : ", ",
				       domain, cfg->model_idle_w, cfg->model_tdp_w);
				first = 0;
			} else {
				printf("%-11s %-9s %-12s %.0f W idle + utilisation x (%.0f W - %.0f W)\n",
				       domain, "model", "ESTIMATED", cfg->model_idle_w,
				       cfg->model_tdp_w, cfg->model_idle_w);
			}
		}
	}
	if (json)
		printf("], \"gpus\": [");
	list_gpus(cfg, json);
	if (json)
		printf("], \"activity\": \"on-CPU time (se.sum_exec_runtime, BPF); no PMU weighting\", \"packages\": %d}\n",
		       nr_pkgs);
	else
		printf("\nactivity: on-CPU time per cgroup and package from BPF (se.sum_exec_runtime); no PMU weighting\n"
		       "GPU activity: fence busy time (DRM dma_fence bound at the submitting ioctl), else ioctl count\n");
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *path = EACCT_CONFIG_PATH;
	struct eacct_config cfg;
	bool json = false, explicit = false, missing;
	char err[256];
	int c, rc;

	while ((c = getopt_long(argc, argv, "c:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			explicit = true;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	rc = eacct_config_read(&cfg, path, explicit, &missing, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "eacct: %s\n", err);
		return 1;
	}
	if (optind < argc && !strcmp(argv[optind], "meters"))
		return cmd_meters(&cfg, json);
	if (optind < argc)
		fprintf(stderr, "eacct: unknown command '%s'\n", argv[optind]);
	fputs(usage, stderr);
	return 2;
}
