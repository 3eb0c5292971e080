// SPDX-License-Identifier: GPL-2.0
/*
 * eacct: the admin command, in the style of bpftool and ip: a subcommand,
 * its arguments, --json for machines. It reads what eacct.ko keeps under
 * /sys/kernel/eacct and what eacctd reports; it writes only budgets.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "lib/cgroupfs.h"
#include "lib/region.h"
#include "lib/tree.h"

static const char usage[] =
"Usage: eacct [-c CONFIG] [--sysfs DIR] [--json] COMMAND [ARGS]\n"
"Per-cgroup energy and carbon, as eacct.ko and eacctd count them.\n"
"\n"
"  status                  module, daemon, meters and intensity source\n"
"  meters                  the energy meters found and what each domain uses\n"
"  top                     live view: cgroups and processes by power\n"
"  show CGROUP             one cgroup's energy, carbon, budget and labels\n"
"  carbon ENERGY           convert energy to CO2e (--intensity, --region, --pue)\n"
"  carbon --cgroup CGROUP  the same for a cgroup's accounted energy\n"
"  budget set CGROUP AMOUNT [--action notify|throttle=PCT|freeze]\n"
"  budget show [CGROUP] | budget clear CGROUP\n"
"\n"
"CGROUP is a path in the cgroup v2 tree (/system.slice/nginx.service), the\n"
"same under the cgroup2 mount, or a cgroup id. 'eacct COMMAND --help' says more.\n"
"\n"
"  -c, --config=FILE  eacctd's configuration, for meter roots and the\n"
"                     intensity (default " EACCT_CONFIG_PATH ", if present)\n"
"      --sysfs=DIR    the module's tree (default " EACCT_SYSFS ")\n"
"  -j, --json         JSON output, for every command\n"
"\n"
"Country intensities: " EACCT_REGION_SOURCE ".\n";

int eacct_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("eacct: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

int eacct_usage_error(const char *cmd, const char *arg)
{
	if (arg && arg[0] == '-' && arg[1] >= '0' && arg[1] <= '9')
		eacct_fail("'%s': cannot be negative", arg);
	else if (arg && arg[0] == '-')
		eacct_fail("%s: unknown option '%s' (see eacct %s --help)", cmd, arg, cmd);
	else
		eacct_fail("%s: wrong arguments%s%s (see eacct %s --help)", cmd, arg ? " at " : "",
			   arg ? arg : "", cmd);
	return 2;
}

const char *eacct_bad_arg(int argc, char **argv)
{
	/* A short option's letter is still in argv[optind] (a cluster like -5kWh). */
	if (optopt && optind < argc && argv[optind][0] == '-' && strchr(argv[optind], optopt))
		return argv[optind];
	return optind > 0 ? argv[optind - 1] : NULL;
}

bool eacct_module_present(const struct eacct_ctx *ctx)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/version", ctx->sysfs);
	if (!access(path, F_OK))
		return true;
	eacct_fail("%s: eacct.ko is not loaded (modprobe eacct)", ctx->sysfs);
	return false;
}

void eacct_json_print(struct json_object *obj)
{
	puts(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(obj);
}

struct json_object *eacct_json_u64(uint64_t v)
{
	return json_object_new_uint64(v);
}

static const struct {
	const char *name;
	int (*fn)(struct eacct_ctx *ctx, int argc, char **argv);
} commands[] = {
	{ "status", cmd_status }, { "meters", cmd_meters }, { "top", cmd_top },
	{ "show", cmd_show }, { "carbon", cmd_carbon }, { "budget", cmd_budget },
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "sysfs", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *path = EACCT_CONFIG_PATH;
	static struct eacct_ctx ctx = { .sysfs = EACCT_SYSFS };
	bool explicit = false, missing;
	char err[256];
	size_t i;
	int c;

	opterr = 0;	/* each command says what it did not take, in one line */
	/* "+": options up to the command are eacct's, the rest the command's. */
	while ((c = getopt_long(argc, argv, "+c:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			explicit = true;
			break;
		case 's':
			ctx.sysfs = optarg;
			break;
		case 'j':
			ctx.json = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			return eacct_usage_error("eacct", eacct_bad_arg(argc, argv));
		}
	}
	json_c_set_serialization_double_format("%.10g", JSON_C_OPTION_GLOBAL);
	/* No seeded hash: getrandom() may block early at boot (see eacctd.c). */
	json_global_set_string_hash(JSON_C_STR_HASH_PERLLIKE);
	if (eacct_config_read(&ctx.cfg, path, explicit, &missing, err, sizeof(err)))
		return eacct_fail("%s", err);
	if (eacct_cgroup2_mount("/proc/self/mounts", ctx.cgroup_mount, sizeof(ctx.cgroup_mount)))
		ctx.cgroup_mount[0] = '\0';
	if (optind >= argc) {
		fputs(usage, stderr);	/* "eacct" alone: what it does */
		return 2;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (!strcmp(argv[optind], commands[i].name)) {
			argc -= optind;
			argv += optind;
			optind = 0;	/* glibc: 0 restarts getopt for the command */
			return commands[i].fn(&ctx, argc, argv);
		}
	}
	eacct_fail("unknown command '%s' (see eacct --help)", argv[optind]);
	return 2;
}
