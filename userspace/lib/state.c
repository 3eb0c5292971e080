// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "state.h"

#define MAGIC "eacctd-state 1"

int eacct_state_save(const char *path, const struct eacct_state *s)
{
	char tmp[512];
	size_t i;
	FILE *f;
	int j, err = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	fprintf(f, "%s\nseq %" PRIu64 "\n", MAGIC, s->seq);
	for (j = 0; j < s->nr_meters; j++)
		fprintf(f, "meter %s %" PRIu64 " %" PRIu64 " %.17g\n",
			s->meters[j].domain, s->meters[j].last_raw,
			s->meters[j].total_uj, s->meters[j].frac_uj);
	for (i = 0; i < s->nr_cgroups; i++) {
		fprintf(f, "cgroup %" PRIu64, s->cgroups[i].id);
		for (j = 0; j < EACCT_STATE_PKGS; j++)
			fprintf(f, " %" PRIu64, s->cgroups[i].ns[j]);
		fputc('\n', f);
	}
	fprintf(f, "batch %zu\n", s->batch_len);
	if (s->batch_len && fwrite(s->batch, 1, s->batch_len, f) != s->batch_len)
		err = -EIO;
	fprintf(f, "\nend\n");
	if (fflush(f) || fsync(fileno(f)))
		err = -errno;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

void eacct_state_free(struct eacct_state *s)
{
	free(s->cgroups);
	free(s->batch);
	memset(s, 0, sizeof(*s));
}

int eacct_state_load(const char *path, struct eacct_state *s)
{
	struct eacct_state_cgroup *cg;
	struct eacct_state_meter *m;
	char line[512], tail[8];
	size_t cap = 0, len;
	int err = -EINVAL, j, off;
	FILE *f;

	memset(s, 0, sizeof(*s));
	f = fopen(path, "r");
	if (!f)
		return -errno;
	if (!fgets(line, sizeof(line), f) || strcmp(line, MAGIC "\n") ||
	    !fgets(line, sizeof(line), f) ||
	    sscanf(line, "seq %" SCNu64, &s->seq) != 1)
		goto out;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "meter ", 6)) {
			if (s->nr_meters == EACCT_STATE_MAX_METERS)
				goto out;
			m = &s->meters[s->nr_meters++];
			if (sscanf(line, "meter %31s %" SCNu64 " %" SCNu64 " %lf",
				   m->domain, &m->last_raw, &m->total_uj,
				   &m->frac_uj) != 4)
				goto out;
		} else if (!strncmp(line, "cgroup ", 7)) {
			if (s->nr_cgroups == cap) {
				cap = cap ? cap * 2 : 256;
				cg = realloc(s->cgroups, cap * sizeof(*cg));
				if (!cg) {
					err = -ENOMEM;
					goto out;
				}
				s->cgroups = cg;
			}
			cg = &s->cgroups[s->nr_cgroups++];
			if (sscanf(line, "cgroup %" SCNu64 "%n", &cg->id, &off) != 1)
				goto out;
			for (j = 0; j < EACCT_STATE_PKGS; j++) {
				int used;

				if (sscanf(line + off, " %" SCNu64 "%n", &cg->ns[j], &used) != 1)
					goto out;
				off += used;
			}
		} else if (sscanf(line, "batch %zu", &len) == 1) {
			if (len > (16U << 20))
				goto out;
			s->batch = malloc(len ? len : 1);
			if (!s->batch) {
				err = -ENOMEM;
				goto out;
			}
			s->batch_len = len;
			/* The batch, then "\nend\n": a torn file fails here. */
			if (fread(s->batch, 1, len, f) != len ||
			    !fgets(tail, sizeof(tail), f) || strcmp(tail, "\n") ||
			    !fgets(tail, sizeof(tail), f) || strcmp(tail, "end\n"))
				goto out;
			err = 0;
			break;
		} else {
			goto out;
		}
	}
out:
	fclose(f);
	if (err)
		eacct_state_free(s);
	return err;
}
