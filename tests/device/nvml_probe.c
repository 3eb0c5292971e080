// SPDX-License-Identifier: GPL-2.0
/*
 * What eacct's NVML meter reads on this machine, every second for
 * SECONDS: per GPU the energy since the start (J) and the mean power over
 * the last second (W), from the same code eacctd uses (lib/nvml.c), and
 * each process's weight (SM % samples, or GPU memory under MIG).
 *
 * Usage: nvml-probe [SECONDS] [LIBRARY]   (defaults 10, libnvidia-ml.so.1)
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "lib/nvml.h"

int main(int argc, char **argv)
{
	int seconds = argc > 1 ? atoi(argv[1]) : 10;
	const char *path = argc > 2 ? argv[2] : EACCT_NVML_LIBRARY;
	struct eacct_nvml_use use[64];
	struct eacct_nvml_lib *lib;
	struct eacct_nvml_gpu *g;
	uint64_t before[EACCT_NVML_MAX_GPUS];
	char err[256];
	bool by_mem;
	int t, i, k, n;

	lib = eacct_nvml_open(path, err, sizeof(err));
	if (!lib) {
		fprintf(stderr, "nvml-probe: %s\n", err);
		return 1;
	}
	for (i = 0; i < eacct_nvml_count(lib); i++) {
		g = eacct_nvml_gpu(lib, i);
		printf("# gpu %d: %s, bus %s, /dev/nvidia%u, %s%s%s\n", i, g->name, g->bus_id,
		       g->minor, g->integrated ? "power x time (INTEGRATED)" : "energy counter",
		       g->mig ? ", MIG on" : "", g->error[0] ? g->error : "");
	}
	printf("t_s gpu energy_j power_w processes(pid:weight)\n");
	for (t = 1; t <= seconds; t++) {
		for (i = 0; i < eacct_nvml_count(lib); i++)
			before[i] = eacct_nvml_gpu(lib, i)->total_uj;
		sleep(1);
		for (i = 0; i < eacct_nvml_count(lib); i++) {
			g = eacct_nvml_gpu(lib, i);
			if (eacct_nvml_read_energy(lib, g))
				printf("# gpu %d: %s\n", i, g->error);
			printf("%d %d %.3f %.1f", t, i, g->total_uj / 1e6,
			       (g->total_uj - before[i]) / 1e6);
			n = eacct_nvml_process_use(lib, g, use, 64, &by_mem);
			if (n < 0)
				printf(" (%s)", g->error);
			for (k = 0; k < n; k++)
				printf(" %u:%" PRIu64 "%s", use[k].pid, use[k].weight,
				       by_mem ? "B" : "%");
			printf("\n");
			fflush(stdout);
		}
	}
	eacct_nvml_close(lib);
	return 0;
}
