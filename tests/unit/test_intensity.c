// SPDX-License-Identifier: GPL-2.0
/* Intensity over time: timestamps, the CSV series, the two APIs' JSON. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/intensity.h"
#include "lib/intensity_json.h"

#define T0 1796119200	/* 2026-12-01T10:00:00Z */

static char *slurp(const char *name)
{
	char path[256], *buf = NULL;
	size_t len = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", TEST_DATA, name);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_true(getdelim(&buf, &len, '\0', f) > 0);
	fclose(f);
	return buf;
}

static void test_time(void **state)
{
	int64_t t;

	(void)state;
	assert_int_equal(eacct_parse_time("2026-12-01T10:00Z", &t), 0);
	assert_int_equal(t, T0);
	assert_int_equal(eacct_parse_time("2026-12-01T10:00:00.000Z", &t), 0);
	assert_int_equal(t, T0);
	assert_int_equal(eacct_parse_time("2026-12-01 11:00:00+01:00", &t), 0);
	assert_int_equal(t, T0);
	assert_int_equal(eacct_parse_time("2026-12-01T05:30-0430", &t), 0);
	assert_int_equal(t, T0);
	assert_int_equal(eacct_parse_time("1796119200", &t), 0);
	assert_int_equal(t, T0);
	assert_int_equal(eacct_parse_time("1970-01-01T00:00Z", &t), 0);
	assert_int_equal(t, 0);
	assert_int_equal(eacct_parse_time("2024-02-29T00:00Z", &t), 0);
	assert_int_equal(eacct_parse_time("2026-13-01T00:00Z", &t), -EINVAL);
	assert_int_equal(eacct_parse_time("2026-02-30T00:00Z", &t), -EINVAL);
	assert_int_equal(eacct_parse_time("2026-12-01", &t), -EINVAL);
	assert_int_equal(eacct_parse_time("2026-12-01T10:00Zjunk", &t), -EINVAL);
	assert_int_equal(eacct_parse_time("yesterday", &t), -EINVAL);
	assert_int_equal(eacct_parse_time("", &t), -EINVAL);
}

static void test_series_csv(void **state)
{
	struct eacct_series s = { 0 };
	char err[128];
	int64_t since;
	double g;

	(void)state;
	/* Unsorted, a gap, a header, comments, a repeated time (last wins). */
	assert_int_equal(eacct_series_parse(&s,
		"timestamp,g_per_kwh\n"
		"# from the grid operator\n"
		"2026-12-01T12:00Z, 150\n"
		"2026-12-01T10:00Z,200\n"
		"2026-12-01T11:00Z,180\n"
		"2026-12-01T10:00Z,210\n"
		"\n"
		"2026-12-02T00:00Z,90\n", err, sizeof(err)), 0);
	assert_int_equal(s.n, 4);
	assert_int_equal(eacct_series_at(&s, T0 - 1, 0, &g, &since), -ENOENT);
	assert_int_equal(eacct_series_at(&s, T0, 0, &g, &since), 0);
	assert_true(g == 210 && since == T0);
	assert_int_equal(eacct_series_at(&s, T0 + 3599, 0, &g, &since), 0);
	assert_true(g == 210);
	assert_int_equal(eacct_series_at(&s, T0 + 3600, 0, &g, &since), 0);
	assert_true(g == 180);
	/* 12:00 until the next day: with a 6 h limit, 18:00 on is a gap. */
	assert_int_equal(eacct_series_at(&s, T0 + 7 * 3600, 6 * 3600, &g, &since), 0);
	assert_true(g == 150);
	assert_int_equal(eacct_series_at(&s, T0 + 9 * 3600, 6 * 3600, &g, &since), -ENOENT);
	assert_int_equal(eacct_series_at(&s, T0 + 9 * 3600, 0, &g, &since), 0);
	assert_int_equal(eacct_series_at(&s, T0 + 14 * 3600, 6 * 3600, &g, &since), 0);
	assert_true(g == 90);

	/* A bad row refuses the whole text, naming the line; s unchanged. */
	assert_int_equal(eacct_series_parse(&s, "2026-12-03T00:00Z,80\nnoon,12\n", err,
					    sizeof(err)), -EINVAL);
	assert_string_equal(err, "line 2: bad timestamp 'noon'");
	assert_int_equal(eacct_series_parse(&s, "2026-12-03T00:00Z,-80\n", err,
					    sizeof(err)), -EINVAL);
	assert_string_equal(err, "line 1: bad intensity '-80'");
	assert_int_equal(eacct_series_parse(&s, "2026-12-03T00:00Z 80\n", err,
					    sizeof(err)), -EINVAL);
	assert_string_equal(err, "line 1: expected 'timestamp,g_per_kwh'");
	assert_int_equal(s.n, 4);

	eacct_series_trim(&s, T0 + 2 * 3600);
	assert_int_equal(s.n, 2);
	assert_int_equal(eacct_series_at(&s, T0 + 2 * 3600, 0, &g, &since), 0);
	assert_true(g == 150);
	eacct_series_free(&s);

	assert_int_equal(eacct_series_load(&s, "/nonexistent.csv", err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "/nonexistent.csv: No such file or directory");
}

static void test_uk_api(void **state)
{
	struct eacct_series s = { 0 };
	char err[128], *json;
	int64_t since;
	double g;

	(void)state;
	/* The current half hour: no actual yet, the forecast stands in. */
	json = slurp("uk-intensity.json");
	assert_int_equal(eacct_uk_intensity_parse(json, &s, err, sizeof(err)), 1);
	free(json);
	assert_int_equal(eacct_series_at(&s, T0 + 60, 0, &g, &since), 0);
	assert_true(g == 187 && since == T0);
	/* A range: actuals where there are, the forecast for the last. */
	json = slurp("uk-intensity-range.json");
	assert_int_equal(eacct_uk_intensity_parse(json, &s, err, sizeof(err)), 3);
	free(json);
	assert_int_equal(s.n, 3);
	assert_int_equal(eacct_series_at(&s, T0 - 3600, 0, &g, &since), 0);
	assert_true(g == 196);
	assert_int_equal(eacct_series_at(&s, T0 - 1, 0, &g, &since), 0);
	assert_true(g == 193);
	assert_int_equal(eacct_uk_intensity_parse("{\"data\": []}", &s, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "no half hour with an actual or forecast intensity");
	assert_int_equal(eacct_uk_intensity_parse("{\"zone\": \"DE\"}", &s, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(eacct_uk_intensity_parse("<html>", &s, err, sizeof(err)), -EINVAL);
	assert_true(!strncmp(err, "not JSON", 8));
	assert_int_equal(s.n, 3);
	eacct_series_free(&s);
}

static void test_emaps_api(void **state)
{
	struct eacct_series s = { 0 };
	char err[128], *json;
	int64_t since;
	double g;

	(void)state;
	json = slurp("emaps-latest.json");
	assert_int_equal(eacct_emaps_intensity_parse(json, &s, err, sizeof(err)), 1);
	free(json);
	assert_int_equal(eacct_series_at(&s, T0 + 1, 0, &g, &since), 0);
	assert_true(g == 302 && since == T0);
	json = slurp("emaps-history.json");
	assert_int_equal(eacct_emaps_intensity_parse(json, &s, err, sizeof(err)), 2);
	free(json);
	assert_int_equal(eacct_series_at(&s, T0 - 1800, 0, &g, &since), 0);
	assert_true(g == 44);
	json = slurp("emaps-error.json");
	assert_int_equal(eacct_emaps_intensity_parse(json, &s, err, sizeof(err)), -EINVAL);
	free(json);
	assert_string_equal(err, "the API says: Invalid authentication credentials");
	assert_int_equal(eacct_emaps_intensity_parse("{\"carbonIntensity\": null, \"datetime\": \"2026-12-01T10:00Z\"}",
						     &s, err, sizeof(err)), -EINVAL);
	assert_int_equal(eacct_emaps_intensity_parse("{\"carbonIntensity\": -4, \"datetime\": \"2026-12-01T10:00Z\"}",
						     &s, err, sizeof(err)), -EINVAL);
	assert_int_equal(s.n, 3);
	eacct_series_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_series_csv),
		cmocka_unit_test(test_uk_api),
		cmocka_unit_test(test_emaps_api),
	};

	return cmocka_run_group_tests_name("intensity", tests, NULL, NULL);
}
