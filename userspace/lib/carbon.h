/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Energy to carbon: g CO2e = kWh x PUE x I, I the grid's carbon intensity
 * in g/kWh where and when the energy was used (SCI: location-based,
 * average or marginal; never market-based, never offset). Pure functions.
 */
#ifndef EACCT_CARBON_H
#define EACCT_CARBON_H

#include <stddef.h>
#include <stdint.h>

double eacct_co2e_g(double joules, double pue, double g_per_kwh);

/*
 * One interval's carbon in whole micrograms for @energy_uj, the fraction
 * carried in *carry (one per domain) to the next interval: over a run the
 * sum stays within 1 ug of the exact carbon, whatever the intervals.
 */
uint64_t eacct_carbon_ug(uint64_t energy_uj, double pue, double g_per_kwh,
			 double *carry);

/*
 * One domain's interval: its carbon @carbon_ug shared over @n charges and
 * the idle energy by their energy, exactly (the shares and the returned
 * idle part add up to @carbon_ug). @out gets the n charges' carbon.
 * Returns the idle part, or UINT64_MAX if out of memory.
 */
uint64_t eacct_carbon_split(uint64_t carbon_ug, const uint64_t *charge_uj, size_t n,
			    uint64_t idle_uj, uint64_t *out);

#endif /* EACCT_CARBON_H */
