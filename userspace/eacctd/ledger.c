// SPDX-License-Identifier: GPL-2.0
/*
 * Owns what reaches eacct.ko and what a restart needs (struct ledger):
 * the batch sequence, sending, the carry of refused records, the state
 * file, and recovery from it.
 *
 * Crash safety: the state file is replaced before each batch, holding
 * the readings the batch covers and the batch itself. After kill -9,
 * eacctd compares it with the module's seq: a batch that never landed
 * goes with the first new one; the readings are continued from. So no
 * energy is lost or doubled.
 *
 * Refusals: a batch refused for a reason that passes (no memory, the
 * sequence moved, the device gone) is carried: its records are folded
 * into the next batch, and the meters are read every interval meanwhile.
 * A batch the module will never take (malformed, or sums that would
 * overflow its counters) is not kept: its energy is declared lost, in
 * the log, the status file and the metrics.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "eacctd.h"
#include "cpu_account.skel.h"
#include "lib/carbon.h"
#include "lib/counter.h"
#include "lib/state.h"
#include "lib/sysfile.h"

int ledger_module_seq(const struct eacctd *e, uint64_t *seq)
{
	char path[300];

	snprintf(path, sizeof(path), "%s/seq", e->cfg.sysfs);
	return eacct_file_u64(AT_FDCWD, path, seq);
}

static int open_device(struct eacctd *e)
{
	/* O_APPEND: nothing to /dev/eacct; batches one after another in a test's file. */
	e->led.dev = open(e->cfg.device, O_WRONLY | O_APPEND | O_CLOEXEC);
	return e->led.dev < 0 ? -errno : 0;
}

int ledger_open(struct eacctd *e)
{
	uint64_t mseq;
	int err;

	eacct_batch_init(&e->led.carry, 0);
	err = open_device(e);
	if (err) {
		logmsg("cannot open %s: %s (is eacct.ko loaded? modprobe eacct)",
		       e->cfg.device, strerror(-err));
		return err;
	}
	err = ledger_module_seq(e, &mseq);
	if (err) {
		logmsg("cannot read %s/seq: %s", e->cfg.sysfs, strerror(-err));
		return err;
	}
	e->led.seq = mseq + 1;
	close(e->led.dev);	/* it could be opened: opened again for each batch */
	e->led.dev = -1;
	return 0;
}

static uint32_t map_id(int fd)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

/* The identity of a domain's meter, as the state file keeps it; false: none to keep. */
static bool meter_identity(const struct domain *dom, struct eacct_state_meter *m)
{
	memset(m, 0, sizeof(*m));
	snprintf(m->domain, sizeof(m->domain), "%s", dom->name);
	if (dom->meter && !dom->meter->integrated) {
		snprintf(m->kind, sizeof(m->kind), "%s", eacct_meter_kind_name(dom->meter->kind));
		snprintf(m->source, sizeof(m->source), "%s", dom->meter->source);
		m->wrap = dom->meter->wrap;
		m->last_raw = dom->meter->last_raw;
		m->frac_uj = dom->meter->frac_uj;
	} else if (dom->nvml && !dom->nvml->integrated) {
		snprintf(m->kind, sizeof(m->kind), "nvml");
		snprintf(m->source, sizeof(m->source), "%s minor %u", dom->nvml->name,
			 dom->nvml->minor);
		m->last_raw = dom->nvml->last_mj;
	} else {
		return false;	/* a model, or power x time: nothing to continue */
	}
	m->total_uj = dom->last_total;
	return true;
}

static void save_state(struct eacctd *e, const void *buf, size_t len, uint64_t seq)
{
	struct eacct_state *s = calloc(1, sizeof(*s));
	struct ledger *led = &e->led;
	size_t i;
	int k, err = -ENOMEM;

	if (!s)
		goto out;
	s->seq = seq;
	eacct_boot_id(s->boot_id, sizeof(s->boot_id));
	s->boottime_ns = (uint64_t)e->dom.read_at.tv_sec * 1000000000ULL +
			 (uint64_t)e->dom.read_at.tv_nsec;
	s->cgroup_map_id = map_id(bpf_map__fd(e->bpf.skel->maps.cgroup_ns));
	for (k = 0; k < e->dom.nr && s->nr_meters < EACCT_STATE_MAX_METERS; k++)
		if (meter_identity(&e->dom.list[k], &s->meters[s->nr_meters]))
			s->nr_meters++;
	s->cgroups = calloc(e->act.nr_cgs + 1, sizeof(*s->cgroups));
	if (!s->cgroups)
		goto out;
	for (i = 0; i < e->act.nr_cgs; i++) {
		s->cgroups[i].id = e->act.cgs[i].id;
		memcpy(s->cgroups[i].ns, e->act.cgs[i].ns, sizeof(e->act.cgs[i].ns));
	}
	s->nr_cgroups = e->act.nr_cgs;
	s->batch = (void *)buf;
	s->batch_len = len;
	err = eacct_state_save(e->cfg.state_file, s);
	s->batch = NULL;
out:
	if (err && !led->state_failed)
		logmsg("cannot save %s: %s; a restart now would lose or repeat this interval",
		       e->cfg.state_file, strerror(-err));
	else if (!err && led->state_failed)
		logmsg("%s saved again", e->cfg.state_file);
	led->state_failed = err != 0;
	if (s)
		eacct_state_free(s);
}

/*
 * Refusals for good: the module will refuse these records whenever they
 * are sent (malformed, or sums its counters cannot hold). Any other
 * error passes (no memory, the module unloaded, the sequence moved, a
 * capability missing until fixed): the records are carried.
 */
static bool for_good(int err)
{
	switch (err) {
	case -EINVAL: case -EDOM: case -E2BIG: case -EBADMSG:
	case -EPROTONOSUPPORT: case -EOVERFLOW: case -EMSGSIZE:
		return true;
	default:
		return false;
	}
}

/*
 * The device is opened for each batch, not held: eacct.ko can then be
 * unloaded and loaded again (an upgrade) under a running eacctd, whose
 * records wait in the carry meanwhile.
 */
static int write_batch(struct eacctd *e, const struct eacct_batch *b)
{
	size_t len;
	void *buf;
	int err;

	buf = eacct_batch_encode(b, &len);
	if (!buf)
		return -ENOMEM;
	save_state(e, buf, len, b->seq);
	err = open_device(e);
	if (!err) {
		err = write(e->led.dev, buf, len) == (ssize_t)len ? 0 : -errno;
		close(e->led.dev);
		e->led.dev = -1;
	}
	free(buf);
	return err;
}

/* A refusal on the sequence: take the module's. A read error is an error. */
static int resync(struct eacctd *e)
{
	uint64_t mseq;
	int err = ledger_module_seq(e, &mseq);

	if (err) {
		logmsg("cannot read %s/seq: %s", e->cfg.sysfs, strerror(-err));
		return err;
	}
	logmsg("sequence %" PRIu64 " refused; the module is at %" PRIu64 ": going on from there",
	       e->led.seq, mseq);
	e->led.seq = mseq + 1;
	return 0;
}

/* The batch with the next sequence number, and what was carried. 0 or -errno. */
int ledger_send(struct eacctd *e, struct eacct_batch *b)
{
	struct ledger *led = &e->led;
	int err, tries;

	err = account_merge(b, &led->carry);
	if (err)
		return err;	/* the carry stays as it is, for the next try */
	eacct_batch_free(&led->carry);
	eacct_batch_init(&led->carry, 0);
	if (!b->nr_cgroups)
		return 0;
	for (tries = 0; tries < 3; tries++) {
		b->seq = led->seq;
		err = write_batch(e, b);
		if ((err != -EALREADY && err != -ERANGE) || resync(e))
			break;
	}
	led->batches++;
	if (!err) {
		led->seq++;
		if (led->carry_err)
			logmsg("batch %" PRIu64 " applied, with what earlier refusals carried",
			       b->seq);
		led->carry_err = 0;
		return 0;
	}
	led->refusals++;
	if (!for_good(err)) {
		if (err != led->carry_err)
			logmsg("batch %" PRIu64 " refused: %s; its energy goes with the next batch",
			       b->seq, strerror(-err));
		led->carry_err = err;
		led->carry = *b;	/* the caller's batch is ours now */
		eacct_batch_init(b, 0);
		return err;
	}
	led->lost_uj += account_batch_energy(b);
	logmsg("batch %" PRIu64 " refused for good: %s; %" PRIu64 " uJ LOST (%" PRIu64 " uJ in all)",
	       b->seq, strerror(-err), account_batch_energy(b), led->lost_uj);
	save_state(e, NULL, 0, b->seq);	/* never resent at a restart */
	return err;
}

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
	if (!meter_identity(dom, &now))
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
	bool same_boot, continuous;
	struct domain *dom;
	const char *why;
	int i, k, err;

	s = calloc(1, sizeof(*s));
	if (!s)
		return;
	err = eacct_state_load(e->cfg.state_file, s);
	if (err) {
		if (err != -ENOENT)
			logmsg("%s unreadable (%s): starting afresh", e->cfg.state_file,
			       strerror(-err));
		free(s);
		return;
	}
	if (s->seq == mseq + 1 && s->batch_len)
		take_batch(e, s);
	else if (s->seq > mseq + 1 || s->seq + 1 < mseq + 1)
		logmsg("state seq %" PRIu64 " does not follow module seq %" PRIu64
		       " (module reloaded?): its last batch is not sent again", s->seq, mseq);
	eacct_boot_id(boot, sizeof(boot));
	same_boot = s->boot_id[0] && !strcmp(boot, s->boot_id);
	continuous = same_boot && bpf_reused &&
		     s->cgroup_map_id == map_id(bpf_map__fd(e->bpf.skel->maps.cgroup_ns));
	for (k = 0; k < e->dom.nr; k++) {
		dom = &e->dom.list[k];
		if (!dom->meter && !dom->nvml)
			continue;	/* the model: nothing measured while down */
		for (i = 0, m = NULL; i < s->nr_meters && !m; i++)
			if (!strcmp(s->meters[i].domain, dom->name))
				m = &s->meters[i];
		apparent = UINT64_MAX;
		why = m ? mismatch(s, m, dom, same_boot, &apparent) : "not in the state file";
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

void ledger_close(struct eacctd *e)
{
	eacct_batch_free(&e->led.carry);
	if (e->led.dev >= 0)
		close(e->led.dev);
	e->led.dev = -1;
}
