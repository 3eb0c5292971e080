// SPDX-License-Identifier: GPL-2.0
/* Helpers of the in-guest tests; see vmtest.h. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <linux/netlink.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmtest.h"

int failures;

void tap(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", ok ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok)
		failures++;
}

void diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* The whole of a one-value file (lib/sysfile.c). */
int read_str(const char *path, char *buf, size_t len)
{
	return eacct_file_read(AT_FDCWD, path, buf, len);
}

/* A sysfs counter, or UINT64_MAX when it cannot be read. */
uint64_t rd(const char *fmt, ...)
{
	char path[512], buf[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	if (read_str(path, buf, sizeof(buf)))
		return UINT64_MAX;
	return strtoull(buf, NULL, 10);
}

int write_str(const char *path, const char *s)
{
	return eacct_file_write(AT_FDCWD, path, s);
}

bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

uint64_t cg_id(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : st.st_ino;
}

uint64_t next_seq(void)
{
	return rd(SYS "/seq") + 1;
}

/* Write raw bytes to /dev/eacct as one write(); 0 or -errno. */
int dev_write(const void *buf, size_t len)
{
	int fd = open(DEV, O_WRONLY), err = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, buf, len);
	if (n < 0)
		err = -errno;
	else if ((size_t)n != len)
		err = -EIO;
	close(fd);
	return err;
}

int batch_write(struct eacct_batch *b)
{
	size_t len;
	void *buf = eacct_batch_encode(b, &len);
	int err;

	if (!buf)
		return -ENOMEM;
	err = dev_write(buf, len);
	free(buf);
	return err;
}

/* One cgroup record in a batch of its own, with the next sequence number. */
int charge(uint64_t id, uint32_t domain, uint64_t uj, uint64_t ug)
{
	struct eacct_batch b;
	int err;

	eacct_batch_init(&b, next_seq());
	eacct_batch_add_cgroup(&b, id, domain, uj, ug);
	err = batch_write(&b);
	eacct_batch_free(&b);
	return err;
}

/* Wait up to @ms for @path to exist (or not); the sync runs every 1 s. */
bool wait_path(const char *path, bool want, int ms)
{
	for (; ms > 0; ms -= 50) {
		if (exists(path) == want)
			return true;
		usleep(50 * 1000);
	}
	return exists(path) == want;
}

void mkcg(const char *path)
{
	if (mkdir(path, 0755) && errno != EEXIST)
		diag("mkdir %s: %s", path, strerror(errno));
}

/*
 * Everything a reader can see, as one string: each file under
 * /sys/kernel/eacct (stats/batches_rejected excepted, it counts refusals)
 * and /proc/eacct/processes.
 */
static void snap_dir(const char *dir, char **out, size_t *len, FILE *f)
{
	struct dirent **names;
	char path[1024], buf[4096];
	struct stat st;
	int n, i;

	n = scandir(dir, &names, NULL, alphasort);
	for (i = 0; i < n; i++) {
		const char *name = names[i]->d_name;

		if (name[0] == '.' || !strcmp(name, "batches_rejected") ||
		    !strcmp(name, "budget_ug")) {
			free(names[i]);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (!lstat(path, &st) && S_ISDIR(st.st_mode))
			snap_dir(path, out, len, f);
		else if (!read_str(path, buf, sizeof(buf)))
			fprintf(f, "%s=%s", path, buf);
		free(names[i]);
	}
	free(names);
}

char *snapshot(void)
{
	char *out = NULL, buf[65536];
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	snap_dir(SYS, &out, &len, f);
	if (!read_str("/proc/eacct/processes", buf, sizeof(buf)))
		fputs(buf, f);
	fclose(f);
	return out;
}


int uevent_socket(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1 };
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
			NETLINK_KOBJECT_UEVENT);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		diag("uevent socket: %s", strerror(errno));
		return -1;
	}
	return fd;
}

int run_named_tests(const char *prog, const struct vm_test *tests, size_t n,
		    int argc, char **argv)
{
	size_t t;
	int i;

	for (i = 1; i < argc; i++) {
		for (t = 0; t < n; t++)
			if (!strcmp(argv[i], tests[t].name))
				break;
		if (t == n) {
			fprintf(stderr, "%s: unknown test %s\n", prog, argv[i]);
			return 2;
		}
		diag("%s %s", prog, tests[t].name);
		tests[t].fn();
	}
	return failures ? 1 : 0;
}
