// SPDX-License-Identifier: GPL-2.0
/* eacct show CGROUP: one cgroup's counters, budget, labels and processes. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lib/labels.h"
#include "lib/procs.h"
#include "lib/tree.h"
#include "lib/units.h"

static const char usage[] =
"Usage: eacct show CGROUP [--json]\n"
"A cgroup's energy (all domains, and CPU, DRAM, GPU), its CO2e, its budget,\n"
"the names its path gives (systemd unit, container, pod) and its processes.\n"
"Counters include the cgroup's descendants. CGROUP: a path or an id.\n";

struct json_object *eacct_labels_json(const struct eacct_labels *l)
{
	struct json_object *o = json_object_new_object();

	if (l->kind[0])
		json_object_object_add(o, "kind", json_object_new_string(l->kind));
	if (l->unit[0])
		json_object_object_add(o, "unit", json_object_new_string(l->unit));
	if (l->runtime[0])
		json_object_object_add(o, "runtime", json_object_new_string(l->runtime));
	if (l->container_id[0])
		json_object_object_add(o, "container_id", json_object_new_string(l->container_id));
	if (l->pod_uid[0])
		json_object_object_add(o, "pod_uid", json_object_new_string(l->pod_uid));
	if (l->qos[0])
		json_object_object_add(o, "qos", json_object_new_string(l->qos));
	if (l->user[0])
		json_object_object_add(o, "user", json_object_new_string(l->user));
	if (l->conmon)
		json_object_object_add(o, "conmon", json_object_new_boolean(true));
	if (l->rootless)
		json_object_object_add(o, "rootless", json_object_new_boolean(true));
	return o;
}

struct json_object *eacct_cg_json(const struct eacct_cg_stat *c)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "cgroup", json_object_new_string(c->path));
	json_object_object_add(o, "id", eacct_json_u64(c->id));
	json_object_object_add(o, "energy_uj", eacct_json_u64(c->energy_uj));
	json_object_object_add(o, "cpu_energy_uj", eacct_json_u64(c->cpu_uj));
	json_object_object_add(o, "dram_energy_uj", eacct_json_u64(c->dram_uj));
	json_object_object_add(o, "gpu_energy_uj", eacct_json_u64(c->gpu_uj));
	json_object_object_add(o, "carbon_ug", eacct_json_u64(c->carbon_ug));
	json_object_object_add(o, "budget_ug", eacct_json_u64(c->budget_ug));
	json_object_object_add(o, "energy_budget_uj", eacct_json_u64(c->energy_budget_uj));
	json_object_object_add(o, "budget_action", json_object_new_string(c->action));
	json_object_object_add(o, "budget_exceeded", json_object_new_boolean(c->exceeded));
	json_object_object_add(o, "removed", json_object_new_boolean(c->removed));
	return o;
}

/* Is the process row's cgroup @path or below it? */
static bool under(const char *cg, const char *path)
{
	size_t n = strlen(path);

	return !strcmp(path, "/") || (!strncmp(cg, path, n) && (!cg[n] || cg[n] == '/'));
}

static void print_labels(const struct eacct_labels *l)
{
	if (!l->kind[0])
		return;
	printf("labels      %s", l->kind);
	if (l->pod_uid[0])
		printf(", pod %s (%s)", l->pod_uid, l->qos);
	if (l->container_id[0])
		printf(", %s %.12s (%s)", l->conmon ? "conmon of" : "container",
		       l->container_id, l->runtime);
	if (l->unit[0])
		printf(", unit %s", l->unit);
	if (l->user[0])
		printf(", user %s%s", l->user, l->rootless ? " (rootless)" : "");
	putchar('\n');
}

static void print_budget(const struct eacct_cg_stat *c)
{
	char b1[32], b2[32];

	if (!c->budget_ug && !c->energy_budget_uj) {
		printf("budget      none\n");
		return;
	}
	if (c->budget_ug) {
		eacct_format_mass(c->budget_ug / 1e6, b1, sizeof(b1));
		printf("budget      %s CO2e, %.0f %% used", b1, 100.0 * c->carbon_ug / c->budget_ug);
	}
	if (c->energy_budget_uj) {
		eacct_format_energy(c->energy_budget_uj / 1e6, b2, sizeof(b2));
		printf("%s%s, %.0f %% used", c->budget_ug ? "; " : "budget      ", b2,
		       100.0 * c->energy_uj / c->energy_budget_uj);
	}
	printf("; action %s; %s\n", c->action, c->exceeded ? "EXCEEDED" : "within budget");
}

int cmd_show(struct eacct_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = { EACCT_COMMON_OPTS, { 0 } };
	char dir[PATH_MAX], path[PATH_MAX], b[4][32];
	struct json_object *o, *procs;
	struct eacct_cg_stat c;
	struct eacct_labels l;
	struct eacct_procs p;
	int rc, opt;
	size_t i;

	while ((opt = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		if (opt == 'j') {
			ctx->json = true;
		} else {
			if (opt != 'h')
				return eacct_usage_error("show", eacct_bad_arg(argc, argv));
			fputs(usage, stdout);
			return 0;
		}
	}
	if (optind + 1 != argc) {
		return eacct_usage_error("show", optind < argc ? argv[optind] : NULL);
	}
	if (!eacct_module_present(ctx))
		return 1;
	rc = eacct_tree_resolve(ctx->sysfs, ctx->cgroup_mount, argv[optind], dir, sizeof(dir),
				path, sizeof(path));
	if (rc)
		return eacct_fail("%s: %s", argv[optind], rc == -ENOENT ?
				  "no such cgroup in eacct (never charged?)" :
				  "not a cgroup path or id");
	rc = eacct_cg_read(dir, path, &c);
	if (rc)
		return eacct_fail("%s: %s", dir, strerror(-rc));
	eacct_cgroup_labels(c.path, &l);
	if (eacct_procs_read(EACCT_PROCS_FILE, &p))
		memset(&p, 0, sizeof(p));

	if (ctx->json) {
		o = eacct_cg_json(&c);
		json_object_object_add(o, "labels", eacct_labels_json(&l));
		procs = json_object_new_array();
		for (i = 0; i < p.n; i++) {
			struct json_object *r;

			if (!under(p.rows[i].cgroup, c.path))
				continue;
			r = json_object_new_object();
			json_object_object_add(r, "pid", json_object_new_int64(p.rows[i].pid));
			json_object_object_add(r, "comm", json_object_new_string(p.rows[i].comm));
			json_object_object_add(r, "state", json_object_new_string(
						       p.rows[i].exited ? "exited" : "live"));
			json_object_object_add(r, "cgroup", json_object_new_string(p.rows[i].cgroup));
			json_object_object_add(r, "cpu_energy_uj", eacct_json_u64(p.rows[i].cpu_uj));
			json_object_object_add(r, "dram_energy_uj", eacct_json_u64(p.rows[i].dram_uj));
			json_object_object_add(r, "gpu_energy_uj", eacct_json_u64(p.rows[i].gpu_uj));
			json_object_object_add(r, "carbon_ug", eacct_json_u64(p.rows[i].carbon_ug));
			json_object_array_add(procs, r);
		}
		json_object_object_add(o, "processes", procs);
		eacct_json_print(o);
	} else {
		printf("cgroup      %s (id %llu)%s\n", c.path, (unsigned long long)c.id,
		       c.removed ? ", REMOVED (kept for retention)" : "");
		print_labels(&l);
		eacct_format_energy(c.energy_uj / 1e6, b[0], sizeof(b[0]));
		eacct_format_energy(c.cpu_uj / 1e6, b[1], sizeof(b[1]));
		eacct_format_energy(c.dram_uj / 1e6, b[2], sizeof(b[2]));
		eacct_format_energy(c.gpu_uj / 1e6, b[3], sizeof(b[3]));
		printf("energy      %s (CPU %s, DRAM %s, GPU %s)\n", b[0], b[1], b[2], b[3]);
		eacct_format_mass(c.carbon_ug / 1e6, b[0], sizeof(b[0]));
		printf("CO2e        %s\n", b[0]);
		print_budget(&c);
		for (i = 0; i < p.n; i++) {
			const struct eacct_proc_row *r = &p.rows[i];

			if (!under(r->cgroup, c.path))
				continue;
			eacct_format_energy((r->cpu_uj + r->dram_uj + r->gpu_uj) / 1e6, b[0],
					    sizeof(b[0]));
			eacct_format_mass(r->carbon_ug / 1e6, b[1], sizeof(b[1]));
			printf("process     %-7u %-15s %-6s %10s %10s  %s\n", r->pid, r->comm,
			       r->exited ? "exited" : "live", b[0], b[1], r->cgroup);
		}
	}
	eacct_procs_free(&p);
	free(c.path);
	return 0;
}
