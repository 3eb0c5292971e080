// SPDX-License-Identifier: GPL-2.0
/*
 * eacct-write: send one batch of energy records to /dev/eacct.
 *
 * A small writer for tests, demos and operators replaying records by hand;
 * eacctd is the writer that runs in production.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/batch.h"
#include "lib/cgroupfs.h"
#include "lib/sysfile.h"

static char cgroup_root[4096];

static const char usage[] =
"Usage: eacct-write [OPTION]... [FILE]...\n"
"Read records from FILEs (default: standard input) and write them to\n"
"/dev/eacct as one batch. Each line is one record:\n"
"  cgroup  CGROUP DOMAIN ENERGY_UJ CARBON_UG\n"
"  idle    DOMAIN ENERGY_UJ CARBON_UG          (charged to no cgroup)\n"
"  process TGID CGROUP DOMAIN ENERGY_UJ CARBON_UG COMM\n"
"CGROUP is a cgroup id or a path in the cgroup2 tree; DOMAIN is package-N,\n"
"dram-N or gpu-N.\n"
"\n"
"  -d, --device=PATH   the ingest device (default /dev/eacct)\n"
"  -s, --seq=N         sequence number (default: last applied + 1, read\n"
"                      from /sys/kernel/eacct/seq)\n"
"  -o, --output=FILE   write the encoded batch to FILE instead\n"
"  -h, --help          show this help\n";

static int resolve(const char *cgroup, uint64_t *id)
{
	return eacct_cgroup_id(cgroup_root[0] ? cgroup_root : NULL, cgroup, id);
}

static int read_seq(uint64_t *seq)
{
	return eacct_file_u64(AT_FDCWD, "/sys/kernel/eacct/seq", seq);
}

static int read_records(struct eacct_batch *b, FILE *f, const char *name)
{
	char line[1024];
	int lineno = 0, err;

	while (fgets(line, sizeof(line), f)) {
		lineno++;
		err = eacct_batch_parse_line(b, line, resolve);
		if (err) {
			fprintf(stderr, "eacct-write: %s:%d: %s\n", name,
				lineno, strerror(-err));
			return err;
		}
	}
	return 0;
}

static int write_all(const char *path, int flags, const void *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, flags, 0644);
	if (fd < 0) {
		fprintf(stderr, "eacct-write: %s: %s\n", path, strerror(errno));
		return -1;
	}
	/* One write(): the device takes a batch whole or not at all. */
	n = write(fd, buf, len);
	if (n != (ssize_t)len) {
		fprintf(stderr, "eacct-write: %s: %s\n", path,
			n < 0 ? strerror(errno) : "short write");
		close(fd);
		return -1;
	}
	return close(fd);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "seq", required_argument, NULL, 's' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *device = "/dev/eacct", *output = NULL;
	struct eacct_batch b;
	uint64_t seq = 0;
	size_t len;
	void *buf;
	int c, i, err = 0;

	while ((c = getopt_long(argc, argv, "d:s:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			device = optarg;
			break;
		case 's':
			seq = strtoull(optarg, NULL, 10);
			if (!seq) {
				fprintf(stderr, "eacct-write: bad sequence number '%s'\n", optarg);
				return 2;
			}
			break;
		case 'o':
			output = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (!seq && !output) {
		err = read_seq(&seq);
		if (err) {
			fprintf(stderr, "eacct-write: cannot read /sys/kernel/eacct/seq: %s (is eacct.ko loaded?)\n",
				strerror(-err));
			return 1;
		}
		seq++;
	}
	if (eacct_cgroup2_mount("/proc/self/mounts", cgroup_root,
				sizeof(cgroup_root)))
		cgroup_root[0] = '\0';

	eacct_batch_init(&b, seq ? seq : 1);
	if (optind == argc)
		err = read_records(&b, stdin, "<stdin>");
	for (i = optind; i < argc && !err; i++) {
		FILE *f = fopen(argv[i], "r");

		if (!f) {
			fprintf(stderr, "eacct-write: %s: %s\n", argv[i], strerror(errno));
			err = -errno;
			break;
		}
		err = read_records(&b, f, argv[i]);
		fclose(f);
	}
	if (err) {
		eacct_batch_free(&b);
		return 1;
	}
	buf = eacct_batch_encode(&b, &len);
	eacct_batch_free(&b);
	if (!buf) {
		fprintf(stderr, "eacct-write: out of memory\n");
		return 1;
	}
	if (output)
		err = write_all(output, O_WRONLY | O_CREAT | O_TRUNC, buf, len);
	else
		err = write_all(device, O_WRONLY, buf, len);
	free(buf);
	return err ? 1 : 0;
}
