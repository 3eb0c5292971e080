// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <dirent.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdinfo.h"

static bool numeric(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* Parse one fdinfo file; false if it is not a DRM client's. */
static bool parse_fdinfo(const char *path, struct eacct_drm_client *c)
{
	char line[256], name[64];
	bool has_id = false;
	uint64_t v;
	FILE *f = fopen(path, "r");

	if (!f)
		return false;
	memset(c, 0, sizeof(*c));
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "drm-client-id: %" SCNu64, &c->client_id) == 1)
			has_id = true;
		else if (sscanf(line, "drm-pdev: %31s", c->pdev) == 1)
			;
		else if (sscanf(line, "drm-driver: %31s", c->driver) == 1)
			;
		else if (sscanf(line, "drm-engine-%63[^:]: %" SCNu64 " ns", name, &v) == 2 &&
			 strncmp(name, "capacity", 8))
			c->engine_ns += v;
	}
	fclose(f);
	return has_id;
}

static bool seen(const struct eacct_drm_client *out, int n,
		 const struct eacct_drm_client *c)
{
	int i;

	for (i = 0; i < n; i++)
		if (out[i].client_id == c->client_id && !strcmp(out[i].pdev, c->pdev) &&
		    !strcmp(out[i].driver, c->driver))
			return true;
	return false;
}

/* The DRM files among one process's fds. */
static int scan_process(const char *proc, const char *pid,
			struct eacct_drm_client *out, int n, int max)
{
	char dir[300], path[600], target[64];
	struct eacct_drm_client c;
	struct dirent *e;
	ssize_t len;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/%s/fd", proc, pid);
	d = opendir(dir);
	if (!d)
		return n;
	while (n < max && (e = readdir(d))) {
		if (!numeric(e->d_name))
			continue;
		/* Only files under /dev/dri: their fdinfo is worth reading. */
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		len = readlink(path, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = '\0';
		if (strncmp(target, "/dev/dri/", 9))
			continue;
		snprintf(path, sizeof(path), "%s/%s/fdinfo/%s", proc, pid, e->d_name);
		if (!parse_fdinfo(path, &c) || seen(out, n, &c))
			continue;
		c.pid = (uint32_t)strtoul(pid, NULL, 10);
		out[n++] = c;
	}
	closedir(d);
	return n;
}

int eacct_drm_clients(const char *proc, struct eacct_drm_client *out, int max)
{
	struct dirent *e;
	int n = 0;
	DIR *d = opendir(proc);

	if (!d)
		return 0;
	while (n < max && (e = readdir(d)))
		if (numeric(e->d_name))
			n = scan_process(proc, e->d_name, out, n, max);
	closedir(d);
	return n;
}
