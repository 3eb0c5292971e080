// SPDX-License-Identifier: GPL-2.0
/* The GPU cross-check: fence busy time against fdinfo engine time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/xcheck.h"

#define NEAR(x, y) assert_true((x) > (y) - 1e-9 && (x) < (y) + 1e-9)

static void test_agree_and_disagree(void **state)
{
	struct eacct_xcheck x = { 0 };
	uint64_t ids[] = { 10, 20 };
	uint64_t busy[] = { 300, 100 }, engine[] = { 30, 10 }, flipped[] = { 10, 30 };

	(void)state;
	/* Same shares in other units: no difference. */
	assert_int_equal(eacct_xcheck_add(&x, ids, busy, 2, ids, engine, 2), 0);
	NEAR(eacct_xcheck_close(&x), 0.0);
	/* 3:1 against 1:3: half of the split is placed differently. */
	assert_int_equal(eacct_xcheck_add(&x, ids, busy, 2, ids, flipped, 2), 0);
	NEAR(eacct_xcheck_close(&x), 0.5);
	NEAR(x.last, 0.5);
	NEAR(x.worst, 0.5);
	assert_int_equal(x.windows, 2);
	eacct_xcheck_free(&x);
}

static void test_window_sums_and_disjoint_ids(void **state)
{
	struct eacct_xcheck x = { 0 };
	uint64_t a[] = { 1 }, b[] = { 2 }, v[] = { 100 };
	uint64_t ids2[] = { 1, 2 }, both[] = { 50, 50 };

	(void)state;
	/* Two intervals: busy saw only 1 then only 2; fdinfo both evenly. */
	assert_int_equal(eacct_xcheck_add(&x, a, v, 1, ids2, both, 2), 0);
	assert_int_equal(eacct_xcheck_add(&x, b, v, 1, ids2, both, 2), 0);
	assert_int_equal(x.intervals, 2);
	NEAR(eacct_xcheck_close(&x), 0.0);
	/* A cgroup fdinfo never saw: all of its share differs. */
	assert_int_equal(eacct_xcheck_add(&x, a, v, 1, b, v, 1), 0);
	NEAR(eacct_xcheck_close(&x), 1.0);
	NEAR(x.worst, 1.0);
	eacct_xcheck_free(&x);
}

static void test_nothing_to_compare(void **state)
{
	struct eacct_xcheck x = { 0 };
	uint64_t a[] = { 1 }, v[] = { 100 };

	(void)state;
	/* One measure empty: no distance, and no window counted. */
	assert_int_equal(eacct_xcheck_add(&x, a, v, 1, NULL, NULL, 0), 0);
	assert_true(eacct_xcheck_close(&x) < 0);
	assert_int_equal(x.windows, 0);
	assert_true(eacct_xcheck_close(&x) < 0);
	eacct_xcheck_free(&x);
}

static void test_many_cgroups(void **state)
{
	struct eacct_xcheck x = { 0 };
	uint64_t ids[100], v[100];
	int i;

	(void)state;
	for (i = 0; i < 100; i++) {
		ids[i] = 1000 + i;
		v[i] = i + 1;
	}
	/* Growing past the first allocation keeps every sum. */
	assert_int_equal(eacct_xcheck_add(&x, ids, v, 100, ids, v, 100), 0);
	assert_int_equal(x.n, 100);
	NEAR(eacct_xcheck_close(&x), 0.0);
	eacct_xcheck_free(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_agree_and_disagree),
		cmocka_unit_test(test_window_sums_and_disjoint_ids),
		cmocka_unit_test(test_nothing_to_compare),
		cmocka_unit_test(test_many_cgroups),
	};

	return cmocka_run_group_tests_name("xcheck", tests, NULL, NULL);
}
