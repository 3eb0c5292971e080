// SPDX-License-Identifier: GPL-2.0
#include "counter.h"

uint64_t eacct_counter_delta(uint64_t prev, uint64_t now, uint64_t wrap,
			     enum eacct_counter_step *step)
{
	enum eacct_counter_step s = EACCT_COUNTER_GREW;
	uint64_t delta;

	if (now >= prev) {
		delta = now - prev;
	} else if (wrap && prev < wrap && now < wrap) {
		s = EACCT_COUNTER_WRAPPED;
		delta = wrap - prev + now;
	} else {
		/* No modulus, or readings outside it: a restart from zero. */
		s = EACCT_COUNTER_RESTARTED;
		delta = now;
	}
	if (step)
		*step = s;
	return delta;
}
