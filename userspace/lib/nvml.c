// SPDX-License-Identifier: GPL-2.0
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "counter.h"
#include "meter.h"
#include "nvml.h"

/* As in nvml.h. */
typedef int nvml_return;
typedef void *nvml_device;

enum {
	NVML_SUCCESS = 0,
	NVML_ERROR_NOT_SUPPORTED = 3,
	NVML_ERROR_NOT_FOUND = 6,
	NVML_ERROR_INSUFFICIENT_SIZE = 7,
	NVML_ERROR_GPU_IS_LOST = 15,
};

#define NVML_VALUE_NOT_AVAILABLE (~0ULL)

struct nvml_pci_info {
	char bus_id_legacy[16];
	unsigned int domain, bus, device, pci_device_id, pci_subsystem_id;
	char bus_id[32];
};

struct nvml_process_utilization_sample {
	unsigned int pid;
	unsigned long long time_stamp;	/* CPU time, us */
	unsigned int sm_util, mem_util, enc_util, dec_util;
};

struct nvml_process_info {
	unsigned int pid;
	unsigned long long used_gpu_memory;
	unsigned int gpu_instance_id, compute_instance_id;
};

struct eacct_nvml_lib {
	void *dl;
	nvml_return (*init)(void);
	nvml_return (*shutdown)(void);
	const char *(*error_string)(nvml_return);
	nvml_return (*count)(unsigned int *);
	nvml_return (*handle_by_index)(unsigned int, nvml_device *);
	nvml_return (*name)(nvml_device, char *, unsigned int);
	nvml_return (*pci_info)(nvml_device, struct nvml_pci_info *);
	nvml_return (*minor)(nvml_device, unsigned int *);
	nvml_return (*energy)(nvml_device, unsigned long long *);
	nvml_return (*power)(nvml_device, unsigned int *);
	nvml_return (*mig_mode)(nvml_device, unsigned int *, unsigned int *);
	nvml_return (*process_util)(nvml_device, struct nvml_process_utilization_sample *,
				    unsigned int *, unsigned long long);
	nvml_return (*compute_procs)(nvml_device, unsigned int *, struct nvml_process_info *);
	int nr_gpus;
	struct eacct_nvml_gpu gpus[EACCT_NVML_MAX_GPUS];
};

static const char *why(struct eacct_nvml_lib *lib, nvml_return r)
{
	const char *s = lib->error_string ? lib->error_string(r) : NULL;

	return s ? s : "NVML error";
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* dlsym into *@fn; the required ones must be there. */
#define SYM(field, name) (*(void **)&lib->field = dlsym(lib->dl, name))

static int bind(struct eacct_nvml_lib *lib)
{
	if (!SYM(init, "nvmlInit_v2") || !SYM(shutdown, "nvmlShutdown") ||
	    !SYM(count, "nvmlDeviceGetCount_v2") ||
	    !SYM(handle_by_index, "nvmlDeviceGetHandleByIndex_v2"))
		return -ENOENT;
	SYM(error_string, "nvmlErrorString");
	SYM(name, "nvmlDeviceGetName");
	SYM(pci_info, "nvmlDeviceGetPciInfo_v3");
	SYM(minor, "nvmlDeviceGetMinorNumber");
	SYM(energy, "nvmlDeviceGetTotalEnergyConsumption");
	SYM(power, "nvmlDeviceGetPowerUsage");
	SYM(mig_mode, "nvmlDeviceGetMigMode");
	SYM(process_util, "nvmlDeviceGetProcessUtilization");
	SYM(compute_procs, "nvmlDeviceGetComputeRunningProcesses_v3");
	return 0;
}

/* The first reading: which energy source works, and its baseline. */
static void first_reading(struct eacct_nvml_lib *lib, struct eacct_nvml_gpu *g)
{
	unsigned long long mj;
	unsigned int mw, cur, pending;
	nvml_return r;

	if (lib->mig_mode && lib->mig_mode(g->handle, &cur, &pending) == NVML_SUCCESS)
		g->mig = cur != 0;
	r = lib->energy ? lib->energy(g->handle, &mj) : NVML_ERROR_NOT_SUPPORTED;
	if (r == NVML_SUCCESS) {
		g->last_mj = mj;
		return;
	}
	/* Before Volta: power x time. */
	g->integrated = true;
	r = lib->power ? lib->power(g->handle, &mw) : NVML_ERROR_NOT_SUPPORTED;
	if (r != NVML_SUCCESS) {
		snprintf(g->error, sizeof(g->error), "no energy counter or power reading: %s",
			 why(lib, r));
		g->lost = r == NVML_ERROR_GPU_IS_LOST;
		return;
	}
	g->last_mw = mw;
	g->last_ns = now_ns();
}

struct eacct_nvml_lib *eacct_nvml_open(const char *path, char *err, size_t errlen)
{
	struct eacct_nvml_lib *lib = calloc(1, sizeof(*lib));
	struct nvml_pci_info pci;
	struct eacct_nvml_gpu *g;
	unsigned int n, i;
	nvml_return r;

	if (!lib) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	lib->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!lib->dl) {
		snprintf(err, errlen, "%s", dlerror());
		free(lib);
		return NULL;
	}
	if (bind(lib)) {
		snprintf(err, errlen, "%s lacks nvmlInit_v2 or the device calls", path);
		goto fail;
	}
	r = lib->init();
	if (r != NVML_SUCCESS) {
		snprintf(err, errlen, "nvmlInit: %s", why(lib, r));
		goto fail;
	}
	r = lib->count(&n);
	if (r != NVML_SUCCESS) {
		snprintf(err, errlen, "nvmlDeviceGetCount: %s", why(lib, r));
		lib->shutdown();
		goto fail;
	}
	for (i = 0; i < n && lib->nr_gpus < EACCT_NVML_MAX_GPUS; i++) {
		g = &lib->gpus[lib->nr_gpus];
		memset(g, 0, sizeof(*g));
		if (lib->handle_by_index(i, &g->handle) != NVML_SUCCESS)
			continue;	/* e.g. no permission on that one */
		g->index = i;
		g->minor = i;
		if (lib->minor)
			lib->minor(g->handle, &g->minor);
		if (!lib->name || lib->name(g->handle, g->name, sizeof(g->name)))
			snprintf(g->name, sizeof(g->name), "NVIDIA GPU %u", i);
		if (lib->pci_info && lib->pci_info(g->handle, &pci) == NVML_SUCCESS)
			snprintf(g->bus_id, sizeof(g->bus_id), "%.31s", pci.bus_id);
		first_reading(lib, g);
		lib->nr_gpus++;
	}
	return lib;
fail:
	dlclose(lib->dl);
	free(lib);
	return NULL;
}

void eacct_nvml_close(struct eacct_nvml_lib *lib)
{
	if (!lib)
		return;
	lib->shutdown();
	dlclose(lib->dl);
	free(lib);
}

int eacct_nvml_count(const struct eacct_nvml_lib *lib)
{
	return lib ? lib->nr_gpus : 0;
}

struct eacct_nvml_gpu *eacct_nvml_gpu(struct eacct_nvml_lib *lib, int i)
{
	return lib && i >= 0 && i < lib->nr_gpus ? &lib->gpus[i] : NULL;
}

static int failed(struct eacct_nvml_lib *lib, struct eacct_nvml_gpu *g,
		  const char *what, nvml_return r)
{
	snprintf(g->error, sizeof(g->error), "%s: %s", what, why(lib, r));
	if (r == NVML_ERROR_GPU_IS_LOST) {
		g->lost = true;
		return -ENODEV;
	}
	return r == NVML_ERROR_NOT_SUPPORTED ? -EOPNOTSUPP : -EIO;
}

int eacct_nvml_read_energy(struct eacct_nvml_lib *lib, struct eacct_nvml_gpu *g)
{
	unsigned long long mj;
	unsigned int mw;
	uint64_t now;
	nvml_return r;

	if (g->lost)
		return -ENODEV;
	if (!g->integrated) {
		r = lib->energy(g->handle, &mj);
		if (r != NVML_SUCCESS)
			return failed(lib, g, "nvmlDeviceGetTotalEnergyConsumption", r);
		/* Below the last reading: the driver was reloaded, counting from 0. */
		g->total_uj += eacct_counter_delta(g->last_mj, mj, 0, NULL) * 1000;
		g->last_mj = mj;
		return 0;
	}
	if (!lib->power)
		return -EOPNOTSUPP;
	r = lib->power(g->handle, &mw);
	if (r != NVML_SUCCESS)
		return failed(lib, g, "nvmlDeviceGetPowerUsage", r);
	now = now_ns();
	/* mW x ns = 1e-12 J: divide by 1e6 for uJ. */
	eacct_add_uj(((double)g->last_mw + mw) / 2.0 * (double)(now - g->last_ns) / 1e6,
		     &g->frac_uj, &g->total_uj);
	g->last_mw = mw;
	g->last_ns = now;
	return 0;
}

static int add_use(struct eacct_nvml_use *out, int n, int max, uint32_t pid,
		   uint64_t weight)
{
	int i;

	for (i = 0; i < n; i++) {
		if (out[i].pid == pid) {
			out[i].weight += weight;
			return n;
		}
	}
	if (n < max) {
		out[n].pid = pid;
		out[n].weight = weight;
		n++;
	}
	return n;
}

/* MIG (or no utilisation sampling): the running processes, by memory. */
static int use_by_memory(struct eacct_nvml_lib *lib, struct eacct_nvml_gpu *g,
			 struct eacct_nvml_use *out, int max)
{
	struct nvml_process_info *infos = NULL;
	unsigned int count = 0, i;
	int n = 0;
	nvml_return r;

	if (!lib->compute_procs)
		return -EOPNOTSUPP;
	r = lib->compute_procs(g->handle, &count, NULL);
	if (r == NVML_SUCCESS && !count)
		return 0;	/* none running */
	if (r != NVML_SUCCESS && r != NVML_ERROR_INSUFFICIENT_SIZE)
		return failed(lib, g, "nvmlDeviceGetComputeRunningProcesses", r);
	count += 8;	/* room for processes started meanwhile */
	infos = calloc(count, sizeof(*infos));
	if (!infos)
		return -ENOMEM;
	r = lib->compute_procs(g->handle, &count, infos);
	if (r != NVML_SUCCESS) {
		free(infos);
		return failed(lib, g, "nvmlDeviceGetComputeRunningProcesses", r);
	}
	for (i = 0; i < count; i++)
		n = add_use(out, n, max, infos[i].pid,
			    infos[i].used_gpu_memory == NVML_VALUE_NOT_AVAILABLE ?
			    1 : infos[i].used_gpu_memory);
	free(infos);
	return n;
}

int eacct_nvml_process_use(struct eacct_nvml_lib *lib, struct eacct_nvml_gpu *g,
			   struct eacct_nvml_use *out, int max, bool *by_memory)
{
	struct nvml_process_utilization_sample *s;
	unsigned long long newest = g->last_sample_us;
	unsigned int count = 0, i;
	nvml_return r;
	int n = 0;

	*by_memory = false;
	if (g->lost)
		return -ENODEV;
	r = lib->process_util ? lib->process_util(g->handle, NULL, &count, g->last_sample_us) :
				NVML_ERROR_NOT_SUPPORTED;
	if (r == NVML_ERROR_NOT_SUPPORTED) {
		*by_memory = true;
		return use_by_memory(lib, g, out, max);
	}
	if ((r == NVML_SUCCESS && !count) || r == NVML_ERROR_NOT_FOUND)
		return 0;	/* no samples since the last call */
	if (r != NVML_SUCCESS && r != NVML_ERROR_INSUFFICIENT_SIZE)
		return failed(lib, g, "nvmlDeviceGetProcessUtilization", r);
	s = calloc(count + 1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	r = lib->process_util(g->handle, s, &count, g->last_sample_us);
	if (r != NVML_SUCCESS) {
		free(s);
		return r == NVML_ERROR_NOT_FOUND ? 0 :
		       failed(lib, g, "nvmlDeviceGetProcessUtilization", r);
	}
	for (i = 0; i < count; i++) {
		if (s[i].time_stamp <= g->last_sample_us)
			continue;	/* seen in an earlier interval */
		if (s[i].time_stamp > newest)
			newest = s[i].time_stamp;
		if (s[i].sm_util)
			n = add_use(out, n, max, s[i].pid, s[i].sm_util);
	}
	g->last_sample_us = newest;
	free(s);
	return n;
}
