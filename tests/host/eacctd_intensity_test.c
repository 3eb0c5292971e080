// SPDX-License-Identifier: GPL-2.0
/*
 * eacctd's carbon intensity, on this host (no module: batches go to a
 * file, read back here), with a busy process in a cgroup:
 *  - uk-api and electricitymaps: recorded-shape JSON served by an HTTP
 *    server on loopback inside this test (the auth-token header and the
 *    zone checked), fetched by eacctd's thread with libcurl;
 *  - an API that fails: the fallback (intensity_region), said so;
 *  - electricitymaps redirecting to another host and port: not followed,
 *    the auth-token never sent there;
 *  - a time-series file whose value changes during the run: each batch is
 *    charged at the intensity in force when it was made;
 * and in every case, carbon = energy x I / 3.6e6, to the microgram, the
 * records' carbon adding up to the domain's.
 *
 * Usage: eacctd-intensity-test EACCTD   (prints TAP lines)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/eacct.h>

#include "cgroup_child.h"
#include "lib/cgroupfs.h"
#include "lib/region.h"
#include "run_dir.h"
#include "tap.h"


/* --- loopback HTTP servers: one canned answer each, requests remembered --- */
struct server {
	int fd, port;
	pthread_mutex_t lock;
	char body[4096];
	int status;		/* 200, or 500 to fail, or 302 to location */
	char location[256];
	int requests;
	bool auth_seen;		/* an auth-token header in any request */
	char last_request[2048];
};

/* The configured API; srv2, on another host (127.0.0.2) and port, where it redirects. */
static struct server srv = { .lock = PTHREAD_MUTEX_INITIALIZER, .status = 200 };
static struct server srv2 = { .lock = PTHREAD_MUTEX_INITIALIZER, .status = 200 };

static void *serve(void *arg)
{
	struct server *s = arg;
	char req[2048], head[512];
	ssize_t n;
	int c;

	while ((c = accept(s->fd, NULL, NULL)) >= 0) {
		n = recv(c, req, sizeof(req) - 1, 0);
		req[n > 0 ? n : 0] = '\0';
		pthread_mutex_lock(&s->lock);
		s->requests++;
		s->auth_seen |= strcasestr(req, "\r\nauth-token:") != NULL;
		snprintf(s->last_request, sizeof(s->last_request), "%s", req);
		snprintf(head, sizeof(head), "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
			 "%s%s%sContent-Length: %zu\r\nConnection: close\r\n\r\n", s->status,
			 s->location[0] ? "Location: " : "", s->location,
			 s->location[0] ? "\r\n" : "", strlen(s->body));
		send(c, head, strlen(head), 0);
		send(c, s->body, strlen(s->body), 0);
		pthread_mutex_unlock(&s->lock);
		close(c);
	}
	return NULL;
}

static int start_server(struct server *s, const char *addr)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	pthread_t t;

	inet_pton(AF_INET, addr, &a.sin_addr);
	s->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&a, sizeof(a)) || listen(s->fd, 8) ||
	    getsockname(s->fd, (struct sockaddr *)&a, &len))
		return -1;
	s->port = ntohs(a.sin_port);
	return pthread_create(&t, NULL, serve, s) ? -1 : 0;
}

static void answer_on(struct server *s, int status, const char *fmt, va_list ap)
{
	pthread_mutex_lock(&s->lock);
	s->status = status;
	vsnprintf(s->body, sizeof(s->body), fmt, ap);
	s->location[0] = '\0';
	s->requests = 0;
	s->auth_seen = false;
	pthread_mutex_unlock(&s->lock);
}

static void answer(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void answer(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	answer_on(&srv, status, fmt, ap);
	va_end(ap);
}

static void answer2(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void answer2(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	answer_on(&srv2, status, fmt, ap);
	va_end(ap);
}

/* --- eacctd runs and its batches --- */
struct batch_sum {
	uint64_t energy, carbon;	/* package-0, all records */
};

/* Per batch: package-0's energy and carbon, cgroup and idle records alike. */
static int read_batches(struct batch_sum *out, int max)
{
	struct eacct_batch_header h;
	struct eacct_cgroup_record r;
	struct eacct_process_record p;
	FILE *f = fopen(path_in("batches"), "r");
	int n = 0;
	uint32_t i;

	if (!f)
		return -1;
	while (n < max && fread(&h, sizeof(h), 1, f) == 1 && h.magic == EACCT_BATCH_MAGIC) {
		out[n].energy = out[n].carbon = 0;
		for (i = 0; i < h.nr_cgroup_records && fread(&r, sizeof(r), 1, f) == 1; i++) {
			if (r.domain != EACCT_DOMAIN(EACCT_CLASS_CPU, 0))
				continue;
			out[n].energy += r.energy_uj;
			out[n].carbon += r.carbon_ug;
		}
		for (i = 0; i < h.nr_process_records && fread(&p, sizeof(p), 1, f) == 1; i++)
			;
		n++;
	}
	fclose(f);
	return n;
}

/* Run eacctd for @ms with @conf_extra, a busy process in @cgroup. */
static int run_eacctd(const char *eacctd, const char *cgroup, const char *conf_extra, int ms)
{
	char conf[2048];
	pid_t daemon, busy;
	FILE *f;
	int status;

	snprintf(conf, sizeof(conf),
		 "interval = 250\ndevice = %s/batches\nstate_file = %s/state\n"
		 "status_file = %s/status.json\nenforce_file = %s/enforced.json\n"
		 "bpf_pin_dir = /sys/fs/bpf/eacct-intensity-test\npowercap_root = /nonexistent\n"
		 "perf_pmu_root = /nonexistent\nmsr_root = /nonexistent\nhwmon_root = /nonexistent\n"
		 "drm_root = /nonexistent\nnvml_library = none\nsysfs = %s\n%s",
		 dir, dir, dir, dir, dir, conf_extra);
	f = fopen(path_in("eacctd.conf"), "w");
	fputs(conf, f);
	fclose(f);
	fclose(fopen(path_in("batches"), "w"));
	/* The module's seq, as eacctd reads it before its first batch. */
	f = fopen(path_in("seq"), "w");
	fputs("0\n", f);
	fclose(f);
	unlink(path_in("state"));
	daemon = fork();
	if (!daemon) {
		freopen(path_in("eacctd.log"), "w", stderr);
		execl(eacctd, eacctd, "-c", path_in("eacctd.conf"), NULL);
		_exit(127);
	}
	busy = fork_into_cgroup(cgroup);
	if (!busy) {
		for (;;)
			;
	}
	usleep(ms * 1000);
	kill(busy, SIGKILL);
	waitpid(busy, NULL, 0);
	kill(daemon, SIGTERM);
	waitpid(daemon, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Every batch's carbon is its energy at @g g/kWh, to 1 ug (the carry). */
static bool charged_at(const struct batch_sum *b, int n, double g, int *matched)
{
	double carry_bound = 1.0001;
	int i;

	*matched = 0;
	for (i = 0; i < n; i++) {
		double want = b[i].energy * g / 3.6e6;

		if (b[i].energy && (double)b[i].carbon > want - carry_bound &&
		    (double)b[i].carbon < want + carry_bound)
			(*matched)++;
	}
	return *matched > 0;
}

static bool exact_total(const struct batch_sum *b, int n, double g)
{
	uint64_t e = 0, c = 0;
	int i;

	for (i = 0; i < n; i++) {
		e += b[i].energy;
		c += b[i].carbon;
	}
	/* Over the run the carry keeps the sum within 1 ug of the exact figure. */
	return e && (double)c <= e * g / 3.6e6 + 1e-6 && (double)c > e * g / 3.6e6 - 1.0001;
}

int main(int argc, char **argv)
{
	char root[4096], cg[4300], conf[1024], now_iso[32], req[2048];
	struct batch_sum b[256];
	time_t now = time(NULL);
	const struct eacct_region *fra = eacct_region_find("FRA");
	int n, m, m2, rc, requests;
	FILE *f;

	tap_prefix = "eacctd intensity";
	if (argc < 2 || eacct_cgroup2_mount("/proc/self/mounts", root, sizeof(root)) ||
	    start_server(&srv, "127.0.0.1") || start_server(&srv2, "127.0.0.2")) {
		fprintf(stderr, "usage: eacctd-intensity-test EACCTD (cgroup2 and loopback needed)\n");
		return 1;
	}
	snprintf(dir, sizeof(dir), "/tmp/eacct-intensity-test-%d", getpid());
	mkdir(dir, 0755);
	snprintf(cg, sizeof(cg), "%s/eacct-intensity-test-%d", root, getpid());
	mkdir(cg, 0755);
	strftime(now_iso, sizeof(now_iso), "%Y-%m-%dT%H:%MZ", gmtime(&(time_t){ now - 600 }));

	/* 1. UK Carbon Intensity API: the current half hour's forecast. */
	answer(200, "{\"data\":[{\"from\":\"%s\",\"to\":\"2099-01-01T00:00Z\","
		    "\"intensity\":{\"forecast\":250,\"actual\":null,\"index\":\"moderate\"}}]}",
	       now_iso);
	snprintf(conf, sizeof(conf), "intensity_source = uk-api\n"
		 "intensity_url = http://127.0.0.1:%d/intensity\nintensity_refresh = 10\n", srv.port);
	rc = run_eacctd(argv[1], cg, conf, 2000);
	n = read_batches(b, 256);
	tap(rc == 0 && n > 3, "uk-api: eacctd ran (status %d), %d batches", rc, n);
	tap(log_has("carbon intensity 250.0 g/kWh from uk-api http://127.0.0.1"),
	    "uk-api: the fetched intensity is logged with its source");
	charged_at(b, n, 250, &m);
	tap(m >= n - 1, "uk-api: %d of %d batches charged at 250 g/kWh, to 1 ug", m, n);
	tap(exact_total(b, n, 250), "uk-api: total carbon exact to 1 ug over the run");
	pthread_mutex_lock(&srv.lock);
	snprintf(req, sizeof(req), "%s", srv.last_request);
	pthread_mutex_unlock(&srv.lock);
	tap(!strncmp(req, "GET /intensity HTTP/1.1", 23), "uk-api: GET /intensity");

	/* 2. Electricity Maps: zone in the query, token in the auth-token header. */
	answer(200, "{\"zone\":\"DE\",\"carbonIntensity\":302,\"datetime\":\"%s\","
		    "\"updatedAt\":\"%s\",\"emissionFactorType\":\"lifecycle\",\"isEstimated\":true}",
	       now_iso, now_iso);
	f = fopen(path_in("token"), "w");
	fputs("s3cr3t-token\n", f);
	fclose(f);
	snprintf(conf, sizeof(conf), "intensity_source = electricitymaps\nintensity_zone = DE\n"
		 "intensity_token_file = %s/token\n"
		 "intensity_url = http://127.0.0.1:%d/v3/carbon-intensity/latest\n", dir, srv.port);
	rc = run_eacctd(argv[1], cg, conf, 1500);
	n = read_batches(b, 256);
	pthread_mutex_lock(&srv.lock);
	snprintf(req, sizeof(req), "%s", srv.last_request);
	pthread_mutex_unlock(&srv.lock);
	tap(strstr(req, "GET /v3/carbon-intensity/latest?zone=DE HTTP/1.1") &&
	    strstr(req, "auth-token: s3cr3t-token\r\n"),
	    "electricitymaps: zone in the query, the token file's token in auth-token");
	charged_at(b, n, 302, &m);
	tap(rc == 0 && m >= n - 1 && exact_total(b, n, 302),
	    "electricitymaps: %d of %d batches charged at 302 g/kWh, total exact", m, n);

	/*
	 * 2b. Electricity Maps answering with a redirect to another host and
	 * port: the auth-token is for intensity_url's origin alone. libcurl
	 * drops Authorization and cookies on such a redirect, but not a
	 * custom header, so eacctd follows no redirect when it sends one.
	 */
	answer2(200, "{\"zone\":\"DE\",\"carbonIntensity\":303,\"datetime\":\"%s\","
		     "\"updatedAt\":\"%s\",\"emissionFactorType\":\"lifecycle\",\"isEstimated\":true}",
		now_iso, now_iso);
	answer(302, "moved");
	pthread_mutex_lock(&srv.lock);
	snprintf(srv.location, sizeof(srv.location),
		 "http://127.0.0.2:%d/v3/carbon-intensity/latest?zone=DE", srv2.port);
	pthread_mutex_unlock(&srv.lock);
	rc = run_eacctd(argv[1], cg, conf, 1500);
	pthread_mutex_lock(&srv.lock);
	requests = srv.requests;
	pthread_mutex_unlock(&srv.lock);
	pthread_mutex_lock(&srv2.lock);
	tap(requests >= 1 && !srv2.auth_seen,
	    "electricitymaps redirected to another host:port: the auth-token not sent there "
	    "(%d request(s) there)", srv2.requests);
	pthread_mutex_unlock(&srv2.lock);
	tap(rc == 0 && log_count("redirect to http://127.0.0.2") == 1 && log_has("(FALLBACK)"),
	    "electricitymaps redirected: refused, logged once, fallback");

	/* 3. The API fails: the fallback, said so, and accounting goes on. */
	answer(500, "{\"status\":\"error\",\"message\":\"upstream down\"}");
	snprintf(conf, sizeof(conf), "intensity_source = uk-api\nintensity_region = FRA\n"
		 "intensity_url = http://127.0.0.1:%d/intensity\n", srv.port);
	rc = run_eacctd(argv[1], cg, conf, 1500);
	n = read_batches(b, 256);
	pthread_mutex_lock(&srv.lock);
	requests = srv.requests;
	pthread_mutex_unlock(&srv.lock);
	tap(requests >= 1 && log_has("(FALLBACK): HTTP 500"),
	    "failing API: logged with the HTTP status, FALLBACK said");
	charged_at(b, n, fra->g_per_kwh, &m);
	tap(rc == 0 && n > 2 && m >= n - 1,
	    "failing API: %d of %d batches charged at FRA's %.3f g/kWh", m, n, fra->g_per_kwh);
	answer(200, "<html>not json</html>");
	rc = run_eacctd(argv[1], cg, conf, 1000);
	tap(rc == 0 && log_has("(FALLBACK): not JSON"), "an answer that is not JSON: fallback, said so");

	/* 4. A time series whose value changes 1.5 s into the run. */
	f = fopen(path_in("series.csv"), "w");
	fprintf(f, "timestamp,g_per_kwh\n# a gap-free series\n%lld,400\n%lld,100\n",
		(long long)time(NULL) + 2, (long long)time(NULL) - 60);
	fclose(f);
	snprintf(conf, sizeof(conf), "intensity_file = %s/series.csv\n", dir);
	rc = run_eacctd(argv[1], cg, conf, 4000);
	n = read_batches(b, 256);
	charged_at(b, n, 100, &m);
	charged_at(b, n, 400, &m2);
	tap(rc == 0 && m >= 2 && m2 >= 2 && m + m2 >= n - 1,
	    "time series: %d batches at 100 g/kWh, then %d at 400 (of %d)", m, m2, n);
	tap(n > 3 && b[1].energy && b[n - 2].energy &&
	    (double)b[n - 2].carbon / b[n - 2].energy > 3.5 * b[1].carbon / b[1].energy,
	    "time series: a late batch carries 4 times the carbon per joule of an early one");
	tap(log_has("carbon intensity 400.0 g/kWh from file"), "time series: the change is logged");

	/* 5. A corrupt file: the error names the line; fallback. */
	f = fopen(path_in("series.csv"), "w");
	fputs("timestamp,g_per_kwh\nnoon,12\n", f);
	fclose(f);
	snprintf(conf, sizeof(conf), "intensity_file = %s/series.csv\nintensity = 55\n", dir);
	rc = run_eacctd(argv[1], cg, conf, 1000);
	n = read_batches(b, 256);
	charged_at(b, n, 55, &m);
	tap(rc == 0 && log_has("line 2: bad timestamp 'noon'") && log_has("(FALLBACK)") &&
	    m >= n - 1, "corrupt series: the line named, charged at the fallback constant");

	snprintf(conf, sizeof(conf), "%s -c %s --reset-bpf >/dev/null 2>&1", argv[1],
		 path_in("eacctd.conf"));
	if (system(conf))
		fprintf(stderr, "eacctd --reset-bpf failed\n");
	rmdir(cg);
	snprintf(conf, sizeof(conf), "rm -rf %s", dir);
	if (system(conf))
		fprintf(stderr, "cannot remove %s\n", dir);
	return tap_done("eacctd-intensity");
}
