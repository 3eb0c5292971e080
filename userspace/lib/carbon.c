// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>

#include "attrib.h"
#include "carbon.h"
#include "units.h"

double eacct_co2e_g(double joules, double pue, double g_per_kwh)
{
	return joules / EACCT_J_PER_KWH * pue * g_per_kwh;
}

uint64_t eacct_carbon_ug(uint64_t energy_uj, double pue, double g_per_kwh,
			 double *carry)
{
	/* ug = uJ / 3.6e12 (kWh) x PUE x g/kWh x 1e6 (ug per g). */
	double exact = (double)energy_uj * pue * g_per_kwh / 3.6e6 + *carry;
	uint64_t whole;

	if (!(exact > 0)) {		/* 0, or a NaN from a bad intensity */
		*carry = 0;
		return 0;
	}
	whole = (uint64_t)exact;	/* not negative: truncation is floor */
	*carry = exact - (double)whole;
	return whole;
}

uint64_t eacct_carbon_split(uint64_t carbon_ug, const uint64_t *charge_uj, size_t n,
			    uint64_t idle_uj, uint64_t *out)
{
	uint64_t *act = malloc((n + 1) * sizeof(*act)), *share, idle;

	share = act ? malloc((n + 1) * sizeof(*share)) : NULL;
	if (!share) {
		free(act);
		return UINT64_MAX;
	}
	memcpy(act, charge_uj, n * sizeof(*act));
	act[n] = idle_uj;
	/* No energy at all: nothing to share, all of it is idle. */
	if (eacct_split(carbon_ug, act, n + 1, 0, EACCT_IDLE_PROPORTIONAL, share) == carbon_ug) {
		memset(out, 0, n * sizeof(*out));
		idle = carbon_ug;
	} else {
		memcpy(out, share, n * sizeof(*out));
		idle = share[n];
	}
	free(act);
	free(share);
	return idle;
}
