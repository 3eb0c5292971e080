// SPDX-License-Identifier: GPL-2.0
/*
 * eacctd: every interval, read the on-CPU time per cgroup from BPF and
 * the GPUs' use, read every energy meter right after, split each
 * domain's energy over the cgroups by their activity there (exactly, in
 * integer uJ), and write the result to eacct.ko as one sequenced batch.
 *
 * This file owns the options, the signals, the loop, the reload of the
 * configuration, and the order in which the parts start and stop; each
 * part is described in eacctd.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <json-c/json.h>

#include "eacctd.h"
#include "lib/cgroupfs.h"

static volatile sig_atomic_t stop, reload;

void logmsg(const char *fmt, ...)
{
	va_list ap;

	fputs("eacctd: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload = 1;
	else
		stop = 1;
}

static uint64_t ts_ns(const struct timespec *t)
{
	return (uint64_t)t->tv_sec * 1000000000ULL + (uint64_t)t->tv_nsec;
}

/*
 * The configuration at start: a missing file means the defaults (said),
 * unless it was named with -c. At a reload, a missing or broken file
 * keeps the running configuration (said).
 */
static int load_config(struct eacctd *e, bool reloading)
{
	struct eacct_config cfg;
	char err[256];
	bool missing;
	int rc;

	rc = eacct_config_read(&cfg, e->cfg_path, e->cfg_explicit || reloading, &missing,
			       err, sizeof(err));
	if (rc) {
		logmsg("config: %s%s", err, reloading ? "; the running configuration stays" : "");
		return rc;
	}
	if (missing)
		logmsg("no %s, using the defaults", e->cfg_path);
	e->cfg = cfg;
	return 0;
}

/* What a SIGHUP changes: the interval, policies, intensity, PUE, model, enforcement. */
static void reconfigure(struct eacctd *e)
{
	struct eacct_config old = e->cfg;

	if (load_config(e, true))
		return;
	/* Only a new intensity setup restarts the feed (and empties its series). */
	if (strcmp(old.intensity_file, e->cfg.intensity_file) ||
	    strcmp(old.intensity_url, e->cfg.intensity_url) ||
	    strcmp(old.intensity_zone, e->cfg.intensity_zone) ||
	    strcmp(old.intensity_region, e->cfg.intensity_region) ||
	    strcmp(old.intensity_token_file, e->cfg.intensity_token_file) ||
	    old.intensity_source != e->cfg.intensity_source ||
	    old.intensity_g_per_kwh != e->cfg.intensity_g_per_kwh ||
	    old.intensity_refresh_s != e->cfg.intensity_refresh_s ||
	    old.intensity_max_age_s != e->cfg.intensity_max_age_s ||
	    old.intensity_marginal != e->cfg.intensity_marginal) {
		intensity_feed_stop(&e->feed);
		if (intensity_feed_start(&e->feed, &e->cfg))
			logmsg("carbon intensity: %s", e->feed.error);
		e->st.intensity_logged[0] = '\0';
	}
	e->enf.apply = e->cfg.enforce;
	logmsg("configuration reloaded (meter roots apply at restart)");
}

/* Each CPU domain's active cgroups, and the processes, as account.c takes them. */
static int account_input(struct eacctd *e, uint64_t interval_ns, struct account_input *in,
			 struct account_domain *doms, uint64_t **bufp,
			 struct account_proc **procsp)
{
	size_t n = e->act.nr_cgs, i, used = 0;
	struct account_proc *procs;
	struct account_domain *ad;
	struct domain *dom;
	uint64_t *buf;
	int k;

	buf = calloc(2 * n * (size_t)e->dom.nr + 1, sizeof(*buf));
	procs = calloc(e->act.nr_procs + 1, sizeof(*procs));
	*bufp = buf;
	*procsp = procs;
	if (!buf || !procs)
		return -ENOMEM;
	for (k = 0; k < e->dom.nr; k++) {
		dom = &e->dom.list[k];
		ad = &doms[k];
		memset(ad, 0, sizeof(*ad));
		ad->id = dom->id;
		ad->energy_uj = dom->energy_uj;
		ad->carbon_ug = dom->carbon_ug;
		ad->policy = e->cfg.idle_policy;
		ad->pkg = dom->pkg;
		if (dom->gpu >= 0) {
			bool busy = dom->method == EACCT_GPU_BY_BUSY_TIME;

			ad->capacity = busy ? interval_ns : 0;
			ad->policy = busy ? e->cfg.idle_policy : EACCT_IDLE_PROPORTIONAL;
			ad->ids = dom->ids;
			ad->act = dom->act;
			ad->n = dom->nr_users;
			continue;
		}
		ad->capacity = (uint64_t)e->dom.pkg_cpus[dom->pkg] * interval_ns;
		ad->ids = buf + used;
		ad->act = buf + used + n;
		for (i = 0; i < n; i++) {
			if (!e->act.cgs[i].delta[dom->pkg])
				continue;
			buf[used + ad->n] = e->act.cgs[i].id;
			buf[used + n + ad->n] = e->act.cgs[i].delta[dom->pkg];
			ad->n++;
		}
		used += 2 * n;
	}
	for (i = 0; i < e->act.nr_procs; i++) {
		const struct proc *p = e->act.by_cgroup[i];

		procs[i] = (struct account_proc){ .tgid = p->key.tgid, .cgroup_id = p->cgroup_id,
						  .act = p->delta, .comm = p->comm };
	}
	in->doms = doms;
	in->nr_doms = (size_t)e->dom.nr;
	in->procs = procs;
	in->nr_procs = e->act.nr_procs;
	return 0;
}

/* One interval: activity, then meters, then the batch. */
static int interval(struct eacctd *e)
{
	uint64_t busy[EACCT_MAX_PKG] = { 0 }, interval_ns, *buf = NULL;
	struct account_domain doms[MAX_DOMAINS];
	struct account_proc *procs = NULL;
	struct account_input in;
	struct eacct_batch b;
	struct timespec now;
	size_t i;
	int k, err;

	err = activity_read(e, false);
	if (err) {	/* the meters are not read: their energy goes with the next interval */
		logmsg("reading BPF activity: %s", strerror(-err));
		return err;
	}
	gpus_read(e);
	/*
	 * The interval ends here, with the activity just read and the meters
	 * read next: a delay before this point (a stop, a slow collection)
	 * falls inside both windows alike.
	 */
	clock_gettime(CLOCK_BOOTTIME, &now);
	for (i = 0; i < e->act.nr_cgs; i++)
		for (k = 0; k < EACCT_MAX_PKG; k++)
			busy[k] += e->act.cgs[i].delta[k];
	interval_ns = ts_ns(&now) - ts_ns(&e->last);
	e->last = now;
	domains_rescan_cpus(e);
	domains_read(e, interval_ns, busy);
	for (k = 0; k < e->dom.nr; k++)
		if (e->dom.list[k].gpu >= 0)
			gpu_split(e, &e->dom.list[k]);
	status_update_intensity(e);
	domains_carbon(e);
	eacct_batch_init(&b, 0);
	err = account_input(e, interval_ns, &in, doms, &buf, &procs);
	if (!err)
		err = account_batch(&b, &in);
	free(buf);
	free(procs);
	if (err)	/* out of memory: the interval's energy is lost, and said */
		logmsg("cannot build batch %" PRIu64 ": %s", e->led.seq, strerror(-err));
	else
		ledger_send(e, &b);
	eacct_batch_free(&b);
	activity_forget(e);
	if (e->gpu.loaded)
		gpu_activity_forget_gone(&e->gpu.act);
	activity_log_losses(e);
	enforcer_run(&e->enf);	/* budgets change by batches and by their writers */
	status_update_metrics(e);
	status_write(e);
	return err;
}

/* /run/eacct for the status file (tmpfs at boot), and the like. */
static void make_parent_dir(const char *path)
{
	char dir[256], *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	for (slash = strchr(dir + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(dir, 0755);	/* EEXIST for all but the missing ones */
		*slash = '/';
	}
}

static void start_enforcer(struct eacctd *e)
{
	struct enforcer *f = &e->enf;

	snprintf(f->sysfs, sizeof(f->sysfs), "%s", e->cfg.sysfs);
	snprintf(f->cgroup_root, sizeof(f->cgroup_root), "%s", e->cgroup_root);
	snprintf(f->file, sizeof(f->file), "%s", e->cfg.enforce_file);
	f->apply = e->cfg.enforce;
	f->log = logmsg;
	make_parent_dir(e->cfg.enforce_file);
	enforcer_init(f);
}

static void start_metrics(struct eacctd *e)
{
	char err[300];

	if (!e->cfg.metrics_listen[0])
		return;
	if (metrics_server_start(&e->metrics, e->cfg.metrics_listen, e->cfg.sysfs, err,
				 sizeof(err)))
		logmsg("metrics: %s; no exporter", err);
	else
		logmsg("metrics: http://%s/metrics", e->metrics.bound);
	status_update_metrics(e);
}

static int start(struct eacctd *e)
{
	int err;

	err = domains_setup(e);
	if (err)
		return err;
	if (eacct_cgroup2_mount("/proc/self/mounts", e->cgroup_root, sizeof(e->cgroup_root)))
		logmsg("no cgroup2 mount: NVML processes cannot be placed in cgroups");
	make_parent_dir(e->cfg.state_file);
	err = ledger_open(e);
	if (err)
		return err;
	err = eacct_bpf_cpu_open_topology(&e->bpf, e->dom.cpu_pkg, e->dom.nr_pkgs,
					  e->cfg.bpf_pin_dir);
	if (err) {
		logmsg("cannot load the BPF programs: %s (root, BTF at /sys/kernel/btf/vmlinux and a kernel with tp_btf are needed)",
		       strerror(-err));
		return err;
	}
	logmsg(e->bpf.upgraded ? "BPF programs pinned at %s were another build's: replaced, their maps kept (nothing missed)" :
	       e->bpf.reused ? "BPF programs pinned at %s still running: nothing was missed while eacctd was down" :
	       "BPF programs loaded and pinned at %s", e->cfg.bpf_pin_dir);
	logmsg("on-CPU time from BPF: %d package(s)%s; time alone, no PMU weighting",
	       e->dom.nr_pkgs, e->dom.nr_pkgs > 1 ? ", split at migrations between them" : "");
	err = activity_read(e, true);
	if (err) {
		logmsg("reading BPF activity: %s", strerror(-err));
		return err;
	}
	gpus_start(e);
	if (intensity_feed_start(&e->feed, &e->cfg))
		logmsg("carbon intensity: %s", e->feed.error);
	status_update_intensity(e);
	ledger_recover(e, e->bpf.reused);
	activity_log_losses(e);
	start_enforcer(e);
	e->st.started = time(NULL);
	make_parent_dir(e->cfg.status_file);
	start_metrics(e);
	clock_gettime(CLOCK_BOOTTIME, &e->last);
	logmsg("running: interval %u ms, idle policy %s, intensity source %s, PUE %.2f",
	       e->cfg.interval_ms, eacct_idle_policy_name(e->cfg.idle_policy),
	       eacct_intensity_source_name(eacct_intensity_source(&e->cfg)), e->cfg.pue);
	return 0;
}

static void shutdown_parts(struct eacctd *e)
{
	metrics_server_stop(&e->metrics);
	intensity_feed_stop(&e->feed);
	enforcer_free(&e->enf);
	eacct_bpf_cpu_close(&e->bpf);
	gpus_stop(e);
	ledger_close(e);
	activity_free(&e->act);
}

/*
 * Sleep to the next interval. Signals wake the sleep but do not end it:
 * SIGHUPs, however many, neither skip nor delay an interval. An interval
 * that ran late moves the schedule on, rather than running the missed
 * ones back to back.
 */
static void sleep_until_next(struct eacctd *e, struct timespec *next)
{
	struct timespec now;

	next->tv_nsec += (long)(e->cfg.interval_ms % 1000) * 1000000L;
	next->tv_sec += e->cfg.interval_ms / 1000 + next->tv_nsec / 1000000000L;
	next->tv_nsec %= 1000000000L;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (ts_ns(&now) > ts_ns(next))
		*next = now;
	while (!stop && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, next, NULL) == EINTR)
		;
}

static int unpin(struct eacctd *e)
{
	eacct_bpf_cpu_unpin(e->cfg.bpf_pin_dir);
	eacct_bpf_gpu_unpin(e->cfg.bpf_pin_dir);
	rmdir(e->cfg.bpf_pin_dir);	/* if nothing else is pinned there */
	logmsg("BPF programs and maps unpinned from %s", e->cfg.bpf_pin_dir);
	return 0;
}

static const char usage[] =
"Usage: eacctd [-c CONFIG] [--once]\n"
"Measure CPU package, DRAM and GPU energy, split it over cgroups by their\n"
"activity and write it to eacct.ko every interval. Logs to stderr.\n"
"  -c, --config=FILE  configuration (default " EACCT_CONFIG_PATH ")\n"
"      --once         run one interval after the start, then exit\n"
"      --reset-bpf    unpin the BPF programs and maps (they keep counting\n"
"                     while eacctd is down until then), then exit\n"
"Signals: SIGTERM/SIGINT flush a last interval and exit; SIGHUP reloads\n"
"the configuration (interval, idle policy, intensity source, PUE, model)\n"
"at the next interval; a missing or broken file keeps the running one.\n";

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "once", no_argument, NULL, 'o' },
		{ "reset-bpf", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct sigaction sa = { .sa_handler = on_signal };
	static struct eacctd e = { .led.dev = -1, .led.lock = -1 };
	bool once = false, reset = false;
	struct timespec next;
	int c;

	e.cfg_path = EACCT_CONFIG_PATH;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			e.cfg_path = optarg;
			e.cfg_explicit = true;
			break;
		case 'o':
			once = true;
			break;
		case 'r':
			reset = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (geteuid() != 0) {
		logmsg("must run as root (it loads BPF and writes /dev/eacct)");
		return 1;
	}
	setvbuf(stderr, NULL, _IOLBF, 0);
	/*
	 * json-c seeds its default string hash from getrandom(), which blocks
	 * until the kernel's random pool is ready: at boot, seconds. The
	 * unseeded hash serves as well for eacctd's own small objects.
	 */
	json_global_set_string_hash(JSON_C_STR_HASH_PERLLIKE);
	if (load_config(&e, false))
		return 1;
	if (reset)
		return unpin(&e);
	if (start(&e)) {
		shutdown_parts(&e);
		return 1;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!stop) {
		sleep_until_next(&e, &next);
		if (reload) {
			reload = 0;
			reconfigure(&e);
		}
		if (stop)
			break;
		interval(&e);
		if (once)
			break;
	}
	if (stop) {
		/* Whenever the signal came, count everything up to now. */
		logmsg("stopping after a last interval");
		interval(&e);
	}
	shutdown_parts(&e);
	return 0;
}
