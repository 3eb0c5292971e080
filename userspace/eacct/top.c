// SPDX-License-Identifier: GPL-2.0
/*
 * eacct top: cgroups (and processes) by power, refreshed like top(1).
 * Power is what eacct charged between two readings of the module's
 * counters over the time between them: eacctd charges once per interval,
 * so a refresh shorter than its interval shows steps.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "lib/labels.h"
#include "lib/procs.h"
#include "lib/tree.h"
#include "lib/units.h"

static const char usage[] =
"Usage: eacct top [-d SECONDS] [-n ITERATIONS] [-b] [-p] [-r ROWS] [--json]\n"
"Cgroups by the power eacct charged them, CPU, DRAM and GPU, with their\n"
"energy and CO2e so far; with -p, processes too. Keys: q quits, p toggles\n"
"processes. Values include descendants (as systemd-cgtop shows them).\n"
"  -d, --delay=SECONDS     between refreshes (2; eacctd charges each interval)\n"
"  -n, --iterations=N      stop after N refreshes\n"
"  -b, --batch             no screen control: one table per refresh\n"
"  -p, --processes         show processes as well\n"
"  -r, --rows=N            rows per table (default: what the terminal fits)\n"
"  -j, --json              one JSON object per refresh (implies -b)\n";

#define MAX_DOMAINS 64

struct snap {
	struct eacct_tree tree;
	struct eacct_procs procs;
	struct eacct_domain_stat dom[MAX_DOMAINS];
	int nr_dom;
	bool node_denied;		/* the node's energy is root's alone */
	struct timespec at;
};

struct row {
	const char *name;		/* cgroup path, or process comm */
	char label[128];
	uint64_t id;			/* cgroup id, or pid */
	double w[3];			/* CPU, DRAM, GPU watts */
	double total;
	uint64_t energy_uj, carbon_ug;
	const char *cgroup;		/* processes: their cgroup */
};

static int snap_take(const struct eacct_ctx *ctx, struct snap *s, bool procs)
{
	int err;

	memset(s, 0, sizeof(*s));
	clock_gettime(CLOCK_MONOTONIC, &s->at);
	s->nr_dom = eacct_domains_read(ctx->sysfs, s->dom, MAX_DOMAINS);
	s->node_denied = s->nr_dom == -EACCES;
	if (s->nr_dom < 0)
		s->nr_dom = 0;
	/* Without the domains, which classes are 0 is unknown: read them all. */
	err = eacct_tree_read_some(ctx->sysfs, &s->tree,
				   (s->node_denied ? EACCT_READ_ENERGY :
				    eacct_read_classes(s->dom, s->nr_dom)) | EACCT_READ_ID);
	if (err)
		return err;
	if (!procs || eacct_procs_read(EACCT_PROCS_FILE, &s->procs))
		memset(&s->procs, 0, sizeof(s->procs));
	return 0;
}

static void snap_free(struct snap *s)
{
	eacct_tree_free(&s->tree);
	eacct_procs_free(&s->procs);
}

static int cmp_cg_id(const void *a, const void *b)
{
	uint64_t x = ((const struct eacct_cg_stat *)a)->id, y = ((const struct eacct_cg_stat *)b)->id;

	return x < y ? -1 : x > y;
}

static int cmp_row(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->total != y->total)
		return x->total < y->total ? 1 : -1;
	return x->energy_uj < y->energy_uj ? 1 : x->energy_uj > y->energy_uj ? -1 : 0;
}

static double watts(uint64_t now, uint64_t then, double dt)
{
	return now > then && dt > 0 ? (double)(now - then) / 1e6 / dt : 0;
}

/* Cgroup rows: the new reading against the old one, matched by id. */
static size_t cgroup_rows(struct snap *old, const struct snap *now, double dt, struct row *rows)
{
	const struct eacct_cg_stat *c, *o;
	struct eacct_labels l;
	size_t i, n = 0;

	qsort(old->tree.cgs, old->tree.n, sizeof(*old->tree.cgs), cmp_cg_id);
	for (i = 0; i < now->tree.n; i++) {
		struct row *r = &rows[n++];

		c = &now->tree.cgs[i];
		o = bsearch(c, old->tree.cgs, old->tree.n, sizeof(*c), cmp_cg_id);
		memset(r, 0, sizeof(*r));
		r->name = c->path;
		r->id = c->id;
		eacct_cgroup_labels(c->path, &l);
		if (l.kind[0] && strcmp(l.kind, "systemd"))
			eacct_labels_short(&l, c->path, r->label, sizeof(r->label));
		r->w[0] = watts(c->cpu_uj, o ? o->cpu_uj : c->cpu_uj, dt);
		r->w[1] = watts(c->dram_uj, o ? o->dram_uj : c->dram_uj, dt);
		r->w[2] = watts(c->gpu_uj, o ? o->gpu_uj : c->gpu_uj, dt);
		r->total = r->w[0] + r->w[1] + r->w[2];
		r->energy_uj = c->energy_uj;
		r->carbon_ug = c->carbon_ug;
	}
	qsort(rows, n, sizeof(*rows), cmp_row);
	return n;
}

static const struct eacct_proc_row *find_proc(const struct eacct_procs *p, uint32_t pid)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (p->rows[i].pid == pid)
			return &p->rows[i];
	return NULL;
}

static size_t process_rows(const struct snap *old, const struct snap *now, double dt,
			   struct row *rows)
{
	const struct eacct_proc_row *p, *o;
	size_t i, n = 0;

	for (i = 0; i < now->procs.n; i++) {
		struct row *r = &rows[n++];

		p = &now->procs.rows[i];
		o = find_proc(&old->procs, p->pid);
		memset(r, 0, sizeof(*r));
		r->name = p->comm;
		r->id = p->pid;
		r->cgroup = p->cgroup;
		r->w[0] = watts(p->cpu_uj, o ? o->cpu_uj : p->cpu_uj, dt);
		r->w[1] = watts(p->dram_uj, o ? o->dram_uj : p->dram_uj, dt);
		r->w[2] = watts(p->gpu_uj, o ? o->gpu_uj : p->gpu_uj, dt);
		r->total = r->w[0] + r->w[1] + r->w[2];
		r->energy_uj = p->cpu_uj + p->dram_uj + p->gpu_uj;
		r->carbon_ug = p->carbon_ug;
	}
	qsort(rows, n, sizeof(*rows), cmp_row);
	return n;
}

/* Node power by class, from the domains (idle included). */
static void node_power(const struct snap *old, const struct snap *now, double dt, double w[3])
{
	int i, k;

	w[0] = w[1] = w[2] = 0;
	for (i = 0; i < now->nr_dom; i++) {
		const struct eacct_domain_stat *d = &now->dom[i];
		int class = !strncmp(d->name, "dram-", 5) ? 1 : !strncmp(d->name, "gpu-", 4) ? 2 : 0;

		for (k = 0; k < old->nr_dom; k++)
			if (!strcmp(old->dom[k].name, d->name))
				w[class] += watts(d->energy_uj, old->dom[k].energy_uj, dt);
	}
}

/* @s cut to @width columns, "..." in the middle. */
static void fit(const char *s, size_t width, char *buf, size_t len)
{
	size_t n = strlen(s), head;

	if (n <= width) {
		snprintf(buf, len, "%s", s);
		return;
	}
	head = (width - 3) / 2;
	snprintf(buf, len, "%.*s...%s", (int)head, s, s + n - (width - 3 - head));
}

static void print_row(const struct row *r, bool process)
{
	char name[64], e[32], g[32], who[64];

	eacct_format_energy(r->energy_uj / 1e6, e, sizeof(e));
	eacct_format_mass(r->carbon_ug / 1e6, g, sizeof(g));
	if (process) {
		snprintf(who, sizeof(who), "%u %s", (unsigned)r->id, r->name);
		fit(who, 27, name, sizeof(name));
	} else {
		fit(r->label[0] ? r->label : r->name, 27, name, sizeof(name));
	}
	printf("%-27s %7.1f %7.1f %7.1f %8.1f %8s %8s\n", name, r->w[0], r->w[1], r->w[2],
	       r->total, e, g);
}

static struct json_object *row_json(const struct row *r, bool process)
{
	struct json_object *o = json_object_new_object();

	if (process) {
		json_object_object_add(o, "pid", json_object_new_int64((int64_t)r->id));
		json_object_object_add(o, "comm", json_object_new_string(r->name));
		json_object_object_add(o, "cgroup", json_object_new_string(r->cgroup));
	} else {
		json_object_object_add(o, "cgroup", json_object_new_string(r->name));
		json_object_object_add(o, "id", eacct_json_u64(r->id));
		if (r->label[0])
			json_object_object_add(o, "label", json_object_new_string(r->label));
	}
	json_object_object_add(o, "power_w", json_object_new_double(r->total));
	json_object_object_add(o, "cpu_w", json_object_new_double(r->w[0]));
	json_object_object_add(o, "dram_w", json_object_new_double(r->w[1]));
	json_object_object_add(o, "gpu_w", json_object_new_double(r->w[2]));
	json_object_object_add(o, "energy_uj", eacct_json_u64(r->energy_uj));
	json_object_object_add(o, "carbon_ug", eacct_json_u64(r->carbon_ug));
	return o;
}

struct view {
	int rows;			/* per table, 0: as the terminal fits */
	bool processes, batch, tty;
	const char *intensity;		/* from eacctd's status, if it runs */
};

static void render(const struct view *v, const struct snap *old, const struct snap *now,
		   bool json)
{
	double dt = (now->at.tv_sec - old->at.tv_sec) + (now->at.tv_nsec - old->at.tv_nsec) / 1e9;
	size_t n = now->tree.n, np = now->procs.n, i, max_rows;
	struct row *rows = calloc(n + np + 1, sizeof(*rows));
	struct json_object *o, *arr;
	struct winsize ws = { 0 };
	char clock[16], p[3][32];
	double node[3];
	time_t t = time(NULL);

	if (!rows)
		return;
	node_power(old, now, dt, node);
	n = cgroup_rows((struct snap *)old, now, dt, rows);
	if (json) {
		o = json_object_new_object();
		json_object_object_add(o, "time", json_object_new_int64(t));
		json_object_object_add(o, "interval_s", json_object_new_double(dt));
		json_object_object_add(o, "node_power_w",
				       json_object_new_double(node[0] + node[1] + node[2]));
		json_object_object_add(o, "node_cpu_w", json_object_new_double(node[0]));
		json_object_object_add(o, "node_dram_w", json_object_new_double(node[1]));
		json_object_object_add(o, "node_gpu_w", json_object_new_double(node[2]));
		arr = json_object_new_array();
		for (i = 0; i < n; i++)
			json_object_array_add(arr, row_json(&rows[i], false));
		json_object_object_add(o, "cgroups", arr);
		if (v->processes) {
			np = process_rows(old, now, dt, rows);
			arr = json_object_new_array();
			for (i = 0; i < np; i++)
				json_object_array_add(arr, row_json(&rows[i], true));
			json_object_object_add(o, "processes", arr);
		}
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						    JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
		fflush(stdout);
		free(rows);
		return;
	}
	max_rows = v->rows > 0 ? (size_t)v->rows : SIZE_MAX;
	if (v->rows <= 0 && v->tty && !ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_row > 6)
		max_rows = v->processes ? (ws.ws_row - 6) / 2 : ws.ws_row - 4;
	if (!v->batch)
		fputs("\033[H\033[2J", stdout);
	strftime(clock, sizeof(clock), "%H:%M:%S", localtime(&t));
	eacct_format_power(node[0] + node[1] + node[2], p[0], sizeof(p[0]));
	if (now->node_denied)
		printf("eacct top  %s  node power: root only (node_readable=0)%s%s\n", clock,
		       v->intensity ? "  " : "", v->intensity ? v->intensity : "");
	else
		printf("eacct top  %s  node %s (CPU %.1f, DRAM %.1f, GPU %.1f W)%s%s\n", clock,
		       p[0], node[0], node[1], node[2], v->intensity ? "  " : "",
		       v->intensity ? v->intensity : "");
	printf("%-27s %7s %7s %7s %8s %8s %8s\n", "CGROUP", "CPU W", "DRAM W", "GPU W",
	       "TOTAL W", "ENERGY", "CO2e");
	for (i = 0; i < n && i < max_rows; i++)
		print_row(&rows[i], false);
	if (v->processes) {
		np = process_rows(old, now, dt, rows);
		printf("\n%-27s %7s %7s %7s %8s %8s %8s\n", "PID COMM", "CPU W", "DRAM W",
		       "GPU W", "TOTAL W", "ENERGY", "CO2e");
		for (i = 0; i < np && i < max_rows; i++)
			print_row(&rows[i], true);
	}
	if (v->batch)
		putchar('\n');
	fflush(stdout);
	free(rows);
}

/* Wait @ms for a key; false when it was 'q'. */
static bool wait_key(struct view *v, int ms)
{
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	char ch;

	if (!v->tty || v->batch) {
		poll(NULL, 0, ms);
		return true;
	}
	while (poll(&pfd, 1, ms) > 0 && read(STDIN_FILENO, &ch, 1) == 1) {
		if (ch == 'q')
			return false;
		if (ch == 'p') {
			v->processes = !v->processes;
			return true;
		}
	}
	return true;
}

int cmd_top(struct eacct_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "delay", required_argument, NULL, 'd' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "batch", no_argument, NULL, 'b' },
		{ "processes", no_argument, NULL, 'p' },
		{ "rows", required_argument, NULL, 'r' },
		EACCT_COMMON_OPTS, { 0 },
	};
	struct view v = { .tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO) };
	struct termios saved, raw;
	struct json_object *st;
	struct snap a, b;
	double delay = 2;
	long iterations = -1, i;
	char intensity[64];
	bool running, go = true;
	int c, err;
	char *end;

	while ((c = getopt_long(argc, argv, "d:n:bpr:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			delay = strtod(optarg, &end);
			if (end == optarg || *end || !(delay >= 0.05 && delay <= 3600))
				return eacct_fail("-d '%s': seconds, 0.05 to 3600", optarg);
			break;
		case 'n':
			iterations = strtol(optarg, &end, 10);
			if (end == optarg || *end || iterations < 1)
				return eacct_fail("-n '%s': a number of refreshes, 1 or more", optarg);
			break;
		case 'b':
			v.batch = true;
			break;
		case 'p':
			v.processes = true;
			break;
		case 'r':
			v.rows = (int)strtol(optarg, &end, 10);
			if (end == optarg || *end || v.rows < 1)
				return eacct_fail("-r '%s': a number of rows, 1 or more", optarg);
			break;
		case 'j':
			ctx->json = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			return eacct_usage_error("top", eacct_bad_arg(argc, argv));
		}
	}
	if (optind != argc) {
		return eacct_usage_error("top", optind < argc ? argv[optind] : NULL);
	}
	if (!eacct_module_present(ctx))
		return 1;
	if (ctx->json)
		v.batch = true;
	st = eacct_daemon_status(ctx, &running);
	if (running) {
		struct json_object *in, *g;

		if (json_object_object_get_ex(st, "intensity", &in) &&
		    json_object_object_get_ex(in, "g_per_kwh", &g)) {
			snprintf(intensity, sizeof(intensity), "%.0f g/kWh", json_object_get_double(g));
			v.intensity = intensity;
		}
	}
	json_object_put(st);
	if (v.tty && !v.batch && !tcgetattr(STDIN_FILENO, &saved)) {
		raw = saved;
		raw.c_lflag &= ~(ICANON | ECHO);
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	}
	err = snap_take(ctx, &a, true);
	for (i = 0; !err && go && (iterations < 0 || i < iterations); i++) {
		go = wait_key(&v, (int)(delay * 1000));
		if (!go)
			break;
		err = snap_take(ctx, &b, true);
		if (err)
			break;
		render(&v, &a, &b, ctx->json);
		snap_free(&a);
		a = b;
	}
	snap_free(&a);
	if (v.tty && !v.batch)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	if (err)
		return eacct_fail("%s: %s", ctx->sysfs, strerror(-err));
	return 0;
}
