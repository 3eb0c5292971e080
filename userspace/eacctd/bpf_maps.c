// SPDX-License-Identifier: GPL-2.0
/*
 * Owns how eacctd reads a BPF hash map whole: BPF_MAP_LOOKUP_BATCH (a few
 * system calls for the whole map), or, where the kernel refuses batch
 * operations, key by key.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "bpf_maps.h"

static int read_batched(int fd, size_t ksz, size_t vsz, size_t max, char *k,
			char *v, size_t *n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 count, in = 0, out = 0;
	bool first = true;
	int err;

	*n = 0;
	for (;;) {
		count = (__u32)(max - *n);
		if (!count)
			return 0;
		err = bpf_map_lookup_batch(fd, first ? NULL : &in, &out,
					   k + *n * ksz, v + *n * vsz, &count, &opts);
		if (err && errno != ENOENT)
			return -errno;
		*n += count;
		if (err)	/* ENOENT: the end of the map */
			return 0;
		in = out;
		first = false;
	}
}

/* An entry deleted between the two calls is skipped: it is gone. */
static int read_by_key(int fd, size_t ksz, size_t vsz, size_t max, char *k,
		       char *v, size_t *n)
{
	char *prev = NULL;

	*n = 0;
	while (*n < max && !bpf_map_get_next_key(fd, prev, k + *n * ksz)) {
		prev = k + *n * ksz;
		if (bpf_map_lookup_elem(fd, prev, v + *n * vsz))
			continue;
		(*n)++;
	}
	return 0;
}

int bpf_map_read_all(int fd, size_t ksz, size_t vsz, size_t max, void **keys,
		     void **vals, size_t *n)
{
	char *k = malloc(max * ksz + ksz), *v = malloc(max * vsz + vsz);
	int err;

	if (!k || !v) {
		free(k);
		free(v);
		return -ENOMEM;
	}
	err = read_batched(fd, ksz, vsz, max, k, v, n);
	if (err == -EINVAL || err == -ENOTSUP || err == -EOPNOTSUPP)
		err = read_by_key(fd, ksz, vsz, max, k, v, n);
	if (err) {
		free(k);
		free(v);
		return err;
	}
	*keys = k;
	*vals = v;
	return 0;
}
