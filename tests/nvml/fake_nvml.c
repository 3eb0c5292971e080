// SPDX-License-Identifier: GPL-2.0
/*
 * A stand-in for libnvidia-ml.so.1 for eacct's tests: the NVML calls
 * eacct uses, answering from a script file named by $EACCT_FAKE_NVML,
 * read afresh at every call so that a test can change the answers
 * between two readings. Lines:
 *
 *   init RC                      nvmlInit_v2's return code (default 0)
 *   gpu I name=S bus=S minor=N energy=MJ|ERR power=MW|ERR mig=0|1
 *   util I pid=N ts=US sm=PCT    a process utilisation sample (or "util I ERR")
 *   proc I pid=N mem=BYTES       a running compute process
 *
 * where ERR is "rc:N", an NVML return code (3 not supported, 15 GPU lost).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX 128

struct sample {
	unsigned int pid;
	unsigned long long ts;
	unsigned int sm, mem, enc, dec;
};

struct proc {
	unsigned int pid;
	unsigned long long mem;
	unsigned int gi, ci;
};

struct gpu {
	char name[64], bus[32];
	unsigned int minor, mig, power;
	unsigned long long energy;
	int energy_rc, power_rc, util_rc;
	struct sample samples[MAX];
	int nr_samples;
	struct proc procs[MAX];
	int nr_procs;
};

static struct gpu gpus[MAX];
static int nr_gpus, init_rc;

static int value(const char *tok, const char *key, unsigned long long *v, int *rc)
{
	size_t len = strlen(key);

	if (strncmp(tok, key, len) || tok[len] != '=')
		return 0;
	if (!strncmp(tok + len + 1, "rc:", 3))
		*rc = atoi(tok + len + 4);
	else
		*v = strtoull(tok + len + 1, NULL, 0);
	return 1;
}

static void load(void)
{
	const char *path = getenv("EACCT_FAKE_NVML");
	char line[512], *tok, *save;
	unsigned long long v;
	FILE *f;
	int i, dummy;

	memset(gpus, 0, sizeof(gpus));
	nr_gpus = 0;
	init_rc = 0;
	f = path ? fopen(path, "r") : NULL;
	while (f && fgets(line, sizeof(line), f)) {
		tok = strtok_r(line, " \n", &save);
		if (!tok)
			continue;
		if (!strcmp(tok, "init")) {
			init_rc = atoi(strtok_r(NULL, " \n", &save));
			continue;
		}
		i = atoi(strtok_r(NULL, " \n", &save));
		if (i < 0 || i >= MAX)
			continue;
		if (!strcmp(tok, "gpu")) {
			struct gpu *g = &gpus[i];

			if (i + 1 > nr_gpus)
				nr_gpus = i + 1;
			while ((tok = strtok_r(NULL, " \n", &save))) {
				if (!strncmp(tok, "name=", 5))
					snprintf(g->name, sizeof(g->name), "%s", tok + 5);
				else if (!strncmp(tok, "bus=", 4))
					snprintf(g->bus, sizeof(g->bus), "%s", tok + 4);
				else if (value(tok, "minor", &v, &dummy))
					g->minor = v;
				else if (value(tok, "energy", &g->energy, &g->energy_rc))
					;
				else if (value(tok, "power", &v, &g->power_rc))
					g->power = v;
				else if (value(tok, "mig", &v, &dummy))
					g->mig = v;
			}
		} else if (!strcmp(tok, "util")) {
			struct sample *s = &gpus[i].samples[gpus[i].nr_samples];

			tok = strtok_r(NULL, " \n", &save);
			if (tok && !strncmp(tok, "rc:", 3)) {
				gpus[i].util_rc = atoi(tok + 3);
				continue;
			}
			if (gpus[i].nr_samples == MAX)
				continue;
			for (; tok; tok = strtok_r(NULL, " \n", &save)) {
				if (value(tok, "pid", &v, &dummy))
					s->pid = v;
				value(tok, "ts", &s->ts, &dummy);
				if (value(tok, "sm", &v, &dummy))
					s->sm = v;
			}
			gpus[i].nr_samples++;
		} else if (!strcmp(tok, "proc") && gpus[i].nr_procs < MAX) {
			struct proc *p = &gpus[i].procs[gpus[i].nr_procs++];

			while ((tok = strtok_r(NULL, " \n", &save))) {
				if (value(tok, "pid", &v, &dummy))
					p->pid = v;
				value(tok, "mem", &p->mem, &dummy);
			}
		}
	}
	if (f)
		fclose(f);
}

static struct gpu *dev(void *handle)
{
	return handle;
}

int nvmlInit_v2(void)
{
	load();
	return init_rc;
}

int nvmlShutdown(void)
{
	return 0;
}

const char *nvmlErrorString(int rc)
{
	switch (rc) {
	case 3: return "Not Supported";
	case 9: return "Driver Not Loaded";
	case 15: return "GPU is lost";
	default: return "Unknown Error";
	}
}

int nvmlDeviceGetCount_v2(unsigned int *n)
{
	load();
	*n = nr_gpus;
	return 0;
}

int nvmlDeviceGetHandleByIndex_v2(unsigned int i, void **handle)
{
	if (i >= (unsigned int)nr_gpus)
		return 2;
	*handle = &gpus[i];
	return 0;
}

int nvmlDeviceGetName(void *h, char *name, unsigned int len)
{
	snprintf(name, len, "%s", dev(h)->name);
	return 0;
}

struct pci_info {
	char bus_id_legacy[16];
	unsigned int domain, bus, device, pci_device_id, pci_subsystem_id;
	char bus_id[32];
};

int nvmlDeviceGetPciInfo_v3(void *h, struct pci_info *pci)
{
	memset(pci, 0, sizeof(*pci));
	snprintf(pci->bus_id, sizeof(pci->bus_id), "%s", dev(h)->bus);
	return 0;
}

int nvmlDeviceGetMinorNumber(void *h, unsigned int *minor)
{
	*minor = dev(h)->minor;
	return 0;
}

int nvmlDeviceGetMigMode(void *h, unsigned int *cur, unsigned int *pending)
{
	*cur = *pending = dev(h)->mig;
	return 0;
}

int nvmlDeviceGetTotalEnergyConsumption(void *h, unsigned long long *mj)
{
	load();
	*mj = dev(h)->energy;
	return dev(h)->energy_rc;
}

int nvmlDeviceGetPowerUsage(void *h, unsigned int *mw)
{
	load();
	*mw = dev(h)->power;
	return dev(h)->power_rc;
}

int nvmlDeviceGetProcessUtilization(void *h, struct sample *out, unsigned int *count,
				    unsigned long long last_seen)
{
	struct gpu *g;
	unsigned int n = 0;
	int i;

	load();
	g = dev(h);
	if (g->util_rc)
		return g->util_rc;
	for (i = 0; i < g->nr_samples; i++)
		n += g->samples[i].ts > last_seen;
	if (!n)
		return 6;	/* NOT_FOUND: no samples */
	if (!out || *count < n) {
		*count = n;
		return 7;	/* INSUFFICIENT_SIZE */
	}
	n = 0;
	for (i = 0; i < g->nr_samples; i++)
		if (g->samples[i].ts > last_seen)
			out[n++] = g->samples[i];
	*count = n;
	return 0;
}

int nvmlDeviceGetComputeRunningProcesses_v3(void *h, unsigned int *count, struct proc *out)
{
	struct gpu *g;
	int i;

	load();
	g = dev(h);
	if (!out || *count < (unsigned int)g->nr_procs) {
		*count = g->nr_procs;
		return g->nr_procs ? 7 : 0;
	}
	for (i = 0; i < g->nr_procs; i++)
		out[i] = g->procs[i];
	*count = g->nr_procs;
	return 0;
}
