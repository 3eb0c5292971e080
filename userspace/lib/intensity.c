// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intensity.h"
#include "sysfile.h"

/* Days since 1970-01-01 of a proleptic Gregorian date (no timegm()). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static bool digits(const char *s, int n, int *out)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

int eacct_parse_time(const char *s, int64_t *t)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, mo, d, h, mi, sec = 0, oh = 0, om = 0, sign;
	const char *p = s;
	char *end;

	if (*s && strspn(s, "0123456789") == strlen(s)) {
		long long v;

		errno = 0;
		v = strtoll(s, &end, 10);
		if (errno || end == s || *end)
			return -EINVAL;
		*t = v;
		return 0;
	}
	if (!digits(p, 4, &y) || p[4] != '-' || !digits(p + 5, 2, &mo) || p[7] != '-' ||
	    !digits(p + 8, 2, &d) || (p[10] != 'T' && p[10] != ' ') ||
	    !digits(p + 11, 2, &h) || p[13] != ':' || !digits(p + 14, 2, &mi))
		return -EINVAL;
	p += 16;
	if (*p == ':') {
		if (!digits(p + 1, 2, &sec))
			return -EINVAL;
		p += 3;
		if (*p == '.')
			for (p++; isdigit((unsigned char)*p); p++)
				;
	}
	if (*p == 'Z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '-' ? -1 : 1;
		if (!digits(p + 1, 2, &oh))
			return -EINVAL;
		p += 3;
		if (*p == ':')
			p++;
		if (!digits(p, 2, &om))
			return -EINVAL;
		p += 2;
		oh *= sign;
		om *= sign;
	}
	if (*p || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 ||
	    sec > 60)
		return -EINVAL;
	*t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
	     (oh * 3600 + om * 60);
	return 0;
}

/* The index of the first point after @t. */
static size_t upper(const struct eacct_series *s, int64_t t)
{
	size_t lo = 0, hi = s->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (s->pts[mid].t <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int eacct_series_add(struct eacct_series *s, int64_t t, double g_per_kwh)
{
	size_t i = upper(s, t);
	struct eacct_series_point *p;

	if (i && s->pts[i - 1].t == t) {
		s->pts[i - 1].g_per_kwh = g_per_kwh;
		return 0;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;

		p = realloc(s->pts, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		s->pts = p;
		s->cap = cap;
	}
	memmove(&s->pts[i + 1], &s->pts[i], (s->n - i) * sizeof(*s->pts));
	s->pts[i] = (struct eacct_series_point){ .t = t, .g_per_kwh = g_per_kwh };
	s->n++;
	return 0;
}

int eacct_series_parse(struct eacct_series *s, const char *text, char *err, size_t len)
{
	struct eacct_series next = { 0 };
	char *copy, *cursor, *line, *comma, *ts, *val, *end;
	int lineno = 0, rc = 0;
	bool first = true;
	int64_t t;
	double g;

	copy = strdup(text);
	if (!copy)
		return -ENOMEM;
	/* Build on a copy of @s: a refused text leaves it as it was. */
	for (size_t i = 0; i < s->n && !rc; i++)
		rc = eacct_series_add(&next, s->pts[i].t, s->pts[i].g_per_kwh);
	cursor = copy;
	while (!rc && (line = eacct_next_line(&cursor, &lineno))) {
		comma = strchr(line, ',');
		if (!comma) {
			snprintf(err, len, "line %d: expected 'timestamp,g_per_kwh'", lineno);
			rc = -EINVAL;
			break;
		}
		*comma = '\0';
		ts = eacct_trim(line);
		val = eacct_trim(comma + 1);
		if (eacct_parse_time(ts, &t)) {
			/* A header line names the columns. */
			if (first && !isdigit((unsigned char)*ts)) {
				first = false;
				continue;
			}
			snprintf(err, len, "line %d: bad timestamp '%s'", lineno, ts);
			rc = -EINVAL;
			break;
		}
		first = false;
		errno = 0;
		g = strtod(val, &end);
		if (errno || end == val || *end || !isfinite(g) || g < 0) {
			snprintf(err, len, "line %d: bad intensity '%s'", lineno, val);
			rc = -EINVAL;
			break;
		}
		rc = eacct_series_add(&next, t, g);
	}
	free(copy);
	if (rc) {
		eacct_series_free(&next);
		return rc;
	}
	eacct_series_free(s);
	*s = next;
	return 0;
}

int eacct_series_load(struct eacct_series *s, const char *path, char *err, size_t len)
{
	FILE *f = fopen(path, "r");
	char *text = NULL, msg[200];
	size_t size = 0;
	int rc;

	if (!f) {
		snprintf(err, len, "%s: %s", path, strerror(errno));
		return -errno;
	}
	rc = getdelim(&text, &size, '\0', f) < 0 && ferror(f) ? -EIO : 0;
	fclose(f);
	if (!rc)
		rc = eacct_series_parse(s, text ? text : "", msg, sizeof(msg));
	if (rc == -EINVAL)
		snprintf(err, len, "%s: %s", path, msg);
	else if (rc)
		snprintf(err, len, "%s: %s", path, strerror(-rc));
	free(text);
	return rc;
}

int eacct_series_at(const struct eacct_series *s, int64_t t, int64_t max_age,
		    double *g_per_kwh, int64_t *since)
{
	size_t i = upper(s, t);

	if (!i)
		return -ENOENT;
	if (max_age && t - s->pts[i - 1].t > max_age)
		return -ENOENT;
	*g_per_kwh = s->pts[i - 1].g_per_kwh;
	*since = s->pts[i - 1].t;
	return 0;
}

void eacct_series_trim(struct eacct_series *s, int64_t t)
{
	size_t i = upper(s, t);

	if (i < 2)
		return;
	memmove(s->pts, &s->pts[i - 1], (s->n - (i - 1)) * sizeof(*s->pts));
	s->n -= i - 1;
}

void eacct_series_free(struct eacct_series *s)
{
	free(s->pts);
	memset(s, 0, sizeof(*s));
}
