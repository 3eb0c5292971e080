/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Annual average grid carbon intensity per country, bundled from
 * data/grid-intensity-by-country.csv (Our World in Data / Ember, CC BY
 * 4.0, via CodeCarbon, MIT): location-based, as the SCI specification
 * asks of I.
 */
#ifndef EACCT_REGION_H
#define EACCT_REGION_H

#include <stddef.h>

struct eacct_region {
	char iso3[4];			/* ISO 3166-1 alpha-3 */
	const char *name;
	int year;			/* of the figure */
	double g_per_kwh;
};

#define EACCT_REGION_SOURCE \
	"Our World in Data / Ember (CC BY 4.0), via CodeCarbon (MIT)"

extern const struct eacct_region eacct_regions[];
extern const size_t eacct_nr_regions;

/* The country with code @iso3 (any case), or NULL. */
const struct eacct_region *eacct_region_find(const char *iso3);

#endif /* EACCT_REGION_H */
