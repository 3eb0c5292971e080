// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "lib/metrics.h"
#include "lib/sysfile.h"
#include "lib/tree.h"
#include "metrics_server.h"

static int send_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static void reply(int fd, const char *status, const char *type, const char *body, size_t len)
{
	char head[256];

	snprintf(head, sizeof(head), "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		 "Connection: close\r\n\r\n", status, type, len);
	if (!send_all(fd, head, strlen(head)))
		send_all(fd, body, len);
}

/*
 * The energy files of every cgroup, the budget files of those with a
 * budget only (found through budgets/): most of a scrape's cost is one
 * open, read and close per file.
 */
static int read_tree(const char *sysfs, struct eacct_tree *t,
		     const struct eacct_domain_stat *dom, int nd)
{
	struct eacct_tree b;
	size_t i, k;
	int err;

	err = eacct_tree_read_some(sysfs, t, eacct_read_classes(dom, nd));
	if (err || eacct_tree_read_budgets(sysfs, &b))
		return err;
	for (i = 0; i < b.n; i++) {
		for (k = 0; k < t->n; k++) {
			struct eacct_cg_stat *c = &t->cgs[k];

			if (strcmp(c->path, b.cgs[i].path))
				continue;
			c->budget_ug = b.cgs[i].budget_ug;
			c->energy_budget_uj = b.cgs[i].energy_budget_uj;
			c->exceeded = b.cgs[i].exceeded;
			memcpy(c->action, b.cgs[i].action, sizeof(c->action));
			break;
		}
	}
	eacct_tree_free(&b);
	return 0;
}

/* Read the module now, render with what eacctd last gave. */
static void scrape(struct metrics_server *m, int fd)
{
	const char *est[METRICS_MAX_ESTIMATED + 1];
	char estimated[METRICS_MAX_ESTIMATED][32];
	struct eacct_domain_stat dom[64];
	struct eacct_metrics_info info = { 0 };
	char version[32] = "unknown", path[300], source[32], *text = NULL;
	struct eacct_tree t;
	size_t len = 0;
	uint64_t seq = 0;
	int nd, i, err;
	FILE *f;

	nd = eacct_domains_read(m->sysfs, dom, 64);
	err = read_tree(m->sysfs, &t, dom, nd > 0 ? nd : 0);
	if (err) {
		snprintf(path, sizeof(path), "eacct.ko's tree %s: %s\n", m->sysfs, strerror(-err));
		reply(fd, "503 Service Unavailable", "text/plain", path, strlen(path));
		return;
	}
	snprintf(path, sizeof(path), "%s/version", m->sysfs);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%31s", version) != 1)
			snprintf(version, sizeof(version), "unknown");
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/seq", m->sysfs);
	eacct_file_u64(AT_FDCWD, path, &seq);
	pthread_mutex_lock(&m->lock);
	info.intensity_g_per_kwh = m->intensity;
	info.intensity_fallback = m->fallback;
	info.pue = m->pue;
	snprintf(source, sizeof(source), "%s", m->source);
	/* Copies: metrics_server_update() may rewrite them while this renders. */
	for (i = 0; i < m->nr_estimated; i++) {
		memcpy(estimated[i], m->estimated[i], sizeof(estimated[i]));
		est[i] = estimated[i];
	}
	est[i] = NULL;
	pthread_mutex_unlock(&m->lock);
	info.intensity_source = source;
	info.version = version;
	info.batches = seq;
	info.estimated = est;
	err = eacct_metrics_render(&t, dom, nd > 0 ? nd : 0, &info, &text, &len);
	eacct_tree_free(&t);
	if (err) {
		reply(fd, "500 Internal Server Error", "text/plain", "out of memory\n", 14);
		return;
	}
	reply(fd, "200 OK", "text/plain; version=0.0.4; charset=utf-8", text, len);
	free(text);
}

static void *serve(void *arg)
{
	struct metrics_server *m = arg;
	struct timeval tv = { .tv_sec = 2 };
	char req[4096];
	ssize_t n;
	size_t got;
	int c;

	while ((c = accept(m->fd, NULL, NULL)) >= 0 || errno == EINTR || errno == ECONNABORTED) {
		if (c < 0)
			continue;
		setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		got = 0;
		while (got < sizeof(req) - 1 && (n = recv(c, req + got, sizeof(req) - 1 - got, 0)) > 0) {
			got += (size_t)n;
			req[got] = '\0';
			if (strstr(req, "\r\n\r\n"))
				break;
		}
		req[got] = '\0';
		if (!strncmp(req, "GET /metrics ", 13) || !strncmp(req, "GET /metrics?", 13))
			scrape(m, c);
		else if (!strncmp(req, "GET / ", 6))
			reply(c, "200 OK", "text/plain", "eacctd: see /metrics\n", 21);
		else
			reply(c, "404 Not Found", "text/plain", "not found: try /metrics\n", 24);
		close(c);
	}
	return NULL;
}

int metrics_server_start(struct metrics_server *m, const char *addr, const char *sysfs,
			 char *err, size_t len)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	char host[64] = "127.0.0.1", port[16], *colon;
	struct addrinfo *ai;
	int one = 1, rc;

	memset(m, 0, sizeof(*m));
	m->fd = -1;
	pthread_mutex_init(&m->lock, NULL);
	snprintf(m->sysfs, sizeof(m->sysfs), "%s", sysfs);
	colon = strrchr(addr, ':');
	if (colon) {
		snprintf(host, sizeof(host), "%.*s", (int)(colon - addr), addr);
		snprintf(port, sizeof(port), "%s", colon + 1);
		if (host[0] == '[' && host[strlen(host) - 1] == ']') {
			memmove(host, host + 1, strlen(host));
			host[strlen(host) - 1] = '\0';
		}
	} else {
		snprintf(port, sizeof(port), "%s", addr);
	}
	rc = getaddrinfo(host, port, &hints, &ai);
	if (rc) {
		snprintf(err, len, "metrics_listen = %s: %s", addr, gai_strerror(rc));
		return -EINVAL;
	}
	m->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (m->fd < 0 || setsockopt(m->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(m->fd, ai->ai_addr, ai->ai_addrlen) || listen(m->fd, 16)) {
		rc = -errno;
		snprintf(err, len, "metrics_listen = %s: %s", addr, strerror(errno));
		freeaddrinfo(ai);
		if (m->fd >= 0)
			close(m->fd);
		m->fd = -1;
		return rc;
	}
	freeaddrinfo(ai);
	snprintf(m->bound, sizeof(m->bound), "%s%s%s:%s", strchr(host, ':') ? "[" : "", host,
		 strchr(host, ':') ? "]" : "", port);
	rc = pthread_create(&m->thread, NULL, serve, m);
	if (rc) {
		snprintf(err, len, "metrics: cannot start its thread: %s", strerror(rc));
		close(m->fd);
		m->fd = -1;
		return -rc;
	}
	m->running = true;
	return 0;
}

void metrics_server_update(struct metrics_server *m, double intensity, const char *source,
			   bool fallback, double pue, const char *const *estimated, int n)
{
	int i;

	if (!m->running)
		return;
	pthread_mutex_lock(&m->lock);
	m->intensity = intensity;
	snprintf(m->source, sizeof(m->source), "%s", source);
	m->fallback = fallback;
	m->pue = pue;
	for (i = 0; i < n && i < METRICS_MAX_ESTIMATED; i++)
		snprintf(m->estimated[i], sizeof(m->estimated[i]), "%s", estimated[i]);
	m->nr_estimated = i;
	pthread_mutex_unlock(&m->lock);
}

void metrics_server_stop(struct metrics_server *m)
{
	if (!m->running)
		return;
	shutdown(m->fd, SHUT_RDWR);	/* accept() returns: the thread ends */
	pthread_join(m->thread, NULL);
	close(m->fd);
	m->running = false;
}
