// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cgroupfs.h"

int eacct_cgroup2_mount(const char *mounts, char *buf, size_t len)
{
	struct mntent *m;
	int err = -ENOENT;
	FILE *f;

	f = setmntent(mounts, "r");
	if (!f)
		return -errno;
	while ((m = getmntent(f))) {
		if (strcmp(m->mnt_type, "cgroup2"))
			continue;
		err = snprintf(buf, len, "%s", m->mnt_dir) < (int)len ?
		      0 : -ENAMETOOLONG;
		break;
	}
	endmntent(f);
	return err;
}

int eacct_cgroup_id(const char *root, const char *cgroup, uint64_t *id)
{
	char path[4096];
	struct stat st;
	char *end;

	if (*cgroup >= '0' && *cgroup <= '9') {
		errno = 0;
		*id = strtoull(cgroup, &end, 10);
		if (errno || *end || !*id)
			return -EINVAL;
		return 0;
	}
	if (!root || (strncmp(cgroup, root, strlen(root)) == 0 &&
		      cgroup[strlen(root)] == '/'))
		snprintf(path, sizeof(path), "%s", cgroup);
	else if (snprintf(path, sizeof(path), "%s/%s", root,
			  cgroup[0] == '/' ? cgroup + 1 : cgroup) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	if (stat(path, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	/* cgroup v2 ids are the inode numbers of their directories. */
	*id = st.st_ino;
	return 0;
}

int eacct_pid_cgroup_id(const char *proc, const char *root, uint32_t pid,
			uint64_t *id)
{
	char path[512], line[4200];
	int err = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%u/cgroup", proc, pid);
	f = fopen(path, "r");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;	/* a v1 hierarchy */
		line[strcspn(line, "\n")] = '\0';
		err = eacct_cgroup_id(root, line + 3, id);
		break;
	}
	fclose(f);
	return err;
}
