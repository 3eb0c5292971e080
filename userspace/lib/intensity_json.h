/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Grid carbon intensity from the JSON of two public APIs, as points of a
 * series (intensity.h):
 *  - UK Carbon Intensity API (api.carbonintensity.org.uk), /intensity and
 *    its /intensity/{from}/{to} forms: each half hour's "actual" value,
 *    its "forecast" while there is no actual yet, from its "from" time.
 *  - Electricity Maps v3, carbon-intensity/latest (and /history, whose
 *    "history" array holds the same objects): "carbonIntensity" from
 *    "datetime", for the zone asked.
 * Both give location-based averages (lifecycle for Electricity Maps by
 * default), which is what the SCI specification asks of I.
 */
#ifndef EACCT_INTENSITY_JSON_H
#define EACCT_INTENSITY_JSON_H

#include <stddef.h>

#include "intensity.h"

/*
 * Add the points found in @json to @s; how many, or -EINVAL with the
 * reason in @err (not JSON, not the API's shape, no value). @s keeps what
 * it had when nothing could be read.
 */
int eacct_uk_intensity_parse(const char *json, struct eacct_series *s,
			     char *err, size_t len);
int eacct_emaps_intensity_parse(const char *json, struct eacct_series *s,
				char *err, size_t len);

#endif /* EACCT_INTENSITY_JSON_H */
