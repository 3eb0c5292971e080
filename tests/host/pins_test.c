// SPDX-License-Identifier: GPL-2.0
/*
 * eacctd's pins across an upgrade, on this host's kernel: a pinned set
 * whose sched_switch link runs another build of the program is found,
 * its programs replaced and its maps kept (the counts so far go on), and
 * the old program detached; a set running the same build is reused as it
 * is; half a set is started over. Prints TAP lines.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_cpu.h"
#include "bench_empty.skel.h"
#include "cpu_account.skel.h"
#include "tap.h"

static char pin_dir[64];

/* The name of the program the pinned link @name runs, "" if none. */
static void pinned_prog(const char *name, char *out, size_t len, __u32 *prog_id)
{
	struct bpf_link_info li;
	struct bpf_prog_info pi;
	__u32 n = sizeof(li);
	char path[128];
	int fd, prog;

	out[0] = '\0';
	*prog_id = 0;
	snprintf(path, sizeof(path), "%s/%s", pin_dir, name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return;
	memset(&li, 0, sizeof(li));
	if (!bpf_obj_get_info_by_fd(fd, &li, &n)) {
		*prog_id = li.prog_id;
		prog = bpf_prog_get_fd_by_id(li.prog_id);
		memset(&pi, 0, sizeof(pi));
		n = sizeof(pi);
		if (prog >= 0 && !bpf_obj_get_info_by_fd(prog, &pi, &n))
			snprintf(out, len, "%s", pi.name);
		if (prog >= 0)
			close(prog);
	}
	close(fd);
}

/* Is any link still attaching program @prog_id? */
static bool attached(__u32 prog_id)
{
	struct bpf_link_info li;
	__u32 id = 0, n;
	int fd;

	while (!bpf_link_get_next_id(id, &id)) {
		fd = bpf_link_get_fd_by_id(id);
		if (fd < 0)
			continue;
		memset(&li, 0, sizeof(li));
		n = sizeof(li);
		if (!bpf_obj_get_info_by_fd(fd, &li, &n) && li.prog_id == prog_id) {
			close(fd);
			return true;
		}
		close(fd);
	}
	return false;
}

static __u32 map_id(int fd)
{
	struct bpf_map_info info;
	__u32 n = sizeof(info);

	memset(&info, 0, sizeof(info));
	return bpf_obj_get_info_by_fd(fd, &info, &n) ? 0 : info.id;
}

static __u32 map_flags(int fd)
{
	struct bpf_map_info info;
	__u32 n = sizeof(info);

	memset(&info, 0, sizeof(info));
	return bpf_obj_get_info_by_fd(fd, &info, &n) ? 0 : info.map_flags;
}

int main(void)
{
	struct eacct_bpf_cpu c;
	struct bench_empty_bpf *old;
	struct bpf_link *link;
	char name[64], path[128];
	__u32 old_id, new_id, maps0, maps1;
	int err;

	tap_prefix = "host pins";
	snprintf(pin_dir, sizeof(pin_dir), "/sys/fs/bpf/eacct-pins-test-%d", getpid());
	err = eacct_bpf_cpu_open(&c, "/sys/devices/system/cpu", pin_dir);
	tap(!err && !c.reused, "a first open loads and pins (%d)", err);
	maps0 = err ? 0 : map_id(bpf_map__fd(c.skel->maps.cgroup_ns));
	/* L2: a late add into an element eacctd deleted must not land on another key. */
	tap(!err && (map_flags(bpf_map__fd(c.skel->maps.cgroup_ns)) & BPF_F_NO_PREALLOC) &&
	    (map_flags(bpf_map__fd(c.skel->maps.process_ns)) & BPF_F_NO_PREALLOC),
	    "the maps eacctd deletes from are not preallocated (as the kernel holds them)");
	eacct_bpf_cpu_close(&c);

	err = eacct_bpf_cpu_open(&c, "/sys/devices/system/cpu", pin_dir);
	tap(!err && c.reused && !c.upgraded, "the same build: the pinned set is reused as it is");
	eacct_bpf_cpu_close(&c);

	/* Another build: its sched_switch link runs another program. */
	old = bench_empty_bpf__open_and_load();
	link = old ? bpf_program__attach(old->progs.empty_switch) : NULL;
	snprintf(path, sizeof(path), "%s/link_switch", pin_dir);
	unlink(path);
	err = link ? bpf_link__pin(link, path) : -1;
	pinned_prog("link_switch", name, sizeof(name), &old_id);
	bpf_link__destroy(link);	/* the pin holds it now, as after a crash */
	bench_empty_bpf__destroy(old);
	tap(!err && !strcmp(name, "empty_switch"), "an older build's link pinned in its place (%s)", name);

	err = eacct_bpf_cpu_open(&c, "/sys/devices/system/cpu", pin_dir);
	maps1 = err ? 0 : map_id(bpf_map__fd(c.skel->maps.cgroup_ns));
	pinned_prog("link_switch", name, sizeof(name), &new_id);
	tap(!err && c.reused && c.upgraded, "another build's programs are found and replaced");
	tap(!strcmp(name, "account_switch"), "the pin runs this build's program now (%s)", name);
	tap(!attached(old_id), "the old program is detached");
	tap(maps0 && maps0 == maps1, "the maps are kept: the counts go on (map id %u, %u)",
	    maps0, maps1);
	eacct_bpf_cpu_close(&c);

	/* Half a set: started over, maps and all. */
	snprintf(path, sizeof(path), "%s/link_fork", pin_dir);
	unlink(path);
	err = eacct_bpf_cpu_open(&c, "/sys/devices/system/cpu", pin_dir);
	maps1 = err ? 0 : map_id(bpf_map__fd(c.skel->maps.cgroup_ns));
	tap(!err && !c.reused && maps1 != maps0, "half a set is started over");
	eacct_bpf_cpu_close(&c);
	eacct_bpf_cpu_unpin(pin_dir);

	/* Two packages, nothing pinned (every boot): a fresh set, with the migration hook. */
	{
		static const uint8_t two[EACCT_MAX_CPUS] = { 0, 1, 0, 1 };

		err = eacct_bpf_cpu_open_topology(&c, two, 2, pin_dir);
		snprintf(path, sizeof(path), "%s/link_migrate", pin_dir);
		tap(!err && !c.reused && !access(path, F_OK),
		    "two packages, nothing pinned: loaded, the migration hook pinned (%d)", err);
		eacct_bpf_cpu_close(&c);
		err = eacct_bpf_cpu_open_topology(&c, two, 2, pin_dir);
		tap(!err && c.reused, "... and reused at the next start (%d)", err);
		eacct_bpf_cpu_close(&c);
		err = eacct_bpf_cpu_open(&c, "/sys/devices/system/cpu", pin_dir);
		tap(!err && !c.reused, "one package now: the two-package set is started over (%d)", err);
		eacct_bpf_cpu_close(&c);
	}
	eacct_bpf_cpu_unpin(pin_dir);
	rmdir(pin_dir);
	return tap_done("host-pins");
}
