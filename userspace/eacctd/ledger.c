// SPDX-License-Identifier: GPL-2.0
/*
 * Owns what reaches eacct.ko (struct ledger): the batch sequence,
 * sending, the carry of refused records, and the state file written
 * before each batch (recover.c reads it back after a restart).
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
#include <sys/file.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "eacctd.h"
#include "cpu_account.skel.h"
#include "lib/carbon.h"
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

/*
 * One eacctd per state file: two would meter the same hardware and both
 * write its energy (each resyncing past the other's sequence numbers).
 * The lock is held for eacctd's life, on a file beside the state (the
 * state itself is replaced by rename).
 */
static int lock_state(struct eacctd *e)
{
	char path[300];

	snprintf(path, sizeof(path), "%s.lock", e->cfg.state_file);
	e->led.lock = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (e->led.lock < 0) {
		logmsg("cannot open %s: %s", path, strerror(errno));
		return -errno;
	}
	if (flock(e->led.lock, LOCK_EX | LOCK_NB)) {
		int err = -errno;

		logmsg(err == -EWOULDBLOCK ? "another eacctd runs with %s: not starting a second" :
		       "cannot lock %s: %s", path, strerror(-err));
		return err;
	}
	return 0;
}

int ledger_open(struct eacctd *e)
{
	uint64_t mseq;
	int err;

	eacct_batch_init(&e->led.carry, 0);
	err = lock_state(e);
	if (err)
		return err;
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

uint32_t ledger_map_id(int fd)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

/* The identity of a domain's meter, as the state file keeps it; false: none to keep. */
bool ledger_meter_identity(const struct domain *dom, struct eacct_state_meter *m)
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

/*
 * The state for a batch @buf of @len bytes with sequence @seq (@refused:
 * refused for now, so never landed). 0 or -errno: a batch whose state
 * is not saved is not sent (a restart would read stale readings).
 */
static int save_state(struct eacctd *e, const void *buf, size_t len, uint64_t seq,
		      bool refused)
{
	struct eacct_state *s = calloc(1, sizeof(*s));
	struct ledger *led = &e->led;
	size_t i;
	int k, err = -ENOMEM;

	if (!s)
		goto out;
	s->seq = seq;
	s->refused = refused;
	eacct_boot_id(s->boot_id, sizeof(s->boot_id));
	s->boottime_ns = (uint64_t)e->dom.read_at.tv_sec * 1000000000ULL +
			 (uint64_t)e->dom.read_at.tv_nsec;
	s->cgroup_map_id = ledger_map_id(bpf_map__fd(e->bpf.skel->maps.cgroup_ns));
	for (k = 0; k < e->dom.nr && s->nr_meters < EACCT_STATE_MAX_METERS; k++)
		if (ledger_meter_identity(&e->dom.list[k], &s->meters[s->nr_meters]))
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
		logmsg("cannot save %s: %s; no batch is sent until it can be (its energy is carried)",
		       e->cfg.state_file, strerror(-err));
	else if (!err && led->state_failed)
		logmsg("%s saved again", e->cfg.state_file);
	led->state_failed = err != 0;
	if (s)
		eacct_state_free(s);
	free(s);
	return err;
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
	case -EPROTONOSUPPORT: case -EOVERFLOW: case -EMSGSIZE: case -ERANGE:
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
	ssize_t n;
	size_t len;
	void *buf;
	int err;

	buf = eacct_batch_encode(b, &len);
	if (!buf)
		return -ENOMEM;
	err = save_state(e, buf, len, b->seq, false);
	if (!err)
		err = open_device(e);
	if (!err) {
		n = write(e->led.dev, buf, len);
		/* The module takes a batch whole or not at all: short is not taken. */
		err = n == (ssize_t)len ? 0 : n < 0 ? -errno : -EIO;
		close(e->led.dev);
		e->led.dev = -1;
	}
	free(buf);
	return err;
}

/* The carry, saved as refused: a restart sends it whatever the module's seq says. */
static void save_carry(struct eacctd *e)
{
	size_t len;
	void *buf = eacct_batch_encode(&e->led.carry, &len);

	if (buf)
		save_state(e, buf, len, e->led.seq, true);
	free(buf);
}

/*
 * A refusal on the sequence (EALREADY, or ERANGE: a jump too far): take
 * the module's. A read error is an error. ERANGE with the sequence right
 * already was for a value (a record too large): -ERANGE, for good.
 */
static int resync(struct eacctd *e, int why)
{
	uint64_t mseq;
	int err = ledger_module_seq(e, &mseq);

	if (err) {
		logmsg("cannot read %s/seq: %s", e->cfg.sysfs, strerror(-err));
		return err;
	}
	if (why == -ERANGE && mseq + 1 == e->led.seq)
		return -ERANGE;
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
	if (!err)
		err = account_split_large(b);
	if (err) {
		/* Out of memory: what was carried stays so, this interval is lost. */
		led->lost_uj += account_batch_energy(b) - account_batch_energy(&led->carry);
		logmsg("batch %" PRIu64 " cannot be built (%s): this interval's energy LOST",
		       led->seq, strerror(-err));
		return err;
	}
	eacct_batch_free(&led->carry);
	eacct_batch_init(&led->carry, 0);
	if (!b->nr_cgroups)
		return 0;
	for (tries = 0; tries < 3; tries++) {
		b->seq = led->seq;
		err = write_batch(e, b);
		if (err != -EALREADY && err != -ERANGE)
			break;
		err = resync(e, err);
		if (err)
			break;
		err = -EALREADY;	/* if the tries run out */
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
			logmsg("batch %" PRIu64 " refused: %s; its energy goes with the next batch%s",
			       b->seq, strerror(-err), b->nr_processes ?
			       " (its process rows are dropped: the carry stays one record a cgroup and domain)" : "");
		led->carry_err = err;
		led->carry = *b;	/* the caller's batch is ours now */
		led->carry.nr_processes = 0;
		eacct_batch_init(b, 0);
		save_carry(e);
		return err;
	}
	led->lost_uj += account_batch_energy(b);
	logmsg("batch %" PRIu64 " refused for good: %s; %" PRIu64 " uJ LOST (%" PRIu64 " uJ in all)",
	       b->seq, strerror(-err), account_batch_energy(b), led->lost_uj);
	save_state(e, NULL, 0, b->seq, false);	/* never resent at a restart */
	return err;
}

void ledger_close(struct eacctd *e)
{
	eacct_batch_free(&e->led.carry);
	if (e->led.lock >= 0)
		close(e->led.lock);
	e->led.lock = -1;
	if (e->led.dev >= 0)
		close(e->led.dev);
	e->led.dev = -1;
}
