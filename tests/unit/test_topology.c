// SPDX-License-Identifier: GPL-2.0
/* CPU-to-package mapping read from a fixture shaped like sysfs. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "lib/topology.h"

static char root[64];

static void put_cpu(int cpu, int pkg)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/cpu%d", root, cpu);
	mkdir(path, 0755);
	if (pkg < 0)
		return;		/* offline: no topology directory */
	snprintf(path, sizeof(path), "%s/cpu%d/topology", root, cpu);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/cpu%d/topology/physical_package_id", root, cpu);
	f = fopen(path, "w");
	fprintf(f, "%d\n", pkg);
	fclose(f);
}

static int setup(void **state)
{
	char path[256];

	(void)state;
	snprintf(root, sizeof(root), "/tmp/eacct-topo-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	/* Two sockets with ids 0 and 3 (ids need not be dense), SMT pairs. */
	put_cpu(0, 0);
	put_cpu(1, 3);
	put_cpu(2, 0);
	put_cpu(3, 3);
	put_cpu(5, -1);
	snprintf(path, sizeof(path), "%s/cpufreq", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/cpuidle", root);
	mkdir(path, 0755);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd);
}

static void test_two_sockets(void **state)
{
	uint8_t pkg[16];

	(void)state;
	memset(pkg, 0xff, sizeof(pkg));
	assert_int_equal(eacct_cpu_packages(root, pkg, 16, 8), 2);
	assert_int_equal(pkg[0], 0);
	assert_int_equal(pkg[1], 1);
	assert_int_equal(pkg[2], 0);
	assert_int_equal(pkg[3], 1);
	assert_int_equal(pkg[4], 0);	/* absent */
	assert_int_equal(pkg[5], 0);	/* offline, no topology */
}

static void test_limits(void **state)
{
	uint8_t pkg[16];

	(void)state;
	assert_int_equal(eacct_cpu_packages(root, pkg, 16, 1), -E2BIG);
	assert_int_equal(eacct_cpu_packages(root, pkg, 4, 8), -E2BIG);
	assert_int_equal(eacct_cpu_packages("/nonexistent", pkg, 16, 8), -ENOENT);
}

static void test_this_machine(void **state)
{
	uint8_t pkg[4096];

	(void)state;
	/* The real path, as eacctd reads it. */
	assert_true(eacct_cpu_packages("/sys/devices/system/cpu", pkg, 4096, 8) >= 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_sockets),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_this_machine),
	};

	return cmocka_run_group_tests_name("topology", tests, setup, teardown);
}
