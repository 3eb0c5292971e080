// SPDX-License-Identifier: GPL-2.0
/*
 * eacctd: every interval, read the energy meters and the on-CPU time per
 * cgroup from BPF, split each package's and DRAM's energy delta over the
 * cgroups by their time on that package (exactly, in integer uJ), and
 * write the result to eacct.ko as one sequenced batch.
 *
 * Crash safety: the state file is written before each batch, holding the
 * readings the batch covers and the batch itself. After kill -9, eacctd
 * compares it with /sys/kernel/eacct/seq, resends the batch if it never
 * landed, and continues from those readings: no energy lost or doubled.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <json-c/json.h>

#include "bpf_cpu.h"
#include "cpu_account.skel.h"
#include "gpu_activity.h"
#include "enforce.h"
#include "intensity_feed.h"
#include "metrics_server.h"
#include "lib/attrib.h"
#include "lib/batch.h"
#include "lib/carbon.h"
#include "lib/cgroupfs.h"
#include "lib/config.h"
#include "lib/nvml.h"
#include "lib/meter.h"
#include "lib/state.h"
#include "lib/topology.h"

_Static_assert(EACCT_STATE_PKGS == EACCT_MAX_PKG, "state and BPF agree");

#define MAX_METERS 32
#define SEQ_FILE "/sys/kernel/eacct/seq"

struct cg {
	uint64_t id;
	uint64_t ns[EACCT_MAX_PKG];	/* cumulative, as last charged */
	uint64_t delta[EACCT_MAX_PKG];	/* this interval */
	unsigned int idle;		/* intervals in a row without on-CPU time */
	bool registered;		/* in an applied batch: the module knows it */
	bool pruned;			/* taken out of the BPF map this interval */
};

struct proc {
	struct eacct_process_key key;
	uint64_t ns[EACCT_MAX_PKG];	/* cumulative, as last charged */
	uint64_t delta[EACCT_MAX_PKG];
	uint64_t cgroup_id;
	char comm[16];
	bool exited;
};

struct domain {
	char name[32];
	uint32_t id;			/* EACCT_DOMAIN() */
	int pkg;
	int gpu;			/* index in d.gpus, -1 for CPU domains */
	struct eacct_meter *meter;	/* NULL: the model estimate, or NVML */
	struct eacct_nvml_gpu *nvml;	/* an NVIDIA GPU's NVML meter */
	uint64_t last_total;
	double carbon_carry;		/* the fraction of a ug not yet charged */
	struct eacct_xcheck xcheck;	/* GPU: busy time against fdinfo */
	bool xcheck_off;		/* the last window disagreed */
};

static struct {
	struct eacct_config cfg;
	const char *cfg_path;
	bool cfg_explicit;
	struct eacct_meter meters[MAX_METERS];
	int nr_meters;
	struct domain domains[2 * EACCT_MAX_PKG + EACCT_MAX_GPUS];
	int nr_domains;
	int nr_pkgs;
	int pkg_cpus[EACCT_MAX_PKG];
	struct eacct_bpf_cpu bpf;
	struct eacct_gpu gpus[EACCT_MAX_GPUS];
	int nr_gpus;
	struct gpu_activity gpu;	/* its BPF loaded: gpu_loaded */
	bool gpu_loaded;
	const char *gpu_method_name[EACCT_MAX_GPUS];	/* last logged */
	struct eacct_nvml_lib *nvml;
	struct eacct_nvml_gpu *gpu_nvml[EACCT_MAX_GPUS];	/* by d.gpus index */
	char cgroup_root[4096];		/* cgroup2 mount: pid -> cgroup */
	int nr_drm_domains;		/* GPU domains metered by hwmon: fdinfo read */
	struct intensity_feed feed;	/* grid carbon intensity */
	struct enforcer enf;		/* budget actions */
	struct metrics_server metrics;	/* /metrics, if metrics_listen */
	time_t started;
	bool status_failed;		/* logged once */
	struct intensity_now intensity;	/* in force this interval */
	char intensity_logged[600];	/* source and error last logged */
	int sched_tps;			/* gpu_scheduler tracepoints attached */
	unsigned int sched_retry;	/* intervals until the next try, if none */
	struct cg *cgs;			/* sorted by id */
	size_t nr_cgs, cap_cgs;
	struct proc *procs;		/* sorted by key */
	size_t nr_procs, cap_procs;
	struct proc **by_cgroup;	/* procs sorted by cgroup, per interval */
	uint64_t seq;
	int dev;
	struct timespec last;
	void *pending;			/* a refused batch, sent again first */
	size_t pending_len;
} d;

static volatile sig_atomic_t stop, reload;

static void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void logmsg(const char *fmt, ...)
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

static uint64_t module_seq(void)
{
	FILE *f = fopen(SEQ_FILE, "r");
	uint64_t seq = 0;

	if (f) {
		if (fscanf(f, "%" SCNu64, &seq) != 1)
			seq = 0;
		fclose(f);
	}
	return seq;
}

static int load_config(void)
{
	char err[256];
	bool missing;
	int rc;

	rc = eacct_config_read(&d.cfg, d.cfg_path, d.cfg_explicit, &missing,
			       err, sizeof(err));
	if (rc)
		logmsg("config: %s", err);
	else if (missing)
		logmsg("no %s, using the defaults", d.cfg_path);
	return rc;
}

static int cmp_cg(const void *a, const void *b)
{
	uint64_t x = ((const struct cg *)a)->id, y = ((const struct cg *)b)->id;

	return x < y ? -1 : x > y;
}

/*
 * Read a whole hash map in a few syscalls (BPF_MAP_LOOKUP_BATCH) rather
 * than two per entry; @keys and @vals are malloc()ed, *n entries long.
 */
static int read_map(int fd, size_t ksz, size_t vsz, size_t max, void **keys,
		    void **vals, size_t *n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 count, in = 0, out = 0;
	bool first = true;
	char *k, *v;
	int err;

	*n = 0;
	k = malloc(max * ksz);
	v = malloc(max * vsz);
	if (!k || !v) {
		free(k);
		free(v);
		return -ENOMEM;
	}
	for (;;) {
		count = (__u32)(max - *n);
		if (!count)
			break;
		err = bpf_map_lookup_batch(fd, first ? NULL : &in, &out,
					   k + *n * ksz, v + *n * vsz, &count, &opts);
		if (err && errno != ENOENT) {
			err = -errno;
			free(k);
			free(v);
			return err;
		}
		*n += count;
		if (err)	/* ENOENT: the end of the map */
			break;
		in = out;
		first = false;
	}
	*keys = k;
	*vals = v;
	return 0;
}

/*
 * A cumulative per-package counter's new reading: *delta is what it grew
 * by, *seen becomes @now. A smaller reading means the map entry is new
 * (eacctd or the programs restarted): all of it is new then.
 */
static void advance(uint64_t *seen, uint64_t *delta, const __u64 *now)
{
	int k;

	for (k = 0; k < EACCT_MAX_PKG; k++) {
		delta[k] = now[k] >= seen[k] ? now[k] - seen[k] : now[k];
		seen[k] = now[k];
	}
}

/* Binary search among the first @n (sorted) entries. */
static struct cg *find_cg_in(uint64_t id, size_t n)
{
	struct cg key = { .id = id };

	return bsearch(&key, d.cgs, n, sizeof(*d.cgs), cmp_cg);
}

static struct cg *find_cg(uint64_t id)
{
	return find_cg_in(id, d.nr_cgs);
}

/* Append an entry; the caller sorts the array again afterwards. */
static struct cg *add_cg(uint64_t id)
{
	struct cg *c;

	if (d.nr_cgs == d.cap_cgs) {
		d.cap_cgs = d.cap_cgs ? 2 * d.cap_cgs : 256;
		c = realloc(d.cgs, d.cap_cgs * sizeof(*c));
		if (!c)
			return NULL;
		d.cgs = c;
	}
	c = &d.cgs[d.nr_cgs++];
	memset(c, 0, sizeof(*c));
	c->id = id;
	return c;
}

/*
 * Read the BPF map and compute each cgroup's on-CPU time this interval.
 * With @baseline_only, new cgroups start from what they have now.
 */
static int read_activity(bool baseline_only)
{
	int fd = bpf_map__fd(d.bpf.skel->maps.cgroup_ns);
	size_t i, n, sorted = d.nr_cgs;
	struct eacct_cgroup_cpu *vals, *v;
	__u64 *keys;
	struct cg *c;
	int err;

	/*
	 * A cgroup idle for prune_after intervals (removed, most likely)
	 * leaves the bounded map: lookup-and-delete hands over its last
	 * value atomically, charged this interval. If it runs again, the
	 * BPF side starts a new entry from zero and it is seen as new.
	 */
	for (i = 0; i < d.nr_cgs; i++) {
		struct eacct_cgroup_cpu last;

		c = &d.cgs[i];
		memset(c->delta, 0, sizeof(c->delta));
		if (baseline_only || c->idle < d.cfg.prune_after ||
		    bpf_map_lookup_and_delete_elem(fd, &c->id, &last))
			continue;
		advance(c->ns, c->delta, last.ns);
		c->pruned = true;
	}
	err = read_map(fd, sizeof(*keys), sizeof(*vals), EACCT_MAX_CGROUPS,
		       (void **)&keys, (void **)&vals, &n);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		v = &vals[i];
		c = find_cg_in(keys[i], sorted);
		if (!c) {
			c = add_cg(keys[i]);
			if (!c) {
				err = -ENOMEM;
				break;
			}
			if (baseline_only) {
				memcpy(c->ns, v->ns, sizeof(c->ns));
				continue;
			}
		}
		advance(c->ns, c->delta, v->ns);
	}
	free(keys);
	free(vals);
	if (d.nr_cgs != sorted)
		qsort(d.cgs, d.nr_cgs, sizeof(*d.cgs), cmp_cg);
	for (i = 0; i < d.nr_cgs; i++) {
		c = &d.cgs[i];
		bool busy = false;

		for (int k = 0; k < EACCT_MAX_PKG; k++)
			busy |= c->delta[k] != 0;
		c->idle = busy ? 0 : c->idle + 1;
	}
	return err;
}

/* Forget the cgroups taken out of the map, once this interval is charged. */
static void forget_pruned(void)
{
	size_t i, j = 0, n = 0;

	for (i = 0; i < d.nr_cgs; i++) {
		if (d.cgs[i].pruned) {
			n++;
			continue;
		}
		d.cgs[j++] = d.cgs[i];
	}
	d.nr_cgs = j;
	if (n)
		logmsg("%zu cgroup(s) idle for %u intervals left the BPF map", n,
		       d.cfg.prune_after);
}

static int cmp_proc(const void *a, const void *b)
{
	const struct eacct_process_key *x = &((const struct proc *)a)->key;
	const struct eacct_process_key *y = &((const struct proc *)b)->key;

	if (x->tgid != y->tgid)
		return x->tgid < y->tgid ? -1 : 1;
	return x->start_ns < y->start_ns ? -1 : x->start_ns > y->start_ns;
}

static int cmp_proc_cgroup(const void *a, const void *b)
{
	uint64_t x = (*(struct proc *const *)a)->cgroup_id;
	uint64_t y = (*(struct proc *const *)b)->cgroup_id;

	return x < y ? -1 : x > y;
}

/* Per-process time this interval, from the process_ns map. */
static int read_processes(bool baseline_only)
{
	int fd = bpf_map__fd(d.bpf.skel->maps.process_ns);
	struct eacct_process_key *keys;
	struct eacct_process_cpu *vals, *v;
	size_t i, j, n, sorted = d.nr_procs;
	struct proc probe, *p;
	int err;

	err = read_map(fd, sizeof(*keys), sizeof(*vals), EACCT_MAX_PROCESSES,
		       (void **)&keys, (void **)&vals, &n);
	if (err)
		return err;
	for (i = 0; i < d.nr_procs; i++)
		memset(d.procs[i].delta, 0, sizeof(d.procs[i].delta));
	for (j = 0; j < n; j++) {
		v = &vals[j];
		probe.key = keys[j];
		p = bsearch(&probe, d.procs, sorted, sizeof(*d.procs), cmp_proc);
		if (!p) {
			if (d.nr_procs == d.cap_procs) {
				d.cap_procs = d.cap_procs ? 2 * d.cap_procs : 256;
				p = realloc(d.procs, d.cap_procs * sizeof(*p));
				if (!p) {
					err = -ENOMEM;
					break;
				}
				d.procs = p;
			}
			p = &d.procs[d.nr_procs++];
			memset(p, 0, sizeof(*p));
			p->key = keys[j];
			if (baseline_only)
				memcpy(p->ns, v->ns, sizeof(p->ns));
		}
		advance(p->ns, p->delta, v->ns);
		p->cgroup_id = v->cgroup_id;
		p->exited = v->exited;
		memcpy(p->comm, v->comm, sizeof(p->comm));
		p->comm[sizeof(p->comm) - 1] = '\0';
	}
	free(keys);
	free(vals);
	if (err)
		return err;
	if (d.nr_procs != sorted)
		qsort(d.procs, d.nr_procs, sizeof(*d.procs), cmp_proc);
	free(d.by_cgroup);
	d.by_cgroup = calloc(d.nr_procs + 1, sizeof(*d.by_cgroup));
	if (!d.by_cgroup)
		return -ENOMEM;
	for (i = 0; i < d.nr_procs; i++)
		d.by_cgroup[i] = &d.procs[i];
	qsort(d.by_cgroup, d.nr_procs, sizeof(*d.by_cgroup), cmp_proc_cgroup);
	return 0;
}

/* Forget exited processes once charged: in BPF and here. */
static void prune_processes(void)
{
	int fd = bpf_map__fd(d.bpf.skel->maps.process_ns);
	size_t i, j = 0;

	for (i = 0; i < d.nr_procs; i++) {
		if (d.procs[i].exited) {
			bpf_map_delete_elem(fd, &d.procs[i].key);
			continue;
		}
		d.procs[j++] = d.procs[i];
	}
	d.nr_procs = j;
}

/* A domain's carbon this interval, at the intensity in force now. */
static uint64_t domain_carbon(struct domain *dom, uint64_t energy_uj)
{
	return eacct_carbon_ug(energy_uj, d.cfg.pue, d.intensity.g_per_kwh,
			       &dom->carbon_carry);
}

static uint64_t elapsed_ns(const struct timespec *a, const struct timespec *b)
{
	return (uint64_t)((b->tv_sec - a->tv_sec) * 1000000000LL +
			  (b->tv_nsec - a->tv_nsec));
}

/*
 * A cgroup's charge for one domain, split over its processes by their
 * time on that package: the per-process rows add up to the cgroup's.
 */
static int add_process_records(struct eacct_batch *b, const struct cg *c,
			       const struct domain *dom, uint64_t charge, uint64_t carbon)
{
	size_t lo = 0, hi = d.nr_procs, n, i;
	uint64_t *act, *share, *cshare;
	struct proc **ps;
	int err = 0;

	while (lo < hi) {	/* first process of this cgroup */
		size_t mid = (lo + hi) / 2;

		if (d.by_cgroup[mid]->cgroup_id < c->id)
			lo = mid + 1;
		else
			hi = mid;
	}
	ps = d.by_cgroup + lo;
	for (n = 0; lo + n < d.nr_procs && ps[n]->cgroup_id == c->id; n++)
		;
	if (!n)
		return 0;
	act = calloc(3 * n, sizeof(*act));
	if (!act)
		return -ENOMEM;
	share = act + n;
	cshare = share + n;
	for (i = 0; i < n; i++)
		act[i] = ps[i]->delta[dom->pkg];
	eacct_split(charge, act, n, 0, EACCT_IDLE_PROPORTIONAL, share);
	eacct_split(carbon, share, n, 0, EACCT_IDLE_PROPORTIONAL, cshare);
	for (i = 0; i < n && !err; i++)
		if (share[i])
			err = eacct_batch_add_process(b, ps[i]->key.tgid, c->id,
						      dom->id, share[i], cshare[i],
						      ps[i]->comm);
	free(act);
	return err;
}

/* The energy a metered domain used since the last batch. */
static uint64_t metered_energy(struct domain *dom)
{
	uint64_t total, energy;

	if (dom->nvml) {
		bool was_lost = dom->nvml->lost;

		if (eacct_nvml_read_energy(d.nvml, dom->nvml) && !was_lost)
			logmsg("%s: %s%s", dom->name, dom->nvml->error,
			       dom->nvml->lost ? "; not read again, its energy no longer counted" :
			       "; counted next time");
		total = dom->nvml->total_uj;
		energy = total - dom->last_total;
		dom->last_total = total;
		return energy;
	}
	if (eacct_meter_read(dom->meter))
		logmsg("%s: read failed, %s counted next time", dom->name, dom->name);
	total = dom->meter->total_uj;
	energy = total - dom->last_total;
	dom->last_total = total;
	return energy;
}

/*
 * NVML's view of who used an NVIDIA GPU: per process SM utilisation (or,
 * under MIG, the memory each running process holds), gathered by cgroup.
 * The arrays are grown to fit. Returns how many cgroups, 0 if NVML has
 * nothing (the BPF view is used then).
 */
static size_t nvml_split_basis(struct domain *dom, uint64_t **ids, uint64_t **act,
			       uint64_t **charge, size_t *max,
			       enum eacct_gpu_method *method, const char **label)
{
	struct eacct_nvml_use use[256];
	size_t n = 0;
	uint64_t id, *buf;
	bool by_memory;
	int nr, i;

	nr = eacct_nvml_process_use(d.nvml, dom->nvml, use, 256, &by_memory);
	if (nr <= 0)
		return 0;
	if ((size_t)nr > *max) {
		buf = calloc(3 * (size_t)nr, sizeof(*buf));
		if (!buf)
			return 0;
		free(*ids);
		*ids = buf;
		*act = buf + nr;
		*charge = *act + nr;
		*max = (size_t)nr;
	}
	for (i = 0; i < nr; i++) {
		if (eacct_pid_cgroup_id("/proc", d.cgroup_root, use[i].pid, &id))
			continue;	/* exited: its share goes to the others */
		n = eacct_tally(*ids, *act, n, *max, id, use[i].weight);
	}
	*method = EACCT_GPU_BY_NVML;
	*label = by_memory ? "NVML process memory (MIG: no per-process utilisation)" :
			     "NVML per-process SM utilisation";
	return n;
}

/*
 * Who used a GPU this interval, by the best measure there is: NVML's
 * per-process samples; on NVIDIA without them, the live work contexts;
 * fence busy time; where no fence ended, the driver's fdinfo engine
 * time; last, the ioctl count. (id, activity) pairs in the arrays.
 */
static size_t gpu_split_basis(struct domain *dom, uint64_t **ids, uint64_t **act,
			      uint64_t **charge, size_t *max,
			      enum eacct_gpu_method *method, const char **label)
{
	const char *pdev = strrchr(d.gpus[dom->gpu].device, '/');
	size_t n = 0, m;

	if (dom->nvml)
		n = nvml_split_basis(dom, ids, act, charge, max, method, label);
	if (n || !d.gpu_loaded)
		return n;
	if (d.gpu_nvml[dom->gpu]) {
		/* RM's device instance is taken to be the /dev/nvidiaN minor. */
		n = gpu_activity_nv_contexts(&d.gpu, (int)d.gpu_nvml[dom->gpu]->minor,
					     *ids, *act, *max);
		*method = EACCT_GPU_BY_CONTEXTS;
	}
	if (!n)
		n = gpu_activity_split_basis(&d.gpu, dom->gpu, *ids, *act, *max, method);
	if (*method == EACCT_GPU_BY_NOTHING || *method == EACCT_GPU_BY_IOCTLS) {
		m = gpu_activity_fdinfo_basis(&d.gpu, pdev ? pdev + 1 : "", *ids, *act, *max);
		if (m) {
			n = m;
			*method = EACCT_GPU_BY_FDINFO;
		}
	}
	*label = eacct_gpu_method_name(*method);
	return n;
}

/*
 * Fence busy time, checked against the driver's own engine time where
 * its fdinfo has one, over windows of XCHECK_WINDOW intervals: logged
 * when more than XCHECK_WARN of the split is placed differently, again
 * when they agree once more, and summed up at exit (log_crosschecks).
 */
#define XCHECK_WINDOW 10
#define XCHECK_WARN 0.10

static void crosscheck_gpu(struct domain *dom, const uint64_t *ids,
			   const uint64_t *busy, size_t n)
{
	const char *pdev = strrchr(d.gpus[dom->gpu].device, '/');
	double dist;

	dist = gpu_activity_crosscheck(&d.gpu, pdev ? pdev + 1 : "", ids, busy, n,
				       &dom->xcheck, XCHECK_WINDOW);
	if (dist < 0 || (dist > XCHECK_WARN) == dom->xcheck_off)
		return;
	dom->xcheck_off = dist > XCHECK_WARN;
	logmsg("%s: fence busy time and fdinfo engine time %s: %.1f %% of the split placed differently over %d intervals",
	       dom->name, dom->xcheck_off ? "DISAGREE" : "agree again", 100 * dist,
	       XCHECK_WINDOW);
}

static void log_crosschecks(void)
{
	struct domain *dom;
	int i;

	for (i = 0; i < d.nr_domains; i++) {
		dom = &d.domains[i];
		if (dom->gpu < 0)
			continue;
		if (dom->xcheck.intervals)
			eacct_xcheck_close(&dom->xcheck);
		if (dom->xcheck.windows)
			logmsg("%s: fence busy time against fdinfo engine time: %u windows, worst %.1f %%, last %.1f %% of the split placed differently",
			       dom->name, dom->xcheck.windows, 100 * dom->xcheck.worst,
			       100 * dom->xcheck.last);
		eacct_xcheck_free(&dom->xcheck);
	}
}

/*
 * A GPU's energy, split over the cgroups that used it (gpu_split_basis);
 * with busy time the capacity is the GPU busy all interval. The method
 * is logged whenever it changes.
 */
static int charge_gpu(struct eacct_batch *b, struct domain *dom,
		      uint64_t interval_ns)
{
	enum eacct_gpu_method method = EACCT_GPU_BY_NOTHING;
	size_t max = d.gpu.nr + 1, n, i;
	uint64_t *ids, *act, *charge, energy, idle, cidle;
	const char *label = NULL;
	int err = 0;

	energy = metered_energy(dom);
	ids = calloc(3 * max, sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	act = ids + max;
	charge = act + max;
	n = gpu_split_basis(dom, &ids, &act, &charge, &max, &method, &label);
	if (method != EACCT_GPU_BY_NOTHING && label != d.gpu_method_name[dom->gpu]) {
		logmsg("%s: energy split by %s", dom->name, label);
		d.gpu_method_name[dom->gpu] = label;
	}
	if (method == EACCT_GPU_BY_BUSY_TIME)
		crosscheck_gpu(dom, ids, act, n);
	idle = eacct_split(energy, act, n,
			   method == EACCT_GPU_BY_BUSY_TIME ? interval_ns : 0,
			   method == EACCT_GPU_BY_BUSY_TIME ? d.cfg.idle_policy :
			   EACCT_IDLE_PROPORTIONAL, charge);
	/* act is done with: it takes each charge's carbon now. */
	cidle = eacct_carbon_split(domain_carbon(dom, energy), charge, n, idle, act);
	if (cidle == UINT64_MAX)
		err = -ENOMEM;
	for (i = 0; i < n && !err; i++)
		if (charge[i])
			err = eacct_batch_add_cgroup(b, ids[i], dom->id, charge[i], act[i]);
	if ((idle || cidle) && !err)
		err = eacct_batch_add_idle(b, dom->id, idle, cidle);
	free(ids);
	return err;
}

/* Build this interval's batch; energy that goes to no cgroup is idle. */
static int build_batch(struct eacct_batch *b, uint64_t interval_ns)
{
	uint64_t *act, *charge, *carbon, energy, idle, cidle, busy;
	struct domain *dom;
	size_t i;
	int k, err = 0;

	act = calloc(d.nr_cgs + 1, sizeof(*act));
	charge = calloc(d.nr_cgs + 1, sizeof(*charge));
	carbon = calloc(d.nr_cgs + 1, sizeof(*carbon));
	if (!act || !charge || !carbon) {
		err = -ENOMEM;
		goto out;
	}
	for (k = 0; k < d.nr_domains && !err; k++) {
		dom = &d.domains[k];
		if (dom->gpu >= 0) {
			err = charge_gpu(b, dom, interval_ns);
			continue;
		}
		busy = 0;
		for (i = 0; i < d.nr_cgs; i++) {
			act[i] = d.cgs[i].delta[dom->pkg];
			busy += act[i];
		}
		if (dom->meter) {
			energy = metered_energy(dom);
		} else {
			double cap = (double)d.pkg_cpus[dom->pkg] * interval_ns;

			energy = eacct_model_energy_uj(d.cfg.model_idle_w,
						       d.cfg.model_tdp_w,
						       cap > 0 ? busy / cap : 0,
						       interval_ns);
			dom->last_total += energy;
		}
		idle = eacct_split(energy, act, d.nr_cgs,
				   (uint64_t)d.pkg_cpus[dom->pkg] * interval_ns,
				   d.cfg.idle_policy, charge);
		cidle = eacct_carbon_split(domain_carbon(dom, energy), charge, d.nr_cgs,
					   idle, carbon);
		if (cidle == UINT64_MAX) {
			err = -ENOMEM;
			break;
		}
		for (i = 0; i < d.nr_cgs && !err; i++) {
			if (charge[i] || (!d.cgs[i].registered && act[i]))
				err = eacct_batch_add_cgroup(b, d.cgs[i].id, dom->id,
							     charge[i], carbon[i]);
			if (charge[i] && !err)
				err = add_process_records(b, &d.cgs[i], dom, charge[i],
							  carbon[i]);
		}
		if ((idle || cidle) && !err)
			err = eacct_batch_add_idle(b, dom->id, idle, cidle);
	}
out:
	free(act);
	free(charge);
	free(carbon);
	return err;
}

/* Records of cgroups the module has never seen become idle energy. */
static void demote_unregistered(struct eacct_batch *b)
{
	struct eacct_cgroup_record *r;
	struct cg *c;
	size_t i;

	for (i = 0; i < b->nr_cgroups; i++) {
		r = &b->cgroups[i];
		if (r->flags & EACCT_RECORD_IDLE)
			continue;
		c = find_cg(r->cgroup_id);
		if ((c && c->registered) ||
		    gpu_activity_registered(&d.gpu, r->cgroup_id))
			continue;
		r->flags = EACCT_RECORD_IDLE;
		r->cgroup_id = 0;
	}
	/* The process table is best effort: drop its rows this once. */
	b->nr_processes = 0;
}

static void save_state(const void *buf, size_t len, uint64_t seq)
{
	struct eacct_state s;
	int k, err;

	memset(&s, 0, sizeof(s));
	s.seq = seq;
	for (k = 0; k < d.nr_domains && s.nr_meters < EACCT_STATE_MAX_METERS; k++) {
		struct eacct_state_meter *m = &s.meters[s.nr_meters++];
		struct domain *dom = &d.domains[k];

		snprintf(m->domain, sizeof(m->domain), "%s", dom->name);
		m->total_uj = dom->last_total;
		if (dom->meter) {
			m->last_raw = dom->meter->last_raw;
			m->frac_uj = dom->meter->frac_uj;
		} else if (dom->nvml && !dom->nvml->integrated) {
			m->last_raw = dom->nvml->last_mj;
		}
	}
	s.cgroups = calloc(d.nr_cgs + 1, sizeof(*s.cgroups));
	if (s.cgroups) {
		for (size_t i = 0; i < d.nr_cgs; i++) {
			s.cgroups[i].id = d.cgs[i].id;
			memcpy(s.cgroups[i].ns, d.cgs[i].ns, sizeof(d.cgs[i].ns));
		}
		s.nr_cgroups = d.nr_cgs;
	}
	s.batch = (void *)buf;
	s.batch_len = len;
	err = eacct_state_save(d.cfg.state_file, &s);
	if (err)
		logmsg("cannot save %s: %s", d.cfg.state_file, strerror(-err));
	free(s.cgroups);
}

/*
 * Write the batch with the next sequence number. A cgroup unknown to the
 * module turns its records into idle ones; a sequence taken by another
 * writer moves ours on. Any other refusal keeps the encoded batch as
 * pending: it is sent again before anything else, and the meters are not
 * read meanwhile, so its energy is neither lost nor counted twice.
 */
static int send(struct eacct_batch *b)
{
	size_t len;
	void *buf;
	int err = 0, tries;

	for (tries = 0; tries < 3; tries++) {
		b->seq = d.seq;
		buf = eacct_batch_encode(b, &len);
		if (!buf)
			return -ENOMEM;
		save_state(buf, len, d.seq);
		err = write(d.dev, buf, len) == (ssize_t)len ? 0 : -errno;
		if (err == -ENOENT) {
			/* A cgroup came and went within the interval: keep its energy as idle. */
			logmsg("a cgroup vanished before it was registered: its energy counted as idle");
			demote_unregistered(b);
		} else if (err == -EALREADY) {
			logmsg("sequence %" PRIu64 " taken by another writer", d.seq);
			d.seq = module_seq() + 1;
		} else {
			break;
		}
		free(buf);
	}
	if (err) {
		d.pending = buf;
		d.pending_len = len;
		return err;
	}
	free(buf);
	return 0;
}

/* A batch refused earlier goes first; 0 once none is left. */
static int send_pending(void)
{
	int err;

	if (!d.pending)
		return 0;
	err = write(d.dev, d.pending, d.pending_len) == (ssize_t)d.pending_len ?
	      0 : -errno;
	if (err == -EALREADY && module_seq() >= d.seq)
		err = 0;	/* it landed after all (a write we did not see end) */
	if (err) {
		logmsg("batch %" PRIu64 " still refused (%s): meters not read until it lands",
		       d.seq, strerror(-err));
		return err;
	}
	logmsg("batch %" PRIu64 " applied on retry", d.seq);
	free(d.pending);
	d.pending = NULL;
	d.seq++;
	return 0;
}

static void mark_registered(const struct eacct_batch *b)
{
	struct cg *c;
	size_t i;

	for (i = 0; i < b->nr_cgroups; i++) {
		c = find_cg(b->cgroups[i].cgroup_id);
		if (c)
			c->registered = true;
		gpu_activity_mark_registered(&d.gpu, b->cgroups[i].cgroup_id);
	}
}

/* What the exporter shows beside the module's counters. */
static void update_metrics(void)
{
	const char *est[METRICS_MAX_ESTIMATED];
	int i, n = 0;

	for (i = 0; i < d.nr_domains && n < METRICS_MAX_ESTIMATED; i++)
		if (!d.domains[i].meter && !d.domains[i].nvml)
			est[n++] = d.domains[i].name;
	metrics_server_update(&d.metrics, d.intensity.g_per_kwh,
			      eacct_intensity_source_name(eacct_intensity_source(&d.cfg)),
			      d.intensity.fallback, d.cfg.pue, est, n);
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

/* One domain, as the status file shows it. */
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
	if (dom->gpu >= 0) {
		if (d.gpu_method_name[dom->gpu])
			json_object_object_add(o, "method",
					       json_object_new_string(d.gpu_method_name[dom->gpu]));
		if (dom->xcheck.windows)
			json_object_object_add(o, "xcheck_worst_pct",
					       json_object_new_double(100 * dom->xcheck.worst));
	}
	return o;
}

/*
 * What eacct status shows: written each interval, atomically (a
 * temporary file renamed over the last one).
 */
static void write_status(void)
{
	struct json_object *o = json_object_new_object(), *in, *doms, *gpus;
	char tmp[300];
	int i;

	json_object_object_add(o, "pid", json_object_new_int64(getpid()));
	json_object_object_add(o, "started", json_object_new_int64(d.started));
	json_object_object_add(o, "updated", json_object_new_int64(time(NULL)));
	json_object_object_add(o, "interval_ms", json_object_new_int64(d.cfg.interval_ms));
	json_object_object_add(o, "seq", json_object_new_uint64(d.seq));
	in = json_object_new_object();
	json_object_object_add(in, "g_per_kwh", json_object_new_double(d.intensity.g_per_kwh));
	json_object_object_add(in, "source", json_object_new_string(d.intensity.source));
	json_object_object_add(in, "since", json_object_new_int64(d.intensity.since));
	json_object_object_add(in, "fallback", json_object_new_boolean(d.intensity.fallback));
	json_object_object_add(in, "signal", json_object_new_string(
				       d.cfg.intensity_marginal ? "marginal" : "average"));
	json_object_object_add(in, "error", json_object_new_string(d.intensity.error));
	json_object_object_add(o, "intensity", in);
	json_object_object_add(o, "pue", json_object_new_double(d.cfg.pue));
	doms = json_object_new_array();
	gpus = json_object_new_array();
	for (i = 0; i < d.nr_domains; i++)
		json_object_array_add(d.domains[i].gpu >= 0 ? gpus : doms,
				      domain_json(&d.domains[i]));
	json_object_object_add(o, "domains", doms);
	json_object_object_add(o, "gpus", gpus);
	json_object_object_add(o, "enforced", enforcer_json(&d.enf));
	if (d.metrics.running)
		json_object_object_add(o, "metrics", json_object_new_string(d.metrics.bound));
	snprintf(tmp, sizeof(tmp), "%s.tmp", d.cfg.status_file);
	if (json_object_to_file_ext(tmp, o, JSON_C_TO_STRING_PLAIN) || rename(tmp, d.cfg.status_file)) {
		if (!d.status_failed)
			logmsg("cannot write %s: %s", d.cfg.status_file, strerror(errno));
		d.status_failed = true;
	} else {
		d.status_failed = false;
	}
	json_object_put(o);
}

/*
 * The intensity in force for this interval; a new value, its source, a
 * fallback and any error are logged when they change, not every interval.
 */
static void update_intensity(void)
{
	char line[sizeof(d.intensity_logged)];

	intensity_feed_at(&d.feed, time(NULL), &d.intensity);
	/* A new point of a series (or a new source, or error) is worth a line. */
	snprintf(line, sizeof(line), "%lld %s%s%s", (long long)d.intensity.since,
		 d.intensity.source, d.intensity.error[0] ? " | " : "", d.intensity.error);
	if (!strcmp(line, d.intensity_logged))
		return;
	memcpy(d.intensity_logged, line, sizeof(line));
	logmsg("carbon intensity %.1f g/kWh from %s%s%s%s", d.intensity.g_per_kwh,
	       d.intensity.source, d.intensity.fallback ? " (FALLBACK)" : "",
	       d.intensity.error[0] ? ": " : "", d.intensity.error);
}

/*
 * drm_sched jobs start counting when they run: from the gpu_scheduler
 * tracepoints where they can be attached, else from their "scheduled"
 * fence. gpu-sched is a module that may load after eacctd starts: while
 * none is attached, try again once a minute.
 */
#define SCHED_RETRY_MS 60000

static void attach_sched_tracepoints(bool first)
{
	char names[64];
	int n;

	if (!d.cfg.gpu_sched_tracepoints || d.sched_tps) {
		if (first && !d.cfg.gpu_sched_tracepoints)
			logmsg("drm_sched jobs: gpu_scheduler tracepoints off (configuration); a job runs from its scheduled fence's signal");
		return;
	}
	if (!first && d.sched_retry && --d.sched_retry)
		return;
	n = eacct_bpf_gpu_sched_attach(&d.gpu.bpf, names, sizeof(names));
	if (n > 0) {
		d.sched_tps = n;
		logmsg("drm_sched jobs: run time from the gpu_scheduler tracepoint %s", names);
		return;
	}
	d.sched_retry = SCHED_RETRY_MS / d.cfg.interval_ms + 1;
	if (first && n == 0)
		logmsg("drm_sched jobs: no gpu_scheduler tracepoints (gpu-sched not loaded); a job runs from its scheduled fence's signal");
	else if (first)
		logmsg("drm_sched jobs: gpu_scheduler tracepoints not attached (%s); a job runs from its scheduled fence's signal",
		       strerror(-n));
}

static int interval(void)
{
	struct eacct_batch b;
	struct timespec now;
	int err;

	err = send_pending();
	if (err)
		return err;
	clock_gettime(CLOCK_MONOTONIC, &now);
	err = eacct_bpf_cpu_collect(&d.bpf);
	if (!err)
		err = read_activity(false);
	if (!err)
		err = read_processes(false);
	if (err) {
		logmsg("reading BPF activity: %s", strerror(-err));
		return err;
	}
	if (d.gpu_loaded) {
		attach_sched_tracepoints(false);
		if (d.nr_drm_domains)
			gpu_activity_read_fdinfo(&d.gpu, "/proc", d.cgroup_root);
		err = gpu_activity_read(&d.gpu, d.gpus, d.nr_gpus,
					d.cfg.prune_after, false);
		if (err)	/* the GPUs' energy stays idle this once */
			logmsg("reading GPU activity: %s", strerror(-err));
	}
	update_intensity();
	eacct_batch_init(&b, d.seq);
	err = build_batch(&b, elapsed_ns(&d.last, &now));
	d.last = now;
	forget_pruned();
	gpu_activity_forget_gone(&d.gpu);
	if (!err && b.nr_cgroups) {
		err = send(&b);
		if (!err) {
			mark_registered(&b);
			prune_processes();
			d.seq++;
		} else {
			logmsg("batch %" PRIu64 " refused: %s; kept to send again",
			       d.seq, strerror(-err));
		}
	}
	eacct_batch_free(&b);
	/* Budgets may change at any time, by batches or by their writers. */
	enforcer_run(&d.enf);
	update_metrics();
	write_status();
	return err;
}

static void setup_domains(void)
{
	struct domain *dom;
	char name[32];
	int p, kind;

	for (p = 0; p < d.nr_pkgs; p++) {
		for (kind = 0; kind < 2; kind++) {
			snprintf(name, sizeof(name), "%s-%d", kind ? "dram" : "package", p);
			dom = &d.domains[d.nr_domains];
			memset(dom, 0, sizeof(*dom));
			snprintf(dom->name, sizeof(dom->name), "%s", name);
			dom->pkg = p;
			dom->gpu = -1;
			dom->id = EACCT_DOMAIN(kind ? EACCT_CLASS_DRAM : EACCT_CLASS_CPU, p);
			dom->meter = eacct_meter_pick(d.meters, d.nr_meters, name);
			if (!dom->meter && kind)
				continue;	/* no DRAM meter: DRAM is in nothing */
			if (dom->meter) {
				dom->last_total = dom->meter->total_uj;
				logmsg("%s: %s %s", name,
				       eacct_meter_kind_name(dom->meter->kind),
				       dom->meter->source);
			} else {
				logmsg("%s: no meter; ESTIMATED from a model: %.0f W idle + utilisation x (%.0f W - %.0f W)",
				       name, d.cfg.model_idle_w, d.cfg.model_tdp_w,
				       d.cfg.model_idle_w);
			}
			d.nr_domains++;
		}
	}
}

/* NVIDIA GPUs from NVML, beside or merged with the DRM ones. */
static void add_nvml_gpus(void)
{
	char err[256];

	if (!strcmp(d.cfg.nvml_library, "none"))
		return;
	d.nvml = eacct_nvml_open(d.cfg.nvml_library, err, sizeof(err));
	if (!d.nvml) {
		logmsg("NVML: not used (%s)", err);
		return;
	}
	d.nr_gpus = eacct_gpus_add_nvml(d.nvml, d.gpus, d.nr_gpus, EACCT_MAX_GPUS,
					d.gpu_nvml);
}

static struct domain *new_gpu_domain(int gpu)
{
	struct domain *dom = &d.domains[d.nr_domains++];

	memset(dom, 0, sizeof(*dom));
	memcpy(dom->name, d.gpus[gpu].name, sizeof(d.gpus[gpu].name));
	dom->gpu = gpu;
	dom->pkg = -1;
	dom->id = EACCT_DOMAIN(EACCT_CLASS_GPU, gpu);
	return dom;
}

/*
 * One domain per GPU with an energy meter. GPU use is counted by BPF on
 * every GPU; one without a meter is reported and not charged.
 */
static void setup_gpu_domains(void)
{
	struct eacct_nvml_gpu *ng;
	struct eacct_gpu *g;
	struct domain *dom;
	int i;

	d.nr_gpus = eacct_gpus_detect(d.cfg.drm_root, d.gpus, EACCT_MAX_GPUS);
	add_nvml_gpus();
	for (i = 0; i < d.nr_gpus; i++) {
		g = &d.gpus[i];
		ng = d.gpu_nvml[i];
		if (ng && (!g->has_meter || !g->meter.usable) && !ng->lost && !ng->error[0]) {
			dom = new_gpu_domain(i);
			dom->nvml = ng;
			dom->last_total = ng->total_uj;
			logmsg("%s (%s, %s, %s): NVML %s%s", g->name, ng->name, g->driver,
			       g->device, ng->integrated ? "power x time (INTEGRATED: no energy counter before Volta)" :
			       "energy counter", ng->mig ? "; MIG on" : "");
			continue;
		}
		if (!g->has_meter || !g->meter.usable) {
			logmsg("%s (%s, %s): no usable energy meter%s%s; its use is counted, not charged",
			       g->name, g->driver, g->device,
			       g->has_meter ? ": " : ng ? ": " : "",
			       g->has_meter ? g->meter.error : ng ? ng->error : "");
			continue;
		}
		dom = new_gpu_domain(i);
		dom->meter = &g->meter;
		dom->last_total = g->meter.total_uj;
		d.nr_drm_domains++;
		logmsg("%s (%s, %s): %s %s%s", g->name, g->driver, g->device,
		       eacct_meter_kind_name(g->meter.kind), g->meter.source,
		       g->meter.integrated ? " (INTEGRATED power x time)" : "");
	}
}

/* GPU use from BPF; without it, CPU accounting goes on alone. */
static void start_gpu(void)
{
	int err;

	setup_gpu_domains();
	err = eacct_bpf_gpu_open(&d.gpu.bpf, d.cfg.bpf_pin_dir, "/proc/devices");
	if (err) {
		logmsg("cannot load the GPU BPF programs: %s; GPU energy, if metered, counted as idle",
		       strerror(-err));
		return;
	}
	err = gpu_activity_read(&d.gpu, d.gpus, d.nr_gpus, d.cfg.prune_after, true);
	if (err) {
		logmsg("reading GPU activity: %s", strerror(-err));
		eacct_bpf_gpu_close(&d.gpu.bpf);
		return;
	}
	err = gpu_activity_start(&d.gpu);
	if (err)
		logmsg("NVIDIA RM ioctls not followed: %s", strerror(-err));
	d.gpu_loaded = true;
	logmsg("GPU use from BPF (ioctls on DRM and NVIDIA devices, dma_fence busy time)%s",
	       d.gpu.bpf.reused ? ": pinned programs still running" : "");
	attach_sched_tracepoints(true);
}

/* Pick up where a previous eacctd left off, if its state fits. */
static void recover(void)
{
	uint64_t mseq = module_seq();
	struct eacct_state s;
	struct domain *dom;
	int i, k, err;
	size_t j;

	d.seq = mseq + 1;
	err = eacct_state_load(d.cfg.state_file, &s);
	if (err) {
		if (err != -ENOENT)
			logmsg("%s unreadable (%s): starting afresh",
			       d.cfg.state_file, strerror(-err));
		return;
	}
	if (s.seq > mseq + 1 || s.seq + 1 < mseq + 1) {
		logmsg("state seq %" PRIu64 " does not follow module seq %" PRIu64
		       " (module reloaded?): starting afresh", s.seq, mseq);
		goto out;
	}
	if (s.seq == mseq + 1 && s.batch_len) {
		err = write(d.dev, s.batch, s.batch_len) == (ssize_t)s.batch_len ? 0 : -errno;
		logmsg("resent batch %" PRIu64 " that had not landed: %s", s.seq,
		       err ? strerror(-err) : "applied");
		if (err)
			goto out;	/* its energy stays in the meters' deltas */
		d.seq = s.seq + 1;
	}
	/* Continue from the readings the last batch covered. */
	for (i = 0; i < s.nr_meters; i++) {
		for (k = 0; k < d.nr_domains; k++) {
			dom = &d.domains[k];
			if (strcmp(dom->name, s.meters[i].domain))
				continue;
			dom->last_total = s.meters[i].total_uj;
			if (dom->nvml && !dom->nvml->integrated) {
				/* The energy of the downtime, as the meter saw it. */
				dom->nvml->last_mj = s.meters[i].last_raw;
				dom->nvml->total_uj = s.meters[i].total_uj;
			}
			if (dom->meter) {
				dom->meter->last_raw = s.meters[i].last_raw;
				dom->meter->total_uj = s.meters[i].total_uj;
				dom->meter->frac_uj = s.meters[i].frac_uj;
			}
		}
	}
	/* Activity baselines too, for the cgroups BPF still has. */
	for (j = 0; j < s.nr_cgroups; j++) {
		struct cg *c = find_cg(s.cgroups[j].id);

		if (!c)
			continue;
		memcpy(c->ns, s.cgroups[j].ns, sizeof(c->ns));
		c->registered = true;
	}
	logmsg("recovered state of batch %" PRIu64, s.seq);
out:
	eacct_state_free(&s);
}

static int start(void)
{
	struct eacct_meter_roots roots = eacct_meter_real_roots;
	static uint8_t cpu_pkg[EACCT_MAX_CPUS];
	int cpu, err;

	roots.powercap = d.cfg.powercap_root;
	roots.perf_pmu = d.cfg.perf_pmu_root;
	roots.msr = d.cfg.msr_root;
	roots.hwmon = d.cfg.hwmon_root;
	roots.cpu = d.cfg.cpu_root;
	d.nr_meters = eacct_meters_detect(&roots, d.meters, MAX_METERS);
	for (int i = 0; i < d.nr_meters; i++)
		if (!d.meters[i].usable)
			logmsg("meter %s (%s %s) unusable: %s", d.meters[i].domain,
			       eacct_meter_kind_name(d.meters[i].kind),
			       d.meters[i].source, d.meters[i].error);

	d.nr_pkgs = eacct_cpu_packages(d.cfg.cpu_root, cpu_pkg, EACCT_MAX_CPUS,
				       EACCT_MAX_PKG);
	if (d.nr_pkgs <= 0) {
		logmsg("cannot read the CPU topology under %s", d.cfg.cpu_root);
		return -ENOENT;
	}
	for (cpu = 0; cpu < EACCT_MAX_CPUS; cpu++) {
		char path[512];

		snprintf(path, sizeof(path), "%s/cpu%d", d.cfg.cpu_root, cpu);
		if (access(path, F_OK) == 0)
			d.pkg_cpus[cpu_pkg[cpu]]++;
	}
	setup_domains();
	if (eacct_cgroup2_mount("/proc/self/mounts", d.cgroup_root, sizeof(d.cgroup_root)))
		logmsg("no cgroup2 mount: NVML processes cannot be placed in cgroups");

	d.dev = open(d.cfg.device, O_WRONLY | O_CLOEXEC);
	if (d.dev < 0) {
		err = -errno;
		logmsg("cannot open %s: %s (is eacct.ko loaded? modprobe eacct)",
		       d.cfg.device, strerror(errno));
		return err;
	}
	err = eacct_bpf_cpu_open(&d.bpf, d.cfg.cpu_root, d.cfg.bpf_pin_dir);
	if (err) {
		logmsg("cannot load the BPF programs: %s (root, BTF at /sys/kernel/btf/vmlinux and a kernel with tp_btf are needed)",
		       strerror(-err));
		return err;
	}
	logmsg(d.bpf.reused ? "BPF programs pinned at %s still running: nothing was missed while eacctd was down" :
			      "BPF programs loaded and pinned at %s", d.cfg.bpf_pin_dir);
	logmsg("on-CPU time from BPF: %d package(s)%s; time alone, no PMU weighting",
	       d.nr_pkgs, d.nr_pkgs > 1 ? ", split at migrations between them" : "");
	err = read_activity(true);
	if (!err)
		err = read_processes(true);
	if (err)
		return err;
	start_gpu();
	recover();
	if (intensity_feed_start(&d.feed, &d.cfg))
		logmsg("carbon intensity: %s", d.feed.error);
	update_intensity();
	snprintf(d.enf.sysfs, sizeof(d.enf.sysfs), "%s", d.cfg.sysfs);
	snprintf(d.enf.cgroup_root, sizeof(d.enf.cgroup_root), "%s", d.cgroup_root);
	snprintf(d.enf.file, sizeof(d.enf.file), "%s", d.cfg.enforce_file);
	d.enf.apply = d.cfg.enforce;
	d.enf.log = logmsg;
	enforcer_init(&d.enf);
	d.started = time(NULL);
	make_parent_dir(d.cfg.status_file);
	make_parent_dir(d.cfg.enforce_file);
	if (d.cfg.metrics_listen[0]) {
		char err[300];

		if (metrics_server_start(&d.metrics, d.cfg.metrics_listen, d.cfg.sysfs, err,
					 sizeof(err)))
			logmsg("metrics: %s; no exporter", err);
		else
			logmsg("metrics: http://%s/metrics", d.metrics.bound);
		update_metrics();
	}
	clock_gettime(CLOCK_MONOTONIC, &d.last);
	logmsg("running: interval %u ms, idle policy %s, intensity source %s, PUE %.2f",
	       d.cfg.interval_ms, eacct_idle_policy_name(d.cfg.idle_policy),
	       eacct_intensity_source_name(eacct_intensity_source(&d.cfg)), d.cfg.pue);
	return 0;
}

/* What the drm_sched path saw, for the log at exit. */
static void log_sched_stats(void)
{
	struct eacct_sched_stats tp;
	struct eacct_gpu_stats st;

	eacct_bpf_gpu_stats(&d.gpu.bpf, &st);
	eacct_bpf_gpu_sched_stats(&d.gpu.bpf, &tp);
	if (st.sched_pairs || tp.jobs_run)
		logmsg("drm_sched jobs: %" PRIu64 " queued, %" PRIu64 " started by the run tracepoint (%" PRIu64 " run events), %" PRIu64 " by their scheduled fence",
		       (uint64_t)st.sched_pairs, (uint64_t)tp.run_marked,
		       (uint64_t)tp.jobs_run, (uint64_t)st.sched_run_by_fence);
}

static void sleep_until_next(struct timespec *next)
{
	next->tv_nsec += (long)(d.cfg.interval_ms % 1000) * 1000000L;
	next->tv_sec += d.cfg.interval_ms / 1000 + next->tv_nsec / 1000000000L;
	next->tv_nsec %= 1000000000L;
	while (!stop && !reload &&
	       clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, next, NULL) == EINTR)
		;
}

static const char usage[] =
"Usage: eacctd [-c CONFIG] [--once]\n"
"Measure CPU package and DRAM energy, split it over cgroups by their\n"
"on-CPU time and write it to eacct.ko every interval. Logs to stderr.\n"
"  -c, --config=FILE  configuration (default " EACCT_CONFIG_PATH ")\n"
"      --once         run one interval after the start, then exit\n"
"      --reset-bpf    unpin the BPF programs and maps (they keep counting\n"
"                     while eacctd is down until then), then exit\n"
"Signals: SIGTERM/SIGINT flush a last interval and exit; SIGHUP reloads\n"
"the configuration (interval, idle policy, intensity source, PUE, model).\n";

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
	struct timespec next;
	bool once = false, reset = false;
	int c;

	d.cfg_path = EACCT_CONFIG_PATH;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			d.cfg_path = optarg;
			d.cfg_explicit = true;
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
	if (load_config())
		return 1;
	if (reset) {
		eacct_bpf_cpu_unpin(d.cfg.bpf_pin_dir);
		eacct_bpf_gpu_unpin(d.cfg.bpf_pin_dir);
		rmdir(d.cfg.bpf_pin_dir);	/* if nothing else is pinned there */
		logmsg("BPF programs and maps unpinned from %s", d.cfg.bpf_pin_dir);
		return 0;
	}
	if (start())
		return 1;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!stop) {
		sleep_until_next(&next);
		if (stop)
			break;
		if (reload) {
			struct eacct_config old = d.cfg;

			reload = 0;
			if (load_config()) {
				d.cfg = old;	/* keep running on the old one */
			} else {
				intensity_feed_stop(&d.feed);
				if (intensity_feed_start(&d.feed, &d.cfg))
					logmsg("carbon intensity: %s", d.feed.error);
				d.intensity_logged[0] = '\0';
				d.enf.apply = d.cfg.enforce;
				logmsg("configuration reloaded (meter roots apply at restart)");
			}
			clock_gettime(CLOCK_MONOTONIC, &next);
			continue;
		}
		interval();
		if (once)
			break;
	}
	if (stop) {
		/* Whenever the signal came, count everything up to now. */
		logmsg("stopping after a last interval");
		interval();
	}
	metrics_server_stop(&d.metrics);
	intensity_feed_stop(&d.feed);
	enforcer_free(&d.enf);
	eacct_bpf_cpu_close(&d.bpf);
	if (d.gpu_loaded) {
		log_sched_stats();
		log_crosschecks();
		gpu_activity_stop(&d.gpu);
		eacct_bpf_gpu_close(&d.gpu.bpf);
	}
	eacct_nvml_close(d.nvml);
	close(d.dev);
	return 0;
}
