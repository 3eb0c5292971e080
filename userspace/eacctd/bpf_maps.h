/* SPDX-License-Identifier: GPL-2.0 */
/* Reading a whole BPF hash map: the one reader of the CPU and GPU maps. */
#ifndef EACCTD_BPF_MAPS_H
#define EACCTD_BPF_MAPS_H

#include <stddef.h>

/*
 * Every (key, value) of the map @fd, up to @max: *@keys and *@vals are
 * malloc()ed arrays of *@n entries (free them). 0 or -errno.
 */
int bpf_map_read_all(int fd, size_t ksz, size_t vsz, size_t max, void **keys,
		     void **vals, size_t *n);

#endif /* EACCTD_BPF_MAPS_H */
