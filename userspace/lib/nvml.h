/* SPDX-License-Identifier: GPL-2.0 */
/*
 * NVIDIA GPUs through NVML, loaded with dlopen("libnvidia-ml.so.1") at run
 * time: no build dependency, and a machine without the driver simply has
 * no NVML GPU. The few NVML types used are declared here, as in NVML's
 * nvml.h (CUDA 12), which the library's ABI keeps stable.
 *
 * Energy: nvmlDeviceGetTotalEnergyConsumption (mJ since the driver was
 * loaded; Volta and later). A reading below the last one means the driver
 * was reloaded: the new reading is what was spent since. Where the counter
 * is not supported, power (mW) is integrated over time (INTEGRATED).
 *
 * Activity per process: nvmlDeviceGetProcessUtilization (SM utilisation
 * samples since the last timestamp seen). Under MIG that call is not
 * supported; the fallback is the running compute processes, each weighted
 * by the GPU memory it holds.
 */
#ifndef EACCT_NVML_H
#define EACCT_NVML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EACCT_NVML_LIBRARY	"libnvidia-ml.so.1"
#define EACCT_NVML_MAX_GPUS	16

struct eacct_nvml_lib;

struct eacct_nvml_gpu {
	void *handle;			/* nvmlDevice_t */
	unsigned int index;		/* NVML's */
	unsigned int minor;		/* /dev/nvidiaN */
	char name[96];
	char bus_id[32];		/* "00000000:3B:00.0" */
	bool mig;			/* MIG mode on */
	bool integrated;		/* power x time: no energy counter */
	bool lost;			/* NVML said GPU_IS_LOST: not read again */
	uint64_t last_mj;		/* energy counter, last reading */
	uint64_t last_ns;		/* integrated: time of the last reading */
	unsigned int last_mw;		/* integrated: the last power reading */
	double frac_uj;			/* integrated: sub-uJ remainder carried */
	uint64_t total_uj;		/* since detection */
	unsigned long long last_sample_us;	/* utilisation samples seen up to */
	char error[128];		/* last problem, for the report */
};

/* A process's share of a GPU over the last interval. */
struct eacct_nvml_use {
	uint32_t pid;
	uint64_t weight;		/* sum of SM % samples, or bytes under MIG */
};

/*
 * Load @path (normally EACCT_NVML_LIBRARY), initialise NVML and find its
 * GPUs. Returns the library, NULL with a reason in @err when there is no
 * NVML (no driver, no library, init failed).
 */
struct eacct_nvml_lib *eacct_nvml_open(const char *path, char *err, size_t errlen);
void eacct_nvml_close(struct eacct_nvml_lib *lib);

int eacct_nvml_count(const struct eacct_nvml_lib *lib);
struct eacct_nvml_gpu *eacct_nvml_gpu(struct eacct_nvml_lib *lib, int i);

/*
 * Advance ->total_uj by the energy since the last read. 0, or a negative
 * errno with ->error set (the total then stays; -ENODEV once lost).
 */
int eacct_nvml_read_energy(struct eacct_nvml_lib *lib, struct eacct_nvml_gpu *g);

/*
 * Per-process use of @g since the last call, up to @max entries. Returns
 * how many, or a negative errno with ->error set. *by_memory says which
 * weight was used (the MIG fallback).
 */
int eacct_nvml_process_use(struct eacct_nvml_lib *lib, struct eacct_nvml_gpu *g,
			   struct eacct_nvml_use *out, int max, bool *by_memory);

#endif /* EACCT_NVML_H */
