// SPDX-License-Identifier: GPL-2.0
/* Parsing /proc/eacct/processes as the module writes it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lib/procs.h"

static void test_rows(void **state)
{
	struct eacct_procs p;
	size_t bad;

	(void)state;
	assert_int_equal(eacct_procs_parse(
		"pid comm state cgroup_id cgroup cpu_energy_uj dram_energy_uj gpu_energy_uj carbon_ug\n"
		"73 python3 live 1042 /kubepods.slice/pod-a/train 0 0 48000000 4200\n"
		"74 Web\\040Content exited 1043 /user.slice/a\\134b 12 3 0 1\n"
		"75 broken live\n"
		"76 x dead 1 / 1 2 3 4\n"
		"77 sh live 1 ? 5 0 0 0\n", &p, &bad), 0);
	assert_int_equal(p.n, 3);
	assert_int_equal(bad, 2);
	assert_int_equal(p.rows[0].pid, 73);
	assert_string_equal(p.rows[0].comm, "python3");
	assert_false(p.rows[0].exited);
	assert_int_equal(p.rows[0].cgroup_id, 1042);
	assert_string_equal(p.rows[0].cgroup, "/kubepods.slice/pod-a/train");
	assert_int_equal(p.rows[0].gpu_uj, 48000000);
	assert_int_equal(p.rows[0].carbon_ug, 4200);
	assert_string_equal(p.rows[1].comm, "Web Content");
	assert_true(p.rows[1].exited);
	assert_string_equal(p.rows[1].cgroup, "/user.slice/a\\b");
	assert_int_equal(p.rows[1].dram_uj, 3);
	assert_string_equal(p.rows[2].cgroup, "?");
	eacct_procs_free(&p);
	assert_int_equal(eacct_procs_read("/nonexistent", &p), -2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
	};

	return cmocka_run_group_tests_name("procs", tests, NULL, NULL);
}
