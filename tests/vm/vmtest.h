/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the in-guest tests (abitest, hostile, fuzz): TAP output, the
 * module's files, /dev/eacct, cgroups, snapshots of everything a reader
 * can see.
 */
#ifndef EACCT_VMTEST_H
#define EACCT_VMTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../userspace/lib/batch.h"
#include "../../userspace/lib/sysfile.h"

#define CG_ROOT "/sys/fs/cgroup"
#define TEST_CG CG_ROOT "/eacct-test"
#define SYS "/sys/kernel/eacct"
#define MIRROR SYS "/cgroups/eacct-test"
#define DEV "/dev/eacct"
#define PKG0 EACCT_DOMAIN(EACCT_CLASS_CPU, 0)
#define DRAM0 EACCT_DOMAIN(EACCT_CLASS_DRAM, 0)
#define GPU0 EACCT_DOMAIN(EACCT_CLASS_GPU, 0)

extern int failures;

void tap(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The whole of a one-value file (lib/sysfile.c). */
int read_str(const char *path, char *buf, size_t len);
/* A sysfs counter, or UINT64_MAX when it cannot be read. */
uint64_t rd(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int write_str(const char *path, const char *s);
bool exists(const char *path);
/* A cgroup's id: its directory's inode number; 0 if there is none. */
uint64_t cg_id(const char *path);
uint64_t next_seq(void);
/* Raw bytes to /dev/eacct as one write(); 0 or -errno. */
int dev_write(const void *buf, size_t len);
int batch_write(struct eacct_batch *b);
/* One cgroup record in a batch of its own, with the next sequence number. */
int charge(uint64_t id, uint32_t domain, uint64_t uj, uint64_t ug);
/* Wait up to @ms for @path to exist (or not). */
bool wait_path(const char *path, bool want, int ms);
void mkcg(const char *path);
/*
 * Everything a reader can see, as one string: each file under
 * /sys/kernel/eacct (stats/batches_rejected and budget_ug excepted) and
 * /proc/eacct/processes.
 */
char *snapshot(void);

/* A netlink socket for kernel uevents, or -1. */
int uevent_socket(void);

/* The named tests, run in the order the command line names them. */
struct vm_test {
	const char *name;
	void (*fn)(void);
};

/* main() of a test program: 0, 1 if a test failed, 2 for an unknown name. */
int run_named_tests(const char *prog, const struct vm_test *tests, size_t n,
		    int argc, char **argv);

#endif /* EACCT_VMTEST_H */
