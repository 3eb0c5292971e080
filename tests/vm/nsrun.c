// SPDX-License-Identifier: GPL-2.0
/*
 * nsrun: run a command the way a container or a tenant would, for the
 * in-guest tests (busybox's unshare has no cgroup namespace).
 *
 *   nsrun [--cgroup DIR] [--cgroupns] [--pidns] [--proc OPTS]
 *         [--uid N] [--gid N] -- CMD [ARG...]
 *
 * --cgroup DIR   move into the cgroup DIR first (cgroup.procs)
 * --cgroupns     then unshare the cgroup namespace: DIR becomes its root
 * --pidns        a new pid namespace; CMD runs as its pid 1 in a child
 * --proc OPTS    a private mount namespace with /proc mounted anew with
 *                OPTS (e.g. hidepid=2), as a container's /proc is
 * --uid, --gid   drop to these ids (gid first, supplementary groups none)
 *
 * Exits with CMD's status (128 + signal if it was killed), 125 if a step
 * before the exec failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "nsrun: %s: %s\n", what, strerror(errno));
	exit(125);
}

static void join_cgroup(const char *dir)
{
	char path[4096], pid[32];
	int fd, n;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		die(path);
	n = snprintf(pid, sizeof(pid), "%d", getpid());
	if (write(fd, pid, n) != n)
		die(path);
	close(fd);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cgroup", required_argument, NULL, 'c' },
		{ "cgroupns", no_argument, NULL, 'C' },
		{ "pidns", no_argument, NULL, 'p' },
		{ "proc", required_argument, NULL, 'm' },
		{ "uid", required_argument, NULL, 'u' },
		{ "gid", required_argument, NULL, 'g' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cgroup = NULL, *proc_opts = NULL;
	int cgroupns = 0, pidns = 0, c, status;
	long uid = -1, gid = -1;
	pid_t child;

	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 'c': cgroup = optarg; break;
		case 'C': cgroupns = 1; break;
		case 'p': pidns = 1; break;
		case 'm': proc_opts = optarg; break;
		case 'u': uid = strtol(optarg, NULL, 10); break;
		case 'g': gid = strtol(optarg, NULL, 10); break;
		default: return 125;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: nsrun [options] -- CMD [ARG...]\n");
		return 125;
	}
	if (cgroup)
		join_cgroup(cgroup);
	if (cgroupns && unshare(CLONE_NEWCGROUP))
		die("unshare(CLONE_NEWCGROUP)");
	if (pidns && unshare(CLONE_NEWPID))
		die("unshare(CLONE_NEWPID)");
	if (pidns || proc_opts) {
		/* The new pid namespace takes effect for children only. */
		child = fork();
		if (child < 0)
			die("fork");
		if (child > 0) {
			if (waitpid(child, &status, 0) < 0)
				die("waitpid");
			return WIFEXITED(status) ? WEXITSTATUS(status) :
			       128 + WTERMSIG(status);
		}
	}
	if (proc_opts) {
		if (unshare(CLONE_NEWNS))
			die("unshare(CLONE_NEWNS)");
		if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
			die("mount --make-rprivate /");
		if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  proc_opts))
			die("mount proc");
	}
	if (gid >= 0 && (setgroups(0, NULL) || setgid((gid_t)gid)))
		die("setgid");
	if (uid >= 0 && setuid((uid_t)uid))
		die("setuid");
	execvp(argv[optind], argv + optind);
	die(argv[optind]);
	return 125;
}
