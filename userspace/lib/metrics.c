// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "labels.h"
#include "metrics.h"

/* A label value, escaped as the format wants (\\, \", \n). */
static void label_value(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		if (*s == '\n') {
			fputs("\\n", f);
			continue;
		}
		fputc(*s, f);
	}
}

static void head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* The labels of a cgroup: its path, and what its path says it is. */
static void cg_labels(FILE *f, const struct eacct_cg_stat *c)
{
	struct eacct_labels l;

	eacct_cgroup_labels(c->path, &l);
	fputs("cgroup=\"", f);
	label_value(f, c->path);
	fputc('"', f);
	if (l.kind[0])
		fprintf(f, ",kind=\"%s\"", l.kind);
	if (l.container_id[0])
		fprintf(f, ",container_id=\"%s\"", l.container_id);
	if (l.pod_uid[0])
		fprintf(f, ",pod_uid=\"%s\"", l.pod_uid);
	if (l.unit[0] && !l.container_id[0]) {
		fputs(",unit=\"", f);
		label_value(f, l.unit);
		fputc('"', f);
	}
}

static void per_cgroup(FILE *f, const struct eacct_tree *t, const char *name,
		       const char *type, const char *help, int which)
{
	static const char *const classes[] = { "cpu", "dram", "gpu" };
	const struct eacct_cg_stat *c;
	uint64_t v[3];
	size_t i;
	int k;

	head(f, name, type, help);
	for (i = 0; i < t->n; i++) {
		c = &t->cgs[i];
		switch (which) {
		case 0:		/* energy, one series per class */
			v[0] = c->cpu_uj;
			v[1] = c->dram_uj;
			v[2] = c->gpu_uj;
			for (k = 0; k < 3; k++) {
				fprintf(f, "%s{", name);
				cg_labels(f, c);
				fprintf(f, ",class=\"%s\"} %.6f\n", classes[k], v[k] / 1e6);
			}
			continue;
		case 1:
			fprintf(f, "%s{", name);
			cg_labels(f, c);
			fprintf(f, "} %.6f\n", c->carbon_ug / 1e6);
			continue;
		case 2:
			if (!c->budget_ug)
				continue;
			fprintf(f, "%s{", name);
			cg_labels(f, c);
			fprintf(f, "} %.6f\n", c->budget_ug / 1e6);
			continue;
		case 3:
			if (!c->energy_budget_uj)
				continue;
			fprintf(f, "%s{", name);
			cg_labels(f, c);
			fprintf(f, "} %.6f\n", c->energy_budget_uj / 1e6);
			continue;
		case 4:
			if (!c->budget_ug && !c->energy_budget_uj)
				continue;
			fprintf(f, "%s{", name);
			cg_labels(f, c);
			fprintf(f, "} %d\n", c->exceeded);
			continue;
		}
	}
}

int eacct_metrics_render(const struct eacct_tree *t, const struct eacct_domain_stat *d,
			 int nr_domains, const struct eacct_metrics_info *info, char **out,
			 size_t *len)
{
	FILE *f = open_memstream(out, len);
	const char *const *e;
	int i;

	if (!f)
		return -ENOMEM;
	per_cgroup(f, t, "eacct_cgroup_energy_joules_total", "counter",
		   "Energy charged to the cgroup and its descendants, by domain class.", 0);
	per_cgroup(f, t, "eacct_cgroup_co2e_grams_total", "counter",
		   "CO2e charged to the cgroup and its descendants, at the intensity in force each interval.", 1);
	per_cgroup(f, t, "eacct_cgroup_budget_co2e_grams", "gauge",
		   "The cgroup's carbon budget.", 2);
	per_cgroup(f, t, "eacct_cgroup_budget_energy_joules", "gauge",
		   "The cgroup's energy budget.", 3);
	per_cgroup(f, t, "eacct_cgroup_budget_exceeded", "gauge",
		   "1 while the cgroup is over one of its budgets.", 4);

	head(f, "eacct_node_energy_joules_total", "counter",
	     "Energy measured in the domain (estimated where eacct_domain_estimated is 1).");
	for (i = 0; i < nr_domains; i++)
		fprintf(f, "eacct_node_energy_joules_total{domain=\"%s\"} %.6f\n", d[i].name,
			d[i].energy_uj / 1e6);
	head(f, "eacct_node_idle_energy_joules_total", "counter",
	     "Of the domain's energy, what no cgroup was charged.");
	for (i = 0; i < nr_domains; i++)
		fprintf(f, "eacct_node_idle_energy_joules_total{domain=\"%s\"} %.6f\n", d[i].name,
			d[i].idle_uj / 1e6);
	head(f, "eacct_node_co2e_grams_total", "counter", "CO2e of the domain's energy.");
	for (i = 0; i < nr_domains; i++)
		fprintf(f, "eacct_node_co2e_grams_total{domain=\"%s\"} %.6f\n", d[i].name,
			d[i].carbon_ug / 1e6);
	head(f, "eacct_domain_estimated", "gauge",
	     "1 for a domain without a meter, its energy estimated from a model.");
	for (i = 0; i < nr_domains; i++) {
		int est = 0;

		for (e = info->estimated; e && *e; e++)
			est |= !strcmp(*e, d[i].name);
		fprintf(f, "eacct_domain_estimated{domain=\"%s\"} %d\n", d[i].name, est);
	}
	head(f, "eacct_grid_intensity_grams_per_kwh", "gauge",
	     "The grid carbon intensity in force (location-based).");
	fprintf(f, "eacct_grid_intensity_grams_per_kwh{source=\"%s\",fallback=\"%s\"} %g\n",
		info->intensity_source, info->intensity_fallback ? "true" : "false",
		info->intensity_g_per_kwh);
	head(f, "eacct_pue", "gauge", "The data centre's power usage effectiveness applied.");
	fprintf(f, "eacct_pue %g\n", info->pue);
	head(f, "eacct_batches_total", "counter", "Accounting intervals eacct.ko applied.");
	fprintf(f, "eacct_batches_total %" PRIu64 "\n", info->batches);
	if (info->nr_losses) {
		head(f, "eacct_bpf_lost_total", "counter",
		     "What the BPF programs could not count, by counter (eacctd's log says what each means).");
		for (i = 0; i < info->nr_losses; i++)
			fprintf(f, "eacct_bpf_lost_total{counter=\"%s\"} %" PRIu64 "\n",
				info->loss_names[i], info->losses[i]);
		head(f, "eacct_daemon_lost_energy_joules_total", "counter",
		     "Energy in batches eacct.ko refused for good (since eacctd started).");
		fprintf(f, "eacct_daemon_lost_energy_joules_total %.6f\n", info->lost_uj / 1e6);
		head(f, "eacct_daemon_uncounted_energy_joules_total", "counter",
		     "Energy while eacctd was down that could not be placed, where its meter tells it.");
		fprintf(f, "eacct_daemon_uncounted_energy_joules_total %.6f\n",
			info->uncounted_uj / 1e6);
		head(f, "eacct_daemon_carried_energy_joules", "gauge",
		     "Energy refused for now by eacct.ko, sent with the next batch.");
		fprintf(f, "eacct_daemon_carried_energy_joules %.6f\n", info->carried_uj / 1e6);
	}
	head(f, "eacct_info", "gauge", "The eacct.ko version.");
	fputs("eacct_info{version=\"", f);
	label_value(f, info->version);
	fputs("\"} 1\n", f);
	if (fclose(f)) {
		free(*out);
		return -ENOMEM;
	}
	return 0;
}
