/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by gpu_account.bpf.c and eacctd: GPU use per cgroup and device. */
#ifndef EACCT_GPU_ACCOUNT_H
#define EACCT_GPU_ACCOUNT_H

#define EACCT_DRM_MAJOR		226
#define EACCT_NVIDIA_MAJOR	195
#define EACCT_MAX_GPU_USERS	16384	/* (cgroup, device) pairs */
#define EACCT_MAX_FENCES	65536	/* fences in flight */
#define EACCT_MAX_GPU_TASKS	16384	/* threads seen in a GPU ioctl */

/* Kernel dev_t: 12 bits of major, 20 of minor. */
#define EACCT_KDEV_MAJOR(dev)	((__u32)(dev) >> 20)
#define EACCT_KDEV_MINOR(dev)	((__u32)(dev) & 0xfffff)

/* gpu_use map: what one cgroup did on one device node. */
struct eacct_gpu_key {
	__u64 cgroup_id;
	__u32 rdev;			/* the device file's kernel dev_t */
	__u32 pad;
};

struct eacct_gpu_use {
	__u64 busy_ns;			/* fence lifetimes, from submit (drm_sched jobs:
					 * from the start of their run) to signal,
					 * credited each interval while in flight */
	__u64 fences;			/* fences signalled */
	__u64 ioctls;			/* ioctls on the device */
};

/* A fence in flight, bound at creation to the cgroup that submitted it. */
struct eacct_fence_key {
	__u64 context;
	__u64 seqno;
};

struct eacct_fence {
	__u64 cgroup_id;
	__u64 start_ns;			/* busy time credited up to here, or
					 * EACCT_FENCE_QUEUED, EACCT_FENCE_DONE */
	__u64 lock;			/* the fence's lock: pairs drm_sched fences */
	__u32 rdev;
	__u32 pad;
};

/*
 * start_ns of a drm_sched job's fence while the job waits in its queue:
 * nothing is credited until the job runs (gpu_sched.bpf.c, or the signal
 * of its "scheduled" fence). Above any clock value, so crediting skips it.
 */
#define EACCT_FENCE_QUEUED	(~0ULL - 1)
#define EACCT_FENCE_DONE	(~0ULL)		/* signalled: nothing more */

/* The thread's current or last GPU ioctl, to bind the fences it creates. */
struct eacct_gpu_task {
	__u64 cgroup_id;
	__u32 rdev;
	__s32 fd;
};

/*
 * An ioctl on an NVIDIA device file (major 195), as it returned: sent to
 * eacctd over the nv_ioctls ring buffer and decoded there (lib/nvrm.c).
 */
#define EACCT_NV_ARGS		64	/* room for NVOS64_PARAMETERS (48), the largest */
#define EACCT_NV_COPY		48	/* what is copied of it at most */
#define EACCT_NV_PARAMS		16	/* the start of RM_ALLOC's parameters */

struct eacct_nv_ioctl {
	__u64 cgroup_id;
	__u32 tgid;
	__u32 rdev;
	__u32 cmd;			/* the ioctl command */
	__s32 ret;			/* what the ioctl returned */
	__u32 xfer_cmd;			/* NV_ESC_IOCTL_XFER_CMD: the escape it carried */
	__u32 size;			/* the argument's size (the carried one's for xfer) */
	__u8 args[EACCT_NV_ARGS];	/* the argument, after the call */
	__u8 params[EACCT_NV_PARAMS];	/* RM_ALLOC: *pAllocParms */
};

struct eacct_gpu_stats {
	__u64 use_map_full;		/* ioctls or busy time dropped: gpu_use full */
	__u64 fence_map_full;		/* fences not followed: fences full */
	__u64 fences_unsignalled;	/* destroyed without a signal */
	__u64 claim_races;		/* a credit lost its compare-and-swap 8 times: late */
	__u64 nv_ioctls_lost;		/* NVIDIA ioctls not sent: ring buffer full */
	__u64 sched_pairs;		/* drm_sched jobs: "scheduled" fence dropped,
					 * "finished" fence queued */
	__u64 sched_run_by_fence;	/* ... started at the "scheduled" signal */
};

/* gpu_sched.bpf.c: the gpu_scheduler tracepoints. */
struct eacct_sched_stats {
	__u64 jobs_run;			/* run events seen */
	__u64 run_marked;		/* ... that started a queued fence */
};

#endif /* EACCT_GPU_ACCOUNT_H */
