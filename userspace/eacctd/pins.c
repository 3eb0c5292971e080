// SPDX-License-Identifier: GPL-2.0
/*
 * Owns the pins of eacctd's BPF objects (see pins.h). An upgrade keeps
 * the maps (the counts so far) and swaps the programs: the new links are
 * attached before the old ones go, so for a moment both run. The CPU
 * programs give each nanosecond to one claimant (claim() in
 * cpu_account.bpf.c), so nothing is counted twice; the GPU programs may
 * count an ioctl twice in that moment, which moves a share, not energy.
 * Tracing links cannot be updated in place (BPF_LINK_UPDATE is not
 * implemented for them), hence the overlap.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "pins.h"

int pins_dir(const char *pin_dir)
{
	char parent[512], *slash;
	struct statfs st;

	snprintf(parent, sizeof(parent), "%s", pin_dir);
	slash = strrchr(parent, '/');
	if (slash && slash != parent)
		*slash = '\0';
	if ((statfs(parent, &st) || st.f_type != BPF_FS_MAGIC) &&
	    mount("bpf", parent, "bpf", 0, NULL))
		return -errno;
	if (mkdir(pin_dir, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

static void pin_path(char *path, size_t len, const char *pin_dir, const char *name)
{
	snprintf(path, len, "%s/%s", pin_dir, name);
}

int pins_maps(const char *pin_dir, const char *const *names, struct bpf_map *const *maps,
	      size_t n)
{
	char path[512];
	size_t i;
	int err;

	for (i = 0; i < n; i++) {
		pin_path(path, sizeof(path), pin_dir, names[i]);
		err = bpf_map__set_pin_path(maps[i], path);
		if (err)
			return err;
	}
	return 0;
}

void pins_remove(const char *pin_dir, const char *const *names, size_t n)
{
	char path[512];
	size_t i;

	for (i = 0; i < n; i++) {
		pin_path(path, sizeof(path), pin_dir, names[i]);
		unlink(path);
	}
}

static int prog_tag(int prog_fd, __u8 tag[BPF_TAG_SIZE])
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return -errno;
	memcpy(tag, info.tag, BPF_TAG_SIZE);
	return 0;
}

/* The tag of the program a pinned link runs. */
static int link_tag(const char *path, __u8 tag[BPF_TAG_SIZE])
{
	struct bpf_link_info info;
	__u32 len = sizeof(info);
	int fd, prog, err;

	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	memset(&info, 0, sizeof(info));
	err = bpf_obj_get_info_by_fd(fd, &info, &len) ? -errno : 0;
	close(fd);
	if (err)
		return err;
	prog = bpf_prog_get_fd_by_id(info.prog_id);
	if (prog < 0)
		return -errno;
	err = prog_tag(prog, tag);
	close(prog);
	return err;
}

enum pins_found pins_check(const char *pin_dir, const char *const *names,
			   struct bpf_program *const *progs, size_t n)
{
	__u8 pinned[BPF_TAG_SIZE], loaded[BPF_TAG_SIZE];
	size_t i, found = 0, same = 0;
	char path[512];

	for (i = 0; i < n; i++) {
		pin_path(path, sizeof(path), pin_dir, names[i]);
		if (link_tag(path, pinned))
			continue;
		found++;
		if (!prog_tag(bpf_program__fd(progs[i]), loaded) &&
		    !memcmp(pinned, loaded, sizeof(pinned)))
			same++;
	}
	if (!found)
		return PINS_NONE;
	if (found < n)
		return PINS_PARTIAL;
	return same == n ? PINS_SAME : PINS_OTHER;
}

int pins_replace(const char *pin_dir, const char *const *names,
		 struct bpf_link *const *links, size_t n)
{
	char path[512];
	size_t i;
	int err;

	for (i = 0; i < n; i++) {
		pin_path(path, sizeof(path), pin_dir, names[i]);
		if (unlink(path) && errno != ENOENT)
			return -errno;
		err = bpf_link__pin(links[i], path);
		if (err)
			return err;
	}
	return 0;
}
