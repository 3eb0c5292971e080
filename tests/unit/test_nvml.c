// SPDX-License-Identifier: GPL-2.0
/*
 * The NVML meter through the real dlopen() path, against the test
 * library built from tests/nvml/fake_nvml.c (libnvidia-ml.so.1 beside
 * this test, or one directory up), scripted by a file: energy deltas,
 * a counter reset, power integrated where energy is not supported,
 * per-process samples, the MIG fallback, a lost GPU, no library.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/nvml.h"

static char lib_path[PATH_MAX], script[64];

static void write_script(const char *text)
{
	FILE *f = fopen(script, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static struct eacct_nvml_lib *open_lib(void)
{
	char err[256] = "";
	struct eacct_nvml_lib *lib = eacct_nvml_open(lib_path, err, sizeof(err));

	if (!lib)
		fail_msg("eacct_nvml_open: %s", err);
	return lib;
}

static void test_discovery_and_energy(void **state)
{
	struct eacct_nvml_lib *lib;
	struct eacct_nvml_gpu *g;

	(void)state;
	write_script("gpu 0 name=H200 bus=00000000:3B:00.0 minor=3 energy=1000 power=300000\n"
		     "gpu 1 name=A100 bus=00000000:5E:00.0 minor=1 energy=50 power=100000\n");
	lib = open_lib();
	assert_int_equal(eacct_nvml_count(lib), 2);
	g = eacct_nvml_gpu(lib, 0);
	assert_string_equal(g->name, "H200");
	assert_string_equal(g->bus_id, "00000000:3B:00.0");
	assert_int_equal(g->minor, 3);
	assert_false(g->integrated);

	write_script("gpu 0 name=H200 energy=1500\ngpu 1 name=A100 energy=50\n");
	assert_int_equal(eacct_nvml_read_energy(lib, g), 0);
	assert_int_equal(g->total_uj, 500000);	/* 500 mJ */
	/* Driver reloaded: the counter restarts from 0; 200 mJ since. */
	write_script("gpu 0 name=H200 energy=200\ngpu 1 name=A100 energy=50\n");
	assert_int_equal(eacct_nvml_read_energy(lib, g), 0);
	assert_int_equal(g->total_uj, 700000);
	eacct_nvml_close(lib);
}

static void test_power_integrated_before_volta(void **state)
{
	struct eacct_nvml_lib *lib;
	struct eacct_nvml_gpu *g;

	(void)state;
	write_script("gpu 0 name=P100 energy=rc:3 power=250000\n");
	lib = open_lib();
	g = eacct_nvml_gpu(lib, 0);
	assert_true(g->integrated);
	usleep(100 * 1000);
	assert_int_equal(eacct_nvml_read_energy(lib, g), 0);
	/* 250 W for a little over 100 ms: 25 J and some. */
	assert_true(g->total_uj >= 25000000 && g->total_uj < 40000000);
	eacct_nvml_close(lib);
}

static void test_process_samples(void **state)
{
	struct eacct_nvml_use use[8];
	struct eacct_nvml_lib *lib;
	struct eacct_nvml_gpu *g;
	bool by_mem;
	int n;

	(void)state;
	write_script("gpu 0 name=H200 energy=1\n"
		     "util 0 pid=100 ts=10 sm=60\nutil 0 pid=200 ts=10 sm=20\n"
		     "util 0 pid=100 ts=20 sm=30\n");
	lib = open_lib();
	g = eacct_nvml_gpu(lib, 0);
	n = eacct_nvml_process_use(lib, g, use, 8, &by_mem);
	assert_int_equal(n, 2);
	assert_false(by_mem);
	assert_int_equal(use[0].pid, 100);
	assert_int_equal(use[0].weight, 90);
	assert_int_equal(use[1].pid, 200);
	assert_int_equal(use[1].weight, 20);
	/* The same samples again: already seen. A newer one only. */
	write_script("gpu 0 name=H200 energy=1\n"
		     "util 0 pid=100 ts=10 sm=60\nutil 0 pid=200 ts=30 sm=50\n");
	n = eacct_nvml_process_use(lib, g, use, 8, &by_mem);
	assert_int_equal(n, 1);
	assert_int_equal(use[0].pid, 200);
	assert_int_equal(use[0].weight, 50);
	/* No samples at all: nobody. */
	write_script("gpu 0 name=H200 energy=1\n");
	assert_int_equal(eacct_nvml_process_use(lib, g, use, 8, &by_mem), 0);
	eacct_nvml_close(lib);
}

static void test_mig_falls_back_to_memory(void **state)
{
	struct eacct_nvml_use use[8];
	struct eacct_nvml_lib *lib;
	struct eacct_nvml_gpu *g;
	bool by_mem;

	(void)state;
	write_script("gpu 0 name=H200 energy=1 mig=1\nutil 0 rc:3\n"
		     "proc 0 pid=7 mem=3000\nproc 0 pid=8 mem=1000\n");
	lib = open_lib();
	g = eacct_nvml_gpu(lib, 0);
	assert_true(g->mig);
	assert_int_equal(eacct_nvml_process_use(lib, g, use, 8, &by_mem), 2);
	assert_true(by_mem);
	assert_int_equal(use[0].weight, 3000);
	assert_int_equal(use[1].weight, 1000);
	eacct_nvml_close(lib);
}

static void test_gpu_lost(void **state)
{
	struct eacct_nvml_use use[8];
	struct eacct_nvml_lib *lib;
	struct eacct_nvml_gpu *g;
	bool by_mem;

	(void)state;
	write_script("gpu 0 name=H200 energy=1000\n");
	lib = open_lib();
	g = eacct_nvml_gpu(lib, 0);
	write_script("gpu 0 name=H200 energy=rc:15\n");
	assert_int_equal(eacct_nvml_read_energy(lib, g), -ENODEV);
	assert_true(g->lost);
	assert_non_null(strstr(g->error, "GPU is lost"));
	assert_int_equal(g->total_uj, 0);
	/* Not asked again, whatever NVML would say now. */
	write_script("gpu 0 name=H200 energy=2000\n");
	assert_int_equal(eacct_nvml_read_energy(lib, g), -ENODEV);
	assert_int_equal(eacct_nvml_process_use(lib, g, use, 8, &by_mem), -ENODEV);
	eacct_nvml_close(lib);
}

static void test_no_driver_no_library(void **state)
{
	char err[256] = "";

	(void)state;
	write_script("init 9\n");
	assert_null(eacct_nvml_open(lib_path, err, sizeof(err)));
	assert_non_null(strstr(err, "nvmlInit: Driver Not Loaded"));
	assert_null(eacct_nvml_open("/nonexistent/libnvidia-ml.so.1", err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/libnvidia-ml.so.1"));
}

/* The test library: beside this binary, or one directory up (asan/). */
static int find_lib(void)
{
	char exe[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *dir;

	if (len <= 0)
		return -1;
	exe[len] = '\0';
	dir = dirname(exe);
	snprintf(lib_path, sizeof(lib_path), "%s/libnvidia-ml.so.1", dir);
	if (access(lib_path, R_OK))
		snprintf(lib_path, sizeof(lib_path), "%s/../libnvidia-ml.so.1", dir);
	return access(lib_path, R_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_discovery_and_energy),
		cmocka_unit_test(test_power_integrated_before_volta),
		cmocka_unit_test(test_process_samples),
		cmocka_unit_test(test_mig_falls_back_to_memory),
		cmocka_unit_test(test_gpu_lost),
		cmocka_unit_test(test_no_driver_no_library),
	};
	int fd, rc;

	if (find_lib()) {
		fprintf(stderr, "test_nvml: no test libnvidia-ml.so.1 beside the test\n");
		return 1;
	}
	snprintf(script, sizeof(script), "/tmp/eacct-nvml-XXXXXX");
	fd = mkstemp(script);
	if (fd < 0)
		return 1;
	close(fd);
	setenv("EACCT_FAKE_NVML", script, 1);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(script);
	return rc;
}
