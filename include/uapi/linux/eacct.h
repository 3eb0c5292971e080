/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * eacct ingest ABI: the binary batch that eacctd writes to /dev/eacct.
 *
 * One write() carries exactly one batch: a header of header_size bytes,
 * then nr_cgroup_records cgroup records and nr_process_records process
 * records, nothing else. All integers are in the writer's native byte
 * order (the writer and the module run on the same machine). A batch is
 * applied whole or not at all.
 *
 * The header and the records grow by the kernel's extensible-struct rule
 * (as copy_struct_from_user()): header_size and the record sizes say how
 * large the writer's structures are. A module that knows larger ones
 * reads the missing fields as 0; one that knows smaller ones accepts the
 * extra bytes only when they are all 0, and refuses the batch with E2BIG
 * otherwise. A record size of 0 means the first size below (_VER0), so a
 * batch of the original layout is the same bytes for every module.
 * version changes only for a change old modules must not misread.
 */
#ifndef _UAPI_LINUX_EACCT_H
#define _UAPI_LINUX_EACCT_H

#include <linux/types.h>

#define EACCT_BATCH_MAGIC	0x54434145U	/* "EACT" read as little endian */
#define EACCT_BATCH_VERSION	1

#define EACCT_BATCH_HEADER_SIZE_VER0	32	/* the first header */
#define EACCT_CGROUP_RECORD_SIZE_VER0	32
#define EACCT_PROCESS_RECORD_SIZE_VER0	48
/* Largest header or record a module accepts, whatever it knows. */
#define EACCT_MAX_STRUCT_SIZE		512

/*
 * How far one batch may move the sequence past the last applied one. A
 * writer counts up by one per batch; a larger jump is refused (ERANGE),
 * so that no batch can use up the sequence space and block every later one.
 */
#define EACCT_MAX_SEQ_STEP		0x100000000ULL	/* 2^32 */

/* Largest batch the module accepts, header included. */
#define EACCT_BATCH_MAX_BYTES	(16U << 20)
/* Largest energy or carbon delta one record may carry (1 GJ, 1 t CO2e). */
#define EACCT_MAX_DELTA		1000000000000000ULL

/*
 * A domain is one metered energy source. Its id packs a class and an index:
 * class CPU index 0 is "package-0", DRAM index 1 is "dram-1", GPU index 3
 * is "gpu-3". Platform meters (psys) cover the other classes and are never
 * charged, so they have no class here.
 */
enum eacct_domain_class {
	EACCT_CLASS_CPU = 0,
	EACCT_CLASS_DRAM = 1,
	EACCT_CLASS_GPU = 2,
	EACCT_NR_CLASSES,
};

#define EACCT_MAX_DOMAIN_INDEX	256
#define EACCT_DOMAIN(class, index)	(((__u32)(class) << 16) | (__u16)(index))
#define EACCT_DOMAIN_CLASS(domain)	((__u32)(domain) >> 16)
#define EACCT_DOMAIN_INDEX(domain)	((__u32)(domain) & 0xffffU)

struct eacct_batch_header {
	__u32 magic;		/* EACCT_BATCH_MAGIC */
	__u16 version;		/* EACCT_BATCH_VERSION */
	__u16 header_size;	/* the writer's sizeof(this), a multiple of 8 */
	__u64 seq;		/* above the last applied, by at most
				 * EACCT_MAX_SEQ_STEP
				 */
	__u32 nr_cgroup_records;
	__u32 nr_process_records;
	__u32 flags;		/* none defined: must be 0 */
	__u16 cgroup_record_size;	/* 0: EACCT_CGROUP_RECORD_SIZE_VER0 */
	__u16 process_record_size;	/* 0: EACCT_PROCESS_RECORD_SIZE_VER0 */
};

/*
 * Energy and carbon charged to one cgroup (cgroup v2 id, the inode number
 * of its directory) for one domain during one interval. The charge is the
 * cgroup's own: the module adds it to every ancestor as well. A record with
 * zero deltas is valid and makes the module start tracking the cgroup, so
 * that its counters outlive an rmdir.
 */
struct eacct_cgroup_record {
	__u64 cgroup_id;	/* 0 for an EACCT_RECORD_IDLE record */
	__u32 domain;		/* EACCT_DOMAIN(class, index) */
	__u32 flags;		/* EACCT_RECORD_* */
	__u64 energy_uj;
	__u64 carbon_ug;
};

/*
 * The domain's energy that no cgroup was charged (the idle policy's
 * unattributed part). It counts in the domain's totals and idle_uj, in no
 * cgroup; its cgroup_id must be 0. With it, a domain's energy_uj is the
 * meter's whole measurement: charged plus idle.
 */
#define EACCT_RECORD_IDLE	0x1U

#define EACCT_COMM_LEN 16

/*
 * The share of the cgroup charges above that one process (thread group)
 * spent. Process records do not add to cgroup counters: they feed the
 * per-process table only.
 */
struct eacct_process_record {
	__u64 cgroup_id;	/* the process's cgroup during the interval */
	__u32 tgid;		/* in the initial pid namespace */
	__u32 domain;
	__u64 energy_uj;
	__u64 carbon_ug;
	char comm[EACCT_COMM_LEN];	/* NUL terminated */
};

#endif /* _UAPI_LINUX_EACCT_H */
