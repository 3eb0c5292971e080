/* SPDX-License-Identifier: GPL-2.0 */
/*
 * eacctd's state, passed explicitly to every part (there is no global),
 * and each part's entry points. Each part owns the fields of its own
 * struct below; the others only read them.
 *
 *   main.c       options, signals, the loop, reload, start and stop
 *   activity.c   cgroup and process tables from BPF, pruning, BPF losses
 *   domains.c    CPU/DRAM domains, CPUs, meter readings, model, carbon
 *   gpus.c       GPU discovery, GPU domains, the GPU BPF programs
 *   gpu_split.c  who used each GPU this interval, and the cross-check
 *   account.c    readings -> one batch (pure: unit-tested alone)
 *   ledger.c     sequence, sending, carry, the state file
 *   recover.c    a restart: what of the state file can be continued
 *   status.c     the status file, the metrics feed, intensity in force
 */
#ifndef EACCTD_H
#define EACCTD_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "bpf_cpu.h"
#include "enforce.h"
#include "gpu_activity.h"
#include "intensity_feed.h"
#include "metrics_server.h"
#include "lib/batch.h"
#include "lib/config.h"
#include "lib/gpu.h"
#include "lib/meter.h"
#include "lib/nvml.h"
#include "lib/xcheck.h"
#include "account.h"

#define MAX_METERS 32
#define MAX_DOMAINS (2 * EACCT_MAX_PKG + EACCT_MAX_GPUS)

/* --- activity.c ------------------------------------------------------------ */
struct cg {
	uint64_t id;
	uint64_t ns[EACCT_MAX_PKG];	/* cumulative, as last charged */
	uint64_t delta[EACCT_MAX_PKG];	/* this interval */
	unsigned int idle;		/* intervals in a row without on-CPU time */
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

/* What BPF lost, as last logged: each counter is logged when it grows. */
struct bpf_losses {
	struct eacct_cpu_stats cpu;
	struct eacct_gpu_stats gpu;
};

struct activity {
	struct cg *cgs;			/* sorted by id */
	size_t nr_cgs, cap_cgs;
	struct proc *procs;		/* sorted by key */
	size_t nr_procs, cap_procs;
	struct proc **by_cgroup;	/* procs sorted by cgroup, per interval */
	struct bpf_losses losses;	/* as last read */
};

/* --- domains.c and gpus.c ------------------------------------------------ */
struct domain {
	char name[32];
	uint32_t id;			/* EACCT_DOMAIN() */
	int pkg;			/* CPU domains; -1 for GPUs */
	int gpu;			/* index in gpus.list, -1 for CPU domains */
	struct eacct_meter *meter;	/* NULL: the model estimate, or NVML */
	struct eacct_nvml_gpu *nvml;	/* an NVIDIA GPU's NVML meter */
	uint64_t last_total;		/* the meter's total at the last reading */
	uint64_t energy_uj;		/* this interval's */
	uint64_t carbon_ug;		/* this interval's, from energy_uj */
	double carbon_carry;		/* the fraction of a ug not yet charged */
	bool read_failed;		/* logged once until a read works again */
	/* GPUs (gpu_split.c): who used it this interval, and how that is known. */
	uint64_t *ids, *act;
	size_t nr_users, cap_users;
	enum eacct_gpu_method method;
	const char *method_name;	/* last logged */
	struct eacct_xcheck xcheck;	/* busy time against fdinfo */
	bool xcheck_off;		/* the last window disagreed */
};

struct domains {
	struct eacct_meter meters[MAX_METERS];
	int nr_meters;
	struct domain list[MAX_DOMAINS];
	int nr;
	int nr_pkgs;
	int pkg_cpus[EACCT_MAX_PKG];	/* online CPUs per package */
	uint8_t cpu_pkg[EACCT_MAX_CPUS];
	struct timespec read_at;	/* CLOCK_BOOTTIME of the last reading */
	char gap[160];			/* the last readings too far apart, in words */
};

struct gpus {
	struct eacct_gpu list[EACCT_MAX_GPUS];
	int nr;
	struct gpu_activity act;	/* its BPF loaded: loaded */
	bool loaded;
	struct eacct_nvml_lib *nvml;
	struct eacct_nvml_gpu *nvml_of[EACCT_MAX_GPUS];	/* by list index */
	int nr_drm_domains;		/* GPU domains metered by hwmon: fdinfo read */
	int sched_tps;			/* gpu_scheduler tracepoints attached */
	unsigned int sched_retry;	/* intervals until the next try, if none */
};

/* --- ledger.c ---------------------------------------------------------- */
struct ledger {
	int dev;			/* /dev/eacct, open while a batch is written */
	int lock;			/* the state file's lock: one eacctd */
	uint64_t seq;			/* of the next batch */
	struct eacct_batch carry;	/* refused for a passing reason: sent with the next */
	int carry_err;			/* why, last logged */
	uint64_t lost_uj;		/* refused for good: declared lost */
	uint64_t gap_uj;		/* downtime energy that could not be placed */
	char gap_reason[160];		/* the last gap, in words */
	bool state_failed;		/* logged once */
	uint64_t batches, refusals;
};

/* --- status.c --------------------------------------------------------------- */
struct status {
	time_t started;
	bool write_failed;		/* logged once */
	struct intensity_now intensity;	/* in force this interval */
	char intensity_logged[600];	/* source and error last logged */
};

struct eacctd {
	struct eacct_config cfg;
	const char *cfg_path;
	bool cfg_explicit;
	char cgroup_root[4096];		/* cgroup2 mount: pid -> cgroup */
	struct eacct_bpf_cpu bpf;
	struct activity act;
	struct domains dom;
	struct gpus gpu;
	struct ledger led;
	struct status st;
	struct intensity_feed feed;	/* grid carbon intensity */
	struct enforcer enf;		/* budget actions */
	struct metrics_server metrics;	/* /metrics, if metrics_listen */
	struct timespec last;		/* CLOCK_BOOTTIME of the last interval */
};

void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* activity.c */
int activity_read(struct eacctd *e, bool baseline_only);
struct cg *activity_find_cg(struct activity *a, uint64_t id);
void activity_forget(struct eacctd *e);
void activity_losses(struct eacctd *e, struct bpf_losses *out);
void activity_log_losses(struct eacctd *e);
size_t activity_nr_losses(void);
const char *activity_loss_name(size_t i);
uint64_t activity_loss_value(const struct bpf_losses *l, size_t i);
void activity_free(struct activity *a);

/* domains.c */
int domains_setup(struct eacctd *e);
void domains_read(struct eacctd *e, uint64_t interval_ns, const uint64_t *busy_ns);
void domains_carbon(struct eacctd *e);
int domains_rescan_cpus(struct eacctd *e);

/* gpus.c */
void gpus_start(struct eacctd *e);
void gpus_read(struct eacctd *e);
void gpus_stop(struct eacctd *e);
struct domain *gpus_new_domain(struct eacctd *e, int gpu);

/* gpu_split.c */
int gpu_split(struct eacctd *e, struct domain *dom);
void gpu_split_log_crosschecks(struct eacctd *e);

/* ledger.c */
int ledger_open(struct eacctd *e);
int ledger_module_seq(const struct eacctd *e, uint64_t *seq);
int ledger_send(struct eacctd *e, struct eacct_batch *b);
struct eacct_state_meter;
/* A domain's meter as the state file names it; false: nothing to keep. */
bool ledger_meter_identity(const struct domain *dom, struct eacct_state_meter *m);
uint32_t ledger_map_id(int map_fd);

/* recover.c */
void ledger_recover(struct eacctd *e, bool bpf_reused);
void ledger_close(struct eacctd *e);

/* status.c */
void status_update_intensity(struct eacctd *e);
void status_write(struct eacctd *e);
void status_update_metrics(struct eacctd *e);

#endif /* EACCTD_H */
