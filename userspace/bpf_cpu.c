// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_cpu.h"
#include "cpu_account.skel.h"
#include "lib/topology.h"

int eacct_bpf_cpu_open(struct eacct_bpf_cpu *c, const char *cpu_dir)
{
	int err;

	memset(c, 0, sizeof(*c));
	c->skel = cpu_account_bpf__open();
	if (!c->skel)
		return -errno;
	c->nr_pkgs = eacct_cpu_packages(cpu_dir, c->skel->bss->cpu_pkg,
					EACCT_MAX_CPUS, EACCT_MAX_PKG);
	if (c->nr_pkgs < 0) {
		err = c->nr_pkgs;
		goto fail;
	}
	c->skel->rodata->nr_pkgs = c->nr_pkgs;
	/* One switch hook variant, the one this machine needs. */
	bpf_program__set_autoload(c->nr_pkgs > 1 ? c->skel->progs.switch_one_pkg :
				  c->skel->progs.switch_many_pkgs, false);
	err = cpu_account_bpf__load(c->skel);
	if (err)
		goto fail;
	err = cpu_account_bpf__attach(c->skel);
	c->switch_prog = c->nr_pkgs > 1 ? c->skel->progs.switch_many_pkgs :
					  c->skel->progs.switch_one_pkg;
	if (err)
		goto fail;
	c->iter = bpf_program__attach_iter(c->skel->progs.collect, NULL);
	if (!c->iter) {
		err = -errno;
		goto fail;
	}
	/* The baseline: tasks older than us count from now on. */
	return eacct_bpf_cpu_collect(c);
fail:
	eacct_bpf_cpu_close(c);
	return err;
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
