// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"

struct unit {
	const char *name;
	double factor;		/* to the base unit */
};

static const struct unit energy_units[] = {
	{ "J", 1 }, { "kJ", 1e3 }, { "MJ", 1e6 }, { "GJ", 1e9 },
	{ "Wh", 3600 }, { "kWh", 3.6e6 }, { "MWh", 3.6e9 }, { "GWh", 3.6e12 },
	/* Common spellings that cannot be mistaken for another unit. */
	{ "j", 1 }, { "kj", 1e3 }, { "KJ", 1e3 }, { "wh", 3600 }, { "WH", 3600 },
	{ "kwh", 3.6e6 }, { "KWh", 3.6e6 }, { "KWH", 3.6e6 }, { "gwh", 3.6e12 },
	{ "GWH", 3.6e12 }, { NULL, 0 },
};

static const struct unit intensity_units[] = {
	{ "g/kWh", 1 }, { "kg/kWh", 1e3 }, { "lb/kWh", EACCT_G_PER_LB },
	{ "lb/MWh", EACCT_G_PER_LB / 1e3 }, { "g/MWh", 1e-3 }, { "kg/MWh", 1 },
	{ "t/MWh", 1e3 }, { "gCO2e/kWh", 1 }, { "gCO2/kWh", 1 }, { "g/kwh", 1 },
	{ "kg/kwh", 1e3 }, { "lb/kwh", EACCT_G_PER_LB }, { NULL, 0 },
};

static const struct unit mass_units[] = {
	{ "ug", 1e-6 }, { "mg", 1e-3 }, { "g", 1 }, { "kg", 1e3 }, { "t", 1e6 },
	{ "gCO2e", 1 }, { "kgCO2e", 1e3 }, { "tCO2e", 1e6 }, { NULL, 0 },
};

/*
 * "<number>[ ]<unit>" against @units; a missing unit is @dflt's (or an
 * error without one). The number times the unit's factor in *out.
 */
static int parse(const char *s, const struct unit *units, const char *what,
		 const char *dflt, double *out, char *err, size_t len)
{
	const struct unit *u;
	const char *unit;
	size_t n;
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno == ERANGE || !isfinite(v)) {
		snprintf(err, len, "'%s': not a number", s);
		return -EINVAL;
	}
	if (v < 0) {
		snprintf(err, len, "'%s': %s cannot be negative", s, what);
		return -EINVAL;
	}
	unit = end;
	while (*unit == ' ')
		unit++;
	if (!*unit) {
		if (!dflt) {
			snprintf(err, len, "'%s': no unit (%s)", s,
				 units == energy_units ? "J, kJ, MJ, Wh, kWh, MWh, GWh" :
				 "g, kg, t CO2e");
			return -EINVAL;
		}
		unit = dflt;
	}
	n = strlen(unit);
	while (n && unit[n - 1] == ' ')
		n--;
	for (u = units; u->name; u++) {
		if (strlen(u->name) == n && !strncmp(unit, u->name, n)) {
			*out = v * u->factor;
			return 0;
		}
	}
	snprintf(err, len, "'%s': unknown %s unit '%s'", s, what, unit);
	return -EINVAL;
}

int eacct_parse_energy(const char *s, double *joules, char *err, size_t len)
{
	return parse(s, energy_units, "energy", NULL, joules, err, len);
}

int eacct_parse_intensity(const char *s, double *g_per_kwh, char *err, size_t len)
{
	return parse(s, intensity_units, "intensity", "g/kWh", g_per_kwh, err, len);
}

int eacct_parse_mass(const char *s, double *grams, char *err, size_t len)
{
	return parse(s, mass_units, "mass", NULL, grams, err, len);
}

int eacct_parse_budget(const char *s, double *value, bool *is_energy, char *err,
		       size_t len)
{
	char ignored[8];

	if (!parse(s, mass_units, "mass", NULL, value, ignored, sizeof(ignored))) {
		*is_energy = false;
		return 0;
	}
	if (!parse(s, energy_units, "energy", NULL, value, ignored, sizeof(ignored))) {
		*is_energy = true;
		return 0;
	}
	/* Say why in the terms of a mass, unless the number itself is bad. */
	parse(s, mass_units, "budget", NULL, value, err, len);
	if (strstr(err, "unknown budget unit"))
		snprintf(err + strlen(err), len - strlen(err),
			 " (g, kg, t CO2e; or J, kWh, ... for energy)");
	return -EINVAL;
}

/* @v scaled by the largest step of @steps not above it, 3 digits. */
static void format(double v, const struct unit *steps, char *buf, size_t len)
{
	const struct unit *u = steps, *pick = steps;
	double x;

	if (v < 0)
		v = 0;
	for (; u->name; u++)
		if (v >= u->factor)
			pick = u;
	x = v / pick->factor;
	if (x == 0)
		snprintf(buf, len, "0 %s", pick->name);
	else if (x >= 100)
		snprintf(buf, len, "%.0f %s", x, pick->name);
	else if (x >= 10)
		snprintf(buf, len, "%.1f %s", x, pick->name);
	else
		snprintf(buf, len, "%.2f %s", x, pick->name);
}

void eacct_format_mass(double grams, char *buf, size_t len)
{
	static const struct unit steps[] = {
		{ "ug", 1e-6 }, { "mg", 1e-3 }, { "g", 1 }, { "kg", 1e3 }, { "t", 1e6 },
		{ NULL, 0 },
	};

	format(grams, grams > 0 ? steps : steps + 2, buf, len);
}

void eacct_format_energy(double joules, char *buf, size_t len)
{
	static const struct unit steps[] = {
		{ "J", 1 }, { "kJ", 1e3 }, { "MJ", 1e6 }, { "GJ", 1e9 }, { "TJ", 1e12 },
		{ NULL, 0 },
	};

	format(joules, steps, buf, len);
}

void eacct_format_kwh(double joules, char *buf, size_t len)
{
	static const struct unit steps[] = {
		{ "Wh", 3600 }, { "kWh", 3.6e6 }, { "MWh", 3.6e9 }, { "GWh", 3.6e12 },
		{ NULL, 0 },
	};

	format(joules, steps, buf, len);
}

void eacct_format_power(double watts, char *buf, size_t len)
{
	static const struct unit steps[] = {
		{ "mW", 1e-3 }, { "W", 1 }, { "kW", 1e3 }, { "MW", 1e6 }, { NULL, 0 },
	};

	format(watts, watts > 0 ? steps : steps + 1, buf, len);
}
