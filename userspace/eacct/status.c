// SPDX-License-Identifier: GPL-2.0
/* eacct status: the module, the daemon, its meters and its intensity. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "lib/sysfile.h"
#include "lib/tree.h"
#include "lib/units.h"

static const char usage[] =
"Usage: eacct status [--json]\n"
"Whether eacct.ko is loaded and what it holds; whether eacctd runs, its\n"
"meters, GPUs, carbon intensity source and enforced budgets (from its\n"
"status file, status_file in eacctd.conf). Exit status 1 if either is\n"
"missing.\n";

static void module_json(const char *sysfs, struct json_object *o, bool *loaded)
{
	static const char *const stats[] = {
		"batches_applied", "batches_rejected", "cgroups", "cgroups_removed",
		"processes", "processes_dropped", "mirror_errors",
		"records_unmirrored", "records_unresolved",
	};
	struct eacct_domain_stat d[64];
	char path[PATH_MAX + 64], version[32] = "";
	struct json_object *doms, *e;
	uint64_t v;
	size_t i;
	int n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/version", sysfs);
	f = fopen(path, "r");
	*loaded = f && fscanf(f, "%31s", version) == 1;
	if (f)
		fclose(f);
	json_object_object_add(o, "loaded", json_object_new_boolean(*loaded));
	if (!*loaded)
		return;
	json_object_object_add(o, "version", json_object_new_string(version));
	snprintf(path, sizeof(path), "%s/seq", sysfs);
	if (!eacct_file_u64(AT_FDCWD, path, &v))
		json_object_object_add(o, "seq", eacct_json_u64(v));
	for (i = 0; i < sizeof(stats) / sizeof(stats[0]); i++) {
		snprintf(path, sizeof(path), "%s/stats/%s", sysfs, stats[i]);
		if (!eacct_file_u64(AT_FDCWD, path, &v))
			json_object_object_add(o, stats[i], eacct_json_u64(v));
	}
	doms = json_object_new_array();
	n = eacct_domains_read(sysfs, d, 64);
	for (i = 0; n > 0 && i < (size_t)n; i++) {
		e = json_object_new_object();
		json_object_object_add(e, "domain", json_object_new_string(d[i].name));
		json_object_object_add(e, "energy_uj", eacct_json_u64(d[i].energy_uj));
		json_object_object_add(e, "idle_uj", eacct_json_u64(d[i].idle_uj));
		json_object_object_add(e, "carbon_ug", eacct_json_u64(d[i].carbon_ug));
		json_object_array_add(doms, e);
	}
	json_object_object_add(o, "domains", doms);
}

static uint64_t u64_of(struct json_object *o, const char *key)
{
	struct json_object *v;

	return o && json_object_object_get_ex(o, key, &v) ? json_object_get_uint64(v) : 0;
}

static void print_module(struct json_object *m)
{
	struct json_object *doms, *d;
	char e[32], g[32];
	size_t i;

	printf("module      eacct.ko %s: batch %llu; %llu cgroups (%llu removed, kept), %llu processes; %llu batches applied, %llu refused\n",
	       eacct_json_str(m, "version", "?"), (unsigned long long)u64_of(m, "seq"),
	       (unsigned long long)u64_of(m, "cgroups"),
	       (unsigned long long)u64_of(m, "cgroups_removed"),
	       (unsigned long long)u64_of(m, "processes"),
	       (unsigned long long)u64_of(m, "batches_applied"),
	       (unsigned long long)u64_of(m, "batches_rejected"));
	/* Charges that landed above their own cgroup: worth a look if many. */
	if (u64_of(m, "records_unmirrored") || u64_of(m, "records_unresolved"))
		printf("            %llu records charged to an ancestor (no directory of their own), %llu to the root (no such cgroup)\n",
		       (unsigned long long)u64_of(m, "records_unmirrored"),
		       (unsigned long long)u64_of(m, "records_unresolved"));
	if (!json_object_object_get_ex(m, "domains", &doms))
		return;
	for (i = 0; i < json_object_array_length(doms); i++) {
		d = json_object_array_get_idx(doms, i);
		eacct_format_energy(u64_of(d, "energy_uj") / 1e6, e, sizeof(e));
		eacct_format_mass(u64_of(d, "carbon_ug") / 1e6, g, sizeof(g));
		printf("domain      %-10s %10s, %s CO2e, %.0f %% idle\n",
		       eacct_json_str(d, "domain", "?"), e, g,
		       u64_of(d, "energy_uj") ? 100.0 * u64_of(d, "idle_uj") / u64_of(d, "energy_uj") : 0);
	}
}

/* What eacctd sent, carried, lost or could not place: silent when all is well. */
static void print_ledger(struct json_object *st)
{
	struct json_object *l;
	char e[32];

	if (!json_object_object_get_ex(st, "ledger", &l))
		return;
	if (u64_of(l, "carried_records")) {
		eacct_format_energy(u64_of(l, "carried_uj") / 1e6, e, sizeof(e));
		printf("carried     %s in %llu records, refused by the module, sent with the next batch\n",
		       e, (unsigned long long)u64_of(l, "carried_records"));
	}
	if (u64_of(l, "lost_uj")) {
		eacct_format_energy(u64_of(l, "lost_uj") / 1e6, e, sizeof(e));
		printf("LOST        %s in batches the module refused for good (see eacctd's log)\n", e);
	}
	if (*eacct_json_str(l, "gap", ""))
		printf("gap         not counted while eacctd was down: %s\n", eacct_json_str(l, "gap", ""));
	if (*eacct_json_str(l, "wrap_gap", ""))
		printf("gap         whole meter wraps may be missing: %s\n",
		       eacct_json_str(l, "wrap_gap", ""));
	if (json_object_object_get_ex(l, "state_saved", &l) && !json_object_get_boolean(l))
		printf("state       NOT SAVED: a restart would lose or repeat an interval\n");
}

/* BPF's loss counters: each one above zero, or that none is. */
static void print_losses(struct json_object *st)
{
	struct json_object *l;
	bool any = false;

	if (!json_object_object_get_ex(st, "bpf_losses", &l))
		return;
	json_object_object_foreach(l, key, v) {
		if (!json_object_get_uint64(v))
			continue;
		printf("%s %s %llu", any ? "," : "bpf losses ", key,
		       (unsigned long long)json_object_get_uint64(v));
		any = true;
	}
	printf(any ? " (see eacctd's log)\n" : "bpf losses  none\n");
}

static void print_daemon(struct json_object *st, bool running)
{
	struct json_object *arr, *e, *in, *v;
	time_t updated = (time_t)u64_of(st, "updated");
	size_t i;

	if (!st) {
		printf("daemon      eacctd not running (no status file)\n");
		return;
	}
	printf("daemon      eacctd %s (pid %llu), interval %llu ms, last interval %lld s ago\n",
	       running ? "running" : "NOT RUNNING (stale status file)",
	       (unsigned long long)u64_of(st, "pid"),
	       (unsigned long long)u64_of(st, "interval_ms"),
	       (long long)(time(NULL) - updated));
	if (json_object_object_get_ex(st, "domains", &arr)) {
		for (i = 0; i < json_object_array_length(arr); i++) {
			e = json_object_array_get_idx(arr, i);
			printf("meter       %-10s %s%s %s\n", eacct_json_str(e, "domain", "?"),
			       json_object_object_get_ex(e, "estimated", &v) &&
			       json_object_get_boolean(v) ? "ESTIMATED " : "",
			       eacct_json_str(e, "meter", "?"), eacct_json_str(e, "source", ""));
		}
	}
	if (json_object_object_get_ex(st, "gpus", &arr)) {
		for (i = 0; i < json_object_array_length(arr); i++) {
			e = json_object_array_get_idx(arr, i);
			printf("gpu         %-10s split by %s\n", eacct_json_str(e, "domain", "?"),
			       eacct_json_str(e, "method", "nothing yet"));
		}
	}
	if (json_object_object_get_ex(st, "intensity", &in)) {
		double g = json_object_object_get_ex(in, "g_per_kwh", &v) ? json_object_get_double(v) : 0;

		printf("intensity   %g g/kWh (%s), from %s%s%s, PUE %.2f\n", g,
		       eacct_json_str(in, "signal", "average"), eacct_json_str(in, "source", "?"),
		       *eacct_json_str(in, "error", "") ? "; " : "", eacct_json_str(in, "error", ""),
		       json_object_object_get_ex(st, "pue", &v) ? json_object_get_double(v) : 1.0);
	}
	if (json_object_object_get_ex(st, "enforced", &arr)) {
		for (i = 0; i < json_object_array_length(arr); i++) {
			e = json_object_array_get_idx(arr, i);
			printf("enforced    %s: %s (%s)\n", eacct_json_str(e, "cgroup", "?"),
			       eacct_json_str(e, "state", "?"), eacct_json_str(e, "action", "?"));
		}
	}
	if (*eacct_json_str(st, "metrics", ""))
		printf("metrics     http://%s/metrics\n", eacct_json_str(st, "metrics", ""));
	print_ledger(st);
	print_losses(st);
}

int cmd_status(struct eacct_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = { EACCT_COMMON_OPTS, { 0 } };
	struct json_object *o, *m = json_object_new_object(), *st;
	bool loaded, running;
	int c;

	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		if (c == 'j') {
			ctx->json = true;
		} else {
			json_object_put(m);
			if (c != 'h')
				return eacct_usage_error("status", eacct_bad_arg(argc, argv));
			fputs(usage, stdout);
			return 0;
		}
	}
	module_json(ctx->sysfs, m, &loaded);
	st = eacct_daemon_status(ctx, &running);
	if (ctx->json) {
		o = json_object_new_object();
		json_object_object_add(o, "module", m);
		json_object_object_add(o, "daemon_running", json_object_new_boolean(running));
		json_object_object_add(o, "daemon", st ? json_object_get(st) : NULL);
		eacct_json_print(o);
	} else {
		if (loaded)
			print_module(m);
		else
			printf("module      eacct.ko NOT LOADED (%s missing; modprobe eacct)\n",
			       ctx->sysfs);
		print_daemon(st, running);
		json_object_put(m);
	}
	json_object_put(st);
	return loaded && running ? 0 : 1;
}
