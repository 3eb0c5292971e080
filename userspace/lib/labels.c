// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "labels.h"

static bool hex_id(const char *s, size_t n)
{
	size_t i;

	if (n < 12 || n > 64)
		return false;
	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && !strncmp(s + n - k, suffix, k);
}

static void copy(char *dst, size_t len, const char *s, size_t n)
{
	if (n >= len)
		n = len - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* "<prefix><hex id>.scope" as runtimes name their scopes. */
static bool scope_id(const char *c, size_t n, const char *prefix, struct eacct_labels *l)
{
	size_t p = strlen(prefix);

	if (n <= p + 6 || strncmp(c, prefix, p) || !ends_with(c, n, ".scope") ||
	    !hex_id(c + p, n - p - 6))
		return false;
	copy(l->container_id, sizeof(l->container_id), c + p, n - p - 6);
	return true;
}

/* A pod's uid from "pod<uid>" or "kubepods-<qos>-pod<uid>.slice". */
static bool pod_uid(const char *c, size_t n, struct eacct_labels *l)
{
	const char *p = NULL;
	size_t i, k;

	for (i = 0; i + 3 <= n; i++)
		if (!strncmp(c + i, "pod", 3) && (i == 0 || c[i - 1] == '-'))
			p = c + i + 3;
	if (!p)
		return false;
	k = (size_t)(c + n - p);
	if (ends_with(p, k, ".slice"))
		k -= 6;
	if (k != 36)
		return false;
	for (i = 0; i < k; i++) {
		char ch = p[i] == '_' ? '-' : p[i];

		if (!isxdigit((unsigned char)ch) && ch != '-')
			return false;
		l->pod_uid[i] = (char)tolower((unsigned char)ch);
	}
	l->pod_uid[k] = '\0';
	return true;
}

static void qos_of(const char *c, size_t n, struct eacct_labels *l)
{
	static const char *const classes[] = { "burstable", "besteffort" };
	size_t i;

	for (i = 0; i < 2; i++) {
		size_t k = strlen(classes[i]);

		if ((n == k && !strncmp(c, classes[i], k)) ||
		    (n > k + 9 && !strncmp(c, "kubepods-", 9) && !strncmp(c + 9, classes[i], k)))
			snprintf(l->qos, sizeof(l->qos), "%s", classes[i]);
	}
}

void eacct_cgroup_labels(const char *path, struct eacct_labels *l)
{
	const char *c = path, *next;
	bool kube = false;
	size_t n;

	memset(l, 0, sizeof(*l));
	for (; *c; c = next) {
		while (*c == '/')
			c++;
		next = strchr(c, '/');
		if (!next)
			next = c + strlen(c);
		n = (size_t)(next - c);
		if (!n)
			continue;
		if ((n == 8 && !strncmp(c, "kubepods", 8)) ||
		    (n == 14 && !strncmp(c, "kubepods.slice", 14))) {
			kube = true;
			snprintf(l->qos, sizeof(l->qos), "guaranteed");
		} else if (kube) {
			qos_of(c, n, l);
			if (!l->pod_uid[0])
				pod_uid(c, n, l);
		}
		if (!strncmp(c, "user@", 5) && ends_with(c, n, ".service")) {
			l->rootless = true;
			copy(l->user, sizeof(l->user), c + 5, n - 5 - 8);
		} else if (!strncmp(c, "user-", 5) && ends_with(c, n, ".slice") && !l->user[0]) {
			copy(l->user, sizeof(l->user), c + 5, n - 5 - 6);
		}
		if (ends_with(c, n, ".service") || ends_with(c, n, ".scope") ||
		    ends_with(c, n, ".slice"))
			copy(l->unit, sizeof(l->unit), c, n);
		if (scope_id(c, n, "cri-containerd-", l)) {
			snprintf(l->runtime, sizeof(l->runtime), "containerd");
		} else if (scope_id(c, n, "crio-conmon-", l)) {
			snprintf(l->runtime, sizeof(l->runtime), "cri-o");
			l->conmon = true;
		} else if (scope_id(c, n, "crio-", l)) {
			snprintf(l->runtime, sizeof(l->runtime), "cri-o");
		} else if (scope_id(c, n, "docker-", l)) {
			snprintf(l->runtime, sizeof(l->runtime), "docker");
		} else if (scope_id(c, n, "libpod-conmon-", l)) {
			snprintf(l->runtime, sizeof(l->runtime), "podman");
			l->conmon = true;
		} else if (scope_id(c, n, "libpod-", l)) {
			snprintf(l->runtime, sizeof(l->runtime), "podman");
		} else if (hex_id(c, n) && n == 64 && (kube || !strncmp(path, "/docker/", 8))) {
			/* cgroupfs drivers: the bare id under the pod or /docker. */
			copy(l->container_id, sizeof(l->container_id), c, n);
			if (!kube)
				snprintf(l->runtime, sizeof(l->runtime), "docker");
		}
	}
	if (kube && l->pod_uid[0])
		snprintf(l->kind, sizeof(l->kind), "kubernetes");
	else if (!strcmp(l->runtime, "docker") || !strcmp(l->runtime, "podman"))
		snprintf(l->kind, sizeof(l->kind), "%s", l->runtime);
	else if (l->unit[0])
		snprintf(l->kind, sizeof(l->kind), "systemd");
	if (!l->pod_uid[0])
		l->qos[0] = '\0';
}

void eacct_labels_short(const struct eacct_labels *l, const char *path, char *buf,
			size_t len)
{
	const char *last = strrchr(path, '/');

	if (!strcmp(l->kind, "kubernetes") && l->container_id[0])
		snprintf(buf, len, "pod %.8s/%s %.12s", l->pod_uid,
			 l->conmon ? "conmon" : "ctr", l->container_id);
	else if (!strcmp(l->kind, "kubernetes"))
		snprintf(buf, len, "pod %.8s (%s)", l->pod_uid, l->qos);
	else if (l->container_id[0])
		snprintf(buf, len, "%s%s %.12s", l->runtime, l->conmon ? "-conmon" : "",
			 l->container_id);
	else if (l->unit[0])
		snprintf(buf, len, "%s", l->unit);
	else
		snprintf(buf, len, "%s", last && last[1] ? last + 1 : path);
}
