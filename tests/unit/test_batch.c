// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the batch builder and its text front end. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/batch.h"

static int resolve_numeric(const char *cgroup, uint64_t *id)
{
	char *end;

	*id = strtoull(cgroup, &end, 10);
	return *end || !*id ? -ENOENT : 0;
}

static void test_domain_round_trip(void **state)
{
	static const char *const names[] = { "package-0", "package-3",
					     "dram-1", "gpu-0", "gpu-255" };
	char buf[32];
	uint32_t d;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_int_equal(eacct_domain_parse(names[i], &d), 0);
		assert_int_equal(eacct_domain_format(d, buf, sizeof(buf)), 0);
		assert_string_equal(buf, names[i]);
	}
	assert_int_equal(eacct_domain_parse("gpu-7", &d), 0);
	assert_int_equal(EACCT_DOMAIN_CLASS(d), EACCT_CLASS_GPU);
	assert_int_equal(EACCT_DOMAIN_INDEX(d), 7);
}

static void test_domain_rejects(void **state)
{
	static const char *const bad[] = { "", "package", "package-", "gpu-256",
					   "gpu--1", "gpu-1x", "psys-0", "cpu-0",
					   "dram-99999999999999999999", "GPU-0" };
	uint32_t d = 12345;
	char buf[8];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(eacct_domain_parse(bad[i], &d), -EINVAL);
	assert_int_equal(d, 12345);
	assert_int_equal(eacct_domain_format(EACCT_DOMAIN(3, 0), buf, sizeof(buf)), -EINVAL);
	assert_int_equal(eacct_domain_format(EACCT_DOMAIN(0, 300), buf, sizeof(buf)), -EINVAL);
	assert_int_equal(eacct_domain_format(EACCT_DOMAIN(0, 100), buf, 4), -ENAMETOOLONG);
}

static void test_encode_layout(void **state)
{
	const struct eacct_batch_header *h;
	const struct eacct_cgroup_record *r;
	const struct eacct_process_record *p;
	struct eacct_batch b;
	size_t len;
	char *buf;
	int i;

	(void)state;
	/* The ABI is fixed: sizes are part of it. */
	assert_int_equal(sizeof(struct eacct_batch_header), 32);
	assert_int_equal(sizeof(struct eacct_cgroup_record), 32);
	assert_int_equal(sizeof(struct eacct_process_record), 48);

	eacct_batch_init(&b, 42);
	for (i = 0; i < 100; i++)
		assert_int_equal(eacct_batch_add_cgroup(&b, 1000 + i, EACCT_DOMAIN(1, 2),
							i * 10, i), 0);
	assert_int_equal(eacct_batch_add_process(&b, 77, 1000, EACCT_DOMAIN(2, 0), 5, 6,
						 "a-very-long-command-name"), 0);
	buf = eacct_batch_encode(&b, &len);
	assert_non_null(buf);
	assert_int_equal(len, 32 + 100 * 32 + 48);

	h = (const void *)buf;
	assert_int_equal(h->magic, EACCT_BATCH_MAGIC);
	assert_memory_equal(buf, "EACT", 4);
	assert_int_equal(h->version, EACCT_BATCH_VERSION);
	assert_int_equal(h->header_size, 32);
	assert_int_equal(h->seq, 42);
	assert_int_equal(h->nr_cgroup_records, 100);
	assert_int_equal(h->nr_process_records, 1);
	assert_int_equal(h->flags, 0);
	/*
	 * Record sizes 0 (the first layout): the same bytes as every eacctd
	 * before them wrote, which modules without the size fields accept.
	 */
	assert_int_equal(h->cgroup_record_size, 0);
	assert_int_equal(h->process_record_size, 0);
	assert_int_equal(sizeof(*h), EACCT_BATCH_HEADER_SIZE_VER0);
	assert_int_equal(sizeof(*r), EACCT_CGROUP_RECORD_SIZE_VER0);
	assert_int_equal(sizeof(struct eacct_process_record),
			 EACCT_PROCESS_RECORD_SIZE_VER0);

	r = (const void *)(h + 1);
	assert_int_equal(r[99].cgroup_id, 1099);
	assert_int_equal(r[99].domain, EACCT_DOMAIN(1, 2));
	assert_int_equal(r[99].energy_uj, 990);
	assert_int_equal(r[99].carbon_ug, 99);
	assert_int_equal(r[99].flags, 0);

	p = (const void *)(r + 100);
	assert_int_equal(p->tgid, 77);
	assert_int_equal(p->cgroup_id, 1000);
	/* Truncated like the kernel's comm: 15 bytes and a NUL. */
	assert_string_equal(p->comm, "a-very-long-com");
	free(buf);
	eacct_batch_free(&b);
}

static void test_encode_empty(void **state)
{
	struct eacct_batch b;
	size_t len;
	void *buf;

	(void)state;
	eacct_batch_init(&b, 1);
	buf = eacct_batch_encode(&b, &len);
	assert_non_null(buf);
	assert_int_equal(len, sizeof(struct eacct_batch_header));
	free(buf);
	eacct_batch_free(&b);
}

static void test_parse_lines(void **state)
{
	struct eacct_batch b;

	(void)state;
	eacct_batch_init(&b, 1);
	assert_int_equal(eacct_batch_parse_line(&b, "cgroup 12 package-1 300 4\n",
						resolve_numeric), 0);
	assert_int_equal(eacct_batch_parse_line(&b, "  \t\n", resolve_numeric), 0);
	assert_int_equal(eacct_batch_parse_line(&b, "# a comment 1 2 3", resolve_numeric), 0);
	assert_int_equal(eacct_batch_parse_line(&b, "process 99 12 gpu-0 18446744073709551615 0 python3",
						resolve_numeric), 0);
	assert_int_equal(eacct_batch_parse_line(&b, "idle dram-0 40 2", resolve_numeric), 0);
	assert_int_equal(b.nr_cgroups, 2);
	assert_int_equal(b.cgroups[1].flags, EACCT_RECORD_IDLE);
	assert_int_equal(b.cgroups[1].cgroup_id, 0);
	assert_int_equal(b.cgroups[1].energy_uj, 40);
	assert_int_equal(b.nr_processes, 1);
	assert_int_equal(b.cgroups[0].cgroup_id, 12);
	assert_int_equal(b.cgroups[0].domain, EACCT_DOMAIN(0, 1));
	assert_int_equal(b.cgroups[0].energy_uj, 300);
	assert_int_equal(b.cgroups[0].carbon_ug, 4);
	assert_int_equal(b.processes[0].tgid, 99);
	assert_true(b.processes[0].energy_uj == UINT64_MAX);
	assert_string_equal(b.processes[0].comm, "python3");
	eacct_batch_free(&b);
}

static void test_parse_rejects(void **state)
{
	static const struct {
		const char *line;
		int err;
	} bad[] = {
		{ "cgroup 12 package-1 300", -EINVAL },
		{ "cgroup 12 package-1 300 4 5", -EINVAL },
		{ "cgroups 12 package-1 300 4", -EINVAL },
		{ "cgroup 12 package-1 -300 4", -EINVAL },
		{ "cgroup 12 package-1 3e5 4", -EINVAL },
		{ "cgroup 12 package-1 18446744073709551616 4", -ERANGE },
		{ "cgroup 12 watts-0 300 4", -EINVAL },
		{ "cgroup nope package-0 1 1", -ENOENT },
		{ "process 0 12 gpu-0 1 1 x", -ERANGE },
		{ "process 4294967296 12 gpu-0 1 1 x", -ERANGE },
		{ "process 12 gpu-0 1 1 x", -EINVAL },
		{ "process x 12 gpu-0 1 1 x", -EINVAL },
		{ "a b c d e f g h i j", -EINVAL },
		{ "idle 12 dram-0 40 2", -EINVAL },
		{ "idle dram-0 40", -EINVAL },
	};
	struct eacct_batch b;
	size_t i;

	(void)state;
	eacct_batch_init(&b, 1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int err = eacct_batch_parse_line(&b, bad[i].line, resolve_numeric);

		if (err != bad[i].err)
			fail_msg("'%s': got %d, want %d", bad[i].line, err, bad[i].err);
	}
	/* A refused line adds nothing. */
	assert_int_equal(b.nr_cgroups, 0);
	assert_int_equal(b.nr_processes, 0);
	eacct_batch_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_domain_round_trip),
		cmocka_unit_test(test_domain_rejects),
		cmocka_unit_test(test_encode_layout),
		cmocka_unit_test(test_encode_empty),
		cmocka_unit_test(test_parse_lines),
		cmocka_unit_test(test_parse_rejects),
	};

	return cmocka_run_group_tests_name("batch", tests, NULL, NULL);
}
