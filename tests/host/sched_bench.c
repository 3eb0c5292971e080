// SPDX-License-Identifier: GPL-2.0
/*
 * Cost of cpu_account.bpf.c's sched_switch program against an empty one,
 * measured in the same run with kernel.bpf_stats_enabled under a
 * context-switch-heavy load (processes ping-ponging a byte over pipes).
 * The two are attached in turns, one at a time, over alternating phases:
 * attached together, the first to run would warm the caches for the
 * second. Prints "BENCH key value" lines.
 *
 * Usage: sched-bench [--two-packages]  (loaded for a two-package fixture
 * topology, as on a multi-socket machine, which adds the migration hook,
 * measured likewise against an empty one; its keys end in _many_pkgs.
 * With CPU 0 and 1 in different packages here, every migration of the
 * load crosses packages: the worst case for that hook.)
 * Usage: sched-bench --two-packages --migrating  adds a process that
 * moves itself between CPU 0 and 1 without pause, a migration storm no
 * real load makes; keys end in _many_pkgs_migrating.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bench_empty.skel.h"
#include "bpf_cpu.h"
#include "bpf_stats.h"
#include "cpu_account.skel.h"
#include "topology_fixture.h"

#define PAIRS 2
#define PHASES 8		/* alternating, so both see the same noise */
#define PHASE_MS 500

static void migrate_forever(void)
{
	cpu_set_t set;
	int i;

	for (i = 0;; i++) {
		CPU_ZERO(&set);
		CPU_SET(i & 1, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
}

static void ping_pong(int rd, int wr, int first)
{
	char c = 0;

	if (first && write(wr, &c, 1) != 1)
		_exit(1);
	for (;;) {
		if (read(rd, &c, 1) != 1 || write(wr, &c, 1) != 1)
			_exit(0);
	}
}

/* Attach both programs (@migrate may be NULL) for one phase. */
static void run_phase(struct bpf_program *sw, struct bpf_program *migrate)
{
	struct bpf_link *a = bpf_program__attach(sw);
	struct bpf_link *b = migrate ? bpf_program__attach(migrate) : NULL;

	usleep(PHASE_MS * 1000);
	bpf_link__destroy(b);
	bpf_link__destroy(a);
}

int main(int argc, char **argv)
{
	bool two = argc > 1 && !strcmp(argv[1], "--two-packages");
	bool storm = two && argc > 2 && !strcmp(argv[2], "--migrating");
	const char *cpu_dir = two ? two_package_fixture() : "/sys/devices/system/cpu";
	const char *sfx = storm ? "_many_pkgs_migrating" : two ? "_many_pkgs" : "";
	unsigned long long runs_ours, runs_empty, mig_runs_ours = 0, mig_runs_empty;
	double ours, empty, mig_ours = 0, mig_empty = 0;
	struct bpf_program *our_migrate = NULL, *empty_migrate = NULL;
	struct bench_empty_bpf *base;
	struct eacct_bpf_cpu c;
	pid_t kids[2 * PAIRS + 1];
	int nr_kids = 2 * PAIRS;
	int i, p[2][2], status;

	if (set_stats("1")) {
		fprintf(stderr, "sched-bench: cannot enable bpf_stats\n");
		return 1;
	}
	base = bench_empty_bpf__open_and_load();
	if (!base || !cpu_dir || eacct_bpf_cpu_open(&c, cpu_dir, NULL)) {
		fprintf(stderr, "sched-bench: cannot load the programs\n");
		set_stats("0");
		return 1;
	}
	/* Measure our switch program alone: detach the one eacct attached. */
	bpf_link__destroy(c.skel->links.account_switch);
	c.skel->links.account_switch = NULL;
	if (two) {
		bpf_link__destroy(c.skel->links.account_migrate);
		c.skel->links.account_migrate = NULL;
		our_migrate = c.skel->progs.account_migrate;
		empty_migrate = base->progs.empty_migrate;
	}

	for (i = 0; i < PAIRS; i++) {
		if (pipe(p[0]) || pipe(p[1]))
			return 1;
		kids[2 * i] = fork();
		if (!kids[2 * i])
			ping_pong(p[0][0], p[1][1], 1);
		kids[2 * i + 1] = fork();
		if (!kids[2 * i + 1])
			ping_pong(p[1][0], p[0][1], 0);
		close(p[0][0]);
		close(p[0][1]);
		close(p[1][0]);
		close(p[1][1]);
	}
	if (storm) {
		kids[nr_kids] = fork();
		if (!kids[nr_kids])
			migrate_forever();
		nr_kids++;
	}
	/* One program at a time, alternating: neither warms the other's caches. */
	for (i = 0; i < PHASES; i++) {
		run_phase(base->progs.empty_switch, empty_migrate);
		run_phase(c.skel->progs.account_switch, our_migrate);
	}
	for (i = 0; i < nr_kids; i++)
		kill(kids[i], SIGKILL);
	for (i = 0; i < nr_kids; i++)
		waitpid(kids[i], &status, 0);

	prog_stats(bpf_program__fd(c.skel->progs.account_switch), &ours, &runs_ours);
	prog_stats(bpf_program__fd(base->progs.empty_switch), &empty, &runs_empty);
	if (two) {
		prog_stats(bpf_program__fd(our_migrate), &mig_ours, &mig_runs_ours);
		prog_stats(bpf_program__fd(empty_migrate), &mig_empty, &mig_runs_empty);
	}
	set_stats("0");
	printf("BENCH bpf_sched_switch_ns%s %.1f\n", sfx, ours);
	printf("BENCH bpf_empty_sched_switch_ns%s %.1f\n", sfx, empty);
	printf("BENCH bpf_switch_cost_ratio%s %.3f\n", sfx, empty > 0 ? ours / empty : 0);
	if (two) {
		double per_switch = runs_ours ? (double)mig_runs_ours / runs_ours : 0;

		printf("BENCH bpf_migrate_ns%s %.1f\n", sfx, mig_ours);
		printf("BENCH bpf_empty_migrate_ns%s %.1f\n", sfx, mig_empty);
		printf("BENCH bpf_migrate_cost_ratio%s %.3f\n", sfx,
		       mig_empty > 0 ? mig_ours / mig_empty : 0);
		printf("BENCH migrations_per_switch%s %.4f\n", sfx, per_switch);
		/* Everything eacct adds on the scheduler's paths, per switch. */
		printf("BENCH bpf_sched_cost_per_switch_ns%s %.1f\n", sfx,
		       ours + per_switch * mig_ours);
		printf("BENCH bpf_sched_cost_ratio%s %.3f\n", sfx, empty > 0 ?
		       (ours + per_switch * mig_ours) / (empty + per_switch * mig_empty) : 0);
	}
	fprintf(stderr, "sched-bench: %llu and %llu switches measured\n", runs_ours, runs_empty);
	eacct_bpf_cpu_close(&c);
	bench_empty_bpf__destroy(base);
	return 0;
}
