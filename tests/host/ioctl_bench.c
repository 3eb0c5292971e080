// SPDX-License-Identifier: GPL-2.0
/*
 * Cost of gpu_account.bpf.c's sys_enter and sys_exit hooks on ioctls that
 * are not GPU ioctls (the common case they must not slow down), against
 * empty tp_btf/sys_enter and sys_exit programs, each pair attached in
 * turns over alternating phases while two processes call
 * ioctl(FIONREAD) on a pipe without pause. Per ioctl: enter + exit.
 * Prints "BENCH key value" lines.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/types.h>
#include <bpf/libbpf.h>

#include "bench_empty.skel.h"
#include "bpf_stats.h"
#include "gpu_account.h"
#include "gpu_account.skel.h"

#define WORKERS 2
#define PHASES 8
#define PHASE_MS 500

static void ioctl_forever(void)
{
	int p[2], n;

	if (pipe(p))
		_exit(1);
	for (;;)
		ioctl(p[0], FIONREAD, &n);
}

static void run_phase(struct bpf_program *enter, struct bpf_program *exit)
{
	struct bpf_link *a = bpf_program__attach(enter);
	struct bpf_link *b = bpf_program__attach(exit);

	usleep(PHASE_MS * 1000);
	bpf_link__destroy(b);
	bpf_link__destroy(a);
}

static double mean_ns(struct bpf_program *p, unsigned long long *runs)
{
	double ns = 0;

	prog_stats(bpf_program__fd(p), &ns, runs);
	return ns;
}

int main(void)
{
	unsigned long long runs_ours, runs_empty, runs;
	struct bench_empty_bpf *base;
	struct gpu_account_bpf *gpu;
	pid_t kids[WORKERS];
	double ours, empty;
	int i, status;

	if (set_stats("1")) {
		fprintf(stderr, "ioctl-bench: cannot enable bpf_stats\n");
		return 1;
	}
	base = bench_empty_bpf__open_and_load();
	gpu = gpu_account_bpf__open_and_load();
	if (!base || !gpu) {
		fprintf(stderr, "ioctl-bench: cannot load the programs\n");
		set_stats("0");
		return 1;
	}
	for (i = 0; i < WORKERS; i++) {
		kids[i] = fork();
		if (!kids[i])
			ioctl_forever();
	}
	for (i = 0; i < PHASES; i++) {
		run_phase(base->progs.empty_sys_enter, base->progs.empty_sys_exit);
		run_phase(gpu->progs.gpu_ioctl, gpu->progs.gpu_ioctl_exit);
	}
	for (i = 0; i < WORKERS; i++)
		kill(kids[i], SIGKILL);
	for (i = 0; i < WORKERS; i++)
		waitpid(kids[i], &status, 0);
	ours = mean_ns(gpu->progs.gpu_ioctl, &runs_ours) +
	       mean_ns(gpu->progs.gpu_ioctl_exit, &runs);
	empty = mean_ns(base->progs.empty_sys_enter, &runs_empty) +
		mean_ns(base->progs.empty_sys_exit, &runs);
	set_stats("0");
	printf("BENCH bpf_ioctl_hook_ns %.1f\n", ours);
	printf("BENCH bpf_empty_sys_enter_exit_ns %.1f\n", empty);
	printf("BENCH bpf_ioctl_hook_cost_ratio %.3f\n", empty > 0 ? ours / empty : 0);
	fprintf(stderr, "ioctl-bench: %llu and %llu system calls measured\n",
		runs_ours, runs_empty);
	gpu_account_bpf__destroy(gpu);
	bench_empty_bpf__destroy(base);
	return 0;
}
