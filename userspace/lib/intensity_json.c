// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>

#include "intensity_json.h"

static struct json_object *parse_json(const char *json, char *err, size_t len)
{
	enum json_tokener_error jerr;
	struct json_object *root = json_tokener_parse_verbose(json, &jerr);

	if (!root)
		snprintf(err, len, "not JSON: %s", json_tokener_error_desc(jerr));
	return root;
}

/* A number member, not null: true with *v. */
static bool number(struct json_object *obj, const char *key, double *v)
{
	struct json_object *m;

	if (!json_object_object_get_ex(obj, key, &m) ||
	    (!json_object_is_type(m, json_type_int) &&
	     !json_object_is_type(m, json_type_double)))
		return false;
	*v = json_object_get_double(m);
	return isfinite(*v) && *v >= 0;
}

static bool timestamp(struct json_object *obj, const char *key, int64_t *t)
{
	struct json_object *m;

	return json_object_object_get_ex(obj, key, &m) &&
	       json_object_is_type(m, json_type_string) &&
	       !eacct_parse_time(json_object_get_string(m), t);
}

int eacct_uk_intensity_parse(const char *json, struct eacct_series *s,
			     char *err, size_t len)
{
	struct json_object *root, *data, *entry, *intensity;
	int n = 0, rc = 0;
	size_t i;
	int64_t t;
	double g;

	root = parse_json(json, err, len);
	if (!root)
		return -EINVAL;
	if (!json_object_object_get_ex(root, "data", &data) ||
	    !json_object_is_type(data, json_type_array)) {
		snprintf(err, len, "no \"data\" array: not the Carbon Intensity API's /intensity");
		rc = -EINVAL;
		goto out;
	}
	for (i = 0; i < json_object_array_length(data) && !rc; i++) {
		entry = json_object_array_get_idx(data, i);
		if (!json_object_object_get_ex(entry, "intensity", &intensity) ||
		    !timestamp(entry, "from", &t))
			continue;
		/* The measured value once the half hour is over, else the forecast. */
		if (!number(intensity, "actual", &g) && !number(intensity, "forecast", &g))
			continue;
		rc = eacct_series_add(s, t, g);
		n++;
	}
	if (!rc && !n) {
		snprintf(err, len, "no half hour with an actual or forecast intensity");
		rc = -EINVAL;
	}
out:
	json_object_put(root);
	return rc ? rc : n;
}

static int emaps_point(struct json_object *obj, struct eacct_series *s)
{
	int64_t t;
	double g;

	if (!number(obj, "carbonIntensity", &g) || !timestamp(obj, "datetime", &t))
		return 0;
	return eacct_series_add(s, t, g) ? -ENOMEM : 1;
}

int eacct_emaps_intensity_parse(const char *json, struct eacct_series *s,
				char *err, size_t len)
{
	struct json_object *root, *history, *e;
	int n = 0, rc;
	size_t i;

	root = parse_json(json, err, len);
	if (!root)
		return -EINVAL;
	if (json_object_object_get_ex(root, "error", &e) ||
	    json_object_object_get_ex(root, "message", &e)) {
		snprintf(err, len, "the API says: %s", json_object_get_string(e));
		json_object_put(root);
		return -EINVAL;
	}
	if (json_object_object_get_ex(root, "history", &history) &&
	    json_object_is_type(history, json_type_array)) {
		for (i = 0; i < json_object_array_length(history); i++) {
			rc = emaps_point(json_object_array_get_idx(history, i), s);
			if (rc < 0) {
				n = rc;
				break;
			}
			n += rc;
		}
	} else {
		n = emaps_point(root, s);
	}
	json_object_put(root);
	if (!n) {
		snprintf(err, len, "no \"carbonIntensity\" with a \"datetime\": not Electricity Maps' carbon-intensity");
		return -EINVAL;
	}
	return n;
}
