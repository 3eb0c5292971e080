// SPDX-License-Identifier: GPL-2.0
/* Units: energy, intensity, mass and budgets parsed; values printed. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/units.h"

#define NEAR(x, y) assert_true((x) > (y) * (1 - 1e-12) - 1e-12 && (x) < (y) * (1 + 1e-12) + 1e-12)

static void test_energy(void **state)
{
	static const struct {
		const char *s;
		double j;
	} ok[] = {
		{ "1 J", 1 }, { "2.5kJ", 2500 }, { "3 MJ", 3e6 }, { "1 Wh", 3600 },
		{ "1 kWh", 3.6e6 }, { "1.5 MWh", 5.4e9 }, { "1 GWh", 3.6e12 },
		{ "1287 MWh", 1287 * 3.6e9 }, { "0 J", 0 }, { "10 kwh", 3.6e7 },
		{ "1e3 J ", 1000 },
	};
	char err[128];
	double j;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(eacct_parse_energy(ok[i].s, &j, err, sizeof(err)), 0);
		NEAR(j, ok[i].j);
	}
	assert_int_equal(eacct_parse_energy("12", &j, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "'12': no unit (J, kJ, MJ, Wh, kWh, MWh, GWh)");
	assert_int_equal(eacct_parse_energy("12 parsecs", &j, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "'12 parsecs': unknown energy unit 'parsecs'");
	assert_int_equal(eacct_parse_energy("-3 kWh", &j, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "'-3 kWh': energy cannot be negative");
	assert_int_equal(eacct_parse_energy("kWh", &j, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "'kWh': not a number");
	assert_int_equal(eacct_parse_energy("nan J", &j, err, sizeof(err)), -EINVAL);
	assert_int_equal(eacct_parse_energy("inf J", &j, err, sizeof(err)), -EINVAL);
	assert_int_equal(eacct_parse_energy("1e999 J", &j, err, sizeof(err)), -EINVAL);
	/* MJ and mJ, MWh and mWh are not the same: no guessing. */
	assert_int_equal(eacct_parse_energy("1 mJ", &j, err, sizeof(err)), -EINVAL);
	assert_int_equal(eacct_parse_energy("1 mwh", &j, err, sizeof(err)), -EINVAL);
}

static void test_intensity(void **state)
{
	char err[128];
	double g;

	(void)state;
	assert_int_equal(eacct_parse_intensity("231", &g, err, sizeof(err)), 0);
	NEAR(g, 231);
	assert_int_equal(eacct_parse_intensity("231 g/kWh", &g, err, sizeof(err)), 0);
	NEAR(g, 231);
	assert_int_equal(eacct_parse_intensity("0.4 kg/kWh", &g, err, sizeof(err)), 0);
	NEAR(g, 400);
	assert_int_equal(eacct_parse_intensity("1 lb/kWh", &g, err, sizeof(err)), 0);
	NEAR(g, 453.59237);
	assert_int_equal(eacct_parse_intensity("1000 lb/MWh", &g, err, sizeof(err)), 0);
	NEAR(g, 453.59237);
	assert_int_equal(eacct_parse_intensity("3 g/J", &g, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "'3 g/J': unknown intensity unit 'g/J'");
	assert_int_equal(eacct_parse_intensity("-1", &g, err, sizeof(err)), -EINVAL);
}

static void test_mass_and_budget(void **state)
{
	char err[160];
	bool energy;
	double v;

	(void)state;
	assert_int_equal(eacct_parse_mass("250 g", &v, err, sizeof(err)), 0);
	NEAR(v, 250);
	assert_int_equal(eacct_parse_mass("1.5 t", &v, err, sizeof(err)), 0);
	NEAR(v, 1.5e6);
	assert_int_equal(eacct_parse_budget("2 kg", &v, &energy, err, sizeof(err)), 0);
	assert_false(energy);
	NEAR(v, 2000);
	assert_int_equal(eacct_parse_budget("10 kWh", &v, &energy, err, sizeof(err)), 0);
	assert_true(energy);
	NEAR(v, 3.6e7);
	assert_int_equal(eacct_parse_budget("10 furlongs", &v, &energy, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "'10 furlongs': unknown budget unit 'furlongs' (g, kg, t CO2e; or J, kWh, ... for energy)");
	assert_int_equal(eacct_parse_budget("-2 kg", &v, &energy, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "'-2 kg': budget cannot be negative");
}

static void test_format(void **state)
{
	char b[32];

	(void)state;
	eacct_format_mass(0.412, b, sizeof(b));
	assert_string_equal(b, "412 mg");
	eacct_format_mass(3.214, b, sizeof(b));
	assert_string_equal(b, "3.21 g");
	eacct_format_mass(12400, b, sizeof(b));
	assert_string_equal(b, "12.4 kg");
	eacct_format_mass(550e6, b, sizeof(b));
	assert_string_equal(b, "550 t");
	eacct_format_mass(0, b, sizeof(b));
	assert_string_equal(b, "0 g");
	eacct_format_energy(3600, b, sizeof(b));
	assert_string_equal(b, "3.60 kJ");
	eacct_format_energy(850, b, sizeof(b));
	assert_string_equal(b, "850 J");
	eacct_format_kwh(1287 * 3.6e9, b, sizeof(b));
	assert_string_equal(b, "1.29 GWh");
	eacct_format_kwh(3.6e6, b, sizeof(b));
	assert_string_equal(b, "1.00 kWh");
	eacct_format_power(0.85, b, sizeof(b));
	assert_string_equal(b, "850 mW");
	eacct_format_power(12.34, b, sizeof(b));
	assert_string_equal(b, "12.3 W");
	eacct_format_power(0, b, sizeof(b));
	assert_string_equal(b, "0 W");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_energy),
		cmocka_unit_test(test_intensity),
		cmocka_unit_test(test_mass_and_budget),
		cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests_name("units", tests, NULL, NULL);
}
