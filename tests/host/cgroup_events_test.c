// SPDX-License-Identifier: GPL-2.0
/*
 * Host BPF test: cgroup_events.bpf.c loads on the running kernel and
 * reports real cgroup v2 mkdir/rmdir with the ids stat() gives, and
 * nothing for cgroup v1 hierarchies.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "lib/cgroupfs.h"
#include "cgroup_events.h"
#include "cgroup_events.skel.h"

#define NR_DIRS 20

static struct eacct_cgroup_event seen[4 * NR_DIRS];
static int nr_seen;
static int passed, failed;

static void tap(bool ok, const char *what)
{
	printf("%s - host bpf: %s\n", ok ? "ok" : "not ok", what);
	if (ok)
		passed++;
	else
		failed++;
}

static int on_event(void *ctx, void *data, size_t len)
{
	(void)ctx;
	if (len == sizeof(seen[0]) && nr_seen < (int)(sizeof(seen) / sizeof(seen[0])))
		memcpy(&seen[nr_seen++], data, sizeof(seen[0]));
	return 0;
}

static int count(__u64 id, __u32 op)
{
	int i, n = 0;

	for (i = 0; i < nr_seen; i++)
		n += seen[i].cgroup_id == id && seen[i].op == op;
	return n;
}

int main(void)
{
	struct cgroup_events_bpf *skel;
	struct ring_buffer *rb = NULL;
	char root[4096], path[4200], v1[] = "/sys/fs/cgroup/cpu/eacct-bpf-test";
	__u64 ids[NR_DIRS];
	struct stat st;
	int i, all = 1, level_ok = 1;

	if (eacct_cgroup2_mount("/proc/self/mounts", root, sizeof(root))) {
		fprintf(stderr, "cgroup-events-test: no cgroup2 mount\n");
		return 1;
	}
	skel = cgroup_events_bpf__open_and_load();
	tap(skel != NULL, "cgroup_events.bpf.o loads (CO-RE, tp_btf)");
	if (!skel)
		return 1;
	tap(!cgroup_events_bpf__attach(skel), "tp_btf/cgroup_mkdir and cgroup_rmdir attach");
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_event, NULL, NULL);

	snprintf(path, sizeof(path), "%s/eacct-bpf-test", root);
	mkdir(path, 0755);
	for (i = 0; i < NR_DIRS; i++) {
		snprintf(path, sizeof(path), "%s/eacct-bpf-test/c%d", root, i);
		if (mkdir(path, 0755) || stat(path, &st))
			fprintf(stderr, "%s: %s\n", path, strerror(errno));
		ids[i] = st.st_ino;
		rmdir(path);
	}
	snprintf(path, sizeof(path), "%s/eacct-bpf-test", root);
	rmdir(path);
	/* A v1 hierarchy, where one exists, must not show up. */
	mkdir(v1, 0755);
	rmdir(v1);

	ring_buffer__consume(rb);
	for (i = 0; i < NR_DIRS; i++)
		all &= count(ids[i], EACCT_CGROUP_MKDIR) == 1 &&
		       count(ids[i], EACCT_CGROUP_RMDIR) == 1;
	for (i = 0; i < nr_seen; i++)
		level_ok &= seen[i].level >= 1;
	tap(all, "every mkdir and rmdir of 20 cgroups seen once, ids match stat()");
	tap(level_ok, "levels reported below the root");
	tap(nr_seen == 2 * NR_DIRS + 2, "no events from cgroup v1 hierarchies or elsewhere");
	tap(skel->bss->dropped == 0, "no events dropped");
	ring_buffer__free(rb);
	cgroup_events_bpf__destroy(skel);
	printf("host-bpf: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
