// SPDX-License-Identifier: GPL-2.0
/* Carbon: the formula, the per-interval carry, the bundled country table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "lib/carbon.h"
#include "lib/region.h"

static void test_formula(void **state)
{
	(void)state;
	/* GPT-3's training: 1,287 MWh (PUE included) at 429 g/kWh: 552 t. */
	double g = eacct_co2e_g(1287 * 3.6e9, 1.0, 429);

	assert_true(g > 552.12e6 && g < 552.13e6);
	/* The same energy before a PUE of 1.1 is counted. */
	assert_true(eacct_co2e_g(1170 * 3.6e9, 1.1, 429) > 552.12e6 &&
		    eacct_co2e_g(1170 * 3.6e9, 1.1, 429) < 552.13e6);
	assert_true(eacct_co2e_g(3.6e6, 1.0, 300) == 300);
	assert_true(eacct_co2e_g(0, 1.5, 300) == 0);
}

static void test_carry_is_exact_over_a_run(void **state)
{
	double carry = 0, exact = 0;
	uint64_t sum = 0, e;
	int i;

	(void)state;
	srand(7);
	/* A million intervals of a few hundred uJ each: every one rounds. */
	for (i = 0; i < 1000000; i++) {
		e = (uint64_t)(rand() % 1000);
		sum += eacct_carbon_ug(e, 1.2, 231.7, &carry);
		exact += (double)e * 1.2 * 231.7 / 3.6e6;
	}
	/* Rounding each interval alone would lose ~0.5 ug each time. */
	assert_true((double)sum <= exact && (double)sum > exact - 1.0001);
	assert_true(carry >= 0 && carry < 1);
	carry = 0;
	assert_int_equal(eacct_carbon_ug(3600000, 1.0, 500, &carry), 500);
	assert_true(carry == 0);
	assert_int_equal(eacct_carbon_ug(1000, 1.0, 0, &carry), 0);
}

static void test_split(void **state)
{
	uint64_t charge[3] = { 300, 100, 0 }, out[3], idle;

	(void)state;
	/* 1000 ug over 300 + 100 + 0 uJ and 100 idle: 600, 200, 0 and 200. */
	idle = eacct_carbon_split(1000, charge, 3, 100, out);
	assert_int_equal(out[0], 600);
	assert_int_equal(out[1], 200);
	assert_int_equal(out[2], 0);
	assert_int_equal(idle, 200);
	/* Awkward shares still add up exactly. */
	charge[0] = 1;
	charge[1] = 1;
	charge[2] = 1;
	idle = eacct_carbon_split(1000, charge, 3, 0, out);
	assert_int_equal(out[0] + out[1] + out[2] + idle, 1000);
	assert_int_equal(idle, 0);
	/* No energy: the carbon (from a carry) stays idle. */
	charge[0] = charge[1] = charge[2] = 0;
	idle = eacct_carbon_split(7, charge, 3, 0, out);
	assert_int_equal(idle, 7);
	assert_int_equal(out[0] + out[1] + out[2], 0);
}

static void test_regions(void **state)
{
	const struct eacct_region *fra = eacct_region_find("FRA"), *r;
	size_t i;

	(void)state;
	assert_true(eacct_nr_regions > 200);
	assert_non_null(fra);
	assert_string_equal(fra->name, "France");
	assert_true(fra->g_per_kwh > 10 && fra->g_per_kwh < 200);
	assert_ptr_equal(eacct_region_find("fra"), fra);
	assert_null(eacct_region_find("XXX"));
	assert_null(eacct_region_find("FR"));
	assert_null(eacct_region_find("FRAN"));
	for (i = 0; i < eacct_nr_regions; i++) {
		r = &eacct_regions[i];
		assert_true(r->g_per_kwh >= 0 && r->g_per_kwh < 2000);
		assert_true(r->year >= 2000 && r->year < 2100);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_formula),
		cmocka_unit_test(test_carry_is_exact_over_a_run),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_regions),
	};

	return cmocka_run_group_tests_name("carbon", tests, NULL, NULL);
}
