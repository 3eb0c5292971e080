// SPDX-License-Identifier: GPL-2.0
/*
 * eacct budget set|show|clear: carbon and energy budgets in eacct.ko
 * (budget_ug, energy_budget_uj, budget_action); eacctd enforces them.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "lib/cgroupctl.h"
#include "lib/labels.h"
#include "lib/sysfile.h"
#include "lib/tree.h"
#include "lib/units.h"

static const char usage[] =
"Usage: eacct budget set CGROUP AMOUNT [--action ACTION] [--from-now]\n"
"       eacct budget show [CGROUP] [--json]\n"
"       eacct budget clear CGROUP [--carbon | --energy]\n"
"A budget covers the cgroup and its descendants, on what eacct accounted\n"
"since the module was loaded (--from-now: AMOUNT more than so far).\n"
"  AMOUNT   CO2e in ug, mg, g, kg or t; or energy in J, kJ, MJ, Wh, kWh,\n"
"           MWh, GWh for an energy budget. A cgroup may have one of each.\n"
"  --action=notify        log and a uevent (the default)\n"
"  --action=throttle=PCT  cpu.max at PCT %% of its CPUs until no longer over\n"
"  --action=freeze        cgroup.freeze until no longer over\n"
"eacctd applies the action; raising or clearing the budget undoes it.\n";

/* Write @val to @file in the cgroup's mirrored directory @dir. */
static int put(const char *dir, const char *file, const char *val)
{
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return eacct_file_write(AT_FDCWD, path, val);
}

static int put_fail(const char *file, int err)
{
	return eacct_fail("%s: %s%s", file, strerror(-err),
			  err == -EACCES || err == -EPERM ?
			  " (budgets are root's, with CAP_SYS_ADMIN)" : "");
}

static bool valid_action(const char *a)
{
	enum eacct_action action;
	unsigned int pct;

	return eacct_action_parse(a, &action, &pct);
}

static int resolve(struct eacct_ctx *ctx, const char *name, char *dir, char *path)
{
	int rc;

	if (!eacct_module_present(ctx))
		return 1;
	rc = eacct_tree_resolve(ctx->sysfs, ctx->cgroup_mount, name, dir, PATH_MAX, path,
				PATH_MAX);
	if (rc)
		return eacct_fail("%s: %s", name, rc == -ENOENT ?
				  "no such cgroup in eacct (never charged?)" :
				  "not a cgroup path or id");
	return 0;
}

static int budget_set(struct eacct_ctx *ctx, const char *name, const char *amount,
		      const char *action, bool from_now)
{
	char dir[PATH_MAX], path[PATH_MAX], err[256], val[32];
	struct eacct_cg_stat c;
	bool energy;
	double v;
	uint64_t u;
	int rc;

	if (eacct_parse_budget(amount, &v, &energy, err, sizeof(err)))
		return eacct_fail("%s", err);
	if (action && !valid_action(action))
		return eacct_fail("--action '%s': notify, throttle=PCT (1-99) or freeze", action);
	rc = resolve(ctx, name, dir, path);
	if (rc)
		return rc;
	rc = eacct_cg_read(dir, path, &c);
	if (rc)
		return eacct_fail("%s: %s", dir, strerror(-rc));
	free(c.path);
	v *= 1e6;			/* g -> ug, J -> uJ */
	if (from_now)
		v += energy ? (double)c.energy_uj : (double)c.carbon_ug;
	if (v < 1 || v > 1.8e19)
		return eacct_fail("'%s': %s", amount, v < 1 ? "rounds to no budget (0 clears: eacct budget clear)" :
				  "too large");
	u = (uint64_t)(v + 0.5);
	snprintf(val, sizeof(val), "%" PRIu64, u);
	/* The action first: the budget's crossing then names the right one. */
	if (action && (rc = put(dir, "budget_action", action)))
		return put_fail("budget_action", rc);
	rc = put(dir, energy ? "energy_budget_uj" : "budget_ug", val);
	if (rc)
		return put_fail(energy ? "energy_budget_uj" : "budget_ug", rc);
	if (!ctx->json) {
		printf("%s: %s budget %s%s", path, energy ? "energy" : "carbon", amount,
		       from_now ? " from now" : "");
		if (action)
			printf(", action %s", action);
		printf("\n");
	}
	return 0;
}

static int budget_clear(struct eacct_ctx *ctx, const char *name, bool carbon, bool energy)
{
	char dir[PATH_MAX], path[PATH_MAX];
	int rc = resolve(ctx, name, dir, path);

	if (rc)
		return rc;
	if (carbon && (rc = put(dir, "budget_ug", "0")))
		return put_fail("budget_ug", rc);
	if (energy && (rc = put(dir, "energy_budget_uj", "0")))
		return put_fail("energy_budget_uj", rc);
	if (carbon && energy && (rc = put(dir, "budget_action", "notify")))
		return put_fail("budget_action", rc);
	if (!ctx->json)
		printf("%s: %s cleared\n", path, carbon && energy ? "budgets" :
		       carbon ? "carbon budget" : "energy budget");
	return 0;
}

/* What eacctd did about @id's budget, from its status file. */
static const char *enforced(struct json_object *status, uint64_t id)
{
	struct json_object *arr, *e, *v;
	size_t i;

	if (!status || !json_object_object_get_ex(status, "enforced", &arr))
		return NULL;
	for (i = 0; i < json_object_array_length(arr); i++) {
		e = json_object_array_get_idx(arr, i);
		if (json_object_object_get_ex(e, "id", &v) &&
		    (uint64_t)json_object_get_uint64(v) == id)
			return eacct_json_str(e, "state", NULL);
	}
	return NULL;
}

/* One budget's line: what is used of it, and what was done. */
static void line(const struct eacct_cg_stat *c, const char *name, const char *used,
		 const char *budget, double pct, const char *done)
{
	printf("%-28.28s %10s %10s %5.0f%% %-12s %-8s %s\n", name, used, budget, pct, c->action,
	       c->exceeded ? "EXCEEDED" : "ok", done ? done : "-");
}

static void row(const struct eacct_cg_stat *c, const char *done)
{
	char used[32], budget[32], name[128];
	struct eacct_labels l;

	eacct_cgroup_labels(c->path, &l);
	eacct_labels_short(&l, c->path, name, sizeof(name));
	if (!l.kind[0] || !strcmp(l.kind, "systemd"))
		snprintf(name, sizeof(name), "%s", c->path);	/* containers by label */
	if (c->budget_ug) {
		eacct_format_mass(c->carbon_ug / 1e6, used, sizeof(used));
		eacct_format_mass(c->budget_ug / 1e6, budget, sizeof(budget));
		line(c, name, used, budget, 100.0 * c->carbon_ug / c->budget_ug, done);
	}
	if (c->energy_budget_uj) {
		eacct_format_energy(c->energy_uj / 1e6, used, sizeof(used));
		eacct_format_energy(c->energy_budget_uj / 1e6, budget, sizeof(budget));
		line(c, name, used, budget, 100.0 * c->energy_uj / c->energy_budget_uj, done);
	}
}

static int budget_show(struct eacct_ctx *ctx, const char *name)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct json_object *status, *arr = NULL, *o;
	struct eacct_tree t = { 0 };
	const char *done;
	bool running;
	size_t i;
	int rc;

	if (name) {
		rc = resolve(ctx, name, dir, path);
		if (rc)
			return rc;
		t.cgs = calloc(1, sizeof(*t.cgs));
		if (!t.cgs)
			return eacct_fail("out of memory");
		rc = eacct_cg_read(dir, path, &t.cgs[0]);
		t.n = rc ? 0 : 1;
	} else {
		if (!eacct_module_present(ctx))
			return 1;
		rc = eacct_tree_read_budgets(ctx->sysfs, &t);
	}
	if (rc)
		return eacct_fail("%s: %s", ctx->sysfs, strerror(-rc));
	status = eacct_daemon_status(ctx, &running);
	if (ctx->json)
		arr = json_object_new_array();
	else
		printf("%-28s %10s %10s %6s %-12s %-8s %s\n", "CGROUP", "USED", "BUDGET", "",
		       "ACTION", "STATE", "ENFORCED");
	for (i = 0; i < t.n; i++) {
		done = running ? enforced(status, t.cgs[i].id) : "eacctd not running";
		if (ctx->json) {
			o = eacct_cg_json(&t.cgs[i]);
			if (done)
				json_object_object_add(o, "enforced", json_object_new_string(done));
			json_object_array_add(arr, o);
		} else if (t.cgs[i].budget_ug || t.cgs[i].energy_budget_uj) {
			row(&t.cgs[i], done);
		} else {
			printf("%-28.28s no budget\n", t.cgs[i].path);
		}
	}
	if (arr)
		eacct_json_print(arr);
	json_object_put(status);
	eacct_tree_free(&t);
	return 0;
}

int cmd_budget(struct eacct_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "action", required_argument, NULL, 'a' },
		{ "from-now", no_argument, NULL, 'f' },
		{ "carbon", no_argument, NULL, 'C' },
		{ "energy", no_argument, NULL, 'E' },
		EACCT_COMMON_OPTS, { 0 },
	};
	bool from_now = false, carbon = false, energy = false;
	const char *action = NULL, *verb;
	int c, n;

	while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			action = optarg;
			break;
		case 'f':
			from_now = true;
			break;
		case 'C':
			carbon = true;
			break;
		case 'E':
			energy = true;
			break;
		case 'j':
			ctx->json = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			return eacct_usage_error("budget", eacct_bad_arg(argc, argv));
		}
	}
	n = argc - optind;
	verb = n ? argv[optind] : "show";
	if (!strcmp(verb, "set") && n == 3 && !carbon && !energy)
		return budget_set(ctx, argv[optind + 1], argv[optind + 2], action, from_now);
	if (!strcmp(verb, "show") && n <= 2 && !action && !from_now)
		return budget_show(ctx, n == 2 ? argv[optind + 1] : NULL);
	if (!strcmp(verb, "clear") && n == 2 && !action && !from_now)
		return budget_clear(ctx, argv[optind + 1], carbon || !energy, energy || !carbon);
	return eacct_usage_error("budget", optind < argc ? argv[optind] : NULL);
}
