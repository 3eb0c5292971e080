// SPDX-License-Identifier: GPL-2.0
/*
 * eacctd's account.c: readings in, records out. Every domain's records
 * add up to its energy and carbon exactly; processes add up to their
 * cgroup; a refused batch folds into the next without a microjoule
 * gained or lost, and no record above EACCT_MAX_DELTA.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "account.h"

#define CPU0 EACCT_DOMAIN(EACCT_CLASS_CPU, 0)
#define GPU0 EACCT_DOMAIN(EACCT_CLASS_GPU, 0)

static uint64_t domain_sum(const struct eacct_batch *b, uint32_t domain, bool carbon,
			   bool idle_only)
{
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i < b->nr_cgroups; i++) {
		const struct eacct_cgroup_record *r = &b->cgroups[i];

		if (r->domain != domain || (idle_only && !(r->flags & EACCT_RECORD_IDLE)))
			continue;
		sum += carbon ? r->carbon_ug : r->energy_uj;
	}
	return sum;
}

static uint64_t process_sum(const struct eacct_batch *b, uint64_t cgroup, uint32_t domain)
{
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i < b->nr_processes; i++)
		if (b->processes[i].cgroup_id == cgroup && b->processes[i].domain == domain)
			sum += b->processes[i].energy_uj;
	return sum;
}

static uint64_t cgroup_energy(const struct eacct_batch *b, uint64_t cgroup, uint32_t domain)
{
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i < b->nr_cgroups; i++)
		if (b->cgroups[i].cgroup_id == cgroup && b->cgroups[i].domain == domain &&
		    !(b->cgroups[i].flags & EACCT_RECORD_IDLE))
			sum += b->cgroups[i].energy_uj;
	return sum;
}

static void test_cpu_split_exact(void **state)
{
	static const uint64_t ids[] = { 10, 20, 30 }, act[] = { 1000, 2000, 3001 };
	static const uint64_t p1[8] = { 400 }, p2[8] = { 601 }, p3[8] = { 3001 };
	const struct account_proc procs[] = {
		{ 1, 10, p1, "a" }, { 2, 10, p2, "b" }, { 3, 30, p3, "c" },
	};
	const struct account_domain dom = {
		.id = CPU0, .energy_uj = 999999937, .carbon_ug = 123457,
		.capacity = 2 * 10000, .policy = EACCT_IDLE_PROPORTIONAL,
		.n = 3, .ids = ids, .act = act, .pkg = 0,
	};
	const struct account_input in = { &dom, 1, procs, 3 };
	struct eacct_batch b;

	(void)state;
	eacct_batch_init(&b, 1);
	assert_int_equal(account_batch(&b, &in), 0);
	assert_true(domain_sum(&b, CPU0, false, false) == 999999937);
	assert_true(domain_sum(&b, CPU0, true, false) == 123457);
	assert_true(domain_sum(&b, CPU0, false, true) == 0);	/* proportional: no idle */
	assert_true(process_sum(&b, 10, CPU0) == cgroup_energy(&b, 10, CPU0));
	assert_true(process_sum(&b, 30, CPU0) == cgroup_energy(&b, 30, CPU0));
	assert_true(process_sum(&b, 20, CPU0) == 0);	/* no process rows seen: none made */
	assert_true(account_batch_energy(&b) == 999999937);
	eacct_batch_free(&b);
}

/* The cgroup ran on a package where none of its processes did: its rows still add up. */
static void test_processes_elsewhere(void **state)
{
	static const uint64_t ids[] = { 10 }, act[] = { 500 };
	static const uint64_t p1[8] = { 0, 300 }, p2[8] = { 0, 100 }, p3[8] = { 0 };
	const struct account_proc procs[] = { { 1, 10, p1, "a" }, { 2, 10, p2, "b" } };
	const struct account_proc idle[] = { { 3, 10, p3, "c" } };
	const struct account_domain dom = {
		.id = CPU0, .energy_uj = 1000, .carbon_ug = 10, .capacity = 0,
		.policy = EACCT_IDLE_PROPORTIONAL, .n = 1, .ids = ids, .act = act, .pkg = 0,
	};
	struct account_input in = { &dom, 1, procs, 2 };
	struct eacct_batch b;

	(void)state;
	eacct_batch_init(&b, 1);
	assert_int_equal(account_batch(&b, &in), 0);
	assert_true(process_sum(&b, 10, CPU0) == 1000);
	assert_true(b.processes[0].energy_uj == 750);	/* 3:1 by their time elsewhere */
	eacct_batch_free(&b);
	in.procs = idle;
	in.nr_procs = 1;
	eacct_batch_init(&b, 1);
	assert_int_equal(account_batch(&b, &in), 0);
	assert_true(process_sum(&b, 10, CPU0) == 1000);	/* no time at all: alike */
	eacct_batch_free(&b);
}

static void test_unattributed_and_gpu(void **state)
{
	static const uint64_t ids[] = { 7 }, act[] = { 250 };
	const struct account_domain doms[] = {
		{ .id = CPU0, .energy_uj = 1000, .carbon_ug = 10, .capacity = 1000,
		  .policy = EACCT_IDLE_UNATTRIBUTED, .n = 1, .ids = ids, .act = act, .pkg = 0 },
		{ .id = GPU0, .energy_uj = 5000, .carbon_ug = 0, .capacity = 0,
		  .policy = EACCT_IDLE_PROPORTIONAL, .n = 0, .pkg = -1 },
	};
	const struct account_input in = { doms, 2, NULL, 0 };
	struct eacct_batch b;

	(void)state;
	eacct_batch_init(&b, 1);
	assert_int_equal(account_batch(&b, &in), 0);
	assert_true(cgroup_energy(&b, 7, CPU0) == 250);
	assert_true(domain_sum(&b, CPU0, false, true) == 750);
	assert_true(domain_sum(&b, CPU0, true, false) == 10);
	/* Nobody on the GPU: all of it idle, none lost. */
	assert_true(domain_sum(&b, GPU0, false, true) == 5000);
	assert_int_equal(b.nr_processes, 0);
	eacct_batch_free(&b);
}

static void test_extremes(void **state)
{
	static const uint64_t ids[] = { 1, 2 }, act[] = { UINT64_MAX / 2, UINT64_MAX / 2 };
	const struct account_domain dom = {
		.id = CPU0, .energy_uj = EACCT_MAX_DELTA, .carbon_ug = EACCT_MAX_DELTA,
		.capacity = 0, .policy = EACCT_IDLE_PROPORTIONAL, .n = 2, .ids = ids,
		.act = act, .pkg = -1,
	};
	const struct account_input in = { &dom, 1, NULL, 0 };
	struct eacct_batch b;

	(void)state;
	eacct_batch_init(&b, 1);
	assert_int_equal(account_batch(&b, &in), 0);
	assert_true(domain_sum(&b, CPU0, false, false) == EACCT_MAX_DELTA);
	assert_true(cgroup_energy(&b, 1, CPU0) == EACCT_MAX_DELTA / 2);
	eacct_batch_free(&b);

	/* Zero energy and no one active: nothing to say. */
	{
		const struct account_domain z = { .id = CPU0, .pkg = -1 };
		const struct account_input zin = { &z, 1, NULL, 0 };

		eacct_batch_init(&b, 1);
		assert_int_equal(account_batch(&b, &zin), 0);
		assert_int_equal(b.nr_cgroups, 0);
		eacct_batch_free(&b);
	}
}

static void test_merge(void **state)
{
	struct eacct_batch a, c;

	(void)state;
	eacct_batch_init(&a, 5);
	eacct_batch_init(&c, 0);
	assert_int_equal(eacct_batch_add_cgroup(&a, 10, CPU0, 100, 1), 0);
	assert_int_equal(eacct_batch_add_idle(&a, CPU0, 7, 0), 0);
	assert_int_equal(eacct_batch_add_process(&a, 42, 10, CPU0, 100, 1, "x"), 0);
	assert_int_equal(eacct_batch_add_cgroup(&c, 10, CPU0, 50, 2), 0);
	assert_int_equal(eacct_batch_add_cgroup(&c, 11, GPU0, 5, 0), 0);
	assert_int_equal(eacct_batch_add_idle(&c, CPU0, 3, 1), 0);
	assert_int_equal(eacct_batch_add_process(&c, 42, 10, CPU0, 50, 2, "x"), 0);
	assert_int_equal(account_merge(&a, &c), 0);
	assert_int_equal(a.nr_cgroups, 3);
	assert_true(cgroup_energy(&a, 10, CPU0) == 150);
	assert_true(domain_sum(&a, CPU0, false, true) == 10);
	assert_true(domain_sum(&a, CPU0, true, false) == 4);
	assert_int_equal(a.nr_processes, 1);
	assert_true(a.processes[0].energy_uj == 150);
	assert_true(account_batch_energy(&a) == 165);

	/* Past EACCT_MAX_DELTA a second record takes the rest: nothing refused, nothing lost. */
	eacct_batch_free(&c);
	eacct_batch_init(&c, 0);
	assert_int_equal(eacct_batch_add_cgroup(&c, 10, CPU0, EACCT_MAX_DELTA, 0), 0);
	assert_int_equal(account_merge(&a, &c), 0);
	assert_int_equal(a.nr_cgroups, 4);
	for (size_t i = 0; i < a.nr_cgroups; i++)
		assert_true(a.cgroups[i].energy_uj <= EACCT_MAX_DELTA);
	assert_true(cgroup_energy(&a, 10, CPU0) == 150 + EACCT_MAX_DELTA);
	eacct_batch_free(&a);
	eacct_batch_free(&c);
}

static void test_split_large(void **state)
{
	struct eacct_batch b;
	uint64_t sum = 0;

	(void)state;
	eacct_batch_init(&b, 1);
	assert_int_equal(eacct_batch_add_cgroup(&b, 10, CPU0, 3 * EACCT_MAX_DELTA + 5, 7), 0);
	assert_int_equal(eacct_batch_add_idle(&b, CPU0, 2, EACCT_MAX_DELTA + 1), 0);
	assert_int_equal(eacct_batch_add_process(&b, 4, 10, CPU0, EACCT_MAX_DELTA + 9, 0, "p"), 0);
	assert_int_equal(account_split_large(&b), 0);
	for (size_t i = 0; i < b.nr_cgroups; i++) {
		assert_true(b.cgroups[i].energy_uj <= EACCT_MAX_DELTA);
		assert_true(b.cgroups[i].carbon_ug <= EACCT_MAX_DELTA);
	}
	assert_true(cgroup_energy(&b, 10, CPU0) == 3 * EACCT_MAX_DELTA + 5);
	assert_int_equal(b.nr_cgroups, 6);	/* 4 for the cgroup, 2 idle */
	assert_true(domain_sum(&b, CPU0, true, true) == EACCT_MAX_DELTA + 1);
	for (size_t i = 0; i < b.nr_cgroups; i++)
		sum += b.cgroups[i].carbon_ug;
	assert_true(sum == EACCT_MAX_DELTA + 1 + 7);
	assert_true(b.processes[0].energy_uj == EACCT_MAX_DELTA);
	eacct_batch_free(&b);
}

static void test_decode(void **state)
{
	struct eacct_batch a, d;
	size_t len;
	void *buf;

	(void)state;
	eacct_batch_init(&a, 77);
	assert_int_equal(eacct_batch_add_cgroup(&a, 10, CPU0, 100, 1), 0);
	assert_int_equal(eacct_batch_add_process(&a, 42, 10, CPU0, 100, 1, "x"), 0);
	buf = eacct_batch_encode(&a, &len);
	assert_non_null(buf);
	assert_int_equal(eacct_batch_decode(buf, len, &d), 0);
	assert_true(d.seq == 77);
	assert_int_equal(d.nr_cgroups, 1);
	assert_int_equal(d.nr_processes, 1);
	assert_memory_equal(d.cgroups, a.cgroups, sizeof(*a.cgroups));
	eacct_batch_free(&d);
	assert_int_equal(eacct_batch_decode(buf, len - 1, &d), -EINVAL);
	((char *)buf)[0] ^= 1;
	assert_int_equal(eacct_batch_decode(buf, len, &d), -EINVAL);
	free(buf);
	eacct_batch_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpu_split_exact),
		cmocka_unit_test(test_processes_elsewhere),
		cmocka_unit_test(test_unattributed_and_gpu),
		cmocka_unit_test(test_extremes),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_split_large),
		cmocka_unit_test(test_decode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
