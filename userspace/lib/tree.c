// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sysfile.h"
#include "tree.h"

int eacct_read_u64(const char *path, uint64_t *v)
{
	return eacct_file_u64(AT_FDCWD, path, v);
}

/* The counters of the cgroup whose directory is open as @dirfd. */
static int cg_read_at(int dirfd, struct eacct_cg_stat *c, unsigned int what)
{
	uint64_t flag = 0, removed = 0;
	int err = 0;

	if (what & EACCT_READ_ID)
		err = eacct_file_u64(dirfd, "id", &c->id);
	if (!err && (what & EACCT_READ_CPU))
		err = eacct_file_u64(dirfd, "cpu_energy_uj", &c->cpu_uj);
	if (!err && (what & EACCT_READ_DRAM))
		err = eacct_file_u64(dirfd, "dram_energy_uj", &c->dram_uj);
	if (!err && (what & EACCT_READ_GPU))
		err = eacct_file_u64(dirfd, "gpu_energy_uj", &c->gpu_uj);
	if (!err && (what & EACCT_READ_CARBON))
		err = eacct_file_u64(dirfd, "carbon_ug", &c->carbon_ug);
	c->energy_uj = c->cpu_uj + c->dram_uj + c->gpu_uj;
	if (err || !(what & EACCT_READ_BUDGETS))
		return err;
	/* Budget files: root-only with world_readable=0; absent on old modules. */
	eacct_file_u64(dirfd, "budget_ug", &c->budget_ug);
	eacct_file_u64(dirfd, "energy_budget_uj", &c->energy_budget_uj);
	eacct_file_u64(dirfd, "budget_exceeded", &flag);
	eacct_file_u64(dirfd, "removed", &removed);
	if (eacct_file_read_line(dirfd, "budget_action", c->action, sizeof(c->action)))
		snprintf(c->action, sizeof(c->action), "notify");
	c->exceeded = flag;
	c->removed = removed;
	return 0;
}

int eacct_cg_read(const char *dir, const char *path, struct eacct_cg_stat *c)
{
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), err;

	memset(c, 0, sizeof(*c));
	if (dirfd < 0)
		return -errno;
	err = cg_read_at(dirfd, c, EACCT_READ_ALL);
	close(dirfd);
	if (!err) {
		c->path = strdup(path);
		if (!c->path)
			err = -ENOMEM;
	}
	return err;
}

static struct eacct_cg_stat *tree_add(struct eacct_tree *t)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 64;
		struct eacct_cg_stat *c = realloc(t->cgs, cap * sizeof(*c));

		if (!c)
			return NULL;
		t->cgs = c;
		t->cap = cap;
	}
	return &t->cgs[t->n++];
}

/* Is this entry a child cgroup rather than one of the entry's files? */
static bool is_child(int dirfd, const struct dirent *e)
{
	struct stat st;

	if (e->d_name[0] == '.')
		return false;
	if (e->d_type != DT_UNKNOWN)	/* sysfs says: no stat needed */
		return e->d_type == DT_DIR;
	return !fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) && S_ISDIR(st.st_mode);
}

/* getdents64's records: struct dirent's head, d_name after it. */
struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/*
 * The cgroup whose directory is open as @dfd, then its children; @dfd is
 * closed. getdents64 on the fd itself: opendir()'s fstat and fcntl would
 * cost two more system calls a cgroup, a tenth of a scrape.
 */
static int walk(int dfd, const char *path, struct eacct_tree *t, unsigned int what)
{
	char buf[8192], child[PATH_MAX];
	struct linux_dirent64 *e;
	struct eacct_cg_stat *c;
	struct dirent de;
	ssize_t n, off;
	int fd, err;

	c = tree_add(t);
	if (!c) {
		close(dfd);
		return -ENOMEM;
	}
	memset(c, 0, sizeof(*c));
	err = cg_read_at(dfd, c, what);
	if (err) {
		t->n--;
		close(dfd);
		return err == -ENOENT ? 0 : err;	/* gone meanwhile */
	}
	c->path = strdup(path);
	if (!c->path) {
		close(dfd);
		return -ENOMEM;
	}
	/*
	 * Counters are hierarchical: a class at 0 here is 0 in every
	 * descendant, not worth a read there (most cgroups never touch a GPU).
	 */
	if ((what & EACCT_READ_CPU) && !c->cpu_uj)
		what &= ~EACCT_READ_CPU;
	if ((what & EACCT_READ_DRAM) && !c->dram_uj)
		what &= ~EACCT_READ_DRAM;
	if ((what & EACCT_READ_GPU) && !c->gpu_uj)
		what &= ~EACCT_READ_GPU;
	if ((what & EACCT_READ_CARBON) && !c->carbon_ug)
		what &= ~EACCT_READ_CARBON;
	/*
	 * getdents64 stops early only when the next entry would not fit: a
	 * buffer left with room for the longest one means the end (a second
	 * call, to read 0, would be one system call more per cgroup).
	 */
	for (n = sizeof(buf); !err && (size_t)n > sizeof(buf) - sizeof(*e) - NAME_MAX - 8 &&
	     (n = getdents64(dfd, buf, sizeof(buf))) > 0;) {
		for (off = 0; !err && off < n; off += e->d_reclen) {
			e = (struct linux_dirent64 *)(buf + off);
			de.d_type = e->d_type;
			snprintf(de.d_name, sizeof(de.d_name), "%s", e->d_name);
			if (!is_child(dfd, &de))
				continue;
			snprintf(child, sizeof(child), "%s%s%s", path, strcmp(path, "/") ? "/" : "",
				 e->d_name);
			fd = openat(dfd, e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (fd < 0)
				continue;	/* removed meanwhile */
			err = walk(fd, child, t, what);
		}
	}
	close(dfd);
	return err;
}

int eacct_tree_read_some(const char *sysfs, struct eacct_tree *t, unsigned int what)
{
	char dir[PATH_MAX];
	int fd, err;

	memset(t, 0, sizeof(*t));
	snprintf(dir, sizeof(dir), "%s/cgroups", sysfs);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = walk(fd, "/", t, what);
	if (err)
		eacct_tree_free(t);
	return err;
}

int eacct_tree_read(const char *sysfs, struct eacct_tree *t)
{
	return eacct_tree_read_some(sysfs, t, EACCT_READ_ALL);
}

/* A budgets/ link's target, as a path in the mirror ("/a/b"). */
static int link_path(const char *sysfs, const char *link, char *path, size_t len)
{
	char target[PATH_MAX], dir[PATH_MAX], base[PATH_MAX], *rel;
	size_t n;

	snprintf(dir, sizeof(dir), "%s/cgroups", sysfs);
	if (!realpath(link, target) || !realpath(dir, base))
		return -errno;
	n = strlen(base);
	if (strncmp(target, base, n) || (target[n] && target[n] != '/'))
		return -EINVAL;
	rel = target + n;
	snprintf(path, len, "%s", *rel ? rel : "/");
	return 0;
}

int eacct_tree_read_budgets(const char *sysfs, struct eacct_tree *t)
{
	char dir[PATH_MAX], link[PATH_MAX + 256], path[PATH_MAX];
	struct eacct_cg_stat *c;
	struct dirent *e;
	int err = 0;
	DIR *d;

	memset(t, 0, sizeof(*t));
	snprintf(dir, sizeof(dir), "%s/budgets", sysfs);
	d = opendir(dir);
	if (!d)
		return -errno;
	while (!err && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "%s/%s", dir, e->d_name);
		if (link_path(sysfs, link, path, sizeof(path)))
			continue;	/* dropped meanwhile */
		c = tree_add(t);
		if (!c) {
			err = -ENOMEM;
			break;
		}
		err = eacct_cg_read(link, path, c);
		if (err) {
			t->n--;
			err = err == -ENOENT ? 0 : err;
		}
	}
	closedir(d);
	if (err)
		eacct_tree_free(t);
	return err;
}

void eacct_tree_free(struct eacct_tree *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->cgs[i].path);
	free(t->cgs);
	memset(t, 0, sizeof(*t));
}

/* Find the mirrored directory whose id file says @id, depth first. */
static int find_id(const char *dir, const char *path, uint64_t id, char *out,
		   size_t len, char *pout, size_t plen)
{
	char sub[PATH_MAX], child[PATH_MAX], file[PATH_MAX + 8];
	struct dirent *e;
	uint64_t v;
	int rc = -ENOENT, fd;
	DIR *d;

	snprintf(file, sizeof(file), "%s/id", dir);
	if (!eacct_read_u64(file, &v) && v == id) {
		snprintf(out, len, "%s", dir);
		snprintf(pout, plen, "%s", path);
		return 0;
	}
	d = opendir(dir);
	if (!d)
		return -ENOENT;
	fd = dirfd(d);
	while (rc == -ENOENT && (e = readdir(d))) {
		if (!is_child(fd, e))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name);
		snprintf(child, sizeof(child), "%s%s%s", path, strcmp(path, "/") ? "/" : "",
			 e->d_name);
		rc = find_id(sub, child, id, out, len, pout, plen);
	}
	closedir(d);
	return rc;
}

int eacct_tree_resolve(const char *sysfs, const char *cgroup_mount, const char *name,
		       char *dir, size_t len, char *path, size_t plen)
{
	char base[PATH_MAX], rel[PATH_MAX];
	size_t n = cgroup_mount ? strlen(cgroup_mount) : 0;
	struct stat st;
	char *end;
	uint64_t id;

	snprintf(base, sizeof(base), "%s/cgroups", sysfs);
	if (!*name)
		return -EINVAL;
	if (strspn(name, "0123456789") == strlen(name)) {
		errno = 0;
		id = strtoull(name, &end, 10);
		if (errno || !id)
			return -EINVAL;
		return find_id(base, "/", id, dir, len, path, plen);
	}
	/* A filesystem path under the cgroup2 mount: its path in the tree. */
	if (n > 1 && !strncmp(name, cgroup_mount, n) && (!name[n] || name[n] == '/'))
		name += n;
	while (*name == '/')
		name++;
	snprintf(rel, sizeof(rel), "/%s", name);
	n = strlen(rel);
	while (n > 1 && rel[n - 1] == '/')
		rel[--n] = '\0';
	if (strstr(rel, "/../") || (n >= 3 && !strcmp(rel + n - 3, "/..")))
		return -EINVAL;
	snprintf(dir, len, "%s%s", base, strcmp(rel, "/") ? rel : "");
	snprintf(path, plen, "%s", rel);
	if (stat(dir, &st) || !S_ISDIR(st.st_mode))
		return -ENOENT;
	snprintf(rel, sizeof(rel), "%s/id", dir);
	return access(rel, F_OK) ? -ENOENT : 0;
}

int eacct_domains_read(const char *sysfs, struct eacct_domain_stat *out, int max)
{
	char dir[PATH_MAX], file[PATH_MAX + 300];
	struct dirent **ents;
	int n, i, k = 0;

	snprintf(dir, sizeof(dir), "%s/domains", sysfs);
	n = scandir(dir, &ents, NULL, versionsort);
	if (n < 0)
		return -errno;
	for (i = 0; i < n; i++) {
		struct eacct_domain_stat *d = &out[k];

		if (ents[i]->d_name[0] != '.' && k < max &&
		    strlen(ents[i]->d_name) < sizeof(d->name)) {
			memset(d, 0, sizeof(*d));
			memcpy(d->name, ents[i]->d_name, strlen(ents[i]->d_name) + 1);
			snprintf(file, sizeof(file), "%s/%s/energy_uj", dir, d->name);
			if (!eacct_read_u64(file, &d->energy_uj)) {
				snprintf(file, sizeof(file), "%s/%s/idle_uj", dir, d->name);
				eacct_read_u64(file, &d->idle_uj);
				snprintf(file, sizeof(file), "%s/%s/carbon_ug", dir, d->name);
				eacct_read_u64(file, &d->carbon_ug);
				k++;
			}
		}
		free(ents[i]);
	}
	free(ents);
	return k;
}

unsigned int eacct_read_classes(const struct eacct_domain_stat *d, int n)
{
	unsigned int what = EACCT_READ_CPU | EACCT_READ_CARBON;
	int i;

	for (i = 0; i < n; i++) {
		if (!strncmp(d[i].name, "dram-", 5))
			what |= EACCT_READ_DRAM;
		else if (!strncmp(d[i].name, "gpu-", 4))
			what |= EACCT_READ_GPU;
	}
	return what;
}
