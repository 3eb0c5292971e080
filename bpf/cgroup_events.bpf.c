// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup v2 creation and removal, as they happen.
 *
 * eacctd registers each new cgroup with eacct.ko at once (a zero record),
 * so that a container shorter than one accounting interval still has an
 * entry that outlives its rmdir. tp_btf needs neither kprobes nor fentry,
 * which locked-down kernels refuse.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "cgroup_events.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

/* Events lost to a full ring buffer: reported, never silent. */
__u64 dropped;

static __always_inline void emit(struct cgroup *cgrp, __u32 op)
{
	struct eacct_cgroup_event *e;

	/* The default hierarchy (cgroup v2) has hierarchy id 0. */
	if (BPF_CORE_READ(cgrp, root, hierarchy_id) != 0)
		return;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&dropped, 1);
		return;
	}
	e->cgroup_id = BPF_CORE_READ(cgrp, kn, id);
	e->op = op;
	e->level = BPF_CORE_READ(cgrp, level);
	bpf_ringbuf_submit(e, 0);
}

SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(cgroup_mkdir, struct cgroup *cgrp, const char *path)
{
	emit(cgrp, EACCT_CGROUP_MKDIR);
	return 0;
}

SEC("tp_btf/cgroup_rmdir")
int BPF_PROG(cgroup_rmdir, struct cgroup *cgrp, const char *path)
{
	emit(cgrp, EACCT_CGROUP_RMDIR);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
