// SPDX-License-Identifier: GPL-2.0
/*
 * An empty tp_btf/sched_switch program: the baseline that make bench
 * measures cpu_account.bpf.c against, side by side in the same run.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

SEC("tp_btf/sched_switch")
int BPF_PROG(empty_switch, bool preempt, struct task_struct *prev,
	     struct task_struct *next)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
