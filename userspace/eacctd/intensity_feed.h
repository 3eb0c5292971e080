/* SPDX-License-Identifier: GPL-2.0 */
/*
 * eacctd's grid carbon intensity, the value in force at each interval:
 * a constant, a country's annual average, a time-series file (re-read
 * when it changes), or one of two public APIs fetched by a thread every
 * intensity_refresh seconds. Gaps and failures fall back to
 * intensity_region, else to the constant, and say so.
 */
#ifndef EACCT_INTENSITY_FEED_H
#define EACCT_INTENSITY_FEED_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "lib/config.h"
#include "lib/intensity.h"

struct intensity_feed {
	struct eacct_config cfg;	/* the intensity keys, as started */
	enum eacct_intensity_source src;
	pthread_mutex_t lock;		/* series, error, fetched */
	struct eacct_series series;	/* file or API points */
	char error[256];		/* the source's last problem, "" if none */
	time_t fetched;			/* API: last good answer */
	time_t file_mtime;
	pthread_t thread;
	bool thread_running;
	volatile bool stop;
};

/* What is in force at a time, and where it came from. */
struct intensity_now {
	double g_per_kwh;
	char source[300];		/* "uk-api https://...", "region DEU (Germany, 2023)" */
	int64_t since;			/* when the value took effect, 0 if always */
	bool fallback;			/* the source had nothing: the fallback's value */
	char error[256];
};

/* Start the source (the fetching thread for an API). 0 or -errno. */
int intensity_feed_start(struct intensity_feed *f, const struct eacct_config *cfg);
/* The value in force at @t (wall-clock seconds). */
void intensity_feed_at(struct intensity_feed *f, time_t t, struct intensity_now *now);
void intensity_feed_stop(struct intensity_feed *f);

#endif /* EACCT_INTENSITY_FEED_H */
