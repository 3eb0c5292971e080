// SPDX-License-Identifier: GPL-2.0
/*
 * GPU discovery from a DRM class tree shaped like /sys/class/drm: one GPU
 * per device whatever its nodes, connectors ignored, card order kept, and
 * each GPU's hwmon meter (an energy counter, or power integrated).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/gpu.h"

static char root[64];

static void put(const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void dir(const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(mkdir(path, 0755), 0);
}

static void link_to(const char *target_rel, const char *rel)
{
	char target[512], path[512];

	snprintf(target, sizeof(target), "%s/%s", root, target_rel);
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(symlink(target, path), 0);
}

/* A node: cardN or renderDN with its dev file, pointing at @device. */
static void node(const char *name, const char *dev, const char *device)
{
	char rel[128];

	dir(name);
	snprintf(rel, sizeof(rel), "%s/dev", name);
	put(rel, dev);
	snprintf(rel, sizeof(rel), "%s/device", name);
	link_to(device, rel);
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/eacct-gpu-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	/* Two PCI GPUs (i915 with an energy counter, amdgpu with power) and vgem. */
	dir("devices");
	dir("devices/0000:00:02.0");
	dir("devices/0000:00:02.0/hwmon");
	dir("devices/0000:00:02.0/hwmon/hwmon3");
	put("devices/0000:00:02.0/hwmon/hwmon3/energy1_input", "123456789\n");
	dir("devices/drivers");
	dir("devices/drivers/i915");
	dir("devices/drivers/amdgpu");
	link_to("devices/drivers/i915", "devices/0000:00:02.0/driver");
	dir("devices/0000:03:00.0");
	dir("devices/0000:03:00.0/hwmon");
	dir("devices/0000:03:00.0/hwmon/hwmon5");
	put("devices/0000:03:00.0/hwmon/hwmon5/power1_average", "36000000\n");
	link_to("devices/drivers/amdgpu", "devices/0000:03:00.0/driver");
	dir("devices/vgem");
	dir("drm");
	node("drm/card0", "226:0\n", "devices/0000:00:02.0");
	node("drm/card10", "226:10\n", "devices/vgem");
	node("drm/card1", "226:1\n", "devices/0000:03:00.0");
	node("drm/renderD128", "226:128\n", "devices/0000:00:02.0");
	node("drm/renderD129", "226:129\n", "devices/0000:03:00.0");
	dir("drm/card0-DP-1");		/* a connector, not a node */
	put("drm/version", "drm 1.1.0 20060810\n");
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd);
}

static void test_detect(void **state)
{
	struct eacct_gpu g[EACCT_MAX_GPUS];
	char drm[128];
	int n;

	(void)state;
	snprintf(drm, sizeof(drm), "%s/drm", root);
	n = eacct_gpus_detect(drm, g, EACCT_MAX_GPUS);
	assert_int_equal(n, 3);
	/* card0, card1, card10: numeric order, render nodes joined to theirs. */
	assert_string_equal(g[0].name, "gpu-0");
	assert_string_equal(g[0].driver, "i915");
	assert_int_equal(g[0].nr_nodes, 2);
	assert_int_equal(eacct_gpu_by_node(g, n, EACCT_KDEV(226, 0)), 0);
	assert_int_equal(eacct_gpu_by_node(g, n, EACCT_KDEV(226, 128)), 0);
	assert_string_equal(g[1].driver, "amdgpu");
	assert_int_equal(eacct_gpu_by_node(g, n, EACCT_KDEV(226, 129)), 1);
	assert_int_equal(eacct_gpu_by_node(g, n, EACCT_KDEV(226, 10)), 2);
	assert_int_equal(eacct_gpu_by_node(g, n, EACCT_KDEV(195, 0)), -1);
	assert_string_equal(g[2].driver, "unknown");

	/* i915: a real energy counter. */
	assert_true(g[0].has_meter && g[0].meter.usable);
	assert_int_equal(g[0].meter.kind, EACCT_METER_HWMON);
	assert_false(g[0].meter.integrated);
	assert_int_equal(g[0].meter.last_raw, 123456789);
	/* amdgpu: power, integrated, and said so. */
	assert_true(g[1].has_meter && g[1].meter.usable);
	assert_int_equal(g[1].meter.kind, EACCT_METER_HWMON_POWER);
	assert_true(g[1].meter.integrated);
	/* vgem: nothing to read. */
	assert_false(g[2].has_meter);
}

static void test_energy_counter_advances(void **state)
{
	struct eacct_gpu g[EACCT_MAX_GPUS];
	char drm[128];

	(void)state;
	snprintf(drm, sizeof(drm), "%s/drm", root);
	assert_int_equal(eacct_gpus_detect(drm, g, EACCT_MAX_GPUS), 3);
	put("devices/0000:00:02.0/hwmon/hwmon3/energy1_input", "124456789\n");
	assert_int_equal(eacct_meter_read(&g[0].meter), 0);
	assert_int_equal(g[0].meter.total_uj, 1000000);
}

static void test_power_is_integrated(void **state)
{
	struct eacct_gpu g[EACCT_MAX_GPUS];
	uint64_t uj;
	char drm[128];

	(void)state;
	snprintf(drm, sizeof(drm), "%s/drm", root);
	assert_int_equal(eacct_gpus_detect(drm, g, EACCT_MAX_GPUS), 3);
	/* 36 W then 36 W over about 200 ms: about 7.2 J. */
	usleep(200 * 1000);
	assert_int_equal(eacct_meter_read(&g[1].meter), 0);
	uj = g[1].meter.total_uj;
	assert_true(uj >= 7200000 && uj < 7200000 * 1.5);
	/* Unreadable: an error, and the total stays. */
	put("devices/0000:03:00.0/hwmon/hwmon5/power1_average", "garbage\n");
	assert_int_not_equal(eacct_meter_read(&g[1].meter), 0);
	assert_int_equal(g[1].meter.total_uj, uj);
}

static void test_missing_root(void **state)
{
	struct eacct_gpu g[EACCT_MAX_GPUS];

	(void)state;
	assert_int_equal(eacct_gpus_detect("/nonexistent/drm", g, EACCT_MAX_GPUS), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_detect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_energy_counter_advances, setup, teardown),
		cmocka_unit_test_setup_teardown(test_power_is_integrated, setup, teardown),
		cmocka_unit_test(test_missing_root),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
