// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_cpu.h"
#include "cpu_account.skel.h"
#include "lib/topology.h"

/* The pinned objects, by file name under the pin directory. */
static const char *const pinned_maps[] = { "task_acct", "cgroup_ns", "process_ns", "bss" };
/* link_migrate is there with several packages only. */
static const char *const pinned_links[] = {
	"link_switch", "link_fork", "link_attach", "link_iter", "link_migrate",
};
#define NR_LINKS (sizeof(pinned_links) / sizeof(pinned_links[0]))
#define LINK_ITER 3
#define LINK_MIGRATE 4

void eacct_bpf_cpu_unpin(const char *pin_dir)
{
	char path[512];
	size_t i;

	for (i = 0; i < sizeof(pinned_maps) / sizeof(pinned_maps[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", pin_dir, pinned_maps[i]);
		unlink(path);
	}
	for (i = 0; i < NR_LINKS; i++) {
		snprintf(path, sizeof(path), "%s/%s", pin_dir, pinned_links[i]);
		unlink(path);
	}
}

/* bpffs mounted at the pin directory's parent, mounting it if need be. */
static int ensure_bpffs(const char *pin_dir)
{
	char parent[512], *slash;
	struct statfs st;

	snprintf(parent, sizeof(parent), "%s", pin_dir);
	slash = strrchr(parent, '/');
	if (slash && slash != parent)
		*slash = '\0';
	if (statfs(parent, &st) == 0 && st.f_type == BPF_FS_MAGIC)
		goto mkd;
	if (mount("bpf", parent, "bpf", 0, NULL))
		return -errno;
mkd:
	if (mkdir(pin_dir, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

/* CLOCK_MONOTONIC, the clock of a task's start_time. */
static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static struct bpf_map *map_by_pin_name(struct cpu_account_bpf *skel, size_t i)
{
	struct bpf_map *maps[] = {
		skel->maps.task_acct, skel->maps.cgroup_ns, skel->maps.process_ns,
		skel->maps.bss,
	};
	return maps[i];
}

static int open_links(struct eacct_bpf_cpu *c, const char *pin_dir)
{
	size_t nr = c->nr_pkgs > 1 ? NR_LINKS : LINK_MIGRATE;
	struct bpf_link *links[NR_LINKS];
	char path[512];
	size_t i;

	/* A set pinned for another topology does not fit: start over. */
	snprintf(path, sizeof(path), "%s/%s", pin_dir, pinned_links[LINK_MIGRATE]);
	if (!access(path, F_OK) != (c->nr_pkgs > 1))
		return -ENOENT;
	for (i = 0; i < nr; i++) {
		snprintf(path, sizeof(path), "%s/%s", pin_dir, pinned_links[i]);
		links[i] = access(path, F_OK) ? NULL : bpf_link__open(path);
		if (!links[i]) {
			while (i--)
				bpf_link__destroy(links[i]);
			return -ENOENT;
		}
	}
	/* The running programs are the pinned ones: keep them, attach nothing. */
	for (i = 0; i < nr; i++)
		if (i != LINK_ITER)
			bpf_link__destroy(links[i]);
	c->iter = links[LINK_ITER];
	return 0;
}

static int pin_links(struct eacct_bpf_cpu *c, const char *pin_dir)
{
	struct bpf_link *links[NR_LINKS] = {
		c->skel->links.account_switch, c->skel->links.account_fork,
		c->skel->links.account_attach, c->iter,
		c->skel->links.account_migrate,
	};
	size_t nr = c->nr_pkgs > 1 ? NR_LINKS : LINK_MIGRATE;
	char path[512];
	size_t i;
	int err;

	for (i = 0; i < nr; i++) {
		snprintf(path, sizeof(path), "%s/%s", pin_dir, pinned_links[i]);
		err = bpf_link__pin(links[i], path);
		if (err)
			return err;
	}
	return 0;
}

static int load(struct eacct_bpf_cpu *c, const char *cpu_dir,
		const char *pin_dir)
{
	char path[512];
	size_t i;
	int err;

	c->skel = cpu_account_bpf__open();
	if (!c->skel)
		return -errno;
	c->nr_pkgs = eacct_cpu_packages(cpu_dir, c->skel->bss->cpu_pkg,
					EACCT_MAX_CPUS, EACCT_MAX_PKG);
	if (c->nr_pkgs < 0)
		return c->nr_pkgs;
	c->skel->rodata->nr_pkgs = c->nr_pkgs;
	c->skel->rodata->loaded_ns = monotonic_ns();
	/* With one package every nanosecond is package 0's: no migrations. */
	if (c->nr_pkgs == 1)
		bpf_program__set_autoload(c->skel->progs.account_migrate, false);
	for (i = 0; pin_dir && i < sizeof(pinned_maps) / sizeof(pinned_maps[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", pin_dir, pinned_maps[i]);
		err = bpf_map__set_pin_path(map_by_pin_name(c->skel, i), path);
		if (err)
			return err;
	}
	/* Pinned maps are reused here, if any, and new ones pinned. */
	err = cpu_account_bpf__load(c->skel);
	if (err)
		return err;
	if (pin_dir && !open_links(c, pin_dir)) {
		c->reused = true;
		return 0;
	}
	err = cpu_account_bpf__attach(c->skel);
	if (err)
		return err;
	c->iter = bpf_program__attach_iter(c->skel->progs.collect, NULL);
	if (!c->iter)
		return -errno;
	if (pin_dir)
		return pin_links(c, pin_dir);
	return 0;
}

int eacct_bpf_cpu_open(struct eacct_bpf_cpu *c, const char *cpu_dir,
		       const char *pin_dir)
{
	int err;

	memset(c, 0, sizeof(*c));
	if (pin_dir) {
		err = ensure_bpffs(pin_dir);
		if (err)
			return err;
	}
	err = load(c, cpu_dir, pin_dir);
	if (err && pin_dir) {
		/* Pins of another version, or half a set: start over. */
		eacct_bpf_cpu_close(c);
		eacct_bpf_cpu_unpin(pin_dir);
		err = load(c, cpu_dir, pin_dir);
	}
	if (err) {
		eacct_bpf_cpu_close(c);
		return err;
	}
	c->switch_prog = c->skel->progs.account_switch;
	/* A fresh set: its baseline is now (tasks older than us from here). */
	return c->reused ? 0 : eacct_bpf_cpu_collect(c);
}

int eacct_bpf_cpu_collect(struct eacct_bpf_cpu *c)
{
	char buf[256];
	ssize_t n;
	int fd;

	fd = bpf_iter_create(bpf_link__fd(c->iter));
	if (fd < 0)
		return -errno;
	/* The iterator prints nothing; reading to the end runs it. */
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	close(fd);
	return n < 0 ? -errno : 0;
}

int eacct_bpf_cpu_cgroup(struct eacct_bpf_cpu *c, uint64_t cgroup_id,
			 struct eacct_cgroup_cpu *out)
{
	__u64 key = cgroup_id;

	if (bpf_map__lookup_elem(c->skel->maps.cgroup_ns, &key, sizeof(key),
				 out, sizeof(*out), 0)) {
		memset(out, 0, sizeof(*out));
		return errno == ENOENT ? 0 : -errno;
	}
	return 0;
}

void eacct_bpf_cpu_stats(struct eacct_bpf_cpu *c, struct eacct_cpu_stats *out)
{
	*out = c->skel->bss->stats;
}

void eacct_bpf_cpu_close(struct eacct_bpf_cpu *c)
{
	bpf_link__destroy(c->iter);
	cpu_account_bpf__destroy(c->skel);
	memset(c, 0, sizeof(*c));
}
