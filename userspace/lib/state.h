/* SPDX-License-Identifier: GPL-2.0 */
/*
 * eacctd's state file: what a restarted eacctd needs so that energy is
 * neither lost nor counted twice. Replaced atomically before each batch
 * goes to /dev/eacct, it holds the readings the batch was computed up to
 * and the batch itself:
 *  - module seq >= state seq: the batch landed; continue from the readings;
 *  - module seq == state seq - 1: it did not; send it again, then continue.
 * A reading is used again only for the very meter that made it: the same
 * kind, source and modulus, in the same boot (boot_id), so that a meter
 * that changed or restarted is never read against another's value.
 */
#ifndef EACCT_STATE_H
#define EACCT_STATE_H

#include <stddef.h>
#include <stdint.h>

#define EACCT_STATE_PKGS 8
#define EACCT_STATE_MAX_METERS 64

struct eacct_state_meter {
	char domain[32];
	char kind[16];			/* eacct_meter_kind_name(), "nvml"; "" in version 1 */
	char source[600];
	uint64_t wrap;			/* the counter's modulus, 0: none */
	uint64_t last_raw;
	uint64_t total_uj;
	double frac_uj;
};

struct eacct_state_cgroup {
	uint64_t id;
	uint64_t ns[EACCT_STATE_PKGS];	/* cumulative on-CPU ns seen */
};

struct eacct_state {
	uint64_t seq;			/* of the batch below */
	char boot_id[40];		/* /proc/sys/kernel/random/boot_id; "" in version 1 */
	uint64_t boottime_ns;		/* CLOCK_BOOTTIME of the readings */
	uint32_t cgroup_map_id;		/* the BPF map the cgroups' ns were read from */
	int refused;			/* the batch was refused for now: never landed */
	int nr_meters;
	struct eacct_state_meter meters[EACCT_STATE_MAX_METERS];
	size_t nr_cgroups;
	struct eacct_state_cgroup *cgroups;	/* malloc()ed */
	size_t batch_len;
	void *batch;			/* malloc()ed */
};

int eacct_state_save(const char *path, const struct eacct_state *s);
/* 0, -ENOENT (no state yet) or -EINVAL (corrupt: ignored by eacctd). */
int eacct_state_load(const char *path, struct eacct_state *s);
void eacct_state_free(struct eacct_state *s);

/* This boot's id (36 characters), for eacct_state.boot_id. */
int eacct_boot_id(char *buf, size_t len);

#endif /* EACCT_STATE_H */
