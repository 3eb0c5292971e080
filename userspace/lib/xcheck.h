/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Two measures of who used a GPU, compared: each cgroup's share by fence
 * busy time (BPF) against its share by the driver's own engine time
 * (fdinfo drm-engine-*), summed over a window of intervals. The distance
 * is the fraction of the split that the two measures place differently
 * (total variation: half the sum of the share differences), 0 to 1.
 */
#ifndef EACCT_XCHECK_H
#define EACCT_XCHECK_H

#include <stddef.h>
#include <stdint.h>

struct eacct_xcheck {
	uint64_t *ids, *busy, *engine;	/* window sums, per cgroup */
	size_t n, cap;
	unsigned int intervals;		/* in the window */
	unsigned int windows;		/* compared so far */
	double last, worst;		/* distance of the last and worst window */
};

/* One interval's two measures, as (id, activity) pairs. 0 or -ENOMEM. */
int eacct_xcheck_add(struct eacct_xcheck *x, const uint64_t *ids, const uint64_t *busy,
		     size_t nb, const uint64_t *eids, const uint64_t *engine, size_t ne);
/*
 * Close the window: its distance (also in x->last, x->worst), then an
 * empty window. A negative value if either measure saw nothing.
 */
double eacct_xcheck_close(struct eacct_xcheck *x);
void eacct_xcheck_free(struct eacct_xcheck *x);

#endif /* EACCT_XCHECK_H */
