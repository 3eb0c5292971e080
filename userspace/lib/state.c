// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "state.h"
#include "sysfile.h"

#define MAGIC_V1 "eacctd-state 1"
#define MAGIC "eacctd-state 2"

int eacct_boot_id(char *buf, size_t len)
{
	return eacct_file_read_line(AT_FDCWD, "/proc/sys/kernel/random/boot_id", buf, len);
}

/* Kill -9 needs the rename alone; a reboot makes the file moot: no fsync. */
int eacct_state_save(const char *path, const struct eacct_state *s)
{
	const struct eacct_state_meter *m;
	size_t i, len = 0;
	char *buf = NULL;
	FILE *f;
	int j, err;

	f = open_memstream(&buf, &len);
	if (!f)
		return -errno;
	fprintf(f, "%s\nseq %" PRIu64 "\nboot %s %" PRIu64 " %u\nrefused %d\n", MAGIC, s->seq,
		s->boot_id[0] ? s->boot_id : "-", s->boottime_ns, s->cgroup_map_id,
		s->refused ? 1 : 0);
	for (j = 0; j < s->nr_meters; j++) {
		m = &s->meters[j];
		fprintf(f, "meter %s %s %" PRIu64 " %" PRIu64 " %" PRIu64 " %.17g %s\n",
			m->domain, m->kind[0] ? m->kind : "-", m->wrap, m->last_raw,
			m->total_uj, m->frac_uj, m->source[0] ? m->source : "-");
	}
	for (i = 0; i < s->nr_cgroups; i++) {
		fprintf(f, "cgroup %" PRIu64, s->cgroups[i].id);
		for (j = 0; j < EACCT_STATE_PKGS; j++)
			fprintf(f, " %" PRIu64, s->cgroups[i].ns[j]);
		fputc('\n', f);
	}
	fprintf(f, "batch %zu\n", s->batch_len);
	if (s->batch_len)
		fwrite(s->batch, 1, s->batch_len, f);
	fprintf(f, "\nend\n");
	if (fclose(f))
		return -ENOMEM;
	err = eacct_file_replace(path, buf, len, false);
	free(buf);
	return err;
}

void eacct_state_free(struct eacct_state *s)
{
	free(s->cgroups);
	free(s->batch);
	memset(s, 0, sizeof(*s));
}

/* "-" stands for an empty field in the file. */
static void field(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", strcmp(src, "-") ? src : "");
}

static int parse_meter(struct eacct_state *s, const char *line, int version)
{
	char kind[16], source[sizeof(s->meters[0].source)];
	struct eacct_state_meter *m;

	if (s->nr_meters == EACCT_STATE_MAX_METERS)
		return -EINVAL;
	m = &s->meters[s->nr_meters++];
	if (version == 1) {
		if (sscanf(line, "meter %31s %" SCNu64 " %" SCNu64 " %lf", m->domain,
			   &m->last_raw, &m->total_uj, &m->frac_uj) != 4)
			return -EINVAL;
	} else if (sscanf(line, "meter %31s %15s %" SCNu64 " %" SCNu64 " %" SCNu64 " %lf %599[^\n]",
			  m->domain, kind, &m->wrap, &m->last_raw, &m->total_uj, &m->frac_uj,
			  source) != 7) {
		return -EINVAL;
	}
	/* A fraction of a microjoule, or the file is not one eacctd wrote. */
	if (!(m->frac_uj >= 0 && m->frac_uj < 1) || (m->wrap && m->last_raw >= m->wrap))
		return -EINVAL;
	if (version == 1)
		return 0;
	field(m->kind, sizeof(m->kind), kind);
	field(m->source, sizeof(m->source), source);
	return 0;
}

static int parse_cgroup(struct eacct_state *s, const char *line, size_t *cap)
{
	struct eacct_state_cgroup *cg;
	int j, off, used;

	if (s->nr_cgroups == *cap) {
		size_t n = *cap ? *cap * 2 : 256;

		cg = realloc(s->cgroups, n * sizeof(*cg));
		if (!cg)
			return -ENOMEM;
		s->cgroups = cg;
		*cap = n;
	}
	cg = &s->cgroups[s->nr_cgroups++];
	if (sscanf(line, "cgroup %" SCNu64 "%n", &cg->id, &off) != 1)
		return -EINVAL;
	for (j = 0; j < EACCT_STATE_PKGS; j++) {
		if (sscanf(line + off, " %" SCNu64 "%n", &cg->ns[j], &used) != 1)
			return -EINVAL;
		off += used;
	}
	return 0;
}

int eacct_state_load(const char *path, struct eacct_state *s)
{
	char line[1024], tail[8], boot[40];
	int err = -EINVAL, version;
	size_t cap = 0, len;
	FILE *f;

	memset(s, 0, sizeof(*s));
	f = fopen(path, "r");
	if (!f)
		return -errno;
	if (!fgets(line, sizeof(line), f))
		goto out;
	if (!strcmp(line, MAGIC "\n"))
		version = 2;
	else if (!strcmp(line, MAGIC_V1 "\n"))
		version = 1;
	else
		goto out;
	if (!fgets(line, sizeof(line), f) || sscanf(line, "seq %" SCNu64, &s->seq) != 1)
		goto out;
	while (fgets(line, sizeof(line), f)) {
		if (version == 2 && !strncmp(line, "boot ", 5)) {
			err = sscanf(line, "boot %39s %" SCNu64 " %u", boot, &s->boottime_ns,
				     &s->cgroup_map_id) == 3 ? 0 : -EINVAL;
			field(s->boot_id, sizeof(s->boot_id), boot);
		} else if (version == 2 && !strncmp(line, "refused ", 8)) {
			err = sscanf(line, "refused %d", &s->refused) == 1 ? 0 : -EINVAL;
		} else if (!strncmp(line, "meter ", 6)) {
			err = parse_meter(s, line, version);
		} else if (!strncmp(line, "cgroup ", 7)) {
			err = parse_cgroup(s, line, &cap);
		} else if (sscanf(line, "batch %zu", &len) == 1) {
			err = -EINVAL;
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
			goto out;
		} else {
			err = -EINVAL;
		}
		if (err)
			goto out;
		err = -EINVAL;	/* until the batch and "end" are read */
	}
out:
	fclose(f);
	if (err)
		eacct_state_free(s);
	return err;
}
