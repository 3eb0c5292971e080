/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The units people write and read: energy (J to GWh), carbon intensity
 * (g/kWh by default, kg/kWh, lb/kWh, lb/MWh), masses of CO2e (ug to t),
 * and the same printed with a unit that fits the value. Pure functions.
 */
#ifndef EACCT_UNITS_H
#define EACCT_UNITS_H

#include <stdbool.h>
#include <stddef.h>

#define EACCT_J_PER_KWH 3.6e6
#define EACCT_G_PER_LB 453.59237

/*
 * Each parser takes "<number>[ ]<unit>" and refuses, with a message in
 * @err: no number, a negative or non-finite one, an unknown unit, trailing
 * text. 0 or -EINVAL.
 */
int eacct_parse_energy(const char *s, double *joules, char *err, size_t len);
/* The unit may be left out: g/kWh. */
int eacct_parse_intensity(const char *s, double *g_per_kwh, char *err, size_t len);
int eacct_parse_mass(const char *s, double *grams, char *err, size_t len);
/*
 * A budget: a mass of CO2e (*is_energy false, grams in *value) or an
 * energy (*is_energy true, joules).
 */
int eacct_parse_budget(const char *s, double *value, bool *is_energy, char *err,
		       size_t len);

/* "412 mg", "3.21 g", "12.4 kg", "1.20 t": three significant digits. */
void eacct_format_mass(double grams, char *buf, size_t len);
/* "850 J", "3.60 kJ", "12.5 MJ", "1.20 GJ". */
void eacct_format_energy(double joules, char *buf, size_t len);
/* "1.20 kWh", "350 Wh", "2.50 MWh". */
void eacct_format_kwh(double joules, char *buf, size_t len);
/* "0 W", "850 mW", "12.3 W", "1.25 kW". */
void eacct_format_power(double watts, char *buf, size_t len);

#endif /* EACCT_UNITS_H */
