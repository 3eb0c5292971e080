/* SPDX-License-Identifier: GPL-2.0 */
/* kernel.bpf_stats_enabled and a program's mean run time: for the benches. */
#ifndef EACCT_BPF_STATS_H
#define EACCT_BPF_STATS_H

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>

static inline int prog_stats(int fd, double *mean_ns, unsigned long long *runs)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	*runs = info.run_cnt;
	*mean_ns = info.run_cnt ? (double)info.run_time_ns / info.run_cnt : 0;
	return 0;
}

static inline int set_stats(const char *v)
{
	FILE *f = fopen("/proc/sys/kernel/bpf_stats_enabled", "w");

	if (!f)
		return -errno;
	fputs(v, f);
	return fclose(f) ? -errno : 0;
}

#endif /* EACCT_BPF_STATS_H */
