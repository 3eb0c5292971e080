// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xcheck.h"

/* The slot of @id, appended if new; -1 if out of memory. */
static long slot(struct eacct_xcheck *x, uint64_t id)
{
	size_t k;

	for (k = 0; k < x->n; k++)
		if (x->ids[k] == id)
			return (long)k;
	if (x->n == x->cap) {
		size_t cap = x->cap ? 2 * x->cap : 16;
		uint64_t *ids = realloc(x->ids, cap * sizeof(*ids));
		uint64_t *busy = ids ? realloc(x->busy, cap * sizeof(*busy)) : NULL;
		uint64_t *engine = busy ? realloc(x->engine, cap * sizeof(*engine)) : NULL;

		if (ids)
			x->ids = ids;
		if (busy)
			x->busy = busy;
		if (!engine)
			return -1;
		x->engine = engine;
		x->cap = cap;
	}
	x->ids[x->n] = id;
	x->busy[x->n] = x->engine[x->n] = 0;
	return (long)x->n++;
}

int eacct_xcheck_add(struct eacct_xcheck *x, const uint64_t *ids, const uint64_t *busy,
		     size_t nb, const uint64_t *eids, const uint64_t *engine, size_t ne)
{
	long k;
	size_t i;

	for (i = 0; i < nb; i++) {
		if ((k = slot(x, ids[i])) < 0)
			return -ENOMEM;
		x->busy[k] += busy[i];
	}
	for (i = 0; i < ne; i++) {
		if ((k = slot(x, eids[i])) < 0)
			return -ENOMEM;
		x->engine[k] += engine[i];
	}
	x->intervals++;
	return 0;
}

double eacct_xcheck_close(struct eacct_xcheck *x)
{
	double tb = 0, te = 0, sum = 0, dist = -1;
	size_t k;

	for (k = 0; k < x->n; k++) {
		tb += (double)x->busy[k];
		te += (double)x->engine[k];
	}
	if (tb > 0 && te > 0) {
		for (k = 0; k < x->n; k++) {
			double d = x->busy[k] / tb - x->engine[k] / te;

			sum += d < 0 ? -d : d;
		}
		dist = sum / 2;
		x->last = dist;
		if (!x->windows++ || dist > x->worst)
			x->worst = dist;
	}
	x->n = 0;
	x->intervals = 0;
	return dist;
}

void eacct_xcheck_free(struct eacct_xcheck *x)
{
	free(x->ids);
	free(x->busy);
	free(x->engine);
	memset(x, 0, sizeof(*x));
}
