/* SPDX-License-Identifier: GPL-2.0 */
/* Loading cpu_account.bpf.c and reading its per-cgroup on-CPU time. */
#ifndef EACCT_BPF_CPU_H
#define EACCT_BPF_CPU_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>

#include "cpu_account.h"

struct cpu_account_bpf;
struct bpf_link;
struct bpf_program;

struct eacct_bpf_cpu {
	struct cpu_account_bpf *skel;
	struct bpf_link *iter;
	int nr_pkgs;
	bool reused;			/* found pinned: its maps go on */
	bool upgraded;			/* ... with another build's programs, replaced */
};

/*
 * Load and attach; @cpu_dir is normally /sys/devices/system/cpu.
 *
 * With @pin_dir (normally /sys/fs/bpf/eacct), maps and links are pinned
 * there, so the programs keep counting while eacctd is down; a later open
 * finds them and reuses them instead of attaching a second set. Links
 * running another build of the programs are replaced (->upgraded), the
 * maps kept; maps of another layout are unpinned and made anew. ->reused
 * says the maps went on.
 */
int eacct_bpf_cpu_open(struct eacct_bpf_cpu *c, const char *cpu_dir,
		       const char *pin_dir);
/* The same with the CPUs' packages read already (eacctd reads them once). */
int eacct_bpf_cpu_open_topology(struct eacct_bpf_cpu *c, const uint8_t *cpu_pkg,
				int nr_pkgs, const char *pin_dir);
/* Remove everything pinned under @pin_dir (eacctd --reset-bpf). */
void eacct_bpf_cpu_unpin(const char *pin_dir);
/* Move every task's time into the maps (runs the task iterator once). */
int eacct_bpf_cpu_collect(struct eacct_bpf_cpu *c);
void eacct_bpf_cpu_stats(struct eacct_bpf_cpu *c, struct eacct_cpu_stats *out);
void eacct_bpf_cpu_close(struct eacct_bpf_cpu *c);

#endif /* EACCT_BPF_CPU_H */
