// SPDX-License-Identifier: GPL-2.0
/*
 * eacct meters: the meter detection report, the same detection eacctd
 * runs and logs at start.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lib/gpu.h"
#include "lib/meter.h"
#include "lib/nvml.h"
#include "lib/topology.h"

#define MAX_METERS 64

static const char usage[] =
"Usage: eacct meters [--json]\n"
"The energy meters found, which one each domain uses, the domains that\n"
"will be estimated for lack of one, and every GPU with how it is metered.\n"
"Meter roots come from eacctd's configuration (eacct -c CONFIG).\n";

static const char *status(struct eacct_meter *m, struct eacct_meter *all, int n)
{
	if (!m->usable)
		return "unusable";
	return eacct_meter_pick(all, n, m->domain) == m ? "in use" : "alternative";
}

/* Every GPU in the DRM class and how it is metered (into @arr with JSON). */
static void list_gpus(const struct eacct_config *cfg, struct json_object *arr)
{
	static struct eacct_gpu g[EACCT_MAX_GPUS];
	struct eacct_nvml_gpu *nv[EACCT_MAX_GPUS] = { NULL };
	struct eacct_nvml_lib *lib = NULL;
	int n = eacct_gpus_detect(cfg->drm_root, g, EACCT_MAX_GPUS), i;
	const char *kind, *st, *source;
	struct json_object *o;
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
		if (arr) {
			o = json_object_new_object();
			json_object_object_add(o, "domain", json_object_new_string(g[i].name));
			json_object_object_add(o, "driver", json_object_new_string(g[i].driver));
			json_object_object_add(o, "device", json_object_new_string(g[i].device));
			json_object_object_add(o, "meter", json_object_new_string(kind));
			json_object_object_add(o, "status", json_object_new_string(st));
			json_object_object_add(o, "source", json_object_new_string(source));
			if (nv[i]) {
				json_object_object_add(o, "name", json_object_new_string(nv[i]->name));
				json_object_object_add(o, "mig", json_object_new_boolean(nv[i]->mig));
			}
			json_object_array_add(arr, o);
		} else {
			printf("%-11s %-9s %-12s %s (%s%s%s)%s%s\n", g[i].name, kind, st, source,
			       g[i].driver, nv[i] ? ", " : "", nv[i] ? nv[i]->name : "",
			       g[i].has_meter && !g[i].meter.usable ? ": " : "",
			       g[i].has_meter && !g[i].meter.usable ? g[i].meter.error : "");
		}
	}
	if (!arr && !lib && strcmp(cfg->nvml_library, "none"))
		printf("%-11s %-9s %-12s %s\n", "nvidia", "nvml", "none", err);
	eacct_nvml_close(lib);
}

static struct json_object *meter_json(const struct eacct_meter *m, const char *st)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "domain", json_object_new_string(m->domain));
	json_object_object_add(o, "meter", json_object_new_string(eacct_meter_kind_name(m->kind)));
	json_object_object_add(o, "status", json_object_new_string(st));
	json_object_object_add(o, "source", json_object_new_string(m->source));
	if (!m->usable)
		json_object_object_add(o, "error", json_object_new_string(m->error));
	json_object_object_add(o, "estimated", json_object_new_boolean(false));
	return o;
}

static struct json_object *model_json(const char *domain, const struct eacct_config *cfg)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "domain", json_object_new_string(domain));
	json_object_object_add(o, "meter", json_object_new_string("model"));
	json_object_object_add(o, "idle_w", json_object_new_double(cfg->model_idle_w));
	json_object_object_add(o, "tdp_w", json_object_new_double(cfg->model_tdp_w));
	return o;
}

int cmd_meters(struct eacct_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = { EACCT_COMMON_OPTS, { 0 } };
	struct eacct_meter_roots roots = eacct_meter_real_roots;
	const struct eacct_config *cfg = &ctx->cfg;
	static struct eacct_meter m[MAX_METERS];
	struct json_object *root = NULL, *meters = NULL, *est = NULL, *gpus = NULL;
	static uint8_t pkg[4096];
	char domain[32];
	int n, i, p, nr_pkgs, kind, c;

	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		if (c == 'j') {
			ctx->json = true;
		} else {
			if (c != 'h')
				return eacct_usage_error("meters", eacct_bad_arg(argc, argv));
			fputs(usage, stdout);
			return 0;
		}
	}
	roots.powercap = cfg->powercap_root;
	roots.perf_pmu = cfg->perf_pmu_root;
	roots.msr = cfg->msr_root;
	roots.hwmon = cfg->hwmon_root;
	roots.cpu = cfg->cpu_root;
	n = eacct_meters_detect(&roots, m, MAX_METERS);
	nr_pkgs = eacct_cpu_packages(cfg->cpu_root, pkg, 4096, 8);

	if (ctx->json) {
		root = json_object_new_object();
		meters = json_object_new_array();
		est = json_object_new_array();
		gpus = json_object_new_array();
		json_object_object_add(root, "meters", meters);
		json_object_object_add(root, "estimated", est);
		json_object_object_add(root, "gpus", gpus);
	} else {
		printf("%-11s %-9s %-12s %s\n", "DOMAIN", "METER", "STATUS", "SOURCE");
	}
	for (i = 0; i < n; i++) {
		if (ctx->json)
			json_object_array_add(meters, meter_json(&m[i], status(&m[i], m, n)));
		else
			printf("%-11s %-9s %-12s %s%s%s\n", m[i].domain,
			       eacct_meter_kind_name(m[i].kind), status(&m[i], m, n),
			       m[i].source, m[i].usable ? "" : ": ",
			       m[i].usable ? "" : m[i].error);
	}
	/* Packages with no usable meter: eacctd estimates them. */
	for (p = 0; p < nr_pkgs; p++) {
		for (kind = 0; kind < 2; kind++) {
			snprintf(domain, sizeof(domain), "%s-%d", kind ? "dram" : "package", p);
			if (eacct_meter_pick(m, n, domain))
				continue;
			if (kind && !ctx->json)
				printf("%-11s %-9s %-12s %s\n", domain, "-", "none",
				       "not metered: DRAM energy is not accounted");
			else if (!kind && ctx->json)
				json_object_array_add(est, model_json(domain, cfg));
			else if (!kind)
				printf("%-11s %-9s %-12s %.0f W idle + utilisation x (%.0f W - %.0f W)\n",
				       domain, "model", "ESTIMATED", cfg->model_idle_w,
				       cfg->model_tdp_w, cfg->model_idle_w);
		}
	}
	list_gpus(cfg, gpus);
	if (ctx->json) {
		json_object_object_add(root, "activity", json_object_new_string(
			"on-CPU time (se.sum_exec_runtime, BPF); no PMU weighting"));
		json_object_object_add(root, "packages", json_object_new_int(nr_pkgs));
		eacct_json_print(root);
	} else {
		printf("\nactivity: on-CPU time per cgroup and package from BPF (se.sum_exec_runtime); no PMU weighting\n"
		       "GPU activity: fence busy time (dma_fence bound at the submitting ioctl; drm_sched jobs from when they run), else fdinfo engine time, else ioctl count\n");
	}
	return 0;
}
