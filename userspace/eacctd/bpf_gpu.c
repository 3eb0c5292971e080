// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "bpf_gpu.h"
#include "bpf_maps.h"
#include "gpu_account.skel.h"
#include "gpu_sched.skel.h"
#include "pins.h"

static const char *const pinned_maps[] = {
	"gpu_use", "gpu_fences", "gpu_tasks", "gpu_bss", "gpu_nv_ioctls",
};
static const char *const pinned_links[] = {
	"link_gpu_ioctl", "link_fence_init", "link_fence_signaled",
	"link_fence_destroy", "link_gpu_ioctl_exit",
};
#define NR_MAPS (sizeof(pinned_maps) / sizeof(pinned_maps[0]))
#define NR_LINKS (sizeof(pinned_links) / sizeof(pinned_links[0]))

unsigned int eacct_char_major(const char *proc_devices, const char *name)
{
	char line[128], dev[64];
	unsigned int major, found = 0;
	bool chr = false;
	FILE *f = fopen(proc_devices, "r");

	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Character devices:", 18))
			chr = true;
		else if (!strncmp(line, "Block devices:", 14))
			chr = false;
		else if (chr && sscanf(line, "%u %63s", &major, dev) == 2 &&
			 !strcmp(dev, name))
			found = major;
	}
	if (f)
		fclose(f);
	return found;
}

void eacct_bpf_gpu_unpin(const char *pin_dir)
{
	pins_remove(pin_dir, pinned_maps, NR_MAPS);
	pins_remove(pin_dir, pinned_links, NR_LINKS);
}

static void maps_of(struct gpu_account_bpf *skel, struct bpf_map *maps[NR_MAPS])
{
	maps[0] = skel->maps.gpu_use;
	maps[1] = skel->maps.fences;
	maps[2] = skel->maps.gpu_tasks;
	maps[3] = skel->maps.bss;
	maps[4] = skel->maps.nv_ioctls;
}

static void programs(struct gpu_account_bpf *skel, struct bpf_program *progs[NR_LINKS])
{
	progs[0] = skel->progs.gpu_ioctl;
	progs[1] = skel->progs.fence_init;
	progs[2] = skel->progs.fence_signaled;
	progs[3] = skel->progs.fence_destroy;
	progs[4] = skel->progs.gpu_ioctl_exit;
}

static int attach(struct eacct_bpf_gpu *g, const char *pin_dir)
{
	struct bpf_link *links[NR_LINKS];
	int err;

	err = gpu_account_bpf__attach(g->skel);
	if (err || !pin_dir)
		return err;
	links[0] = g->skel->links.gpu_ioctl;
	links[1] = g->skel->links.fence_init;
	links[2] = g->skel->links.fence_signaled;
	links[3] = g->skel->links.fence_destroy;
	links[4] = g->skel->links.gpu_ioctl_exit;
	return pins_replace(pin_dir, pinned_links, links, NR_LINKS);
}

static int load(struct eacct_bpf_gpu *g, const char *pin_dir,
		const char *proc_devices)
{
	struct bpf_program *progs[NR_LINKS];
	struct bpf_map *maps[NR_MAPS];
	enum pins_found found;
	int err;

	g->skel = gpu_account_bpf__open();
	if (!g->skel)
		return -errno;
	g->skel->rodata->uvm_major = eacct_char_major(proc_devices, "nvidia-uvm");
	maps_of(g->skel, maps);
	err = pin_dir ? pins_maps(pin_dir, pinned_maps, maps, NR_MAPS) : 0;
	if (err)
		return err;
	err = gpu_account_bpf__load(g->skel);
	if (err)
		return err;
	if (!pin_dir)
		return attach(g, NULL);
	/* credit_fences, loaded anew each time, works on the pinned maps. */
	programs(g->skel, progs);
	found = pins_check(pin_dir, pinned_links, progs, NR_LINKS);
	if (found == PINS_PARTIAL)
		return -ENOENT;
	g->reused = found == PINS_SAME || found == PINS_OTHER;
	g->upgraded = found == PINS_OTHER;
	return found == PINS_SAME ? 0 : attach(g, pin_dir);
}

int eacct_bpf_gpu_open(struct eacct_bpf_gpu *g, const char *pin_dir,
		       const char *proc_devices)
{
	int err;

	memset(g, 0, sizeof(*g));
	err = load(g, pin_dir, proc_devices);
	if (err && pin_dir) {
		/* Maps of another layout, or half a set: start over. */
		eacct_bpf_gpu_close(g);
		eacct_bpf_gpu_unpin(pin_dir);
		err = load(g, pin_dir, proc_devices);
	}
	if (err)
		eacct_bpf_gpu_close(g);
	return err;
}

int eacct_bpf_gpu_credit(struct eacct_bpf_gpu *g)
{
	DECLARE_LIBBPF_OPTS(bpf_test_run_opts, opts);

	if (bpf_prog_test_run_opts(bpf_program__fd(g->skel->progs.credit_fences),
				   &opts))
		return -errno;
	return 0;
}

int eacct_bpf_gpu_read(struct eacct_bpf_gpu *g, struct eacct_gpu_key **keys,
		       struct eacct_gpu_use **vals, size_t *n)
{
	struct bpf_map *map = g->skel->maps.gpu_use;

	return bpf_map_read_all(bpf_map__fd(map), sizeof(**keys), sizeof(**vals),
				bpf_map__max_entries(map), (void **)keys, (void **)vals, n);
}

int eacct_bpf_gpu_take(struct eacct_bpf_gpu *g, const struct eacct_gpu_key *key,
		       struct eacct_gpu_use *last)
{
	if (bpf_map_lookup_and_delete_elem(bpf_map__fd(g->skel->maps.gpu_use),
					   key, last))
		return -errno;
	return 0;
}

void eacct_bpf_gpu_stats(struct eacct_bpf_gpu *g, struct eacct_gpu_stats *out)
{
	*out = g->skel->bss->stats;
}

/* The run event's names: up to 6.16, and from 6.17. */
static const char *const sched_tps[EACCT_SCHED_TPS] = { "drm_run_job", "drm_sched_job_run" };

/*
 * Which run tracepoints are there, from their btf_trace_<name> types in
 * gpu-sched's BTF, or in vmlinux where drm_sched is built in: that BTF
 * is also what the object's CO-RE relocations need. Asking first keeps
 * libbpf from printing a failure for each name the kernel lacks.
 */
static int sched_tps_present(bool present[EACCT_SCHED_TPS])
{
	static bool vmlinux_checked;	/* vmlinux does not change: once */
	bool module = !access("/sys/kernel/btf/gpu_sched", F_OK);
	struct btf *vmlinux, *mod = NULL;
	char type[64];
	int i, n = 0;

	if (!module && vmlinux_checked)
		return 0;
	vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux)
		return 0;
	if (module)
		mod = btf__load_module_btf("gpu_sched", vmlinux);
	for (i = 0; i < EACCT_SCHED_TPS; i++) {
		snprintf(type, sizeof(type), "btf_trace_%s", sched_tps[i]);
		present[i] = btf__find_by_name_kind(mod ? mod : vmlinux, type,
						    BTF_KIND_TYPEDEF) > 0;
		n += present[i];
	}
	/* Built in and found: attached now, never asked again. */
	if (!mod)
		vmlinux_checked = true;
	btf__free(mod);
	btf__free(vmlinux);
	return n;
}

static void sched_detach(struct eacct_bpf_gpu *g)
{
	int i;

	for (i = 0; i < EACCT_SCHED_TPS; i++) {
		bpf_link__destroy(g->sched_links[i]);
		g->sched_links[i] = NULL;
	}
	gpu_sched_bpf__destroy(g->sched);
	g->sched = NULL;
}

int eacct_bpf_gpu_sched_attach(struct eacct_bpf_gpu *g, char *names, size_t len)
{
	struct bpf_program *prog;
	int i, n = 0, err;
	size_t used = 0;

	bool present[EACCT_SCHED_TPS] = { false };

	names[0] = '\0';
	if (g->sched)
		sched_detach(g);
	if (!sched_tps_present(present))
		return 0;
	g->sched = gpu_sched_bpf__open();
	if (!g->sched)
		return -errno;
	err = bpf_map__reuse_fd(g->sched->maps.fences, bpf_map__fd(g->skel->maps.fences));
	if (!err)
		err = gpu_sched_bpf__load(g->sched);
	if (err) {
		sched_detach(g);
		return err;
	}
	prog = g->sched->progs.sched_job_run;
	for (i = 0; i < EACCT_SCHED_TPS; i++) {
		if (!present[i])
			continue;
		g->sched_links[i] = bpf_program__attach_raw_tracepoint(prog, sched_tps[i]);
		if (!g->sched_links[i]) {
			err = -errno;
			continue;
		}
		used += snprintf(names + used, used < len ? len - used : 0, "%s%s",
				 n ? ", " : "", sched_tps[i]);
		n++;
	}
	if (!n)
		sched_detach(g);
	return n ? n : err;
}

void eacct_bpf_gpu_sched_stats(struct eacct_bpf_gpu *g, struct eacct_sched_stats *out)
{
	if (g->sched)
		*out = g->sched->bss->sched_stats;
	else
		memset(out, 0, sizeof(*out));
}

void eacct_bpf_gpu_close(struct eacct_bpf_gpu *g)
{
	sched_detach(g);
	gpu_account_bpf__destroy(g->skel);
	memset(g, 0, sizeof(*g));
}

int eacct_bpf_gpu_nv_ioctls(struct eacct_bpf_gpu *g)
{
	return bpf_map__fd(g->skel->maps.nv_ioctls);
}
