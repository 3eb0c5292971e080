// SPDX-License-Identifier: GPL-2.0
/* What eacctd says of itself: its status file (status_file in eacctd.conf). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>

#include "cli.h"

struct json_object *eacct_daemon_status(const struct eacct_ctx *ctx, bool *running)
{
	struct json_object *st = json_object_from_file(ctx->cfg.status_file), *v;
	int64_t pid = 0, updated = 0, interval_ms = 1000;

	*running = false;
	if (!st)
		return NULL;
	if (json_object_object_get_ex(st, "pid", &v))
		pid = json_object_get_int64(v);
	if (json_object_object_get_ex(st, "updated", &v))
		updated = json_object_get_int64(v);
	if (json_object_object_get_ex(st, "interval_ms", &v))
		interval_ms = json_object_get_int64(v);
	/* Alive, and written within a few intervals. */
	*running = pid > 0 && (!kill((pid_t)pid, 0) || errno == EPERM) &&
		   time(NULL) - updated <= 3 * interval_ms / 1000 + 10;
	return st;
}

const char *eacct_json_str(struct json_object *o, const char *key, const char *dflt)
{
	struct json_object *v;

	return o && json_object_object_get_ex(o, key, &v) &&
	       json_object_is_type(v, json_type_string) ? json_object_get_string(v) : dflt;
}
