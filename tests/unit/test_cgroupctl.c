// SPDX-License-Identifier: GPL-2.0
/* Budget actions, the throttled cpu.max, cpuset lists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/cgroupctl.h"

static void test_actions(void **state)
{
	static const char *const bad[] = {
		"throttle=0", "throttle=100", "throttle=", "throttle=5x", "throttle", "freeze ",
		"kill", "", "Notify",
	};
	enum eacct_action a;
	unsigned int pct;
	size_t i;

	(void)state;
	assert_true(eacct_action_parse("notify", &a, &pct) && a == EACCT_DO_NOTIFY);
	assert_true(eacct_action_parse("freeze", &a, &pct) && a == EACCT_DO_FREEZE);
	assert_true(eacct_action_parse("throttle=25", &a, &pct) && a == EACCT_DO_THROTTLE &&
		    pct == 25);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(eacct_action_parse(bad[i], &a, &pct));
}

static void test_cpu_max(void **state)
{
	char out[64];

	(void)state;
	/* 25 % of 4 CPUs: one CPU's worth. */
	assert_int_equal(eacct_throttled_cpu_max("max 100000\n", 25, 4, out, sizeof(out)), 0);
	assert_string_equal(out, "100000 100000");
	/* An existing lower limit stays. */
	assert_int_equal(eacct_throttled_cpu_max("50000 100000", 90, 4, out, sizeof(out)), 0);
	assert_string_equal(out, "50000 100000");
	/* Its own period is kept. */
	assert_int_equal(eacct_throttled_cpu_max("max 20000", 10, 2, out, sizeof(out)), 0);
	assert_string_equal(out, "4000 20000");
	/* Never below the kernel's 1 ms minimum. */
	assert_int_equal(eacct_throttled_cpu_max("max 100000", 1, 1, out, sizeof(out)), 0);
	assert_string_equal(out, "1000 100000");
	assert_int_equal(eacct_throttled_cpu_max("garbage", 10, 2, out, sizeof(out)), -22);
	assert_int_equal(eacct_throttled_cpu_max("max 0", 10, 2, out, sizeof(out)), -22);
	assert_int_equal(eacct_throttled_cpu_max("max 100000", 10, 0, out, sizeof(out)), -22);
}

static void test_cpulist(void **state)
{
	(void)state;
	assert_int_equal(eacct_cpulist_count("0-3,8,10-11\n"), 7);
	assert_int_equal(eacct_cpulist_count("0"), 1);
	assert_int_equal(eacct_cpulist_count("0-1"), 2);
	assert_int_equal(eacct_cpulist_count(""), 0);
	assert_int_equal(eacct_cpulist_count("3-1"), 0);
	assert_int_equal(eacct_cpulist_count("a-b"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_actions),
		cmocka_unit_test(test_cpu_max),
		cmocka_unit_test(test_cpulist),
	};

	return cmocka_run_group_tests_name("cgroupctl", tests, NULL, NULL);
}
