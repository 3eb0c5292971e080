// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sysfile.h"
#include "tree.h"

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
static bool is_child(int dirfd, const char *name, unsigned char type)
{
	struct stat st;

	if (name[0] == '.')
		return false;
	if (type != DT_UNKNOWN)	/* sysfs says: no stat needed */
		return type == DT_DIR;
	return !fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) && S_ISDIR(st.st_mode);
}

/*
 * A mirrored directory's name, as the cgroup is called: the module puts
 * one '%' before names that would clash with its files or begin with '%'.
 */
static const char *cgroup_name(const char *mirror_name)
{
	return mirror_name[0] == '%' ? mirror_name + 1 : mirror_name;
}

/* "@parent/@name" (no double slash under "/"), malloc'd. */
static char *path_join(const char *parent, const char *name)
{
	char *path;

	if (asprintf(&path, "%s%s%s", parent, strcmp(parent, "/") ? "/" : "", name) < 0)
		return NULL;
	return path;
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
 * The cgroup whose directory is open as @dfd, into @t; *what loses the
 * classes at 0 here. Counters are hierarchical: a class at 0 here is 0
 * in every descendant, not worth a read there (most cgroups never touch
 * a GPU). 1 if it was read, 0 if it went meanwhile, or -errno.
 */
static int read_self(int dfd, const char *path, struct eacct_tree *t, unsigned int *what)
{
	struct eacct_cg_stat *c = tree_add(t);
	int err;

	if (!c)
		return -ENOMEM;
	memset(c, 0, sizeof(*c));
	err = cg_read_at(dfd, c, *what);
	if (err) {
		t->n--;
		return err == -ENOENT ? 0 : err;	/* gone meanwhile */
	}
	c->path = strdup(path);
	if (!c->path)
		return -ENOMEM;
	if ((*what & EACCT_READ_CPU) && !c->cpu_uj)
		*what &= ~EACCT_READ_CPU;
	if ((*what & EACCT_READ_DRAM) && !c->dram_uj)
		*what &= ~EACCT_READ_DRAM;
	if ((*what & EACCT_READ_GPU) && !c->gpu_uj)
		*what &= ~EACCT_READ_GPU;
	if ((*what & EACCT_READ_CARBON) && !c->carbon_ug)
		*what &= ~EACCT_READ_CARBON;
	return 1;
}

/*
 * Each child cgroup of the directory open as @dfd, given to @fn with its
 * name. getdents64 on the fd itself: opendir()'s fstat and fcntl would be
 * two more system calls a cgroup. It stops early only when the next
 * entry would not fit: a buffer left with room for the longest one (a
 * cgroup name may be as long as a path) means the end (a second call, to
 * read 0, would be one more).
 */
static int each_child(int dfd, int (*fn)(int dfd, const char *name, void *arg), void *arg)
{
	char buf[32768];
	struct linux_dirent64 *e;
	ssize_t n, off;
	int err = 0;

	for (n = sizeof(buf); !err && (size_t)n > sizeof(buf) - sizeof(*e) - PATH_MAX - 8 &&
	     (n = getdents64(dfd, buf, sizeof(buf))) > 0;) {
		for (off = 0; !err && off < n; off += e->d_reclen) {
			e = (struct linux_dirent64 *)(buf + off);
			if (is_child(dfd, e->d_name, e->d_type))
				err = fn(dfd, e->d_name, arg);
		}
	}
	return err;
}

struct walk_arg {
	const char *path;
	struct eacct_tree *t;
	unsigned int what;
};

static int walk(int dfd, const char *path, struct eacct_tree *t, unsigned int what);

static int walk_child(int dfd, const char *name, void *arg)
{
	struct walk_arg *w = arg;
	char *child;
	int fd, err;

	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0;	/* removed meanwhile */
	child = path_join(w->path, cgroup_name(name));
	if (!child) {
		close(fd);
		return -ENOMEM;
	}
	err = walk(fd, child, w->t, w->what);
	free(child);
	return err;
}

/* The cgroup open as @dfd, then its subtree, depth first; @dfd is closed. */
static int walk(int dfd, const char *path, struct eacct_tree *t, unsigned int what)
{
	struct walk_arg w = { .path = path, .t = t, .what = what };
	int err = read_self(dfd, path, t, &w.what);

	if (err > 0)
		err = each_child(dfd, walk_child, &w);
	close(dfd);
	return err;
}

/*
 * The root's children, walked by a few threads at once: a scrape of a
 * large tree is system calls, one cgroup after another, and a node has
 * cores to spare for it. Each thread fills its own tree; they are joined
 * after the root, each subtree parents first.
 */
#define WALKERS 4

struct walkers {
	int rootfd;
	unsigned int what;
	char **names;
	size_t n;
	size_t next;			/* atomically taken */
	struct eacct_tree trees[WALKERS];
	int err[WALKERS];
};

struct walker {
	struct walkers *all;
	int k;
};

static void *walker(void *arg)
{
	struct walker *me = arg;
	struct walkers *all = me->all;
	struct walk_arg w = { .path = "/", .t = &all->trees[me->k], .what = all->what };
	size_t i;

	while (!all->err[me->k] && (i = __atomic_fetch_add(&all->next, 1, __ATOMIC_RELAXED)) < all->n)
		all->err[me->k] = walk_child(all->rootfd, all->names[i], &w);
	return NULL;
}

static int collect_name(int dfd, const char *name, void *arg)
{
	struct walkers *all = arg;
	char **names;

	(void)dfd;
	if (!(all->n & (all->n + 1)) || !all->names) {	/* grow at 0, 1, 3, 7, ... */
		names = realloc(all->names, (2 * all->n + 2) * sizeof(*names));
		if (!names)
			return -ENOMEM;
		all->names = names;
	}
	all->names[all->n] = strdup(name);
	if (!all->names[all->n])
		return -ENOMEM;
	all->n++;
	return 0;
}

static int walk_root(int rootfd, struct eacct_tree *t, unsigned int what)
{
	struct walkers all = { .rootfd = rootfd };
	struct walker me[WALKERS];
	pthread_t tid[WALKERS];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int err, k, nr = 0;
	size_t i;

	err = read_self(rootfd, "/", t, &what);
	/*
	 * The root cgroup's counters are the node's energy, root's alone
	 * unless the module says otherwise: others read the cgroups below.
	 */
	if (err == -EACCES)
		err = 1;
	if (err <= 0)
		return err;
	all.what = what;
	err = each_child(rootfd, collect_name, &all);
	for (k = 0; !err && k < WALKERS && k < cpus && (size_t)k < all.n; k++) {
		me[k] = (struct walker){ .all = &all, .k = k };
		/* The first walker is this thread; the others join it. */
		if (k && pthread_create(&tid[k], NULL, walker, &me[k]))
			break;
		nr = k + 1;
	}
	if (nr)
		walker(&me[0]);
	for (k = 1; k < nr; k++)
		pthread_join(tid[k], NULL);
	for (k = 0; k < nr; k++) {
		struct eacct_tree *sub = &all.trees[k];

		err = err ? err : all.err[k];
		for (i = 0; i < sub->n; i++) {
			struct eacct_cg_stat *c = err ? NULL : tree_add(t);

			if (!c) {
				free(sub->cgs[i].path);
				err = err ? err : -ENOMEM;
				continue;
			}
			*c = sub->cgs[i];
		}
		free(sub->cgs);
	}
	for (i = 0; i < all.n; i++)
		free(all.names[i]);
	free(all.names);
	return err;
}

/*
 * A kept removed cgroup's path, from its path file; an entry of a module
 * without one, or whose path is too long for a page, is called by its id.
 */
static char *removed_path(int dfd, const char *id)
{
	char buf[4096], *path;

	if (!eacct_file_read_line(dfd, "path", buf, sizeof(buf)) && buf[0] == '/')
		return strdup(buf);
	if (asprintf(&path, "(removed %s)", id) < 0)
		return NULL;
	return path;
}

/* Every entry of @sysfs/removed, after the live tree. */
static int read_removed(const char *sysfs, struct eacct_tree *t, unsigned int what)
{
	struct eacct_cg_stat *c;
	struct dirent *e;
	char dir[PATH_MAX];
	int fd, err = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/removed", sysfs);
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;	/* a module before 0.2 */
	while (!err && (e = readdir(d))) {
		if (!is_child(dirfd(d), e->d_name, e->d_type))
			continue;
		fd = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			continue;	/* dropped meanwhile */
		c = tree_add(t);
		if (!c) {
			err = -ENOMEM;
		} else {
			memset(c, 0, sizeof(*c));
			err = cg_read_at(fd, c, what);
			c->removed = true;
			if (!err)
				c->path = removed_path(fd, e->d_name);
			if (!err && !c->path)
				err = -ENOMEM;
			if (err) {
				t->n--;
				err = err == -ENOENT ? 0 : err;
			}
		}
		close(fd);
	}
	closedir(d);
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
	err = walk_root(fd, t, what);
	close(fd);
	if (!err)
		err = read_removed(sysfs, t, what);
	if (err)
		eacct_tree_free(t);
	return err;
}

int eacct_tree_read(const char *sysfs, struct eacct_tree *t)
{
	return eacct_tree_read_some(sysfs, t, EACCT_READ_ALL);
}

/*
 * A budgets/ link's cgroup path ("/a/b"): its path file, or on a module
 * before 0.2, where the link leads in the mirror.
 */
static int link_path(const char *sysfs, const char *link, char *path, size_t len)
{
	char target[PATH_MAX], dir[PATH_MAX + 300], base[PATH_MAX], *rel, *s;
	size_t n;

	snprintf(dir, sizeof(dir), "%s/path", link);
	if (!eacct_file_read_line(AT_FDCWD, dir, path, len) && path[0] == '/')
		return 0;
	snprintf(dir, sizeof(dir), "%s/cgroups", sysfs);
	if (!realpath(link, target) || !realpath(dir, base))
		return -errno;
	n = strlen(base);
	if (strncmp(target, base, n) || (target[n] && target[n] != '/'))
		return -EINVAL;
	rel = target + n;
	snprintf(path, len, "%s", *rel ? rel : "/");
	/* Mirrored names to cgroup names: one '%' less after each '/'. */
	for (s = path; (s = strstr(s, "/%")); s++)
		memmove(s + 1, s + 2, strlen(s + 2) + 1);
	return 0;
}

int eacct_tree_read_budgets(const char *sysfs, struct eacct_tree *t)
{
	char dir[PATH_MAX], link[PATH_MAX + 256], path[4096];
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
	if (!eacct_file_u64(AT_FDCWD, file, &v) && v == id) {
		snprintf(out, len, "%s", dir);
		snprintf(pout, plen, "%s", path);
		return 0;
	}
	d = opendir(dir);
	if (!d)
		return -ENOENT;
	fd = dirfd(d);
	while (rc == -ENOENT && (e = readdir(d))) {
		if (!is_child(fd, e->d_name, e->d_type))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name);
		snprintf(child, sizeof(child), "%s%s%s", path, strcmp(path, "/") ? "/" : "",
			 cgroup_name(e->d_name));
		rc = find_id(sub, child, id, out, len, pout, plen);
	}
	closedir(d);
	return rc;
}

/* A kept removed cgroup by id: removed/<id>, named by its path file. */
static int find_removed(const char *sysfs, uint64_t id, char *dir, size_t len,
			char *path, size_t plen)
{
	char idstr[24], *p;
	struct stat st;
	int fd;

	snprintf(dir, len, "%s/removed/%" PRIu64, sysfs, id);
	if (stat(dir, &st) || !S_ISDIR(st.st_mode))
		return -ENOENT;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -ENOENT;
	snprintf(idstr, sizeof(idstr), "%" PRIu64, id);
	p = removed_path(fd, idstr);
	close(fd);
	if (!p)
		return -ENOMEM;
	snprintf(path, plen, "%s", p);
	free(p);
	return 0;
}

/*
 * The mirrored directory of the cgroup path @rel ("/a/b"), one component
 * at a time: a name the module had to escape is found as "%<name>".
 */
static int mirror_dir(const char *base, const char *rel, char *dir, size_t len)
{
	char comp[PATH_MAX], try[PATH_MAX * 2];
	const char *s = rel, *end;
	struct stat st;
	size_t n;

	snprintf(dir, len, "%s", base);
	while (*s) {
		while (*s == '/')
			s++;
		if (!*s)
			break;
		end = strchrnul(s, '/');
		n = (size_t)(end - s);
		if (n >= sizeof(comp))
			return -ENAMETOOLONG;
		memcpy(comp, s, n);
		comp[n] = '\0';
		s = end;
		snprintf(try, sizeof(try), "%s/%s", dir, comp);
		if (comp[0] == '%' || stat(try, &st) || !S_ISDIR(st.st_mode))
			snprintf(try, sizeof(try), "%s/%%%s", dir, comp);
		if (strlen(try) >= len)
			return -ENAMETOOLONG;
		snprintf(dir, len, "%s", try);
	}
	return 0;
}

int eacct_tree_resolve(const char *sysfs, const char *cgroup_mount, const char *name,
		       char *dir, size_t len, char *path, size_t plen)
{
	char base[PATH_MAX], rel[PATH_MAX];
	size_t n = cgroup_mount ? strlen(cgroup_mount) : 0;
	struct stat st;
	char *end;
	uint64_t id;
	int err;

	snprintf(base, sizeof(base), "%s/cgroups", sysfs);
	if (!*name)
		return -EINVAL;
	if (strspn(name, "0123456789") == strlen(name)) {
		errno = 0;
		id = strtoull(name, &end, 10);
		if (errno || !id)
			return -EINVAL;
		if (!find_removed(sysfs, id, dir, len, path, plen))
			return 0;
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
	err = mirror_dir(base, rel, dir, len);
	if (err)
		return err == -ENAMETOOLONG ? -EINVAL : err;
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
	int n, i, k = 0, err;
	bool denied = false;

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
			err = eacct_file_u64(AT_FDCWD, file, &d->energy_uj);
			denied |= err == -EACCES;
			if (!err) {
				snprintf(file, sizeof(file), "%s/%s/idle_uj", dir, d->name);
				eacct_file_u64(AT_FDCWD, file, &d->idle_uj);
				snprintf(file, sizeof(file), "%s/%s/carbon_ug", dir, d->name);
				eacct_file_u64(AT_FDCWD, file, &d->carbon_ug);
				k++;
			}
		}
		free(ents[i]);
	}
	free(ents);
	/* None readable, for want of permission: the node's energy is root's. */
	return !k && denied ? -EACCES : k;
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
