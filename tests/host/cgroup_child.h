/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A child process born in a cgroup (clone3 with CLONE_INTO_CGROUP), as a
 * container's processes are: no move through cgroup.procs, which
 * serialises on a global lock and is charged differently (see
 * Documentation/eacctd.rst).
 */
#ifndef EACCT_CGROUP_CHILD_H
#define EACCT_CGROUP_CHILD_H

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <linux/sched.h>
#include <sys/syscall.h>

/* As fork(): the child's pid, 0 in the child, -1 on error. */
static inline pid_t fork_into_cgroup(const char *cgroup_dir)
{
	struct clone_args args = { .flags = CLONE_INTO_CGROUP, .exit_signal = SIGCHLD };
	pid_t pid;
	int fd = open(cgroup_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	args.cgroup = (__u64)fd;
	pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
	close(fd);	/* in both: the child has its own copy */
	return pid;
}

#endif /* EACCT_CGROUP_CHILD_H */
