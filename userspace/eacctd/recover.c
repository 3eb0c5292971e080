// SPDX-License-Identifier: GPL-2.0
/*
 * Owns the recovery of a restarted eacctd from the state file ledger.c
 * writes: the batch that never landed (into the carry), each meter's
 * reading where it is the same meter in the same boot (else the
 * downtime's energy is declared not counted), and the cgroups' on-CPU
 * baselines where the pinned BPF maps went on (else the downtime's
 * energy is idle). Documentation/eacctd.rst, "Crash safety".
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/libbpf.h>

#include "eacctd.h"
#include "cpu_account.skel.h"
#include "lib/carbon.h"
#include "lib/counter.h"
#include "lib/state.h"

/* Boot time now, in ns. */
static uint64_t boottime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* A downtime's energy not counted: said, with the amount where the readings tell it. */
static void note_gap(struct eacctd *e, const char *domain, const char *why, uint64_t apparent)
{
	char amount[64] = "amount unknown";

	if (apparent != UINT64_MAX) {
		snprintf(amount, sizeof(amount), "%" PRIu64 " uJ by its readings", apparent);
		e->led.gap_uj += apparent;
	}
	snprintf(e->led.gap_reason, sizeof(e->led.gap_reason), "%s: %s (%s)", domain, why, amount);
	logmsg("%s: the energy while eacctd was down is NOT counted: %s (%s)", domain, why, amount);
}

/*
 * Whether @dom's meter can go on from the state's reading @m: NULL if so,
 * else why not. *@apparent: the downtime's energy as the two readings
 * show it, where that means something (else UINT64_MAX).
 */
static const char *mismatch(const struct eacct_state *s, const struct eacct_state_meter *m,
			    const struct domain *dom, bool same_boot, uint64_t *apparent)
{
	struct eacct_state_meter now;
	enum eacct_counter_step step;
	uint64_t elapsed, uj;
	double unit, max_w;

	*apparent = UINT64_MAX;
	if (!same_boot)
		return s->boot_id[0] ? "the machine rebooted" : "the state file names no boot (eacctd 0.1)";
	if (!ledger_meter_identity(dom, &now))
		return "the meter is not a counter";
	if (strcmp(now.kind, m->kind) || strcmp(now.source, m->source) || now.wrap != m->wrap)
		return "the meter changed";
	if (dom->meter && dom->meter->kind == EACCT_METER_PERF)
		return "a perf counter starts again with each eacctd";
	/* now.last_raw: the reading eacctd took at start. */
	elapsed = boottime_ns() - s->boottime_ns;
	unit = dom->meter ? dom->meter->uj_per_unit : 1000;	/* NVML: mJ */
	max_w = dom->meter && dom->meter->max_power_uw ? dom->meter->max_power_uw / 1e6 :
		EACCT_METER_MAX_W;
	uj = (uint64_t)((double)eacct_counter_delta(m->last_raw, now.last_raw, m->wrap, &step) *
			unit);
	if (step == EACCT_COUNTER_RESTARTED)
		return "the meter went back (reset) while eacctd was down";
	/* More than the most it can draw, with a joule to spare: a reset that looks like a wrap. */
	if ((double)uj > max_w * (double)elapsed / 1000 + 1e6)
		return "the meter advanced more than its maximum power allows (reset or replaced)";
	if (dom->meter && elapsed > eacct_meter_wrap_ns(dom->meter)) {
		*apparent = uj;	/* whole wraps may be missing from it */
		return "down longer than the meter takes to wrap at its maximum power";
	}
	return NULL;
}

/* Continue @dom's meter from the state's reading. */
static void restore_meter(struct domain *dom, const struct eacct_state_meter *m)
{
	dom->last_total = m->total_uj;
	if (dom->meter) {
		dom->meter->last_raw = m->last_raw;
		dom->meter->total_uj = m->total_uj;
		dom->meter->frac_uj = m->frac_uj;
	} else {
		dom->nvml->last_mj = m->last_raw;
		dom->nvml->total_uj = m->total_uj;
	}
}

/*
 * The downtime's energy of @dom, restored, where no activity can place
 * it: idle, in the carry (sent with the first batch).
 */
static void downtime_idle(struct eacctd *e, struct domain *dom)
{
	uint64_t before = dom->last_total, energy, carbon;
	int err;

	err = dom->meter ? eacct_meter_read(dom->meter) :
			   eacct_nvml_read_energy(e->gpu.nvml, dom->nvml);
	if (err)
		return;	/* counted by the first interval, then */
	dom->last_total = dom->meter ? dom->meter->total_uj : dom->nvml->total_uj;
	energy = dom->last_total - before;
	carbon = eacct_carbon_ug(energy, e->cfg.pue, e->st.intensity.g_per_kwh,
				 &dom->carbon_carry);
	if (energy && !eacct_batch_add_idle(&e->led.carry, dom->id, energy, carbon))
		logmsg("%s: %" PRIu64 " uJ while eacctd was down, with no activity to place it on: idle",
		       dom->name, energy);
}

/* Cgroups' baselines: from the state where the map is the same, else 0 (new since). */
static void restore_cgroups(struct eacctd *e, const struct eacct_state *s)
{
	struct cg *c;
	size_t i, j;

	for (i = 0; i < e->act.nr_cgs; i++)
		memset(e->act.cgs[i].ns, 0, sizeof(e->act.cgs[i].ns));
	for (j = 0; j < s->nr_cgroups; j++) {
		c = activity_find_cg(&e->act, s->cgroups[j].id);
		if (c)
			memcpy(c->ns, s->cgroups[j].ns, sizeof(c->ns));
	}
}

/* Take the unlanded batch of the state file into the carry. */
static void take_batch(struct eacctd *e, const struct eacct_state *s)
{
	struct eacct_batch b;
	int err = eacct_batch_decode(s->batch, s->batch_len, &b);

	if (!err)
		err = account_merge(&e->led.carry, &b);
	if (err) {
		logmsg("batch %" PRIu64 " of the state file had not landed and cannot be read (%s): %" PRIu64 " uJ LOST",
		       s->seq, strerror(-err), err == -EINVAL ? 0 : account_batch_energy(&b));
	} else {
		logmsg("batch %" PRIu64 " of the state file had not landed: it goes with the first batch",
		       s->seq);
	}
	eacct_batch_free(&b);
}

/* Pick up where a previous eacctd left off, as far as its state fits. */
void ledger_recover(struct eacctd *e, bool bpf_reused)
{
	uint64_t mseq = e->led.seq - 1;
	const struct eacct_state_meter *m;
	struct eacct_state *s;
	uint64_t apparent;
	char boot[40] = "";
	bool same_boot, continuous, stale;
	struct domain *dom;
	const char *why;
	int i, k, err;

	s = calloc(1, sizeof(*s));
	if (!s)
		return;
	err = eacct_state_load(e->cfg.state_file, s);
	if (err) {
		if (err != -ENOENT)
			note_gap(e, "all domains", "the state file is unreadable or not eacctd's",
				 UINT64_MAX);
		free(s);
		return;
	}
	eacct_boot_id(boot, sizeof(boot));
	same_boot = s->boot_id[0] && !strcmp(boot, s->boot_id);
	/* Refused for now, or not landed yet: its records go with the first batch. */
	if (s->batch_len && (s->refused || s->seq == mseq + 1) && (same_boot || !s->boot_id[0]))
		take_batch(e, s);
	else if (s->seq > mseq + 1)
		logmsg("state seq %" PRIu64 " is past the module's %" PRIu64
		       " (module reloaded: its counters started again)", s->seq, mseq);
	/*
	 * The module took batches after the state's (another writer, or
	 * states not saved): its readings are older than what was sent.
	 */
	stale = s->seq < mseq && !s->refused;
	continuous = same_boot && bpf_reused &&
		     s->cgroup_map_id == ledger_map_id(bpf_map__fd(e->bpf.skel->maps.cgroup_ns));
	for (k = 0; k < e->dom.nr; k++) {
		dom = &e->dom.list[k];
		if (!dom->meter && !dom->nvml)
			continue;	/* the model: nothing measured while down */
		for (i = 0, m = NULL; i < s->nr_meters && !m; i++)
			if (!strcmp(s->meters[i].domain, dom->name))
				m = &s->meters[i];
		apparent = UINT64_MAX;
		why = !m ? "not in the state file" :
		      stale ? "the module took batches after the state file's" :
		      mismatch(s, m, dom, same_boot, &apparent);
		if (why) {
			note_gap(e, dom->name, why, apparent);
			continue;
		}
		restore_meter(dom, m);
		if (!continuous || dom->gpu >= 0)
			downtime_idle(e, dom);
	}
	if (continuous)
		restore_cgroups(e, s);
	logmsg("recovered the state of batch %" PRIu64 "%s", s->seq,
	       continuous ? "; on-CPU time while down counted from the pinned maps" :
	       "; BPF maps new: energy while down is idle");
	eacct_state_free(s);
	free(s);
}
