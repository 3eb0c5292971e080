/* SPDX-License-Identifier: GPL-2.0 */
/*
 * eacctd's BPF objects across its restarts: pinned under bpf_pin_dir, so
 * the programs keep counting while eacctd is down; found again at start;
 * and, when the pinned links run another build of the programs (an
 * upgrade), replaced without a gap. The one pin path of the CPU and GPU
 * objects.
 */
#ifndef EACCTD_PINS_H
#define EACCTD_PINS_H

#include <stddef.h>

struct bpf_link;
struct bpf_map;
struct bpf_program;

enum pins_found {
	PINS_NONE,	/* no link pinned: a first start */
	PINS_PARTIAL,	/* some of the set: start over */
	PINS_SAME,	/* all, running the programs just loaded: keep them */
	PINS_OTHER,	/* all, running another build: replace them */
};

/* bpffs at @pin_dir's parent (mounted if need be), and @pin_dir in it. */
int pins_dir(const char *pin_dir);
/* Maps pinned by name under @pin_dir: reused at load if there, pinned if not. */
int pins_maps(const char *pin_dir, const char *const *names, struct bpf_map *const *maps,
	      size_t n);
/* Remove the pins named (maps and links alike). */
void pins_remove(const char *pin_dir, const char *const *names, size_t n);
/* The pinned links named, against @progs as loaded now (by program tag). */
enum pins_found pins_check(const char *pin_dir, const char *const *names,
			   struct bpf_program *const *progs, size_t n);
/*
 * Pin @links, attached already, under @names in place of what is pinned
 * there: the old links detach as their pins go, after the new ones run.
 */
int pins_replace(const char *pin_dir, const char *const *names,
		 struct bpf_link *const *links, size_t n);

#endif /* EACCTD_PINS_H */
