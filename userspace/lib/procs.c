// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "procs.h"

/* seq_escape()'s \ooo octal back into bytes, in place. */
static void unescape(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*w++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
}

static int parse_row(char *line, struct eacct_proc_row *r)
{
	char *f[9], *save = NULL, *end;
	int i;

	for (i = 0; i < 9; i++) {
		f[i] = strtok_r(i ? NULL : line, " ", &save);
		if (!f[i])
			return -EINVAL;
	}
	if (strtok_r(NULL, " ", &save))
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	errno = 0;
	r->pid = (uint32_t)strtoul(f[0], &end, 10);
	if (*end || errno)
		return -EINVAL;
	unescape(f[1]);
	snprintf(r->comm, sizeof(r->comm), "%s", f[1]);
	if (strcmp(f[2], "live") && strcmp(f[2], "exited"))
		return -EINVAL;
	r->exited = !strcmp(f[2], "exited");
	if (sscanf(f[3], "%" SCNu64, &r->cgroup_id) != 1 ||
	    sscanf(f[5], "%" SCNu64, &r->cpu_uj) != 1 ||
	    sscanf(f[6], "%" SCNu64, &r->dram_uj) != 1 ||
	    sscanf(f[7], "%" SCNu64, &r->gpu_uj) != 1 ||
	    sscanf(f[8], "%" SCNu64, &r->carbon_ug) != 1)
		return -EINVAL;
	unescape(f[4]);
	r->cgroup = strdup(f[4]);
	return r->cgroup ? 0 : -ENOMEM;
}

int eacct_procs_parse(const char *text, struct eacct_procs *p, size_t *bad)
{
	char *copy = strdup(text), *line, *save = NULL;
	struct eacct_proc_row r, *rows;
	size_t skipped = 0;
	int err = 0;

	memset(p, 0, sizeof(*p));
	if (!copy)
		return -ENOMEM;
	for (line = strtok_r(copy, "\n", &save); line && !err;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "pid ", 4))
			continue;	/* the header */
		err = parse_row(line, &r);
		if (err == -EINVAL) {
			skipped++;
			err = 0;
			continue;
		}
		if (err)
			break;
		if (p->n == p->cap) {
			size_t cap = p->cap ? 2 * p->cap : 64;

			rows = realloc(p->rows, cap * sizeof(*rows));
			if (!rows) {
				free(r.cgroup);
				err = -ENOMEM;
				break;
			}
			p->rows = rows;
			p->cap = cap;
		}
		p->rows[p->n++] = r;
	}
	free(copy);
	if (bad)
		*bad = skipped;
	if (err)
		eacct_procs_free(p);
	return err;
}

int eacct_procs_read(const char *path, struct eacct_procs *p)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	size_t len = 0;
	int err;

	memset(p, 0, sizeof(*p));
	if (!f)
		return -errno;
	err = getdelim(&text, &len, '\0', f) < 0 && ferror(f) ? -EIO : 0;
	fclose(f);
	if (!err)
		err = eacct_procs_parse(text ? text : "", p, NULL);
	free(text);
	return err;
}

void eacct_procs_free(struct eacct_procs *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free(p->rows[i].cgroup);
	free(p->rows);
	memset(p, 0, sizeof(*p));
}
