// SPDX-License-Identifier: GPL-2.0
/*
 * Owns what eacctd tells about itself: the status file eacct status reads
 * (replaced each interval), the values the metrics endpoint shows beside
 * the module's counters, and the carbon intensity in force (logged when
 * it changes).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>

#include "eacctd.h"
#include "lib/sysfile.h"

/* The intensity in force this interval; a change of value, source or error is logged. */
void status_update_intensity(struct eacctd *e)
{
	struct status *st = &e->st;
	char line[sizeof(st->intensity_logged)];

	intensity_feed_at(&e->feed, time(NULL), &st->intensity);
	snprintf(line, sizeof(line), "%lld %s%s%s", (long long)st->intensity.since,
		 st->intensity.source, st->intensity.error[0] ? " | " : "",
		 st->intensity.error);
	if (!strcmp(line, st->intensity_logged))
		return;
	memcpy(st->intensity_logged, line, sizeof(line));
	logmsg("carbon intensity %.1f g/kWh from %s%s%s%s", st->intensity.g_per_kwh,
	       st->intensity.source, st->intensity.fallback ? " (FALLBACK)" : "",
	       st->intensity.error[0] ? ": " : "", st->intensity.error);
}

void status_update_metrics(struct eacctd *e)
{
	const char *est[METRICS_MAX_ESTIMATED], *names[METRICS_MAX_LOSSES];
	uint64_t losses[METRICS_MAX_LOSSES];
	int i, n = 0;

	for (i = 0; i < e->dom.nr && n < METRICS_MAX_ESTIMATED; i++)
		if (!e->dom.list[i].meter && !e->dom.list[i].nvml)
			est[n++] = e->dom.list[i].name;
	metrics_server_update(&e->metrics, e->st.intensity.g_per_kwh,
			      eacct_intensity_source_name(eacct_intensity_source(&e->cfg)),
			      e->st.intensity.fallback, e->cfg.pue, est, n);
	for (i = 0; i < (int)activity_nr_losses() && i < METRICS_MAX_LOSSES; i++) {
		names[i] = activity_loss_name((size_t)i);
		losses[i] = activity_loss_value(&e->act.losses, (size_t)i);
	}
	metrics_server_update_losses(&e->metrics, names, losses, i, e->led.lost_uj,
				     e->led.gap_uj, account_batch_energy(&e->led.carry));
}

static struct json_object *domain_json(const struct domain *dom)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "domain", json_object_new_string(dom->name));
	if (dom->meter) {
		json_object_object_add(o, "meter", json_object_new_string(
					       eacct_meter_kind_name(dom->meter->kind)));
		json_object_object_add(o, "source", json_object_new_string(dom->meter->source));
	} else {
		json_object_object_add(o, "meter", json_object_new_string(dom->nvml ? "nvml" : "model"));
	}
	json_object_object_add(o, "estimated", json_object_new_boolean(!dom->meter && !dom->nvml));
	if (dom->read_failed)
		json_object_object_add(o, "read_failed", json_object_new_boolean(true));
	if (dom->gpu >= 0) {
		if (dom->method_name)
			json_object_object_add(o, "method", json_object_new_string(dom->method_name));
		if (dom->xcheck.windows)
			json_object_object_add(o, "xcheck_worst_pct",
					       json_object_new_double(100 * dom->xcheck.worst));
	}
	return o;
}

static struct json_object *intensity_json(const struct eacctd *e)
{
	const struct intensity_now *in = &e->st.intensity;
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "g_per_kwh", json_object_new_double(in->g_per_kwh));
	json_object_object_add(o, "source", json_object_new_string(in->source));
	json_object_object_add(o, "since", json_object_new_int64(in->since));
	json_object_object_add(o, "fallback", json_object_new_boolean(in->fallback));
	json_object_object_add(o, "signal", json_object_new_string(
				       e->cfg.intensity_marginal ? "marginal" : "average"));
	json_object_object_add(o, "error", json_object_new_string(in->error));
	return o;
}

/* The BPF loss counters, all of them (0 included: an operator sees they are watched). */
static struct json_object *losses_json(const struct eacctd *e)
{
	struct json_object *o = json_object_new_object();
	size_t i;

	for (i = 0; i < activity_nr_losses(); i++)
		json_object_object_add(o, activity_loss_name(i), json_object_new_uint64(
					       activity_loss_value(&e->act.losses, i)));
	return o;
}

/* What was sent, carried, lost or left out: the ledger in numbers. */
static struct json_object *ledger_json(const struct eacctd *e)
{
	const struct ledger *led = &e->led;
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "batches", json_object_new_uint64(led->batches));
	json_object_object_add(o, "refused", json_object_new_uint64(led->refusals));
	json_object_object_add(o, "carried_records", json_object_new_uint64(
				       led->carry.nr_cgroups));
	json_object_object_add(o, "carried_uj", json_object_new_uint64(
				       account_batch_energy(&led->carry)));
	json_object_object_add(o, "lost_uj", json_object_new_uint64(led->lost_uj));
	json_object_object_add(o, "gap", json_object_new_string(led->gap_reason));
	json_object_object_add(o, "gap_uj", json_object_new_uint64(led->gap_uj));
	json_object_object_add(o, "wrap_gap", json_object_new_string(e->dom.gap));
	json_object_object_add(o, "state_saved", json_object_new_boolean(!led->state_failed));
	return o;
}

/* What eacct status shows: replaced atomically each interval. */
void status_write(struct eacctd *e)
{
	struct json_object *o = json_object_new_object(), *doms, *gpus;
	const char *text;
	int i, err;

	json_object_object_add(o, "pid", json_object_new_int64(getpid()));
	json_object_object_add(o, "started", json_object_new_int64(e->st.started));
	json_object_object_add(o, "updated", json_object_new_int64(time(NULL)));
	json_object_object_add(o, "interval_ms", json_object_new_int64(e->cfg.interval_ms));
	json_object_object_add(o, "seq", json_object_new_uint64(e->led.seq));
	json_object_object_add(o, "intensity", intensity_json(e));
	json_object_object_add(o, "pue", json_object_new_double(e->cfg.pue));
	doms = json_object_new_array();
	gpus = json_object_new_array();
	for (i = 0; i < e->dom.nr; i++)
		json_object_array_add(e->dom.list[i].gpu >= 0 ? gpus : doms,
				      domain_json(&e->dom.list[i]));
	json_object_object_add(o, "domains", doms);
	json_object_object_add(o, "gpus", gpus);
	json_object_object_add(o, "ledger", ledger_json(e));
	json_object_object_add(o, "bpf_losses", losses_json(e));
	json_object_object_add(o, "enforced", enforcer_json(&e->enf));
	if (e->metrics.running)
		json_object_object_add(o, "metrics", json_object_new_string(e->metrics.bound));
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	err = eacct_file_replace(e->cfg.status_file, text, strlen(text), false);
	if (err && !e->st.write_failed)
		logmsg("cannot write %s: %s", e->cfg.status_file, strerror(-err));
	e->st.write_failed = err != 0;
	json_object_put(o);
}
