// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "gpu.h"
#include "sysfile.h"
#include "nvml.h"

static int read_dev(const char *path, uint32_t *rdev)
{
	unsigned int major, minor;
	char buf[32];
	int err = eacct_file_read_line(AT_FDCWD, path, buf, sizeof(buf));

	if (err)
		return err;
	if (sscanf(buf, "%u:%u", &major, &minor) != 2 || major > 0xfff || minor > 0xfffff)
		return -EINVAL;
	*rdev = EACCT_KDEV(major, minor);
	return 0;
}

/* "card3" or "renderD131"; connectors such as "card0-DP-1" are not nodes. */
static bool drm_node(const char *name)
{
	const char *digits;

	if (!strncmp(name, "card", 4))
		digits = name + 4;
	else if (!strncmp(name, "renderD", 7))
		digits = name + 7;
	else
		return false;
	return *digits && strspn(digits, "0123456789") == strlen(digits);
}

static void find_meter(struct eacct_gpu *g)
{
	char dir[600], hw[1200];
	struct dirent **ents;
	int n, i;

	snprintf(dir, sizeof(dir), "%s/hwmon", g->device);
	n = scandir(dir, &ents, NULL, versionsort);
	for (i = 0; i < n; i++) {
		if (!g->has_meter && !strncmp(ents[i]->d_name, "hwmon", 5)) {
			snprintf(hw, sizeof(hw), "%s/%s", dir, ents[i]->d_name);
			g->has_meter = !eacct_meter_gpu_hwmon(hw, g->name, &g->meter);
		}
		free(ents[i]);
	}
	if (n > 0)
		free(ents);
}

static void find_driver(struct eacct_gpu *g)
{
	char path[600], target[PATH_MAX];
	ssize_t len;
	char *base;

	snprintf(path, sizeof(path), "%s/driver", g->device);
	len = readlink(path, target, sizeof(target) - 1);
	if (len <= 0) {
		snprintf(g->driver, sizeof(g->driver), "unknown");
		return;
	}
	target[len] = '\0';
	base = strrchr(target, '/');
	snprintf(g->driver, sizeof(g->driver), "%.31s", base ? base + 1 : target);
}

int eacct_gpus_detect(const char *drm_root, struct eacct_gpu *out, int max)
{
	char path[600], device[PATH_MAX];
	struct dirent **ents;
	int nents, i, k, n = 0;
	uint32_t rdev = 0;

	/* versionsort: card2 before card10, and card* before renderD*. */
	nents = scandir(drm_root, &ents, NULL, versionsort);
	for (i = 0; i < nents; i++) {
		const char *name = ents[i]->d_name;
		struct eacct_gpu *g = NULL;

		snprintf(path, sizeof(path), "%s/%s/dev", drm_root, name);
		if (!drm_node(name) || read_dev(path, &rdev))
			goto next;
		snprintf(path, sizeof(path), "%s/%s/device", drm_root, name);
		if (!realpath(path, device) || strlen(device) >= sizeof(g->device))
			goto next;
		for (k = 0; k < n && !g; k++)
			if (!strcmp(out[k].device, device))
				g = &out[k];
		if (!g) {
			if (n >= max)
				goto next;
			g = &out[n];
			memset(g, 0, sizeof(*g));
			snprintf(g->name, sizeof(g->name), "gpu-%d", n);
			memcpy(g->device, device, strlen(device) + 1);
			find_driver(g);
			find_meter(g);
			n++;
		}
		if (g->nr_nodes < EACCT_GPU_MAX_NODES)
			g->nodes[g->nr_nodes++] = rdev;
next:
		free(ents[i]);
	}
	if (nents > 0)
		free(ents);
	return n;
}

int eacct_gpu_by_node(const struct eacct_gpu *gpus, int n, uint32_t rdev)
{
	int i, k;

	for (i = 0; i < n; i++)
		for (k = 0; k < gpus[i].nr_nodes; k++)
			if (gpus[i].nodes[k] == rdev)
				return i;
	return -1;
}

/* "00000000:3B:00.0" (NVML) names the device at ".../0000:3b:00.0". */
static bool same_pci_device(const char *nvml_bus_id, const char *sysfs_path)
{
	const char *base = strrchr(sysfs_path, '/');
	size_t len = strlen(nvml_bus_id);

	base = base ? base + 1 : sysfs_path;
	return len >= 12 && strlen(base) == 12 &&
	       !strcasecmp(nvml_bus_id + len - 12, base);
}

int eacct_gpus_add_nvml(struct eacct_nvml_lib *lib, struct eacct_gpu *gpus, int n,
			int max, struct eacct_nvml_gpu **nvml_of)
{
	struct eacct_nvml_gpu *ng;
	struct eacct_gpu *g;
	int i, k;

	for (i = 0; i < n; i++)
		nvml_of[i] = NULL;
	for (i = 0; i < eacct_nvml_count(lib); i++) {
		ng = eacct_nvml_gpu(lib, i);
		for (k = 0; k < n; k++)
			if (same_pci_device(ng->bus_id, gpus[k].device))
				break;
		if (k == n) {
			if (n == max)
				break;
			g = &gpus[n++];
			memset(g, 0, sizeof(*g));
			snprintf(g->name, sizeof(g->name), "gpu-%d", k);
			snprintf(g->driver, sizeof(g->driver), "nvidia");
			snprintf(g->device, sizeof(g->device), "%s", ng->bus_id);
		}
		g = &gpus[k];
		if (g->nr_nodes < EACCT_GPU_MAX_NODES)
			g->nodes[g->nr_nodes++] = EACCT_KDEV(195, ng->minor);
		nvml_of[k] = ng;
	}
	return n;
}
