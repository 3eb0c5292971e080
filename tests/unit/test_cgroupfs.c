// SPDX-License-Identifier: GPL-2.0
/* Unit tests of cgroup2 discovery and path-to-id resolution. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/cgroupfs.h"

static char tmp[64];

static int setup(void **state)
{
	char path[128];

	(void)state;
	snprintf(tmp, sizeof(tmp), "/tmp/eacct-unit-XXXXXX");
	if (!mkdtemp(tmp))
		return -1;
	snprintf(path, sizeof(path), "%s/a", tmp);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/a/b", tmp);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/file", tmp);
	fclose(fopen(path, "w"));
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	return system(cmd);
}

static void test_mount_found(void **state)
{
	char mounts[128], buf[256];
	FILE *f;

	(void)state;
	snprintf(mounts, sizeof(mounts), "%s/mounts", tmp);
	f = fopen(mounts, "w");
	/* Debian 12's hybrid layout: v1 controllers, v2 at .../unified. */
	fputs("sysfs /sys sysfs rw,nosuid 0 0\n"
	      "tmpfs /sys/fs/cgroup tmpfs ro,nosuid 0 0\n"
	      "cgroup2 /sys/fs/cgroup/unified cgroup2 rw,nosuid,nsdelegate 0 0\n"
	      "cgroup /sys/fs/cgroup/cpu cgroup rw,cpu 0 0\n", f);
	fclose(f);
	assert_int_equal(eacct_cgroup2_mount(mounts, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/sys/fs/cgroup/unified");
	assert_int_equal(eacct_cgroup2_mount(mounts, buf, 8), -ENAMETOOLONG);
}

static void test_mount_missing(void **state)
{
	char mounts[128], buf[256];
	FILE *f;

	(void)state;
	snprintf(mounts, sizeof(mounts), "%s/mounts-v1", tmp);
	f = fopen(mounts, "w");
	fputs("cgroup /sys/fs/cgroup/cpu cgroup rw,cpu 0 0\n", f);
	fclose(f);
	assert_int_equal(eacct_cgroup2_mount(mounts, buf, sizeof(buf)), -ENOENT);
	assert_int_equal(eacct_cgroup2_mount("/nonexistent/mounts", buf, sizeof(buf)),
			 -ENOENT);
}

static void test_ids(void **state)
{
	char path[128];
	struct stat st;
	uint64_t id;

	(void)state;
	assert_int_equal(eacct_cgroup_id(tmp, "4242", &id), 0);
	assert_int_equal(id, 4242);
	assert_int_equal(eacct_cgroup_id(tmp, "0", &id), -EINVAL);
	assert_int_equal(eacct_cgroup_id(tmp, "12x", &id), -EINVAL);

	snprintf(path, sizeof(path), "%s/a/b", tmp);
	stat(path, &st);
	assert_int_equal(eacct_cgroup_id(tmp, "/a/b", &id), 0);
	assert_int_equal(id, st.st_ino);
	assert_int_equal(eacct_cgroup_id(tmp, "a/b", &id), 0);
	assert_int_equal(id, st.st_ino);
	/* A filesystem path under the mount works as well. */
	assert_int_equal(eacct_cgroup_id(tmp, path, &id), 0);
	assert_int_equal(id, st.st_ino);

	stat(tmp, &st);
	assert_int_equal(eacct_cgroup_id(tmp, "/", &id), 0);
	assert_int_equal(id, st.st_ino);

	assert_int_equal(eacct_cgroup_id(tmp, "/missing", &id), -ENOENT);
	assert_int_equal(eacct_cgroup_id(tmp, "/file", &id), -ENOTDIR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mount_found),
		cmocka_unit_test(test_mount_missing),
		cmocka_unit_test(test_ids),
	};

	return cmocka_run_group_tests_name("cgroupfs", tests, setup, teardown);
}
