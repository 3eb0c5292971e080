/* SPDX-License-Identifier: GPL-2.0 */
/*
 * CPU energy meters: RAPL through powercap, the perf "power" PMU or the
 * MSRs, and hwmon energy counters; a model estimate where none exists.
 *
 * Every reader takes its root directory from struct eacct_meter_roots, so
 * the code that reads /sys and /dev on a real host is the code the tests
 * point at fixture trees shaped exactly like the real files.
 */
#ifndef EACCT_METER_H
#define EACCT_METER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum eacct_meter_kind {
	EACCT_METER_POWERCAP,	/* /sys/class/powercap/intel-rapl:N[:M] */
	EACCT_METER_PERF,	/* perf_event_open() on the "power" PMU */
	EACCT_METER_MSR,	/* /dev/cpu/N/msr, Intel or AMD RAPL */
	EACCT_METER_HWMON,	/* /sys/class/hwmon/hwmonN/energyM_input */
	EACCT_METER_MODEL,	/* no meter: idle + utilisation x (TDP - idle) */
	EACCT_METER_HWMON_POWER, /* hwmon powerN_average x time: INTEGRATED */
};

struct eacct_meter_roots {
	const char *powercap;	/* /sys/class/powercap */
	const char *perf_pmu;	/* /sys/bus/event_source/devices/power */
	const char *msr;	/* /dev/cpu */
	const char *hwmon;	/* /sys/class/hwmon */
	const char *cpu;	/* /sys/devices/system/cpu */
	/* Opens perf events; tests may replace it. Default: perf_event_open. */
	int (*perf_open)(uint32_t type, uint64_t config, int cpu);
};

extern const struct eacct_meter_roots eacct_meter_real_roots;

#define EACCT_METER_NAME_LEN 32

struct eacct_meter {
	char domain[EACCT_METER_NAME_LEN];	/* "package-0", "dram-1", "psys" */
	enum eacct_meter_kind kind;
	char source[600];	/* the file, device or event read */
	bool estimated;		/* a model, not a measurement */
	bool integrated;	/* power x time, not an energy counter */
	bool usable;		/* read once at detection and worked */
	char error[128];	/* why not usable */

	/* Raw counter state: energy = raw x uj_per_unit, wraps at wrap. */
	double uj_per_unit;
	uint64_t wrap;		/* counter modulus; 0: 64-bit, never wraps */
	uint64_t last_raw;
	uint64_t total_uj;	/* since detection, wraparound corrected */
	double frac_uj;		/* sub-microjoule remainder carried */
	int fd;			/* perf or msr file, -1 otherwise */
	uint32_t msr;		/* MSR address for EACCT_METER_MSR */
	int cpu;		/* CPU the perf event or MSR is read on */
	uint64_t last_power_uw;	/* EACCT_METER_HWMON_POWER: last reading */
	uint64_t max_power_uw;	/* the most it may draw (powercap constraints); 0: unknown */
};

/*
 * Find every meter under @roots, best first per domain (powercap, perf,
 * msr, hwmon), up to @max. Returns how many were found; each is read
 * once, and ->usable says whether that worked (->error says why not).
 */
int eacct_meters_detect(const struct eacct_meter_roots *roots,
			struct eacct_meter *out, int max);

/*
 * A GPU's hwmon directory (…/device/hwmon/hwmonN): energy1_input (uJ,
 * i915 and xe) if there is one, else power1_average (uW, amdgpu) integrated
 * over time between reads. 0, or -ENOENT when it has neither; an
 * unreadable file gives a meter with ->usable false and ->error set.
 */
int eacct_meter_gpu_hwmon(const char *hwmon_dir, const char *domain,
			  struct eacct_meter *out);

/* The meter eacctd uses for @domain: the first usable one, or NULL. */
struct eacct_meter *eacct_meter_pick(struct eacct_meter *m, int n,
				     const char *domain);

/*
 * Read the counter and advance ->total_uj by the energy spent since the
 * previous read, across at most one wraparound. 0 or a negative errno;
 * on error the total is unchanged.
 */
int eacct_meter_read(struct eacct_meter *m);

/* The power assumed where a meter tells no maximum: above any one package's. */
#define EACCT_METER_MAX_W 1000
/*
 * How long @m takes to wrap at the most its domain may draw: readings
 * further apart cannot tell how many wraps they missed. UINT64_MAX for a
 * counter without a modulus.
 */
uint64_t eacct_meter_wrap_ns(const struct eacct_meter *m);

/* Add @uj to *total, carrying the sub-microjoule remainder in *frac. */
void eacct_add_uj(double uj, double *frac, uint64_t *total);

/*
 * The estimate for machines with no meter: idle_w + util x (tdp_w -
 * idle_w), util the busy fraction in [0, 1], over @interval_ns. In uJ.
 */
uint64_t eacct_model_energy_uj(double idle_w, double tdp_w, double util,
			       uint64_t interval_ns);

const char *eacct_meter_kind_name(enum eacct_meter_kind kind);

#endif /* EACCT_METER_H */
