/* SPDX-License-Identifier: GPL-2.0 */
/* eacct, the admin command: what its subcommands share. */
#ifndef EACCT_CLI_H
#define EACCT_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

#include "lib/config.h"

struct eacct_ctx {
	struct eacct_config cfg;	/* eacctd's: meter roots, intensity */
	const char *sysfs;		/* the module's tree (EACCT_SYSFS) */
	char cgroup_mount[4096];	/* cgroup2, for paths given in full */
	bool json;
};

/* "eacct: <message>" on stderr; returns 1, the exit status for it. */
int eacct_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The module's tree is there, or a one-line error (returns false). */
bool eacct_module_present(const struct eacct_ctx *ctx);
/* Print @obj as JSON on stdout and release it. */
void eacct_json_print(struct json_object *obj);
struct json_object *eacct_json_u64(uint64_t v);

struct eacct_cg_stat;
struct eacct_labels;
/* JSON objects shared by show, top and budget. */
struct json_object *eacct_cg_json(const struct eacct_cg_stat *c);
struct json_object *eacct_labels_json(const struct eacct_labels *l);

/*
 * eacctd's status file, parsed (NULL if there is none); *running says
 * whether the daemon that wrote it is alive and writing it still.
 */
struct json_object *eacct_daemon_status(const struct eacct_ctx *ctx, bool *running);
/* A string member, or @dflt. */
const char *eacct_json_str(struct json_object *o, const char *key, const char *dflt);

int cmd_meters(struct eacct_ctx *ctx, int argc, char **argv);
int cmd_carbon(struct eacct_ctx *ctx, int argc, char **argv);
int cmd_show(struct eacct_ctx *ctx, int argc, char **argv);
int cmd_top(struct eacct_ctx *ctx, int argc, char **argv);
int cmd_budget(struct eacct_ctx *ctx, int argc, char **argv);
int cmd_status(struct eacct_ctx *ctx, int argc, char **argv);

/*
 * A subcommand's getopt found something it does not take (@arg, the
 * argument it stopped at), or its arguments are the wrong number: one
 * line saying so (a negative number is said to be one), exit status 2.
 */
int eacct_usage_error(const char *cmd, const char *arg);
/* The argument getopt stopped at, after it returned '?'. */
const char *eacct_bad_arg(int argc, char **argv);

/* Every subcommand takes these too (after its own in its table). */
#define EACCT_COMMON_OPTS \
	{ "json", no_argument, NULL, 'j' }, { "help", no_argument, NULL, 'h' }

#endif /* EACCT_CLI_H */
