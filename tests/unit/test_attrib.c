// SPDX-License-Identifier: GPL-2.0
/*
 * Unit and randomized property tests of eacct_split(): conservation is
 * exact in every interval, each share is within 1 uJ of the rational one,
 * order and zero activity behave, and long runs keep the ratios.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/attrib.h"

#define MAX_N 48

/* xorshift64*: reproducible, fast, seeded per test. */
static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

/* A value of random magnitude up to 2^bits. */
static uint64_t rnd_mag(unsigned int bits)
{
	unsigned int b = rnd() % (bits + 1);

	return b ? rnd() >> (64 - b) : 0;
}

static void test_examples(void **state)
{
	uint64_t act[] = { 3, 1 }, charge[4], idle;
	uint64_t even[] = { 1, 1, 1 };
	uint64_t none[] = { 0, 0 };

	(void)state;
	idle = eacct_split(1000, act, 2, 0, EACCT_IDLE_PROPORTIONAL, charge);
	assert_int_equal(charge[0], 750);
	assert_int_equal(charge[1], 250);
	assert_int_equal(idle, 0);

	/* Half the capacity used: half the energy unattributed. */
	idle = eacct_split(1000, act, 2, 8, EACCT_IDLE_UNATTRIBUTED, charge);
	assert_int_equal(charge[0], 375);
	assert_int_equal(charge[1], 125);
	assert_int_equal(idle, 500);

	/* 10 over three: the fractions carried, none dropped. */
	idle = eacct_split(10, even, 3, 0, EACCT_IDLE_PROPORTIONAL, charge);
	assert_int_equal(charge[0] + charge[1] + charge[2], 10);
	assert_int_equal(idle, 0);
	assert_in_range(charge[0], 3, 4);
	assert_in_range(charge[2], 3, 4);

	/* Nobody ran: all idle, whatever the policy. */
	idle = eacct_split(77, none, 2, 0, EACCT_IDLE_PROPORTIONAL, charge);
	assert_int_equal(idle, 77);
	assert_int_equal(charge[0] + charge[1], 0);
	assert_int_equal(eacct_split(77, NULL, 0, 0, EACCT_IDLE_PROPORTIONAL, charge), 77);

	/* More activity than capacity (skew): capacity raised, nothing lost. */
	idle = eacct_split(100, act, 2, 2, EACCT_IDLE_UNATTRIBUTED, charge);
	assert_int_equal(charge[0] + charge[1] + idle, 100);
	assert_int_equal(idle, 0);
}

static void test_extremes(void **state)
{
	uint64_t act[] = { UINT64_MAX / 2, UINT64_MAX / 2, 1 }, charge[3], idle;

	(void)state;
	/* 128-bit intermediates: no overflow at the top of the ranges. */
	idle = eacct_split(UINT64_MAX, act, 3, 0, EACCT_IDLE_PROPORTIONAL, charge);
	assert_true(charge[0] + charge[1] + charge[2] + idle == UINT64_MAX);
	assert_true(idle == 0);
	assert_true(charge[2] <= 1);
}

static void test_policy_names(void **state)
{
	enum eacct_idle_policy p;

	(void)state;
	assert_int_equal(eacct_idle_policy_parse("unattributed", &p), 0);
	assert_int_equal(p, EACCT_IDLE_UNATTRIBUTED);
	assert_int_equal(eacct_idle_policy_parse("proportional", &p), 0);
	assert_int_equal(p, EACCT_IDLE_PROPORTIONAL);
	assert_int_equal(eacct_idle_policy_parse("even", &p), -EINVAL);
	assert_string_equal(eacct_idle_policy_name(EACCT_IDLE_UNATTRIBUTED), "unattributed");
}

/* Two million random intervals: conservation and per-share bounds. */
/* Activity gathered per id: appended in first-seen order, bounded. */
static void test_tally(void **state)
{
	uint64_t ids[2], act[2];
	size_t n = 0;

	(void)state;
	n = eacct_tally(ids, act, n, 2, 7, 10);
	n = eacct_tally(ids, act, n, 2, 9, 1);
	n = eacct_tally(ids, act, n, 2, 7, 5);
	assert_int_equal(n, 2);
	assert_int_equal(ids[0], 7);
	assert_int_equal(act[0], 15);
	assert_int_equal(ids[1], 9);
	assert_int_equal(act[1], 1);
	n = eacct_tally(ids, act, n, 2, 11, 4);	/* no room: left out */
	assert_int_equal(n, 2);
	assert_int_equal(act[0] + act[1], 16);
}

static void test_property_random(void **state)
{
	uint64_t act[MAX_N], charge[MAX_N], energy, capacity, idle, sum;
	unsigned __int128 total, exact_num, lo;
	enum eacct_idle_policy policy;
	long iter;
	size_t n, i;

	(void)state;
	rng_state = 0x9e3779b97f4a7c15ULL;
	for (iter = 0; iter < 2000000; iter++) {
		n = rnd() % MAX_N;
		energy = rnd_mag(iter % 7 ? 40 : 64);
		total = 0;
		for (i = 0; i < n; i++) {
			act[i] = rnd() % 4 ? rnd_mag(iter % 5 ? 34 : 63) : 0;
			total += act[i];
		}
		policy = rnd() & 1 ? EACCT_IDLE_UNATTRIBUTED : EACCT_IDLE_PROPORTIONAL;
		capacity = rnd_mag(36);
		idle = eacct_split(energy, act, n, capacity, policy, charge);

		sum = 0;
		for (i = 0; i < n; i++) {
			sum += charge[i];
			assert_true(sum >= charge[i]);	/* no wrap */
		}
		if (sum + idle != energy)
			fail_msg("interval %ld: %llu + %llu != %llu", iter,
				 (unsigned long long)sum, (unsigned long long)idle,
				 (unsigned long long)energy);
		if (policy == EACCT_IDLE_UNATTRIBUTED && capacity > total)
			total = capacity;
		if (policy == EACCT_IDLE_PROPORTIONAL && total)
			assert_true(idle == 0);
		for (i = 0; i < n && total; i++) {
			exact_num = (unsigned __int128)energy * act[i];
			lo = exact_num / total;
			/* Within one microjoule of the exact share. */
			if (!(charge[i] + 1 > lo && charge[i] <= lo + 1))
				fail_msg("interval %ld: share %zu off", iter, i);
			if (!act[i])
				assert_true(charge[i] == 0);
		}
	}
}

/* A million intervals of fixed 5:3:2 shares: totals keep the ratio. */
static void test_property_long_run(void **state)
{
	uint64_t act[] = { 5000, 3000, 2000 }, charge[3];
	uint64_t totals[3] = { 0 }, energy_total = 0, idle_total = 0, e;
	long iter;
	int i;

	(void)state;
	rng_state = 42;
	for (iter = 0; iter < 1000000; iter++) {
		e = 1 + rnd() % 2000000;	/* up to 2 J per interval */
		energy_total += e;
		idle_total += eacct_split(e, act, 3, 0, EACCT_IDLE_PROPORTIONAL, charge);
		for (i = 0; i < 3; i++)
			totals[i] += charge[i];
	}
	assert_true(totals[0] + totals[1] + totals[2] + idle_total == energy_total);
	/* Error at most 1 uJ per interval, against terajoule-scale totals. */
	for (i = 0; i < 3; i++) {
		double want = energy_total * (act[i] / 10000.0);

		assert_true(totals[i] > want - 1000000 && totals[i] < want + 1000000);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_examples),
		cmocka_unit_test(test_extremes),
		cmocka_unit_test(test_policy_names),
		cmocka_unit_test(test_tally),
		cmocka_unit_test(test_property_random),
		cmocka_unit_test(test_property_long_run),
	};

	return cmocka_run_group_tests_name("attrib", tests, NULL, NULL);
}
