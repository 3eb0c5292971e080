// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http_fetch.h"
#include "intensity_feed.h"
#include "lib/intensity_json.h"

static void set_error(struct intensity_feed *f, const char *msg)
{
	pthread_mutex_lock(&f->lock);
	snprintf(f->error, sizeof(f->error), "%.255s", msg);
	pthread_mutex_unlock(&f->lock);
}

/* The file again if it changed; a bad new file keeps the old points. */
static void file_refresh(struct intensity_feed *f)
{
	struct eacct_series next = { 0 };
	char err[600];
	struct stat st;

	if (stat(f->cfg.intensity_file, &st)) {
		snprintf(err, sizeof(err), "%s: %s", f->cfg.intensity_file, strerror(errno));
		set_error(f, err);
		return;
	}
	if (st.st_mtime == f->file_mtime && f->series.n)
		return;
	f->file_mtime = st.st_mtime;
	if (eacct_series_load(&next, f->cfg.intensity_file, err, sizeof(err))) {
		set_error(f, err);	/* the points read before stay */
		return;
	}
	pthread_mutex_lock(&f->lock);
	eacct_series_free(&f->series);
	f->series = next;
	f->error[0] = '\0';
	pthread_mutex_unlock(&f->lock);
}

static void fetch_once(struct intensity_feed *f)
{
	char url[700], header[300] = "", err[600], token[256] = "", *body = NULL, *nl;
	struct eacct_series got = { 0 };
	FILE *tf;
	int n, i;

	if (f->src == EACCT_INTENSITY_EMAPS) {
		tf = fopen(f->cfg.intensity_token_file, "r");
		if (!tf || !fgets(token, sizeof(token), tf)) {
			snprintf(err, sizeof(err), "%s: %s", f->cfg.intensity_token_file,
				 tf ? "empty" : strerror(errno));
			if (tf)
				fclose(tf);
			set_error(f, err);
			return;
		}
		fclose(tf);
		nl = strpbrk(token, "\r\n");
		if (nl)
			*nl = '\0';
		snprintf(header, sizeof(header), "auth-token: %s", token);
		snprintf(url, sizeof(url), "%s%szone=%s", eacct_intensity_url(&f->cfg),
			 strchr(eacct_intensity_url(&f->cfg), '?') ? "&" : "?", f->cfg.intensity_zone);
	} else {
		snprintf(url, sizeof(url), "%s", eacct_intensity_url(&f->cfg));
	}
	if (eacct_http_get(url, header[0] ? header : NULL, 10, &body, err, sizeof(err))) {
		set_error(f, err);
		return;
	}
	n = f->src == EACCT_INTENSITY_EMAPS ?
	    eacct_emaps_intensity_parse(body, &got, err, sizeof(err)) :
	    eacct_uk_intensity_parse(body, &got, err, sizeof(err));
	free(body);
	if (n < 0) {
		set_error(f, err);
		eacct_series_free(&got);
		return;
	}
	pthread_mutex_lock(&f->lock);
	for (i = 0; (size_t)i < got.n; i++)
		eacct_series_add(&f->series, got.pts[i].t, got.pts[i].g_per_kwh);
	eacct_series_trim(&f->series, time(NULL) - (time_t)f->cfg.intensity_max_age_s);
	f->error[0] = '\0';
	f->fetched = time(NULL);
	pthread_mutex_unlock(&f->lock);
	eacct_series_free(&got);
}

static void *fetcher(void *arg)
{
	struct intensity_feed *f = arg;
	unsigned int slept;

	while (!f->stop) {
		fetch_once(f);
		/* A failed fetch is tried again sooner, within the refresh. */
		for (slept = 0; !f->stop && slept < (f->error[0] ? 60 : f->cfg.intensity_refresh_s) &&
		     slept < f->cfg.intensity_refresh_s; slept++)
			sleep(1);
	}
	return NULL;
}

int intensity_feed_start(struct intensity_feed *f, const struct eacct_config *cfg)
{
	int err;

	memset(f, 0, sizeof(*f));
	f->cfg = *cfg;
	f->src = eacct_intensity_source(cfg);
	pthread_mutex_init(&f->lock, NULL);
	if (f->src == EACCT_INTENSITY_FILE)
		file_refresh(f);
	if (f->src != EACCT_INTENSITY_UK_API && f->src != EACCT_INTENSITY_EMAPS)
		return 0;
	err = eacct_http_init();
	if (!err)
		err = -pthread_create(&f->thread, NULL, fetcher, f);
	f->thread_running = !err;
	if (err)
		set_error(f, "cannot start the fetching thread");
	return err;
}

void intensity_feed_at(struct intensity_feed *f, time_t t, struct intensity_now *now)
{
	const char *name = eacct_intensity_source_name(f->src);
	int64_t since;
	double g;
	int rc;

	memset(now, 0, sizeof(*now));
	if (f->src == EACCT_INTENSITY_CONSTANT || f->src == EACCT_INTENSITY_REGION) {
		now->g_per_kwh = eacct_intensity_fixed(&f->cfg, &now->fallback, now->source,
						       sizeof(now->source));
		return;
	}
	if (f->src == EACCT_INTENSITY_FILE)
		file_refresh(f);
	pthread_mutex_lock(&f->lock);
	rc = eacct_series_at(&f->series, t, f->cfg.intensity_max_age_s, &g, &since);
	snprintf(now->error, sizeof(now->error), "%s", f->error);
	pthread_mutex_unlock(&f->lock);
	if (rc) {
		/* A gap, or nothing yet: the fallback, said so. */
		now->g_per_kwh = eacct_intensity_fixed(&f->cfg, &now->fallback, now->source,
						       sizeof(now->source));
		if (!now->error[0])
			snprintf(now->error, sizeof(now->error), "%s: no value for now (a gap, or none yet)",
				 name);
		return;
	}
	now->g_per_kwh = g;
	now->since = since;
	snprintf(now->source, sizeof(now->source), "%s %s", name,
		 f->src == EACCT_INTENSITY_FILE ? f->cfg.intensity_file : eacct_intensity_url(&f->cfg));
}

void intensity_feed_stop(struct intensity_feed *f)
{
	f->stop = true;
	if (f->thread_running)
		pthread_join(f->thread, NULL);
	f->thread_running = false;
	eacct_series_free(&f->series);
	pthread_mutex_destroy(&f->lock);
}
