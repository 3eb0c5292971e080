// SPDX-License-Identifier: GPL-2.0
/*
 * DRM clients from a /proc fixture: i915- and amdgpu-shaped fdinfo, a
 * client shared by two processes counted once, capacity lines ignored,
 * non-DRM fds and fdinfo without drm-client-id skipped.
 */
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

#include "lib/fdinfo.h"

static char root[64];

static void fd_entry(int pid, int fd, const char *target, const char *fdinfo)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%d", root, pid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%d/fd", root, pid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%d/fdinfo", root, pid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%d/fd/%d", root, pid, fd);
	assert_int_equal(symlink(target, path), 0);
	snprintf(path, sizeof(path), "%s/%d/fdinfo/%d", root, pid, fd);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(fdinfo, f);
	fclose(f);
}

static const char i915[] =
	"pos:\t0\nflags:\t02100002\nmnt_id:\t24\nino:\t1234\n"
	"drm-driver:\ti915\ndrm-client-id:\t7\ndrm-pdev:\t0000:00:02.0\n"
	"drm-total-system:\t4 KiB\n"
	"drm-engine-render:\t123456 ns\ndrm-engine-video:\t1000 ns\n"
	"drm-engine-capacity-video:\t2\n";

static const char amdgpu[] =
	"pos:\t0\nflags:\t02100002\ndrm-driver:\tamdgpu\ndrm-pdev:\t0000:03:00.0\n"
	"drm-client-id:\t9\ndrm-memory-vram:\t1024 KiB\n"
	"drm-engine-gfx:\t5000000 ns\ndrm-engine-compute:\t2000000 ns\n";

static const char xe_cycles[] =
	"drm-driver:\txe\ndrm-client-id:\t3\ndrm-pdev:\t0000:00:02.0\n"
	"drm-cycles-rcs:\t28257900\ndrm-total-cycles-rcs:\t7655183225\n";

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/eacct-proc-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	fd_entry(100, 3, "/dev/dri/renderD128", i915);
	fd_entry(100, 4, "/dev/null", i915);			/* not a DRM file */
	fd_entry(101, 5, "/dev/dri/renderD128", i915);		/* forked: same client */
	fd_entry(102, 6, "/dev/dri/renderD129", amdgpu);
	fd_entry(103, 7, "/dev/dri/card0", "pos:\t0\nflags:\t02\n");	/* no client id */
	fd_entry(104, 8, "/dev/dri/renderD130", xe_cycles);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd);
}

static const struct eacct_drm_client *by_id(const struct eacct_drm_client *c, int n,
					    uint64_t id)
{
	int i;

	for (i = 0; i < n; i++)
		if (c[i].client_id == id)
			return &c[i];
	return NULL;
}

static void test_clients(void **state)
{
	struct eacct_drm_client c[16];
	const struct eacct_drm_client *x;
	int n;

	(void)state;
	n = eacct_drm_clients(root, c, 16);
	assert_int_equal(n, 3);
	x = by_id(c, n, 7);
	assert_non_null(x);
	assert_string_equal(x->driver, "i915");
	assert_string_equal(x->pdev, "0000:00:02.0");
	assert_int_equal(x->engine_ns, 124456);
	assert_true(x->pid == 100 || x->pid == 101);
	x = by_id(c, n, 9);
	assert_non_null(x);
	assert_int_equal(x->pid, 102);
	assert_int_equal(x->engine_ns, 7000000);
	x = by_id(c, n, 3);
	assert_non_null(x);
	assert_int_equal(x->engine_ns, 0);	/* cycles alone: no time */
}

static void test_bounded_and_missing(void **state)
{
	struct eacct_drm_client c[1];

	(void)state;
	assert_int_equal(eacct_drm_clients(root, c, 1), 1);
	assert_int_equal(eacct_drm_clients("/nonexistent/proc", c, 1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clients),
		cmocka_unit_test(test_bounded_and_missing),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
