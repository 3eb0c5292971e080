// SPDX-License-Identifier: GPL-2.0
/*
 * mockgpu: a DRM driver whose GPU is a timer, for eacct's VM tests.
 *
 * Jobs go through the kernel's own GPU scheduler (drm_sched), as on
 * amdgpu, xe, v3d or panfrost: each open file is a scheduler entity, a
 * submit ioctl makes a job (its "scheduled" and "finished" fences are
 * created in the ioctl, as drivers do), and the one engine runs one job
 * at a time (credit limit 1), so jobs of several clients queue behind
 * each other. Running a job arms an hrtimer for the job's duration whose
 * expiry signals the job's hardware fence. The gpu_scheduler tracepoints
 * fire for real. Each file's fdinfo shows the engine time its jobs used
 * (drm-engine-gfx, Documentation/gpu/drm-usage-stats.rst), measured here
 * from run_job to the hardware fence's signal: the tests' ground truth.
 * Nothing here is part of eacct: it only gives the tests GPU jobs whose
 * queue time and run time they control.
 */
#include <linux/hrtimer.h>
#include <linux/kref.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/version.h>
#include <linux/wait.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_ioctl.h>
#include <drm/gpu_scheduler.h>

#include "mockgpu_drm.h"

struct mockgpu_device {
	struct drm_device drm;
	struct drm_gpu_scheduler sched;
	u64 fence_context;
	atomic64_t fence_seqno;
	spinlock_t fence_lock;		/* for the hardware fences */
	atomic64_t clients;		/* drm-client-id */
};

struct mockgpu_file {
	struct kref ref;		/* the file, and each job not yet freed */
	struct drm_sched_entity entity;
	atomic64_t submitted, done;	/* jobs */
	atomic64_t engine_ns;		/* time its jobs ran */
	u64 client_id;
	wait_queue_head_t wait;
};

struct mockgpu_job {
	struct dma_fence hw;		/* first: dma_fence_free() frees the job */
	struct drm_sched_job base;
	struct hrtimer timer;
	u64 run_ns;			/* when the engine took it */
	u32 duration_us;
	struct mockgpu_file *file;
	struct mockgpu_device *mdev;
};

static struct platform_device *mockgpu_pdev;

/*
 * Make each job's hardware fence in the submit ioctl rather than when it
 * runs, as a driver with its own fences created early would: eacct then
 * sees a second fence per job spanning the queue time, which its
 * cross-check with fdinfo must report.
 */
static bool hw_fence_at_submit;
module_param(hw_fence_at_submit, bool, 0644);
MODULE_PARM_DESC(hw_fence_at_submit, "create the hardware fence in the submit ioctl");

static struct mockgpu_job *to_job(struct drm_sched_job *j)
{
	return container_of(j, struct mockgpu_job, base);
}

static void mockgpu_file_free(struct kref *ref)
{
	kfree(container_of(ref, struct mockgpu_file, ref));
}

static const char *mockgpu_fence_driver(struct dma_fence *f)
{
	return "mockgpu";
}

static const char *mockgpu_fence_timeline(struct dma_fence *f)
{
	return "engine";
}

static void mockgpu_fence_release(struct dma_fence *f)
{
	struct mockgpu_job *job = container_of(f, struct mockgpu_job, hw);

	kref_put(&job->file->ref, mockgpu_file_free);
	dma_fence_free(f);
}

static const struct dma_fence_ops mockgpu_fence_ops = {
	.get_driver_name = mockgpu_fence_driver,
	.get_timeline_name = mockgpu_fence_timeline,
	.release = mockgpu_fence_release,
};

static void mockgpu_init_hw_fence(struct mockgpu_job *job)
{
	dma_fence_init(&job->hw, &mockgpu_fence_ops, &job->mdev->fence_lock,
		       job->mdev->fence_context,
		       atomic64_inc_return(&job->mdev->fence_seqno));
}

/* The engine finished the job: its hardware fence signals. */
static enum hrtimer_restart mockgpu_job_done(struct hrtimer *t)
{
	struct mockgpu_job *job = container_of(t, struct mockgpu_job, timer);
	struct mockgpu_file *file = job->file;

	/* The scheduler may free the job once signalled: hold it till done. */
	dma_fence_get(&job->hw);
	atomic64_add(ktime_get_ns() - job->run_ns, &file->engine_ns);
	dma_fence_signal(&job->hw);
	atomic64_inc(&file->done);
	wake_up_all(&file->wait);
	dma_fence_put(&job->hw);
	return HRTIMER_NORESTART;
}

static struct dma_fence *mockgpu_run_job(struct drm_sched_job *sched_job)
{
	struct mockgpu_job *job = to_job(sched_job);

	/* As amdgpu, v3d or panfrost do: the hardware fence is made here. */
	if (!job->hw.ops)
		mockgpu_init_hw_fence(job);
	job->run_ns = ktime_get_ns();
	hrtimer_start(&job->timer, ns_to_ktime((u64)job->duration_us * NSEC_PER_USEC),
		      HRTIMER_MODE_REL);
	return dma_fence_get(&job->hw);
}

static enum drm_gpu_sched_stat mockgpu_timedout_job(struct drm_sched_job *sched_job)
{
	return DRM_GPU_SCHED_STAT_NOMINAL;	/* no timeout is set */
}

static void mockgpu_free_job(struct drm_sched_job *sched_job)
{
	struct mockgpu_job *job = to_job(sched_job);

	drm_sched_job_cleanup(sched_job);
	if (job->hw.ops) {		/* it ran: its fence frees it */
		dma_fence_put(&job->hw);
		return;
	}
	/* Killed before it ran (its file closed): no fence was made. */
	kref_put(&job->file->ref, mockgpu_file_free);
	kfree(job);
}

static const struct drm_sched_backend_ops mockgpu_sched_ops = {
	.run_job = mockgpu_run_job,
	.timedout_job = mockgpu_timedout_job,
	.free_job = mockgpu_free_job,
};

static struct mockgpu_device *to_mockgpu(struct drm_device *drm)
{
	return container_of(drm, struct mockgpu_device, drm);
}

static int mockgpu_submit(struct drm_device *drm, void *data, struct drm_file *f)
{
	struct mockgpu_device *mdev = to_mockgpu(drm);
	struct mockgpu_file *file = f->driver_priv;
	struct drm_mockgpu_submit *args = data;
	struct mockgpu_job *job;
	int ret;

	if (!args->duration_us || args->duration_us > 10 * USEC_PER_SEC || args->pad)
		return -EINVAL;
	job = kzalloc(sizeof(*job), GFP_KERNEL);
	if (!job)
		return -ENOMEM;
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
	ret = drm_sched_job_init(&job->base, &file->entity, 1, file, f->client_id);
#else
	ret = drm_sched_job_init(&job->base, &file->entity, file);
#endif
	if (ret) {
		kfree(job);
		return ret;
	}
	job->duration_us = args->duration_us;
	job->file = file;
	job->mdev = mdev;
	kref_get(&file->ref);
	hrtimer_init(&job->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	job->timer.function = mockgpu_job_done;
	if (hw_fence_at_submit)
		mockgpu_init_hw_fence(job);
	drm_sched_job_arm(&job->base);
	args->seqno = atomic64_inc_return(&file->submitted);
	drm_sched_entity_push_job(&job->base);
	return 0;
}

static int mockgpu_wait(struct drm_device *drm, void *data, struct drm_file *f)
{
	struct mockgpu_file *file = f->driver_priv;
	struct drm_mockgpu_wait *args = data;
	long ret;

	if (args->seqno > atomic64_read(&file->submitted))
		return -EINVAL;
	ret = wait_event_interruptible_timeout(file->wait,
					       atomic64_read(&file->done) >= args->seqno,
					       msecs_to_jiffies(args->timeout_ms));
	if (ret < 0)
		return ret;
	return ret ? 0 : -ETIMEDOUT;
}

static int mockgpu_open(struct drm_device *drm, struct drm_file *f)
{
	struct drm_gpu_scheduler *sched = &to_mockgpu(drm)->sched;
	struct mockgpu_file *file;
	int ret;

	file = kzalloc(sizeof(*file), GFP_KERNEL);
	if (!file)
		return -ENOMEM;
	kref_init(&file->ref);
	init_waitqueue_head(&file->wait);
	file->client_id = atomic64_inc_return(&to_mockgpu(drm)->clients);
	ret = drm_sched_entity_init(&file->entity, DRM_SCHED_PRIORITY_NORMAL,
				    &sched, 1, NULL);
	if (ret) {
		kfree(file);
		return ret;
	}
	f->driver_priv = file;
	return 0;
}

static void mockgpu_postclose(struct drm_device *drm, struct drm_file *f)
{
	struct mockgpu_file *file = f->driver_priv;

	/* Waits for queued jobs (or kills them), as drivers do at close. */
	drm_sched_entity_destroy(&file->entity);
	kref_put(&file->ref, mockgpu_file_free);
}

static const struct drm_ioctl_desc mockgpu_ioctls[] = {
	DRM_IOCTL_DEF_DRV(MOCKGPU_SUBMIT, mockgpu_submit, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(MOCKGPU_WAIT, mockgpu_wait, DRM_RENDER_ALLOW),
};

/* The standard DRM client keys; drm-pdev names this platform device. */
static void mockgpu_show_fdinfo(struct seq_file *m, struct file *f)
{
	struct drm_file *file = f->private_data;
	struct mockgpu_file *mfile = file->driver_priv;

	seq_puts(m, "drm-driver:\tmockgpu\n");
	seq_printf(m, "drm-pdev:\t%s\n", dev_name(file->minor->dev->dev));
	seq_printf(m, "drm-client-id:\t%llu\n", mfile->client_id);
	seq_printf(m, "drm-engine-gfx:\t%lld ns\n", atomic64_read(&mfile->engine_ns));
}

static const struct file_operations mockgpu_fops = {
	.owner = THIS_MODULE,
	.open = drm_open,
	.release = drm_release,
	.unlocked_ioctl = drm_ioctl,
	.compat_ioctl = drm_compat_ioctl,
	.poll = drm_poll,
	.read = drm_read,
	.llseek = noop_llseek,
	.show_fdinfo = mockgpu_show_fdinfo,
#ifdef FOP_UNSIGNED_OFFSET
	.fop_flags = FOP_UNSIGNED_OFFSET,	/* drm_open() insists from 6.12 */
#endif
};

static const struct drm_driver mockgpu_driver = {
	.driver_features = DRIVER_RENDER,
	.open = mockgpu_open,
	.postclose = mockgpu_postclose,
	.ioctls = mockgpu_ioctls,
	.num_ioctls = ARRAY_SIZE(mockgpu_ioctls),
	.fops = &mockgpu_fops,
	.name = "mockgpu",
	.desc = "timer-driven GPU for eacct tests",
	.date = "20261201",
	.major = 1,
};

static int mockgpu_init_sched(struct mockgpu_device *mdev)
{
	const struct drm_sched_init_args args = {
		.ops = &mockgpu_sched_ops,
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
		.num_rqs = DRM_SCHED_PRIORITY_COUNT,
#endif
		.credit_limit = 1,
		.timeout = MAX_SCHEDULE_TIMEOUT,
		.name = "mockgpu",
		.dev = mdev->drm.dev,
	};

	return drm_sched_init(&mdev->sched, &args);
}

static int __init mockgpu_init(void)
{
	struct mockgpu_device *mdev;
	int ret;

	mockgpu_pdev = platform_device_register_simple("mockgpu", -1, NULL, 0);
	if (IS_ERR(mockgpu_pdev))
		return PTR_ERR(mockgpu_pdev);
	if (!devres_open_group(&mockgpu_pdev->dev, NULL, GFP_KERNEL)) {
		ret = -ENOMEM;
		goto out_pdev;
	}
	mdev = devm_drm_dev_alloc(&mockgpu_pdev->dev, &mockgpu_driver,
				  struct mockgpu_device, drm);
	if (IS_ERR(mdev)) {
		ret = PTR_ERR(mdev);
		goto out_devres;
	}
	spin_lock_init(&mdev->fence_lock);
	mdev->fence_context = dma_fence_context_alloc(1);
	ret = mockgpu_init_sched(mdev);
	if (ret)
		goto out_devres;
	ret = drm_dev_register(&mdev->drm, 0);
	if (ret)
		goto out_sched;
	platform_set_drvdata(mockgpu_pdev, mdev);
	return 0;

out_sched:
	drm_sched_fini(&mdev->sched);
out_devres:
	devres_release_group(&mockgpu_pdev->dev, NULL);
out_pdev:
	platform_device_unregister(mockgpu_pdev);
	return ret;
}

static void __exit mockgpu_exit(void)
{
	struct mockgpu_device *mdev = platform_get_drvdata(mockgpu_pdev);

	drm_dev_unregister(&mdev->drm);
	drm_sched_fini(&mdev->sched);
	devres_release_group(&mockgpu_pdev->dev, NULL);
	platform_device_unregister(mockgpu_pdev);
}

module_init(mockgpu_init);
module_exit(mockgpu_exit);
MODULE_DESCRIPTION("A timer-driven DRM GPU on drm_sched, for eacct's tests");
MODULE_LICENSE("GPL");
