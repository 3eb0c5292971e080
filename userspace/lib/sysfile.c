// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sysfile.h"

int eacct_file_read(int dirfd, const char *name, char *buf, size_t len)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

int eacct_file_read_line(int dirfd, const char *name, char *buf, size_t len)
{
	int err = eacct_file_read(dirfd, name, buf, len);

	if (!err)
		buf[strcspn(buf, "\n")] = '\0';
	return err;
}

int eacct_file_u64(int dirfd, const char *name, uint64_t *v)
{
	char buf[32], *end;
	int err = eacct_file_read(dirfd, name, buf, sizeof(buf));

	if (err)
		return err;
	errno = 0;
	*v = strtoull(buf, &end, 10);
	if (errno || end == buf || (*end && *end != '\n'))
		return -EINVAL;
	return 0;
}

int eacct_file_replace(const char *path, const void *buf, size_t len, bool durable)
{
	char tmp[4200];
	ssize_t n = 0;
	size_t done;
	int fd, err = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	for (done = 0; done < len; done += (size_t)n) {
		n = write(fd, (const char *)buf + done, len - done);
		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			break;
		}
	}
	if (!err && durable && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

int eacct_file_write(int dirfd, const char *name, const char *val)
{
	int fd = openat(dirfd, name, O_WRONLY | O_TRUNC | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	n = n < 0 ? -errno : 0;
	close(fd);
	return (int)n;
}

char *eacct_trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

char *eacct_next_line(char **text, int *lineno)
{
	char *line, *nl;

	while ((line = *text)) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		*text = nl;
		(*lineno)++;
		line = eacct_trim(line);
		if (*line && *line != '#')
			return line;
	}
	return NULL;
}
