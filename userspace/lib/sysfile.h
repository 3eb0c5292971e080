/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One-value files, as sysfs, cgroupfs and the tests' fixture trees hold
 * them: read whole, written whole (with O_TRUNC, as a shell's
 * redirection: sysfs ignores it, a plain file needs it).
 */
#ifndef EACCT_SYSFILE_H
#define EACCT_SYSFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* @name under the directory @dirfd (AT_FDCWD: a path), up to @len - 1 bytes. */
int eacct_file_read(int dirfd, const char *name, char *buf, size_t len);
/* The same with the trailing newline gone. */
int eacct_file_read_line(int dirfd, const char *name, char *buf, size_t len);
/* A decimal u64 (and a newline). 0, -EINVAL or -errno. */
int eacct_file_u64(int dirfd, const char *name, uint64_t *v);
int eacct_file_write(int dirfd, const char *name, const char *val);

/*
 * Replace @path by @len bytes atomically: a temporary file beside it,
 * renamed over it, so that a reader, or eacctd after kill -9, finds the
 * old file or the new one, never a torn one. @durable: fsync() first, for
 * a file that must outlive a power cut (eacctd's own files need not: a
 * reboot starts the module's counters again and makes them moot).
 */
int eacct_file_replace(const char *path, const void *buf, size_t len, bool durable);

/* "a  b \n" -> "a  b": leading and trailing white space cut, in place. */
char *eacct_trim(char *s);

/*
 * Line by line through @*text (modified in place): the next line that is
 * neither blank nor a '#' comment, trimmed, or NULL at the end. *lineno
 * counts every line, for messages that name one.
 */
char *eacct_next_line(char **text, int *lineno);

#endif /* EACCT_SYSFILE_H */
