/* SPDX-License-Identifier: GPL-2.0 */
/*
 * eacctd's Prometheus endpoint (metrics_listen): GET /metrics answered
 * with eacct.ko's counters, read at each scrape, and what eacctd holds
 * (intensity, PUE, estimated domains), given each interval. Loopback
 * unless an address is given; off unless configured.
 *
 * libmicrohttpd serves it from a small pool of threads, so that one slow
 * client does not hold up the others, with a bound on connections (in
 * all and from one address) and a deadline on each: a liveness probe
 * gets its answer however the other clients behave. A build with
 * EACCT_NO_HTTP has no server: metrics_server_start says so.
 */
#ifndef EACCT_METRICS_SERVER_H
#define EACCT_METRICS_SERVER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define METRICS_MAX_ESTIMATED 32
#define METRICS_MAX_LOSSES 16

struct MHD_Daemon;
struct metrics_conn;

struct metrics_server {
	int fd;				/* listening; libmicrohttpd's once started */
	bool running;
	char sysfs[256];
	char bound[80];			/* "127.0.0.1:9464", as bound */
	struct MHD_Daemon *httpd;
	pthread_t reaper;		/* cuts connections past their deadline */
	pthread_mutex_t conns_lock;	/* conns, stopping */
	pthread_cond_t conns_cond;	/* stopping */
	struct metrics_conn *conns;	/* the connections open */
	bool stopping;
	pthread_mutex_t lock;		/* what follows */
	double intensity, pue;
	char source[32];
	bool fallback;
	char estimated[METRICS_MAX_ESTIMATED][32];
	int nr_estimated;
	int nr_losses;
	const char *loss_names[METRICS_MAX_LOSSES];	/* static strings */
	uint64_t losses[METRICS_MAX_LOSSES];
	uint64_t lost_uj, uncounted_uj, carried_uj;
};

/* Listen on @addr ("PORT", "ADDR:PORT", "[ADDR6]:PORT"). 0 or -errno, @err says why. */
int metrics_server_start(struct metrics_server *m, const char *addr, const char *sysfs,
			 char *err, size_t len);
void metrics_server_update(struct metrics_server *m, double intensity, const char *source,
			   bool fallback, double pue, const char *const *estimated, int n);
/* eacctd's ledger and BPF's loss counters (@names: static strings). */
void metrics_server_update_losses(struct metrics_server *m, const char *const *names,
				  const uint64_t *values, int n, uint64_t lost_uj,
				  uint64_t uncounted_uj, uint64_t carried_uj);
void metrics_server_stop(struct metrics_server *m);

#endif /* EACCT_METRICS_SERVER_H */
