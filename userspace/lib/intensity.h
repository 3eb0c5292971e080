/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Grid carbon intensity over time: a series of (time, g/kWh) points, each
 * in force from its time until the next, from a CSV file
 * ("timestamp,g_per_kwh") or from the JSON of the UK Carbon Intensity API
 * and Electricity Maps (intensity_json.c). Pure functions.
 */
#ifndef EACCT_INTENSITY_H
#define EACCT_INTENSITY_H

#include <stddef.h>
#include <stdint.h>

struct eacct_series_point {
	int64_t t;			/* Unix seconds, UTC */
	double g_per_kwh;
};

struct eacct_series {
	struct eacct_series_point *pts;	/* sorted by t, no two alike */
	size_t n, cap;
};

/*
 * ISO 8601 as the APIs write it ("2026-12-01T10:30Z", with seconds,
 * fractions, "Z" or an offset "+01:00"; a space for the T), or Unix
 * seconds. 0 or -EINVAL.
 */
int eacct_parse_time(const char *s, int64_t *t);

/* Add a point; one at the same time is replaced. 0 or -ENOMEM. */
int eacct_series_add(struct eacct_series *s, int64_t t, double g_per_kwh);

/*
 * "timestamp,g_per_kwh" lines: a header line and '#' comments allowed,
 * rows in any order, a later row for the same time replacing an earlier
 * one. A malformed row refuses the whole text with a message naming its
 * line; @s is then unchanged.
 */
int eacct_series_parse(struct eacct_series *s, const char *text, char *err, size_t len);
int eacct_series_load(struct eacct_series *s, const char *path, char *err, size_t len);

/*
 * The value in force at @t: the last point at or before it, unless that
 * is more than @max_age seconds old (0: any age), which makes a gap.
 * 0 with *g_per_kwh and *since; -ENOENT before the first point or in a gap.
 */
int eacct_series_at(const struct eacct_series *s, int64_t t, int64_t max_age,
		    double *g_per_kwh, int64_t *since);

/* Drop the points older than the one in force at @t (bounded memory). */
void eacct_series_trim(struct eacct_series *s, int64_t t);
void eacct_series_free(struct eacct_series *s);

#endif /* EACCT_INTENSITY_H */
