// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>

#include "counter.h"
#include "meter.h"
#include "sysfile.h"
#include "topology.h"

#define MAX_CPUS 4096
#define MAX_PKGS 64

/* Intel RAPL MSRs (SDM vol. 4) and AMD's (PPR, family 17h and later). */
#define MSR_RAPL_POWER_UNIT	0x606
#define MSR_PKG_ENERGY_STATUS	0x611
#define MSR_DRAM_ENERGY_STATUS	0x619
#define MSR_PLATFORM_ENERGY	0x64d
#define MSR_AMD_RAPL_POWER_UNIT	0xc0010299
#define MSR_AMD_PKG_ENERGY	0xc001029b

static int sys_perf_open(uint32_t type, uint64_t config, int cpu)
{
	struct perf_event_attr attr = {
		.type = type,
		.size = sizeof(attr),
		.config = config,
	};
	int fd = (int)syscall(SYS_perf_event_open, &attr, -1, cpu, -1, 0);

	return fd < 0 ? -errno : fd;
}

const struct eacct_meter_roots eacct_meter_real_roots = {
	.powercap = "/sys/class/powercap",
	.perf_pmu = "/sys/bus/event_source/devices/power",
	.msr = "/dev/cpu",
	.hwmon = "/sys/class/hwmon",
	.cpu = "/sys/devices/system/cpu",
	.perf_open = sys_perf_open,
};

static const char *const kind_names[] = {
	[EACCT_METER_POWERCAP] = "powercap",
	[EACCT_METER_PERF] = "perf",
	[EACCT_METER_MSR] = "msr",
	[EACCT_METER_HWMON] = "hwmon",
	[EACCT_METER_MODEL] = "model",
	[EACCT_METER_HWMON_POWER] = "hwmon-power",
};

const char *eacct_meter_kind_name(enum eacct_meter_kind kind)
{
	return kind <= EACCT_METER_HWMON_POWER ? kind_names[kind] : "?";
}

/* One-value files through lib/sysfile.c, by path. */
static int read_line(const char *path, char *buf, size_t len)
{
	return eacct_file_read_line(AT_FDCWD, path, buf, len);
}

static int read_u64_file(const char *path, uint64_t *val)
{
	return eacct_file_u64(AT_FDCWD, path, val);
}

void eacct_add_uj(double uj, double *frac, uint64_t *total)
{
	uint64_t whole;

	uj += *frac;
	whole = (uint64_t)uj;
	*frac = uj - (double)whole;
	*total += whole;
}

uint64_t eacct_model_energy_uj(double idle_w, double tdp_w, double util,
			       uint64_t interval_ns)
{
	double watts;

	if (util < 0)
		util = 0;
	if (util > 1)
		util = 1;
	watts = idle_w + util * (tdp_w - idle_w);
	if (watts < 0)
		watts = 0;
	return (uint64_t)(watts * (double)interval_ns / 1000.0 + 0.5);
}

static int read_raw(struct eacct_meter *m, uint64_t *raw)
{
	uint64_t v;
	ssize_t n;

	switch (m->kind) {
	case EACCT_METER_POWERCAP:
	case EACCT_METER_HWMON:
		return read_u64_file(m->source, raw);
	case EACCT_METER_PERF:
		n = pread(m->fd, &v, sizeof(v), 0);
		if (n != sizeof(v))
			return n < 0 ? -errno : -EIO;
		*raw = v;
		return 0;
	case EACCT_METER_MSR:
		n = pread(m->fd, &v, sizeof(v), m->msr);
		if (n != sizeof(v))
			return n < 0 ? -errno : -EIO;
		*raw = v & 0xffffffffULL;	/* 32-bit energy status */
		return 0;
	case EACCT_METER_HWMON_POWER:
		return read_u64_file(m->source, raw);	/* uW, not a counter */
	case EACCT_METER_MODEL:
		return -EOPNOTSUPP;
	}
	return -EINVAL;
}

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/*
 * Integrated power: the average over the time since the last read is
 * taken as the mean of the two readings (power1_average is itself an
 * average over the driver's own window). last_raw holds the time.
 */
static int read_integrated(struct eacct_meter *m)
{
	uint64_t power, now = monotonic_ns();
	int err = read_raw(m, &power);

	if (err)
		return err;
	eacct_add_uj((double)(m->last_power_uw + power) / 2.0 *
		     (double)(now - m->last_raw) / 1e9, &m->frac_uj, &m->total_uj);
	m->last_raw = now;
	m->last_power_uw = power;
	return 0;
}

uint64_t eacct_meter_wrap_ns(const struct eacct_meter *m)
{
	double watts = m->max_power_uw ? (double)m->max_power_uw / 1e6 : EACCT_METER_MAX_W;
	double ns = (double)m->wrap * m->uj_per_unit / watts * 1000;	/* uJ / W = us */

	return !m->wrap || ns >= 1.8e19 ? UINT64_MAX : (uint64_t)ns;
}

int eacct_meter_read(struct eacct_meter *m)
{
	uint64_t raw;
	int err;

	if (m->kind == EACCT_METER_HWMON_POWER)
		return read_integrated(m);
	err = read_raw(m, &raw);
	if (err)
		return err;
	eacct_add_uj((double)eacct_counter_delta(m->last_raw, raw, m->wrap, NULL) *
		     m->uj_per_unit, &m->frac_uj, &m->total_uj);
	m->last_raw = raw;
	return 0;
}

/*
 * Append a meter and take its first reading; @err non-zero appends it as
 * found but unusable, with that reason.
 */
static int add(struct eacct_meter *out, int n, int max, const char *domain,
	       const struct eacct_meter *tmpl, int err)
{
	struct eacct_meter *m;

	if (n >= max) {
		if (tmpl->fd >= 0)
			close(tmpl->fd);
		return n;
	}
	m = &out[n];
	*m = *tmpl;
	snprintf(m->domain, sizeof(m->domain), "%s", domain);
	if (!err)
		err = read_raw(m, &m->last_raw);
	m->usable = !err;
	if (err && !m->error[0])
		snprintf(m->error, sizeof(m->error), "%s", strerror(-err));
	return n + 1;
}

static void init_tmpl(struct eacct_meter *t, enum eacct_meter_kind kind)
{
	memset(t, 0, sizeof(*t));
	t->kind = kind;
	t->uj_per_unit = 1.0;
	t->fd = -1;
}

/*
 * powercap: intel-rapl:N is a package zone named "package-X" (or "psys");
 * intel-rapl:N:M a subzone ("dram", "core", "uncore") of that package.
 * Only package, dram and psys are charged; core and uncore are parts of
 * the package.
 */
/*
 * The most a zone may draw: the largest of its constraints' maximum
 * power limits (long and short term), or 0 where none is readable.
 */
static uint64_t powercap_max_power(const char *root, const char *zone)
{
	uint64_t uw, most = 0;
	char path[600];
	int c;

	for (c = 0; c < 3; c++) {
		snprintf(path, sizeof(path), "%s/%s/constraint_%d_max_power_uw", root, zone, c);
		if (!read_u64_file(path, &uw) && uw > most)
			most = uw;
	}
	return most;
}

static int detect_powercap(const struct eacct_meter_roots *r,
			   struct eacct_meter *out, int n, int max)
{
	char path[512], name[64], parent[64], domain[EACCT_METER_NAME_LEN];
	struct dirent **ents;
	struct eacct_meter t;
	uint64_t range;
	int nents, i, zone, sub;

	nents = scandir(r->powercap, &ents, NULL, alphasort);
	for (i = 0; i < nents; i++) {
		const char *d = ents[i]->d_name;

		sub = -1;
		if (sscanf(d, "intel-rapl:%d:%d", &zone, &sub) < 1 ||
		    strncmp(d, "intel-rapl:", 11))
			goto next;
		snprintf(path, sizeof(path), "%s/%s/name", r->powercap, d);
		if (read_line(path, name, sizeof(name)))
			goto next;
		if (sub < 0) {
			if (strncmp(name, "package-", 8) && strcmp(name, "psys"))
				goto next;
			snprintf(domain, sizeof(domain), "%.31s", name);
		} else {
			if (strcmp(name, "dram"))
				goto next;
			snprintf(path, sizeof(path), "%s/intel-rapl:%d/name",
				 r->powercap, zone);
			if (read_line(path, parent, sizeof(parent)) ||
			    strncmp(parent, "package-", 8))
				goto next;
			snprintf(domain, sizeof(domain), "dram-%.20s", parent + 8);
		}
		init_tmpl(&t, EACCT_METER_POWERCAP);
		snprintf(path, sizeof(path), "%s/%s/max_energy_range_uj", r->powercap, d);
		/* Without its range a wraparound would be misread: unusable. */
		if (read_u64_file(path, &range) || !range) {
			range = 0;
			snprintf(t.error, sizeof(t.error), "no max_energy_range_uj");
		}
		t.wrap = range;
		t.max_power_uw = powercap_max_power(r->powercap, d);
		snprintf(path, sizeof(path), "%s/%s/energy_uj", r->powercap, d);
		snprintf(t.source, sizeof(t.source), "%s", path);
		n = add(out, n, max, domain, &t, range ? 0 : -EINVAL);
next:
		free(ents[i]);
	}
	if (nents > 0)
		free(ents);
	return n;
}

/* The lowest-numbered CPU of each package, -1 where none. */
static int first_cpus(const struct eacct_meter_roots *r, int *first)
{
	static uint8_t pkg[MAX_CPUS];
	int nr, cpu;
	char path[512];

	nr = eacct_cpu_packages(r->cpu, pkg, MAX_CPUS, MAX_PKGS);
	if (nr <= 0)
		return nr;
	for (cpu = 0; cpu < nr; cpu++)
		first[cpu] = -1;
	for (cpu = 0; cpu < MAX_CPUS; cpu++) {
		snprintf(path, sizeof(path), "%s/cpu%d", r->cpu, cpu);
		if (first[pkg[cpu]] < 0 && access(path, F_OK) == 0)
			first[pkg[cpu]] = cpu;
	}
	return nr;
}

static const struct {
	const char *event;	/* file under events/ */
	const char *prefix;	/* domain; "psys" stands alone */
} perf_events[] = {
	{ "energy-pkg", "package-" },
	{ "energy-ram", "dram-" },
	{ "energy-psys", "psys" },
};

static int detect_perf(const struct eacct_meter_roots *r,
		       struct eacct_meter *out, int n, int max)
{
	char path[512], buf[128], domain[EACCT_METER_NAME_LEN];
	int first[MAX_PKGS], nr_pkgs, p, fd;
	uint64_t type, config;
	struct eacct_meter t;
	size_t e;
	double scale;

	snprintf(path, sizeof(path), "%s/type", r->perf_pmu);
	if (read_u64_file(path, &type))
		return n;
	nr_pkgs = first_cpus(r, first);
	for (e = 0; e < sizeof(perf_events) / sizeof(perf_events[0]); e++) {
		snprintf(path, sizeof(path), "%s/events/%s", r->perf_pmu,
			 perf_events[e].event);
		if (read_line(path, buf, sizeof(buf)) ||
		    sscanf(buf, "event=%" SCNx64, &config) != 1)
			continue;
		snprintf(path, sizeof(path), "%s/events/%s.scale", r->perf_pmu,
			 perf_events[e].event);
		if (read_line(path, buf, sizeof(buf)) || sscanf(buf, "%lf", &scale) != 1)
			continue;
		snprintf(path, sizeof(path), "%s/events/%s.unit", r->perf_pmu,
			 perf_events[e].event);
		if (!read_line(path, buf, sizeof(buf)) && strcmp(buf, "Joules"))
			continue;	/* a unit we do not know */
		for (p = 0; p < nr_pkgs; p++) {
			bool psys = !strcmp(perf_events[e].prefix, "psys");

			if (psys && p > 0)
				break;
			if (psys)
				snprintf(domain, sizeof(domain), "psys");
			else
				snprintf(domain, sizeof(domain), "%s%d",
					 perf_events[e].prefix, p);
			init_tmpl(&t, EACCT_METER_PERF);
			t.uj_per_unit = scale * 1e6;
			t.cpu = first[p];
			snprintf(t.source, sizeof(t.source), "perf %s cpu %d",
				 perf_events[e].event, t.cpu);
			fd = r->perf_open((uint32_t)type, config, t.cpu);
			if (fd < 0)
				snprintf(t.error, sizeof(t.error), "perf_event_open: %s",
					 strerror(-fd));
			else
				t.fd = fd;
			n = add(out, n, max, domain, &t, fd < 0 ? fd : 0);
		}
	}
	return n;
}

static int msr_read(int fd, uint32_t msr, uint64_t *val)
{
	return pread(fd, val, sizeof(*val), msr) == sizeof(*val) ? 0 : -EIO;
}

static int detect_msr(const struct eacct_meter_roots *r,
		      struct eacct_meter *out, int n, int max)
{
	char path[512], domain[EACCT_METER_NAME_LEN];
	int first[MAX_PKGS], nr_pkgs, p, fd;
	uint64_t unit, probe;
	struct eacct_meter t;
	bool amd;

	nr_pkgs = first_cpus(r, first);
	for (p = 0; p < nr_pkgs; p++) {
		snprintf(path, sizeof(path), "%s/%d/msr", r->msr, first[p]);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return n;	/* no msr driver, or not root */
		amd = false;
		/* The unit register is never 0 where Intel RAPL exists. */
		if (msr_read(fd, MSR_RAPL_POWER_UNIT, &unit) || !unit ||
		    msr_read(fd, MSR_PKG_ENERGY_STATUS, &probe)) {
			if (msr_read(fd, MSR_AMD_RAPL_POWER_UNIT, &unit)) {
				close(fd);
				return n;	/* no RAPL here */
			}
			amd = true;
		}
		init_tmpl(&t, EACCT_METER_MSR);
		/* Energy status unit: 1/2^ESU joules, bits 12:8. */
		t.uj_per_unit = 1e6 / (double)(1ULL << ((unit >> 8) & 0x1f));
		t.wrap = 1ULL << 32;
		t.cpu = first[p];
		t.fd = fd;
		t.msr = amd ? MSR_AMD_PKG_ENERGY : MSR_PKG_ENERGY_STATUS;
		snprintf(t.source, sizeof(t.source), "%s 0x%x", path, t.msr);
		snprintf(domain, sizeof(domain), "package-%d", p);
		n = add(out, n, max, domain, &t, 0);
		if (amd)
			continue;
		/* DRAM and psys share the unit; each needs its own fd. */
		t.fd = open(path, O_RDONLY | O_CLOEXEC);
		t.msr = MSR_DRAM_ENERGY_STATUS;
		snprintf(t.source, sizeof(t.source), "%s 0x%x", path, t.msr);
		snprintf(domain, sizeof(domain), "dram-%d", p);
		if (t.fd >= 0 && !msr_read(t.fd, t.msr, &probe) && probe)
			n = add(out, n, max, domain, &t, 0);
		else if (t.fd >= 0)
			close(t.fd);
		if (p)
			continue;
		t.fd = open(path, O_RDONLY | O_CLOEXEC);
		t.msr = MSR_PLATFORM_ENERGY;
		snprintf(t.source, sizeof(t.source), "%s 0x%x", path, t.msr);
		if (t.fd >= 0 && !msr_read(t.fd, t.msr, &probe) && probe)
			n = add(out, n, max, "psys", &t, 0);
		else if (t.fd >= 0)
			close(t.fd);
	}
	return n;
}

/* hwmon energy counters of CPU sockets, e.g. amd_energy's "Esocket0". */
static int detect_hwmon(const struct eacct_meter_roots *r,
			struct eacct_meter *out, int n, int max)
{
	char path[512], label[64], domain[EACCT_METER_NAME_LEN];
	struct dirent **ents;
	struct eacct_meter t;
	int nents, i, k, sock;

	nents = scandir(r->hwmon, &ents, NULL, alphasort);
	for (i = 0; i < nents; i++) {
		if (!strncmp(ents[i]->d_name, "hwmon", 5)) {
			for (k = 1; k < 1024; k++) {
				snprintf(path, sizeof(path), "%s/%s/energy%d_label",
					 r->hwmon, ents[i]->d_name, k);
				if (read_line(path, label, sizeof(label)))
					break;
				if (sscanf(label, "Esocket%d", &sock) != 1)
					continue;
				init_tmpl(&t, EACCT_METER_HWMON);
				snprintf(path, sizeof(path), "%s/%s/energy%d_input",
					 r->hwmon, ents[i]->d_name, k);
				snprintf(t.source, sizeof(t.source), "%s", path);
				snprintf(domain, sizeof(domain), "package-%d", sock);
				n = add(out, n, max, domain, &t, 0);
			}
		}
		free(ents[i]);
	}
	if (nents > 0)
		free(ents);
	return n;
}

int eacct_meter_gpu_hwmon(const char *hwmon_dir, const char *domain,
			  struct eacct_meter *out)
{
	char path[600];
	struct eacct_meter t;
	int err;

	init_tmpl(&t, EACCT_METER_HWMON);
	snprintf(path, sizeof(path), "%s/energy1_input", hwmon_dir);
	if (access(path, F_OK)) {
		init_tmpl(&t, EACCT_METER_HWMON_POWER);
		t.integrated = true;
		snprintf(path, sizeof(path), "%s/power1_average", hwmon_dir);
		if (access(path, F_OK))
			return -ENOENT;
	}
	snprintf(t.source, sizeof(t.source), "%s", path);
	*out = t;
	snprintf(out->domain, sizeof(out->domain), "%s", domain);
	err = read_raw(out, &out->last_raw);
	if (!err && out->kind == EACCT_METER_HWMON_POWER) {
		out->last_power_uw = out->last_raw;
		out->last_raw = monotonic_ns();
	}
	out->usable = !err;
	if (err)
		snprintf(out->error, sizeof(out->error), "%s", strerror(-err));
	return 0;
}

int eacct_meters_detect(const struct eacct_meter_roots *roots,
			struct eacct_meter *out, int max)
{
	int n = 0;

	n = detect_powercap(roots, out, n, max);
	if (roots->perf_open)
		n = detect_perf(roots, out, n, max);
	n = detect_msr(roots, out, n, max);
	n = detect_hwmon(roots, out, n, max);
	return n;
}

struct eacct_meter *eacct_meter_pick(struct eacct_meter *m, int n,
				     const char *domain)
{
	int i;

	for (i = 0; i < n; i++)
		if (m[i].usable && !strcmp(m[i].domain, domain))
			return &m[i];
	return NULL;
}
