// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_cpu.h"
#include "cpu_account.skel.h"
#include "lib/topology.h"
#include "pins.h"

/* The pinned objects, by file name under the pin directory. */
static const char *const pinned_maps[] = { "task_acct", "cgroup_ns", "process_ns", "bss" };
#define NR_MAPS (sizeof(pinned_maps) / sizeof(pinned_maps[0]))
/* link_migrate is there with several packages only: the last. */
static const char *const pinned_links[] = {
	"link_switch", "link_fork", "link_attach", "link_iter", "link_migrate",
};
#define NR_LINKS (sizeof(pinned_links) / sizeof(pinned_links[0]))
#define LINK_ITER 3
#define LINK_MIGRATE 4

void eacct_bpf_cpu_unpin(const char *pin_dir)
{
	pins_remove(pin_dir, pinned_maps, NR_MAPS);
	pins_remove(pin_dir, pinned_links, NR_LINKS);
}

/* CLOCK_MONOTONIC, the clock of a task's start_time. */
static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* This topology's links: without link_migrate for one package. */
static size_t nr_links(const struct eacct_bpf_cpu *c)
{
	return c->nr_pkgs > 1 ? NR_LINKS : LINK_MIGRATE;
}

static void programs(struct cpu_account_bpf *skel, struct bpf_program *progs[NR_LINKS])
{
	progs[0] = skel->progs.account_switch;
	progs[1] = skel->progs.account_fork;
	progs[2] = skel->progs.account_attach;
	progs[LINK_ITER] = skel->progs.collect;
	progs[LINK_MIGRATE] = skel->progs.account_migrate;
}

/* Attach every program, and pin the links in place of any pinned before. */
static int attach(struct eacct_bpf_cpu *c, const char *pin_dir)
{
	struct bpf_link *links[NR_LINKS];
	int err;

	err = cpu_account_bpf__attach(c->skel);
	if (err)
		return err;
	c->iter = bpf_program__attach_iter(c->skel->progs.collect, NULL);
	if (!c->iter)
		return -errno;
	links[0] = c->skel->links.account_switch;
	links[1] = c->skel->links.account_fork;
	links[2] = c->skel->links.account_attach;
	links[LINK_ITER] = c->iter;
	links[LINK_MIGRATE] = c->skel->links.account_migrate;
	return pin_dir ? pins_replace(pin_dir, pinned_links, links, nr_links(c)) : 0;
}

static int load(struct eacct_bpf_cpu *c, const uint8_t *cpu_pkg, int nr_pkgs,
		const char *pin_dir)
{
	struct bpf_program *progs[NR_LINKS];
	struct bpf_map *maps[NR_MAPS];
	enum pins_found found = PINS_NONE;
	char path[512];
	int err;

	c->skel = cpu_account_bpf__open();
	if (!c->skel)
		return -errno;
	c->nr_pkgs = nr_pkgs;
	c->skel->rodata->nr_pkgs = c->nr_pkgs;
	c->skel->rodata->loaded_ns = monotonic_ns();
	/* With one package every nanosecond is package 0's: no migrations. */
	if (c->nr_pkgs == 1)
		bpf_program__set_autoload(c->skel->progs.account_migrate, false);
	maps[0] = c->skel->maps.task_acct;
	maps[1] = c->skel->maps.cgroup_ns;
	maps[2] = c->skel->maps.process_ns;
	maps[3] = c->skel->maps.bss;
	err = pin_dir ? pins_maps(pin_dir, pinned_maps, maps, NR_MAPS) : 0;
	if (err)
		return err;
	/* Pinned maps are reused here, if any, and new ones pinned. */
	err = cpu_account_bpf__load(c->skel);
	if (err)
		return err;
	/*
	 * Into the live .bss, reused or new (the skeleton maps it): a reused
	 * one keeps its loss counters but gets this topology.
	 */
	memcpy(c->skel->bss->cpu_pkg, cpu_pkg, sizeof(c->skel->bss->cpu_pkg));
	if (pin_dir) {
		programs(c->skel, progs);
		found = pins_check(pin_dir, pinned_links, progs, nr_links(c));
		/* A set pinned for another topology does not fit: start over. */
		snprintf(path, sizeof(path), "%s/%s", pin_dir, pinned_links[LINK_MIGRATE]);
		if (found != PINS_NONE && !access(path, F_OK) != (c->nr_pkgs > 1))
			return -ENOENT;
	}
	switch (found) {
	case PINS_PARTIAL:
		return -ENOENT;
	case PINS_SAME:	/* the running programs are these: attach nothing */
		snprintf(path, sizeof(path), "%s/%s", pin_dir, pinned_links[LINK_ITER]);
		c->iter = bpf_link__open(path);
		if (!c->iter)
			return -errno;
		c->reused = true;
		return 0;
	case PINS_OTHER:	/* another build: its maps kept, its programs replaced */
		c->reused = c->upgraded = true;
		return attach(c, pin_dir);
	case PINS_NONE:
		break;
	}
	return attach(c, pin_dir);
}

int eacct_bpf_cpu_open_topology(struct eacct_bpf_cpu *c, const uint8_t *cpu_pkg,
				int nr_pkgs, const char *pin_dir)
{
	int err;

	memset(c, 0, sizeof(*c));
	if (nr_pkgs <= 0 || nr_pkgs > EACCT_MAX_PKG)
		return -EINVAL;
	if (pin_dir) {
		err = pins_dir(pin_dir);
		if (err)
			return err;
	}
	err = load(c, cpu_pkg, nr_pkgs, pin_dir);
	if (err && pin_dir) {
		/* Maps of another layout, or half a set: start over. */
		eacct_bpf_cpu_close(c);
		eacct_bpf_cpu_unpin(pin_dir);
		err = load(c, cpu_pkg, nr_pkgs, pin_dir);
	}
	if (err) {
		eacct_bpf_cpu_close(c);
		return err;
	}
	/* A fresh set: its baseline is now (tasks older than us from here). */
	return c->reused ? 0 : eacct_bpf_cpu_collect(c);
}

int eacct_bpf_cpu_open(struct eacct_bpf_cpu *c, const char *cpu_dir,
		       const char *pin_dir)
{
	static uint8_t cpu_pkg[EACCT_MAX_CPUS];
	int nr = eacct_cpu_packages(cpu_dir, cpu_pkg, EACCT_MAX_CPUS, EACCT_MAX_PKG);

	if (nr < 0) {
		memset(c, 0, sizeof(*c));
		return nr;
	}
	return eacct_bpf_cpu_open_topology(c, cpu_pkg, nr, pin_dir);
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
