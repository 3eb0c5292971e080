// SPDX-License-Identifier: GPL-2.0
/* eacctd's configuration parser: defaults, every key, corrupt files. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/config.h"

static void test_defaults_and_keys(void **state)
{
	struct eacct_config c;
	char err[128] = "";

	(void)state;
	eacct_config_defaults(&c);
	assert_int_equal(c.interval_ms, 1000);
	assert_int_equal(c.idle_policy, EACCT_IDLE_PROPORTIONAL);
	assert_string_equal(c.device, "/dev/eacct");
	assert_true(c.gpu_sched_tracepoints);
	assert_int_equal(eacct_config_parse(&c,
		"# eacctd\n"
		"interval = 250   # a comment after the value\n"
		"prune_after = 5\n"
		"  idle_policy=unattributed  \n"
		"intensity = 231.5\n"
		"pue = 1.2\n"
		"gpu_sched_tracepoints = no\n"
		"nvml_library = none\n"
		"\n"
		"powercap_root = /tmp/fixture/pow#ercap\n"
		"state_file = /run/eacct/state\n", err, sizeof(err)), 0);
	assert_int_equal(c.interval_ms, 250);
	assert_int_equal(c.prune_after, 5);
	assert_int_equal(c.idle_policy, EACCT_IDLE_UNATTRIBUTED);
	assert_true(c.intensity_g_per_kwh == 231.5);
	assert_true(c.pue == 1.2);
	assert_false(c.gpu_sched_tracepoints);
	assert_string_equal(c.nvml_library, "none");
	assert_string_equal(c.powercap_root, "/tmp/fixture/pow#ercap");	/* no space: kept */
	assert_string_equal(c.state_file, "/run/eacct/state");
}

static void test_rejects(void **state)
{
	static const struct {
		const char *text;
		const char *msg;
	} bad[] = {
		{ "interval = 0\n", "line 1: bad value '0' for interval" },
		{ "interval = 1.5\n", "line 1: bad value '1.5' for interval" },
		{ "prune_after = 1\n", "line 1: bad value '1' for prune_after" },
		{ "\ninterval 1000\n", "line 2: expected 'key = value'" },
		{ "colour = blue\n", "line 1: unknown key 'colour'" },
		{ "pue = 0.5\n", "line 1: bad value '0.5' for pue" },
		{ "intensity = -3\n", "line 1: bad value '-3' for intensity" },
		{ "idle_policy = even\n", "line 1: bad value 'even' for idle_policy" },
		{ "gpu_sched_tracepoints = maybe\n",
		  "line 1: bad value 'maybe' for gpu_sched_tracepoints" },
		{ "device = relative/path\n", "line 1: bad value 'relative/path' for device" },
		{ "model_idle_w = 100\nmodel_tdp_w = 50\n", "model_tdp_w is below model_idle_w" },
	};
	struct eacct_config c, before;
	char err[128];
	size_t i;

	(void)state;
	eacct_config_defaults(&c);
	before = c;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(eacct_config_parse(&c, bad[i].text, err, sizeof(err)), -EINVAL);
		assert_string_equal(err, bad[i].msg);
		/* A refused file changes nothing. */
		assert_memory_equal(&c, &before, sizeof(c));
	}
	assert_int_equal(eacct_config_load(&c, "/nonexistent/eacctd.conf", err, sizeof(err)),
			 -ENOENT);
}

static void test_intensity_keys(void **state)
{
	static const struct {
		const char *text;
		const char *msg;
	} bad[] = {
		{ "intensity = 3 g/J\n", "line 1: bad value '3 g/J' for intensity" },
		{ "intensity = 20000\n", "line 1: bad value '20000' for intensity" },
		{ "intensity_region = XYZ\n", "line 1: bad value 'XYZ' for intensity_region" },
		{ "intensity_source = wind\n", "line 1: bad value 'wind' for intensity_source" },
		{ "intensity_source = region\n", "intensity_source = region needs intensity_region" },
		{ "intensity_source = file\n", "intensity_source = file needs intensity_file" },
		{ "intensity_source = electricitymaps\nintensity_zone = DE\n",
		  "intensity_source = electricitymaps needs intensity_zone and intensity_token_file" },
		{ "intensity_url = ftp://x\n", "line 1: bad value 'ftp://x' for intensity_url" },
		{ "intensity_zone = D E\n", "line 1: bad value 'D E' for intensity_zone" },
		{ "intensity_refresh = 1\n", "line 1: bad value '1' for intensity_refresh" },
		{ "intensity_signal = market\n", "line 1: bad value 'market' for intensity_signal" },
	};
	struct eacct_config c;
	char err[160];
	size_t i;

	(void)state;
	eacct_config_defaults(&c);
	assert_int_equal(eacct_intensity_source(&c), EACCT_INTENSITY_CONSTANT);
	assert_string_equal(eacct_intensity_url(&c), "https://api.carbonintensity.org.uk/intensity");
	assert_int_equal(eacct_config_parse(&c, "intensity = 0.25 kg/kWh\nintensity_region = fra\n",
					    err, sizeof(err)), 0);
	assert_true(c.intensity_g_per_kwh == 250);
	assert_string_equal(c.intensity_region, "FRA");
	assert_int_equal(eacct_intensity_source(&c), EACCT_INTENSITY_REGION);
	assert_int_equal(eacct_config_parse(&c, "intensity_file = /etc/eacct/i.csv\n", err,
					    sizeof(err)), 0);
	assert_int_equal(eacct_intensity_source(&c), EACCT_INTENSITY_FILE);
	assert_int_equal(eacct_config_parse(&c,
		"intensity_source = electricitymaps\nintensity_zone = DE\n"
		"intensity_token_file = /etc/eacct/emaps.token\nintensity_refresh = 60\n"
		"intensity_signal = marginal\n", err, sizeof(err)), 0);
	assert_int_equal(eacct_intensity_source(&c), EACCT_INTENSITY_EMAPS);
	assert_string_equal(eacct_intensity_url(&c),
			    "https://api.electricitymap.org/v3/carbon-intensity/latest");
	assert_true(c.intensity_marginal);
	assert_int_equal(c.intensity_refresh_s, 60);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		eacct_config_defaults(&c);
		err[0] = '\0';
		assert_int_equal(eacct_config_parse(&c, bad[i].text, err, sizeof(err)), -EINVAL);
		assert_string_equal(err, bad[i].msg);
	}
}

static void test_intensity_fixed(void **state)
{
	struct eacct_config c;
	char err[160], src[160];
	bool fallback;

	(void)state;
	eacct_config_defaults(&c);
	assert_int_equal(eacct_config_parse(&c, "intensity = 300\n", err, sizeof(err)), 0);
	assert_true(eacct_intensity_fixed(&c, &fallback, src, sizeof(src)) == 300);
	assert_false(fallback);
	assert_string_equal(src, "constant 300 g/kWh");
	/* A region set beside a constant source is not used. */
	assert_int_equal(eacct_config_parse(&c, "intensity_source = constant\nintensity_region = FRA\n",
					    err, sizeof(err)), 0);
	assert_true(eacct_intensity_fixed(&c, &fallback, src, sizeof(src)) == 300);
	/* region: the table's value. */
	assert_int_equal(eacct_config_parse(&c, "intensity_source = region\n", err, sizeof(err)), 0);
	assert_true(eacct_intensity_fixed(&c, &fallback, src, sizeof(src)) > 10);
	assert_false(fallback);
	assert_true(!strncmp(src, "region FRA (France, ", 20));
	/* An API: its fallback, the region, said to be one. */
	assert_int_equal(eacct_config_parse(&c, "intensity_source = uk-api\n", err, sizeof(err)), 0);
	assert_true(eacct_intensity_fixed(&c, &fallback, src, sizeof(src)) > 10);
	assert_true(fallback);
	/* Without a region, the constant. */
	eacct_config_defaults(&c);
	assert_int_equal(eacct_config_parse(&c, "intensity_file = /x.csv\nintensity = 7\n", err,
					    sizeof(err)), 0);
	assert_true(eacct_intensity_fixed(&c, &fallback, src, sizeof(src)) == 7);
	assert_true(fallback);
}

static void test_read_default_path(void **state)
{
	struct eacct_config c;
	char err[128];
	bool missing;

	(void)state;
	/* The default path may be absent: the defaults, no error. */
	c.interval_ms = 7;
	assert_int_equal(eacct_config_read(&c, "/nonexistent/eacctd.conf", false,
					   &missing, err, sizeof(err)), 0);
	assert_true(missing);
	assert_int_equal(c.interval_ms, 1000);
	/* A path the user named must exist. */
	assert_int_equal(eacct_config_read(&c, "/nonexistent/eacctd.conf", true,
					   &missing, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "/nonexistent/eacctd.conf: No such file or directory");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_and_keys),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_intensity_keys),
		cmocka_unit_test(test_intensity_fixed),
		cmocka_unit_test(test_read_default_path),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
