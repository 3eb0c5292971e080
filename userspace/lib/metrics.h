/* SPDX-License-Identifier: GPL-2.0 */
/*
 * eacct's counters in the Prometheus text exposition format (0.0.4), for
 * eacctd's /metrics: per cgroup its energy by domain class and its CO2e
 * (counters, from eacct.ko, descendants included), its budgets; per
 * domain the node's energy, idle energy and CO2e; the grid intensity and
 * PUE in force. Removed cgroups drop out when the module drops them, so
 * label cardinality follows the module's bounded retention. Pure.
 */
#ifndef EACCT_METRICS_H
#define EACCT_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "tree.h"

struct eacct_metrics_info {
	double intensity_g_per_kwh;
	const char *intensity_source;	/* "uk-api", "region", ... */
	bool intensity_fallback;
	double pue;
	const char *version;		/* the module's */
	uint64_t batches;		/* seq */
	const char *const *estimated;	/* domains estimated by the model, NULL-ended */
	/* eacctd's ledger and BPF's losses (nr_losses 0: not shown). */
	int nr_losses;
	const char *const *loss_names;
	const uint64_t *losses;
	uint64_t lost_uj;		/* in batches refused for good */
	uint64_t uncounted_uj;		/* downtime energy not counted, where known */
	uint64_t carried_uj;		/* refused for now, sent with the next batch */
};

/* The exposition text, malloc()ed in *out (length *len). 0 or -ENOMEM. */
int eacct_metrics_render(const struct eacct_tree *t, const struct eacct_domain_stat *d,
			 int nr_domains, const struct eacct_metrics_info *info, char **out,
			 size_t *len);

#endif /* EACCT_METRICS_H */
