// SPDX-License-Identifier: GPL-2.0
/*
 * Owns the energy domains (struct domains): the CPU packages and their
 * DRAM, the CPUs online in each package, every domain's meter reading
 * each interval (GPU domains' too, so that all are read together, right
 * after the activity), the model estimate where there is no meter, and
 * each domain's carbon with its carried fraction.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eacctd.h"
#include "lib/carbon.h"
#include "lib/sysfile.h"
#include "lib/topology.h"

/* Add the CPUs of "0-3,6" to their packages' counts. -EINVAL if garbled. */
static int count_cpu_list(const struct domains *d, char *s, int *counts)
{
	long lo, hi, cpu;
	char *end;

	while (*s) {
		lo = strtol(s, &end, 10);
		if (end == s || lo < 0)
			return -EINVAL;
		hi = lo;
		if (*end == '-')
			hi = strtol(end + 1, &end, 10);
		if (*end && *end != ',')
			return -EINVAL;
		for (cpu = lo; cpu <= hi && cpu < EACCT_MAX_CPUS; cpu++)
			counts[d->cpu_pkg[cpu]]++;
		s = *end ? end + 1 : end;
	}
	return 0;
}

/*
 * CPUs online per package, from cpu_root/online ("0-3,6"), read again
 * each interval (hotplug, nosmt); where that file is missing (some
 * fixtures), every cpuN present. Returns how many CPUs are counted.
 */
int domains_rescan_cpus(struct eacctd *e)
{
	struct domains *d = &e->dom;
	int counts[EACCT_MAX_PKG] = { 0 }, cpu, k, n;
	char path[512], list[4096];

	snprintf(path, sizeof(path), "%s/online", e->cfg.cpu_root);
	if (eacct_file_read_line(AT_FDCWD, path, list, sizeof(list)) >= 0) {
		if (count_cpu_list(d, list, counts))
			return -EINVAL;
	} else {
		for (cpu = 0; cpu < EACCT_MAX_CPUS; cpu++) {
			snprintf(path, sizeof(path), "%s/cpu%d", e->cfg.cpu_root, cpu);
			if (!access(path, F_OK))
				counts[d->cpu_pkg[cpu]]++;
		}
	}
	for (k = n = 0; k < d->nr_pkgs; k++) {
		if (d->pkg_cpus[k] && counts[k] != d->pkg_cpus[k])
			logmsg("package-%d: %d CPU(s) online, were %d", k, counts[k],
			       d->pkg_cpus[k]);
		d->pkg_cpus[k] = counts[k];
		n += counts[k];
	}
	return n;
}

static void add_cpu_domain(struct eacctd *e, int pkg, bool dram)
{
	struct domain *dom = &e->dom.list[e->dom.nr];

	memset(dom, 0, sizeof(*dom));
	snprintf(dom->name, sizeof(dom->name), "%s-%d", dram ? "dram" : "package", pkg);
	dom->pkg = pkg;
	dom->gpu = -1;
	dom->id = EACCT_DOMAIN(dram ? EACCT_CLASS_DRAM : EACCT_CLASS_CPU, pkg);
	dom->meter = eacct_meter_pick(e->dom.meters, e->dom.nr_meters, dom->name);
	if (!dom->meter && dram)
		return;		/* no DRAM meter: DRAM is in nothing */
	if (dom->meter) {
		dom->last_total = dom->meter->total_uj;
		logmsg("%s: %s %s", dom->name, eacct_meter_kind_name(dom->meter->kind),
		       dom->meter->source);
	} else {
		logmsg("%s: no meter; ESTIMATED from a model: %.0f W idle + utilisation x (%.0f W - %.0f W)",
		       dom->name, e->cfg.model_idle_w, e->cfg.model_tdp_w, e->cfg.model_idle_w);
	}
	e->dom.nr++;
}

/* The meters, the packages and their CPUs, and a domain per package and DRAM. */
int domains_setup(struct eacctd *e)
{
	struct eacct_meter_roots roots = eacct_meter_real_roots;
	struct domains *d = &e->dom;
	int i, p;

	roots.powercap = e->cfg.powercap_root;
	roots.perf_pmu = e->cfg.perf_pmu_root;
	roots.msr = e->cfg.msr_root;
	roots.hwmon = e->cfg.hwmon_root;
	roots.cpu = e->cfg.cpu_root;
	d->nr_meters = eacct_meters_detect(&roots, d->meters, MAX_METERS);
	for (i = 0; i < d->nr_meters; i++)
		if (!d->meters[i].usable)
			logmsg("meter %s (%s %s) unusable: %s", d->meters[i].domain,
			       eacct_meter_kind_name(d->meters[i].kind),
			       d->meters[i].source, d->meters[i].error);
	d->nr_pkgs = eacct_cpu_packages(e->cfg.cpu_root, d->cpu_pkg, EACCT_MAX_CPUS,
					EACCT_MAX_PKG);
	if (d->nr_pkgs <= 0) {
		logmsg("cannot read the CPU topology under %s", e->cfg.cpu_root);
		return -ENOENT;
	}
	if (domains_rescan_cpus(e) <= 0) {
		logmsg("no online CPU under %s", e->cfg.cpu_root);
		return -ENOENT;
	}
	for (p = 0; p < d->nr_pkgs; p++) {
		logmsg("package-%d: %d CPU(s) online", p, d->pkg_cpus[p]);
		add_cpu_domain(e, p, false);
		add_cpu_domain(e, p, true);
	}
	return 0;
}

/* A metered domain's energy since its last reading; a failed read gives 0 now, the rest later. */
static uint64_t metered_energy(struct eacctd *e, struct domain *dom)
{
	uint64_t total;
	int err;

	if (dom->nvml) {
		bool was_lost = dom->nvml->lost;

		err = eacct_nvml_read_energy(e->gpu.nvml, dom->nvml);
		if (err && !was_lost)
			logmsg("%s: %s%s", dom->name, dom->nvml->error,
			       dom->nvml->lost ? "; not read again, its energy no longer counted" :
			       "; counted next time");
		total = dom->nvml->total_uj;
	} else {
		err = eacct_meter_read(dom->meter);
		if (err && !dom->read_failed)
			logmsg("%s: reading %s failed (%s); its energy counted when a read works",
			       dom->name, dom->meter->source, strerror(-err));
		else if (!err && dom->read_failed)
			logmsg("%s: read again", dom->name);
		dom->read_failed = err != 0;
		total = dom->meter->total_uj;
	}
	dom->energy_uj = total - dom->last_total;
	dom->last_total = total;
	return dom->energy_uj;
}

/* Readings further apart than one wrap at full power may have missed wraps: said, not guessed. */
static void check_wrap_gap(struct eacctd *e, struct domain *dom, uint64_t interval_ns)
{
	if (!dom->meter || interval_ns <= eacct_meter_wrap_ns(dom->meter))
		return;
	snprintf(e->dom.gap, sizeof(e->dom.gap),
		 "%s: %.1f s between readings, longer than one wrap at full power", dom->name,
		 (double)interval_ns / 1e9);
	logmsg("%s: readings %.1f s apart, longer than its meter takes to wrap at full power: whole wraps may be missing from its energy",
	       dom->name, (double)interval_ns / 1e9);
}

/*
 * Every domain's energy this interval, read together. @busy_ns: the
 * on-CPU ns per package this interval, for the model.
 */
void domains_read(struct eacctd *e, uint64_t interval_ns, const uint64_t *busy_ns)
{
	struct domain *dom;
	double cap;
	int k;

	struct timespec prev = e->dom.read_at;
	uint64_t apart;

	clock_gettime(CLOCK_BOOTTIME, &e->dom.read_at);
	/* The wrap risk is the time between two readings of the meter itself. */
	apart = prev.tv_sec || prev.tv_nsec ?
		(uint64_t)(e->dom.read_at.tv_sec - prev.tv_sec) * 1000000000ULL +
		(uint64_t)e->dom.read_at.tv_nsec - (uint64_t)prev.tv_nsec : interval_ns;
	for (k = 0; k < e->dom.nr; k++) {
		dom = &e->dom.list[k];
		if (dom->meter || dom->nvml) {
			metered_energy(e, dom);
			check_wrap_gap(e, dom, apart);
			continue;
		}
		cap = (double)e->dom.pkg_cpus[dom->pkg] * (double)interval_ns;
		dom->energy_uj = eacct_model_energy_uj(e->cfg.model_idle_w, e->cfg.model_tdp_w,
						       cap > 0 ? (double)busy_ns[dom->pkg] / cap : 0,
						       interval_ns);
		dom->last_total += dom->energy_uj;
	}
}

/* Each domain's carbon this interval, at the intensity in force now. */
void domains_carbon(struct eacctd *e)
{
	struct domain *dom;
	int k;

	for (k = 0; k < e->dom.nr; k++) {
		dom = &e->dom.list[k];
		dom->carbon_ug = eacct_carbon_ug(dom->energy_uj, e->cfg.pue,
						 e->st.intensity.g_per_kwh, &dom->carbon_carry);
	}
}
