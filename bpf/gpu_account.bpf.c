// SPDX-License-Identifier: GPL-2.0
/*
 * GPU use per cgroup and device node, without kprobes or driver BTF.
 *
 * The ioctl syscall names the device: its fd resolves to the inode's
 * dev_t, and DRM (major 226) and NVIDIA (195, plus nvidia-uvm's dynamic
 * major, given by eacctd) device files count as GPU ioctls, per cgroup
 * and device. A dma_fence created during such an ioctl (a job's fence:
 * drivers create it in the submitting ioctl) is bound to that cgroup and
 * device; its busy time ends when it is signalled. Fences created
 * elsewhere (a driver's own threads, hardware fences) are not followed.
 * A drm_sched job's fence waits queued until the job runs (see
 * fence_init): its busy time is its run time, not its time in the queue.
 *
 * sys_enter fires for every system call, so the first tests are the
 * syscall number and the ioctl's type byte: DRM ioctls are all type 'd',
 * NVIDIA's 'F', nvidia-uvm's plain numbers. Only those pay for the fd
 * lookup (measured: 195 ns against 60 for an empty program when every
 * ioctl was looked up), which then confirms the device.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "gpu_account.h"
#include "gpu_fences.bpf.h"

#define NR_IOCTL 16	/* x86_64 */

/* eacctd deletes idle users: not preallocated, see cgroup_ns in cpu_account.bpf.c. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, EACCT_MAX_GPU_USERS);
	__type(key, struct eacct_gpu_key);
	__type(value, struct eacct_gpu_use);
} gpu_use SEC(".maps");

/* Bounded by recency: a thread not in a GPU ioctl for long falls out. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, EACCT_MAX_GPU_TASKS);
	__type(key, __u32);
	__type(value, struct eacct_gpu_task);
} gpu_tasks SEC(".maps");

/* NVIDIA RM allocations and frees, decoded by eacctd (lib/nvrm.c). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} nv_ioctls SEC(".maps");

const volatile __u32 uvm_major;	/* nvidia-uvm's, 0 if absent */
struct eacct_gpu_stats stats;

static __always_inline bool maybe_gpu_cmd(__u32 cmd)
{
	__u32 type = (cmd >> 8) & 0xff;		/* _IOC_TYPE */

	if (type == 'd' || type == 'F')
		return true;
	/* nvidia-uvm: UVM_IOCTL_BASE(i) is i; UVM_INITIALIZE 0x30000001. */
	return uvm_major && (cmd < 0x1000 || (cmd & 0xfffffff0) == 0x30000000);
}

static __always_inline bool gpu_major(__u32 major)
{
	return major == EACCT_DRM_MAJOR || major == EACCT_NVIDIA_MAJOR ||
	       (uvm_major && major == uvm_major);
}

/* The dev_t of the character device behind @fd, 0 for anything else. */
static __always_inline __u32 fd_rdev(int fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt = task->files->fdt;
	struct file *file = NULL;
	struct inode *inode;

	if (fd < 0 || fd >= fdt->max_fds)
		return 0;
	bpf_probe_read_kernel(&file, sizeof(file), &fdt->fd[fd]);
	if (!file)
		return 0;
	inode = BPF_CORE_READ(file, f_inode);
	if ((BPF_CORE_READ(inode, i_mode) & 00170000) != 0020000)	/* S_IFCHR */
		return 0;
	return BPF_CORE_READ(inode, i_rdev);
}

static __always_inline struct eacct_gpu_use *use_entry(__u64 cgroup_id, __u32 rdev)
{
	static const struct eacct_gpu_use zero;
	struct eacct_gpu_key key = { .cgroup_id = cgroup_id, .rdev = rdev };
	struct eacct_gpu_use *u;

	u = bpf_map_lookup_elem(&gpu_use, &key);
	if (u)
		return u;
	bpf_map_update_elem(&gpu_use, &key, &zero, BPF_NOEXIST);
	u = bpf_map_lookup_elem(&gpu_use, &key);
	if (!u)
		__sync_fetch_and_add(&stats.use_map_full, 1);
	return u;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(gpu_ioctl, struct pt_regs *regs, long id)
{
	struct eacct_gpu_task t;
	struct eacct_gpu_use *u;
	__u32 tid;
	int fd;

	if (id != NR_IOCTL || !maybe_gpu_cmd(regs->si))
		return 0;
	fd = regs->di;
	t.rdev = fd_rdev(fd);
	if (!t.rdev || !gpu_major(EACCT_KDEV_MAJOR(t.rdev)))
		return 0;
	t.cgroup_id = bpf_get_current_cgroup_id();
	t.fd = fd;
	tid = (__u32)bpf_get_current_pid_tgid();
	bpf_map_update_elem(&gpu_tasks, &tid, &t, BPF_ANY);
	u = use_entry(t.cgroup_id, t.rdev);
	if (u)
		__sync_fetch_and_add(&u->ioctls, 1);
	return 0;
}

/* Is the current thread inside the GPU ioctl it last made? */
static __always_inline struct eacct_gpu_task *in_gpu_ioctl(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct eacct_gpu_task *t = bpf_map_lookup_elem(&gpu_tasks, &tid);
	struct pt_regs *regs;

	if (!t)
		return NULL;
	regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	if (BPF_CORE_READ(regs, orig_ax) != NR_IOCTL ||
	    (int)BPF_CORE_READ(regs, di) != t->fd)
		return NULL;
	return t;
}

SEC("tp_btf/dma_fence_init")
int BPF_PROG(fence_init, struct dma_fence *fence)
{
	struct eacct_fence_key key = {
		.context = fence->context, .seqno = fence->seqno,
	};
	struct eacct_fence_key pair = { .context = key.context - 1, .seqno = key.seqno };
	struct eacct_gpu_task *t = in_gpu_ioctl();
	struct eacct_fence f = {}, *p;

	if (!t)
		return 0;
	f.cgroup_id = t->cgroup_id;
	f.rdev = t->rdev;
	f.lock = (__u64)fence->lock;
	f.start_ns = bpf_ktime_get_ns();
	/*
	 * drm_sched (amdgpu, xe, v3d, panfrost, ...) makes two fences per job
	 * in the submitting ioctl: "scheduled" (context C) and "finished"
	 * (C + 1), same seqno, same lock. The finished one ends with the
	 * job; the scheduled one is signalled when the job starts running.
	 * Only the finished one is kept, queued until the job runs.
	 */
	p = bpf_map_lookup_elem(&fences, &pair);
	if (p && p->lock == f.lock && p->cgroup_id == f.cgroup_id &&
	    !bpf_map_delete_elem(&fences, &pair)) {
		__sync_fetch_and_add(&stats.sched_pairs, 1);
		f.start_ns = EACCT_FENCE_QUEUED;
	}
	if (bpf_map_update_elem(&fences, &key, &f, BPF_ANY))
		__sync_fetch_and_add(&stats.fence_map_full, 1);
	return 0;
}

/*
 * A fence's busy time is credited in pieces: by the credit iterator each
 * interval while it is in flight, and the rest when it is signalled. Each
 * piece is claimed by moving start_ns forward with a compare-and-swap;
 * the signal moves it to EACCT_FENCE_DONE, after which nothing more is
 * claimed. A queued job's EACCT_FENCE_QUEUED is above any "to": nothing
 * is claimed before it runs. Returns the nanoseconds claimed.
 */
#define CLAIM_TRIES 8

static __always_inline __u64 claim_busy(struct eacct_fence *f, __u64 to)
{
	__u64 old;
	int i;

	for (i = 0; i < CLAIM_TRIES; i++) {
		old = f->start_ns;
		if (old == EACCT_FENCE_DONE || to <= old)
			return 0;
		if (__sync_val_compare_and_swap(&f->start_ns, old, to) == old)
			return to - old;
	}
	__sync_fetch_and_add(&stats.claim_races, 1);
	return 0;
}

static __always_inline void credit(struct eacct_fence *f, __u64 busy, __u64 ended)
{
	struct eacct_gpu_use *u;

	if (!busy && !ended)
		return;
	u = use_entry(f->cgroup_id, f->rdev);
	if (!u)
		return;
	__sync_fetch_and_add(&u->busy_ns, busy);
	if (ended)
		__sync_fetch_and_add(&u->fences, 1);
}

/*
 * A fence we do not follow was signalled: if it is a drm_sched job's
 * "scheduled" fence, the job starts running now, its finished fence
 * (context + 1, same seqno, same lock) leaves the queue. gpu_sched.bpf.c
 * marks the same moment from the gpu_scheduler tracepoints, where
 * eacctd could attach them; this works on every kernel.
 */
static __always_inline void sched_job_started(struct dma_fence *fence, __u64 now)
{
	struct eacct_fence_key pair = {
		.context = fence->context + 1, .seqno = fence->seqno,
	};
	struct eacct_fence *f = bpf_map_lookup_elem(&fences, &pair);

	if (f && f->lock == (__u64)fence->lock && fence_start_running(f, now))
		__sync_fetch_and_add(&stats.sched_run_by_fence, 1);
}

SEC("tp_btf/dma_fence_signaled")
int BPF_PROG(fence_signaled, struct dma_fence *fence)
{
	struct eacct_fence_key key = {
		.context = fence->context, .seqno = fence->seqno,
	};
	struct eacct_fence *f;
	__u64 now = bpf_ktime_get_ns(), busy = 0, old;
	int i;

	f = bpf_map_lookup_elem(&fences, &key);
	if (!f) {
		sched_job_started(fence, now);
		return 0;
	}
	for (i = 0; i < CLAIM_TRIES; i++) {
		old = f->start_ns;
		if (old == EACCT_FENCE_DONE)
			return 0;
		if (__sync_val_compare_and_swap(&f->start_ns, old, EACCT_FENCE_DONE) == old) {
			busy = now > old ? now - old : 0;
			break;
		}
	}
	credit(f, busy, 1);
	bpf_map_delete_elem(&fences, &key);
	return 0;
}

static long credit_one(struct bpf_map *map, struct eacct_fence_key *key,
		       struct eacct_fence *f, __u64 *now)
{
	credit(f, claim_busy(f, *now), 0);
	return 0;
}

/*
 * Run by eacctd each interval (BPF_PROG_RUN): the fences in flight,
 * credited up to now, so that a long job's energy is charged as it runs.
 * (A syscall program: some kernels refuse map element iterators.)
 */
SEC("syscall")
int credit_fences(void *ctx)
{
	__u64 now = bpf_ktime_get_ns();

	bpf_for_each_map_elem(&fences, credit_one, &now, 0);
	return 0;
}

/* Freed without a signal (an error path): its crediting ends here. */
SEC("tp_btf/dma_fence_destroy")
int BPF_PROG(fence_destroy, struct dma_fence *fence)
{
	struct eacct_fence_key key = {
		.context = fence->context, .seqno = fence->seqno,
	};

	if (!bpf_map_delete_elem(&fences, &key))
		__sync_fetch_and_add(&stats.fences_unsignalled, 1);
	return 0;
}

#define NV_ESC_RM_FREE		0x29
#define NV_ESC_RM_ALLOC		0x2B
#define NV_ESC_IOCTL_XFER_CMD	(200 + 11)

struct nv_ioctl_xfer {
	__u32 cmd;
	__u32 size;
	__u64 ptr;
};

/*
 * An NVIDIA RM allocation or free, after the driver has filled in the
 * handles and status: its argument goes to eacctd. sys_exit fires for
 * every system call too: the syscall number and the ioctl's type byte
 * come first, then the thread's record from gpu_ioctl.
 */
SEC("tp_btf/sys_exit")
int BPF_PROG(gpu_ioctl_exit, struct pt_regs *regs, long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid(), cmd, nr, size;
	__u64 n;
	struct eacct_nv_ioctl *rec;
	struct eacct_gpu_task *t;
	struct nv_ioctl_xfer x;
	void *arg;

	if (regs->orig_ax != NR_IOCTL)
		return 0;
	cmd = regs->si;
	nr = cmd & 0xff;
	if (((cmd >> 8) & 0xff) != 'F' ||
	    (nr != NV_ESC_RM_ALLOC && nr != NV_ESC_RM_FREE && nr != NV_ESC_IOCTL_XFER_CMD))
		return 0;
	t = bpf_map_lookup_elem(&gpu_tasks, &tid);
	if (!t || EACCT_KDEV_MAJOR(t->rdev) != EACCT_NVIDIA_MAJOR || t->fd != (int)regs->di)
		return 0;
	arg = (void *)regs->dx;
	size = (cmd >> 16) & 0x3fff;		/* _IOC_SIZE */
	__builtin_memset(&x, 0, sizeof(x));
	if (nr == NV_ESC_IOCTL_XFER_CMD) {
		if (bpf_probe_read_user(&x, sizeof(x), arg) ||
		    (x.cmd != NV_ESC_RM_ALLOC && x.cmd != NV_ESC_RM_FREE))
			return 0;
		arg = (void *)x.ptr;
		size = x.size;
	}
	rec = bpf_ringbuf_reserve(&nv_ioctls, sizeof(*rec), 0);
	if (!rec) {
		__sync_fetch_and_add(&stats.nv_ioctls_lost, 1);
		return 0;
	}
	__builtin_memset(rec, 0, sizeof(*rec));
	rec->cgroup_id = t->cgroup_id;
	rec->tgid = bpf_get_current_pid_tgid() >> 32;
	rec->rdev = t->rdev;
	rec->cmd = cmd;
	rec->ret = ret;
	rec->xfer_cmd = x.cmd;
	rec->size = size;
	n = size < EACCT_NV_COPY ? size : EACCT_NV_COPY;
	/* A bound the 6.1 verifier sees on the register it checks. */
	asm volatile("%[n] &= 63" : [n] "+r"(n));
	bpf_probe_read_user(rec->args, n, arg);
	/* RM_ALLOC: pAllocParms at 16 (NV0080's deviceId comes first). */
	if ((x.cmd ? x.cmd : nr) == NV_ESC_RM_ALLOC && (size == 32 || size == 48))
		bpf_probe_read_user(rec->params, sizeof(rec->params),
				    (void *)*(__u64 *)(rec->args + 16));
	bpf_ringbuf_submit(rec, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
