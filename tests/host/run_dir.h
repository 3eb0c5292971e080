/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A host test's own directory (one per test process: runs may overlap)
 * and the eacctd log in it.
 */
#ifndef EACCT_RUN_DIR_H
#define EACCT_RUN_DIR_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static char dir[64];	/* set by the test: /tmp/eacct-...-PID */

/* A file of the run's directory; four can be in use at a time. */
static const char *path_in(const char *name)
{
	static char path[4][128];
	static int next;
	char *p = path[next++ % 4];

	snprintf(p, sizeof(path[0]), "%s/%s", dir, name);
	return p;
}

/* Lines of eacctd.log holding @needle. */
static int log_count(const char *needle)
{
	char line[1024];
	int n = 0;
	FILE *f = fopen(path_in("eacctd.log"), "r");

	while (f && fgets(line, sizeof(line), f))
		n += strstr(line, needle) != NULL;
	if (f)
		fclose(f);
	return n;
}

static inline bool log_has(const char *needle)
{
	return log_count(needle) > 0;
}

#endif /* EACCT_RUN_DIR_H */
