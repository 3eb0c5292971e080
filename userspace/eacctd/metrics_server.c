// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lib/metrics.h"
#include "lib/sysfile.h"
#include "lib/tree.h"
#include "metrics_server.h"

#ifdef EACCT_NO_HTTP
/*
 * The static test builds of the VM suite: a static libmicrohttpd needs
 * gnutls and the rest of its chain, which the VM has no use for.
 */
int metrics_server_start(struct metrics_server *m, const char *addr, const char *sysfs,
			 char *err, size_t len)
{
	(void)sysfs;
	memset(m, 0, sizeof(*m));
	m->fd = -1;
	snprintf(err, len, "metrics_listen = %s: this eacctd was built without its HTTP server",
		 addr);
	return -EOPNOTSUPP;
}

void metrics_server_stop(struct metrics_server *m)
{
	m->running = false;
}
#else
#include <microhttpd.h>

/*
 * What a request gets: from the connection's accept to the last byte of
 * its answer, the same as Prometheus's default scrape_timeout. This is a
 * deadline, not libmicrohttpd's own timeout, which counts from the last
 * byte moved: a client sending a byte now and then would never meet it.
 */
#define METRICS_DEADLINE_S	10
/*
 * Connections at once, in all and from one address. Prometheus and a
 * liveness probe need one each; the bound keeps eacctd's descriptors
 * for its own work (systemd's soft RLIMIT_NOFILE is 1024), and the one
 * per address keeps a single remote host from taking every slot.
 */
#define METRICS_MAX_CONNS	256
#define METRICS_PER_IP_LIMIT	64
/*
 * Threads answering: a scrape reads the tree while its thread serves
 * no one else; the others go on.
 */
#define METRICS_THREADS		4

/* A connection open, for the reaper: on m->conns from accept to close. */
struct metrics_conn {
	struct metrics_conn *next, *prev;
	int fd;
	uint64_t deadline_ms;		/* CLOCK_MONOTONIC */
	bool cut;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
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

/*
 * Queue @body (@len bytes, freed with free() once sent if @must_free) as
 * the answer. Connection: close, as before: a scraper comes back in
 * seconds, and a kept-alive connection would hold a slot meanwhile.
 */
static enum MHD_Result reply(struct MHD_Connection *c, unsigned int status, const char *type,
			     const char *body, size_t len, bool must_free)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, (void *)body,
					    must_free ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (!r) {
		if (must_free)
			free((void *)body);
		return MHD_NO;
	}
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type) == MHD_NO ||
	    MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close") == MHD_NO ||
	    (status == MHD_HTTP_METHOD_NOT_ALLOWED &&
	     MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD") == MHD_NO)) {
		MHD_destroy_response(r);
		return MHD_NO;
	}
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

#define reply_text(c, status, text) reply(c, status, "text/plain", text, sizeof(text) - 1, false)

/* Read the module now, render with what eacctd last gave. */
static enum MHD_Result scrape(struct metrics_server *m, struct MHD_Connection *c)
{
	const char *est[METRICS_MAX_ESTIMATED + 1];
	char estimated[METRICS_MAX_ESTIMATED][32];
	const char *loss_names[METRICS_MAX_LOSSES];
	uint64_t losses[METRICS_MAX_LOSSES];
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
		text = strdup(path);
		if (!text)
			return MHD_NO;
		return reply(c, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain", text, strlen(text), true);
	}
	snprintf(path, sizeof(path), "%s/version", m->sysfs);
	f = fopen(path, "re");
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
	info.nr_losses = m->nr_losses;
	memcpy(loss_names, m->loss_names, sizeof(loss_names));
	memcpy(losses, m->losses, sizeof(losses));
	info.lost_uj = m->lost_uj;
	info.uncounted_uj = m->uncounted_uj;
	info.carried_uj = m->carried_uj;
	pthread_mutex_unlock(&m->lock);
	info.loss_names = loss_names;
	info.losses = losses;
	info.intensity_source = source;
	info.version = version;
	info.batches = seq;
	info.estimated = est;
	err = eacct_metrics_render(&t, dom, nd > 0 ? nd : 0, &info, &text, &len);
	eacct_tree_free(&t);
	if (err)
		return reply_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	return reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", text, len, true);
}

/*
 * Called once the request's headers are in (the query string is not in
 * @url). A GET or HEAD carries no body: the answer goes at the first call.
 * libmicrohttpd leaves the body out of an answer to HEAD itself.
 */
static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_len, void **req)
{
	struct metrics_server *m = cls;

	(void)version;
	(void)upload;
	(void)upload_len;
	(void)req;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD: try /metrics\n");
	if (!strcmp(url, "/metrics"))
		return scrape(m, c);
	if (!strcmp(url, "/"))
		return reply_text(c, MHD_HTTP_OK, "eacctd: see /metrics\n");
	return reply_text(c, MHD_HTTP_NOT_FOUND, "not found: try /metrics\n");
}

/*
 * Each connection on m->conns while libmicrohttpd has it. It calls this
 * with CLOSED before it closes the socket (0.9.75's
 * MHD_cleanup_connections, and the failure path of a new connection):
 * while a connection is on the list under conns_lock, its fd is its own.
 */
static void on_connection(void *cls, struct MHD_Connection *c, void **ctx,
			  enum MHD_ConnectionNotificationCode what)
{
	struct metrics_server *m = cls;
	const union MHD_ConnectionInfo *ci;
	struct metrics_conn *mc = *ctx;

	if (what == MHD_CONNECTION_NOTIFY_STARTED) {
		ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		mc = calloc(1, sizeof(*mc));
		if (!ci || !mc) {
			/* Unwatched, it still has libmicrohttpd's idle timeout. */
			free(mc);
			return;
		}
		mc->fd = ci->connect_fd;
		mc->deadline_ms = now_ms() + METRICS_DEADLINE_S * 1000;
		pthread_mutex_lock(&m->conns_lock);
		mc->next = m->conns;
		if (m->conns)
			m->conns->prev = mc;
		m->conns = mc;
		pthread_mutex_unlock(&m->conns_lock);
		*ctx = mc;
		return;
	}
	if (!mc)
		return;
	pthread_mutex_lock(&m->conns_lock);
	if (mc->prev)
		mc->prev->next = mc->next;
	else
		m->conns = mc->next;
	if (mc->next)
		mc->next->prev = mc->prev;
	pthread_mutex_unlock(&m->conns_lock);
	free(mc);
	*ctx = NULL;
}

/*
 * Cut each connection at its deadline: shutdown() wakes the thread that
 * has it (its recv() or send() fails) and that thread closes it as it
 * would any connection its client dropped. Sleeps to the next deadline,
 * or for a whole METRICS_DEADLINE_S when none is pending: a connection
 * accepted meanwhile has its deadline no sooner than that wake-up, so a
 * new connection need not wake the reaper.
 */
static void *reap(void *arg)
{
	struct metrics_server *m = arg;
	struct metrics_conn *mc;
	uint64_t now, next;
	struct timespec ts;

	pthread_mutex_lock(&m->conns_lock);
	while (!m->stopping) {
		now = now_ms();
		next = UINT64_MAX;
		for (mc = m->conns; mc; mc = mc->next) {
			if (mc->cut)
				continue;
			if (mc->deadline_ms <= now) {
				shutdown(mc->fd, SHUT_RDWR);
				mc->cut = true;
			} else if (mc->deadline_ms < next) {
				next = mc->deadline_ms;
			}
		}
		if (next == UINT64_MAX)
			next = now + METRICS_DEADLINE_S * 1000;
		ts.tv_sec = (time_t)(next / 1000);
		ts.tv_nsec = (long)(next % 1000) * 1000000;
		pthread_cond_timedwait(&m->conns_cond, &m->conns_lock, &ts);
	}
	pthread_mutex_unlock(&m->conns_lock);
	return NULL;
}

/*
 * libmicrohttpd's complaints (accept() failing with EMFILE, a client over
 * the limits, one cut at its deadline): each kind (its format, a literal)
 * at most once in 10 s, so that a client connecting in a loop does not
 * flood eacctd's log, nor hide the other kinds.
 */
static void log_httpd(void *cls, const char *fmt, va_list ap)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static struct {
		const char *fmt;
		uint64_t last;
		unsigned int dropped;
	} kinds[16];
	uint64_t now = now_ms();
	unsigned int dropped;
	char msg[256];
	size_t i, k = 0, n;

	(void)cls;
	pthread_mutex_lock(&lock);
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (kinds[i].fmt == fmt) {
			k = i;
			break;
		}
		if (kinds[i].last < kinds[k].last)
			k = i;	/* else the kind seen longest ago gives way */
	}
	if (kinds[k].fmt == fmt && now - kinds[k].last < 10000) {
		kinds[k].dropped++;
		pthread_mutex_unlock(&lock);
		return;
	}
	dropped = kinds[k].fmt == fmt ? kinds[k].dropped : 0;
	kinds[k].fmt = fmt;
	kinds[k].last = now;
	kinds[k].dropped = 0;
	pthread_mutex_unlock(&lock);

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '.'))
		msg[--n] = '\0';
	if (dropped)
		fprintf(stderr, "eacctd: metrics: %s (and %u more like it since)\n", msg, dropped);
	else
		fprintf(stderr, "eacctd: metrics: %s\n", msg);
}

/* Bind and listen on @addr as given: errors name the address and why. */
static int listen_on(struct metrics_server *m, const char *addr, char *err, size_t len)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	char host[64] = "127.0.0.1", port[16], *colon;
	struct addrinfo *ai;
	int one = 1, rc;

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
	/* Non-blocking: the pool's threads all wait on it, one wins each accept. */
	m->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (m->fd < 0 || setsockopt(m->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(m->fd, ai->ai_addr, ai->ai_addrlen) || listen(m->fd, 128)) {
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
	return 0;
}

int metrics_server_start(struct metrics_server *m, const char *addr, const char *sysfs,
			 char *err, size_t len)
{
	pthread_condattr_t ca;
	int rc;

	memset(m, 0, sizeof(*m));
	m->fd = -1;
	pthread_mutex_init(&m->lock, NULL);
	pthread_mutex_init(&m->conns_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&m->conns_cond, &ca);
	pthread_condattr_destroy(&ca);
	snprintf(m->sysfs, sizeof(m->sysfs), "%s", sysfs);
	rc = listen_on(m, addr, err, len);
	if (rc)
		return rc;
	rc = pthread_create(&m->reaper, NULL, reap, m);
	if (rc) {
		snprintf(err, len, "metrics: cannot start its thread: %s", strerror(rc));
		close(m->fd);
		m->fd = -1;
		return -rc;
	}
	m->httpd = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0,
				    NULL, NULL, answer, m,
				    MHD_OPTION_EXTERNAL_LOGGER, log_httpd, m,
				    MHD_OPTION_LISTEN_SOCKET, m->fd,
				    MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)METRICS_THREADS,
				    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)METRICS_MAX_CONNS,
				    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)METRICS_PER_IP_LIMIT,
				    /* The idle timeout too: the reaper is the deadline, this the belt. */
				    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)METRICS_DEADLINE_S,
				    MHD_OPTION_NOTIFY_CONNECTION, on_connection, m,
				    MHD_OPTION_END);
	if (!m->httpd) {
		/* Why is in the line libmicrohttpd logged through log_httpd(). */
		rc = -EIO;
		snprintf(err, len, "metrics_listen = %s: libmicrohttpd would not start", addr);
		pthread_mutex_lock(&m->conns_lock);
		m->stopping = true;
		pthread_cond_signal(&m->conns_cond);
		pthread_mutex_unlock(&m->conns_lock);
		pthread_join(m->reaper, NULL);
		/* A daemon that did not start leaves the socket it was given open. */
		close(m->fd);
		m->fd = -1;
		return rc;
	}
	m->running = true;
	return 0;
}

void metrics_server_stop(struct metrics_server *m)
{
	if (!m->running)
		return;
	/* Closes every connection (each through on_connection) and m->fd. */
	MHD_stop_daemon(m->httpd);
	m->httpd = NULL;
	m->fd = -1;
	pthread_mutex_lock(&m->conns_lock);
	m->stopping = true;
	pthread_cond_signal(&m->conns_cond);
	pthread_mutex_unlock(&m->conns_lock);
	pthread_join(m->reaper, NULL);
	m->running = false;
}
#endif /* EACCT_NO_HTTP */

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

void metrics_server_update_losses(struct metrics_server *m, const char *const *names,
				  const uint64_t *values, int n, uint64_t lost_uj,
				  uint64_t uncounted_uj, uint64_t carried_uj)
{
	int i;

	if (!m->running)
		return;
	pthread_mutex_lock(&m->lock);
	for (i = 0; i < n && i < METRICS_MAX_LOSSES; i++) {
		m->loss_names[i] = names[i];
		m->losses[i] = values[i];
	}
	m->nr_losses = i;
	m->lost_uj = lost_uj;
	m->uncounted_uj = uncounted_uj;
	m->carried_uj = carried_uj;
	pthread_mutex_unlock(&m->lock);
}
