/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one rule for every cumulative counter eacct reads: energy meters
 * (RAPL, hwmon, perf, NVML) and the BPF maps' per-cgroup, per-process and
 * per-GPU-user counters.
 *
 *  - now >= prev: it grew by now - prev;
 *  - now < prev, with a modulus (@wrap, e.g. RAPL's 32 bits): it wrapped,
 *    once: wrap - prev + now. More than one wrap between two readings
 *    cannot be seen in the values; the caller bounds the time between
 *    readings (domains.c reports a gap longer than one wrap);
 *  - now < prev, without a modulus (64-bit counters, map entries): it
 *    restarted from zero (a map entry made again, a driver reloaded):
 *    all of @now is new. What it counted before the restart and after
 *    the previous reading is not known, so not counted.
 */
#ifndef EACCT_COUNTER_H
#define EACCT_COUNTER_H

#include <stdint.h>

enum eacct_counter_step {
	EACCT_COUNTER_GREW,		/* or stayed */
	EACCT_COUNTER_WRAPPED,
	EACCT_COUNTER_RESTARTED,
};

/* The delta under the rule above; *@step (if not NULL) says which case. */
uint64_t eacct_counter_delta(uint64_t prev, uint64_t now, uint64_t wrap,
			     enum eacct_counter_step *step);

#endif /* EACCT_COUNTER_H */
