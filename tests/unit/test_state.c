// SPDX-License-Identifier: GPL-2.0
/* eacctd's state file: round trip, atomic replacement, torn and corrupt files. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/state.h"

static char path[64];

static void sample(struct eacct_state *s)
{
	static struct eacct_state_cgroup cgs[2] = {
		{ 1, { 10, 20, 0, 0, 0, 0, 0, 18446744073709551615ULL } },
		{ 4242, { 1 } },
	};
	static char batch[] = "EACT\0binary\nbatch\0bytes";

	memset(s, 0, sizeof(*s));
	s->seq = 77;
	s->nr_meters = 2;
	snprintf(s->boot_id, sizeof(s->boot_id), "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
	s->boottime_ns = 123456789012345ULL;
	s->cgroup_map_id = 4711;
	s->refused = 1;
	snprintf(s->meters[0].domain, 32, "package-0");
	snprintf(s->meters[0].kind, 16, "powercap");
	snprintf(s->meters[0].source, 600, "/sys/class/powercap/intel rapl:0/energy_uj");
	s->meters[0].wrap = 262143328850ULL;
	s->meters[0].last_raw = 262143000000ULL;
	s->meters[0].total_uj = 123456789;
	s->meters[0].frac_uj = 0.25;
	snprintf(s->meters[1].domain, 32, "dram-0");
	s->nr_cgroups = 2;
	s->cgroups = cgs;
	s->batch = batch;
	s->batch_len = sizeof(batch);
}

static void test_round_trip(void **state)
{
	struct eacct_state in, out;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/eacct-state-%d", getpid());
	sample(&in);
	assert_int_equal(eacct_state_save(path, &in), 0);
	assert_int_equal(access("/tmp/eacct-state.tmp", F_OK), -1);
	assert_int_equal(eacct_state_load(path, &out), 0);
	assert_true(out.seq == 77);
	assert_int_equal(out.nr_meters, 2);
	assert_string_equal(out.meters[0].domain, "package-0");
	assert_true(out.meters[0].last_raw == 262143000000ULL);
	assert_true(out.meters[0].total_uj == 123456789);
	assert_true(out.meters[0].frac_uj == 0.25);
	assert_string_equal(out.meters[0].kind, "powercap");
	assert_string_equal(out.meters[0].source, "/sys/class/powercap/intel rapl:0/energy_uj");
	assert_true(out.meters[0].wrap == 262143328850ULL);
	assert_string_equal(out.meters[1].kind, "");
	assert_string_equal(out.meters[1].source, "");
	assert_string_equal(out.boot_id, in.boot_id);
	assert_true(out.boottime_ns == 123456789012345ULL);
	assert_int_equal(out.cgroup_map_id, 4711);
	assert_int_equal(out.refused, 1);
	assert_int_equal(out.nr_cgroups, 2);
	assert_true(out.cgroups[0].ns[7] == UINT64_MAX);
	assert_true(out.cgroups[1].id == 4242);
	assert_int_equal(out.batch_len, in.batch_len);
	assert_memory_equal(out.batch, in.batch, in.batch_len);
	eacct_state_free(&out);
}

static void test_corrupt(void **state)
{
	struct eacct_state in, out;
	char cmd[256];
	long size;
	FILE *f;

	(void)state;
	assert_int_equal(eacct_state_load("/nonexistent/state", &out), -ENOENT);

	/* Torn: cut anywhere, the file is refused, never half-read. */
	sample(&in);
	assert_int_equal(eacct_state_save(path, &in), 0);
	f = fopen(path, "r");
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fclose(f);
	for (long cut = 0; cut < size; cut += 7) {
		assert_int_equal(truncate(path, cut), 0);
		assert_int_equal(eacct_state_load(path, &out), -EINVAL);
		assert_int_equal(eacct_state_save(path, &in), 0);
	}
	/* A fraction that is not one (NaN, negative, a whole uJ): not eacctd's file. */
	snprintf(cmd, sizeof(cmd), "sed -i 's/ 0.25 / nan /' %s", path);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(eacct_state_load(path, &out), -EINVAL);
	assert_int_equal(eacct_state_save(path, &in), 0);
	snprintf(cmd, sizeof(cmd), "sed -i 's/ 0.25 / -1 /' %s", path);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(eacct_state_load(path, &out), -EINVAL);
	assert_int_equal(eacct_state_save(path, &in), 0);
	snprintf(cmd, sizeof(cmd), "sed -i 's/^seq 77/seq x/' %s", path);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(eacct_state_load(path, &out), -EINVAL);
	unlink(path);
}

/* A file of eacctd 0.1 (version 1) still gives its seq and batch; no identity. */
static void test_version1(void **state)
{
	struct eacct_state out;
	FILE *f;

	(void)state;
	f = fopen(path, "w");
	fputs("eacctd-state 1\nseq 9\nmeter package-0 100 200 0.5\n"
	      "cgroup 1 1 2 3 4 5 6 7 8\nbatch 3\nabc\nend\n", f);
	fclose(f);
	assert_int_equal(eacct_state_load(path, &out), 0);
	assert_true(out.seq == 9);
	assert_int_equal(out.nr_meters, 1);
	assert_string_equal(out.meters[0].kind, "");
	assert_string_equal(out.boot_id, "");
	assert_true(out.meters[0].total_uj == 200);
	assert_int_equal(out.batch_len, 3);
	eacct_state_free(&out);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_version1),
		cmocka_unit_test(test_corrupt),
	};

	return cmocka_run_group_tests_name("state", tests, NULL, NULL);
}
