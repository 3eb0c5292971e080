/* SPDX-License-Identifier: GPL-2.0 */
/*
 * eacctd's Prometheus endpoint (metrics_listen): a thread answering
 * GET /metrics with eacct.ko's counters, read at each scrape, and what
 * eacctd holds (intensity, PUE, estimated domains), given each interval.
 * Loopback unless an address is given; off unless configured.
 */
#ifndef EACCT_METRICS_SERVER_H
#define EACCT_METRICS_SERVER_H

#include <pthread.h>
#include <stdbool.h>

#define METRICS_MAX_ESTIMATED 32

struct metrics_server {
	int fd;
	pthread_t thread;
	bool running;
	char sysfs[256];
	char bound[80];			/* "127.0.0.1:9464", as bound */
	pthread_mutex_t lock;		/* what follows */
	double intensity, pue;
	char source[32];
	bool fallback;
	char estimated[METRICS_MAX_ESTIMATED][32];
	int nr_estimated;
};

/* Listen on @addr ("PORT", "ADDR:PORT", "[ADDR6]:PORT"). 0 or -errno, @err says why. */
int metrics_server_start(struct metrics_server *m, const char *addr, const char *sysfs,
			 char *err, size_t len);
void metrics_server_update(struct metrics_server *m, double intensity, const char *source,
			   bool fallback, double pue, const char *const *estimated, int n);
void metrics_server_stop(struct metrics_server *m);

#endif /* EACCT_METRICS_SERVER_H */
