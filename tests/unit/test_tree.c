// SPDX-License-Identifier: GPL-2.0
/* Reading the module's tree back, from a fixture shaped like /sys/kernel/eacct. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/tree.h"

static char root[64];

static void put(const char *rel, const char *val)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%s\n", val);
	fclose(f);
}

static void cgroup(const char *rel, uint64_t id, uint64_t cpu, uint64_t gpu, uint64_t carbon)
{
	static const char *const names[] = { "id", "energy_uj", "cpu_energy_uj",
		"dram_energy_uj", "gpu_energy_uj", "carbon_ug", "budget_ug",
		"energy_budget_uj", "budget_exceeded", "removed" };
	uint64_t v[] = { id, cpu + gpu, cpu, 0, gpu, carbon, 0, 0, 0, 0 };
	char path[512], val[32];
	size_t i;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(mkdir(path, 0755), 0);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", rel, names[i]);
		snprintf(val, sizeof(val), "%" PRIu64, v[i]);
		put(path, val);
	}
	snprintf(path, sizeof(path), "%s/budget_action", rel);
	put(path, "notify");
}

static int setup(void **state)
{
	char path[512], target[512];

	(void)state;
	snprintf(root, sizeof(root), "/tmp/eacct-tree-XXXXXX");
	assert_non_null(mkdtemp(root));
	snprintf(path, sizeof(path), "%s/domains", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/budgets", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/removed", root);
	mkdir(path, 0755);
	cgroup("cgroups", 1, 500, 100, 60);
	cgroup("cgroups/kubepods.slice", 10, 400, 100, 50);
	cgroup("cgroups/kubepods.slice/pod-a", 11, 300, 100, 40);
	cgroup("cgroups/system.slice", 20, 100, 0, 10);
	/* Names the module escapes: "energy_uj" and "%x" get one more '%'. */
	cgroup("cgroups/system.slice/%energy_uj", 21, 10, 0, 1);
	cgroup("cgroups/system.slice/%%x", 22, 10, 0, 1);
	/* A removed cgroup kept for retention, and its budget's link. */
	cgroup("removed/77", 77, 5, 0, 1);
	put("removed/77/removed", "1");
	put("removed/77/path", "/system.slice/gone.service");
	put("removed/77/budget_ug", "5");
	snprintf(path, sizeof(path), "%s/budgets/77", root);
	assert_int_equal(symlink("../removed/77", path), 0);
	put("cgroups/kubepods.slice/pod-a/budget_ug", "30");
	put("cgroups/kubepods.slice/pod-a/budget_exceeded", "1");
	put("cgroups/kubepods.slice/pod-a/budget_action", "throttle=25");
	snprintf(path, sizeof(path), "%s/budgets/11", root);
	snprintf(target, sizeof(target), "../cgroups/kubepods.slice/pod-a");
	assert_int_equal(symlink(target, path), 0);
	/* A link whose cgroup was just dropped is skipped, not an error. */
	snprintf(path, sizeof(path), "%s/budgets/99", root);
	assert_int_equal(symlink("../cgroups/gone", path), 0);
	snprintf(path, sizeof(path), "%s/domains/package-0", root);
	mkdir(path, 0755);
	put("domains/package-0/energy_uj", "700");
	put("domains/package-0/idle_uj", "200");
	put("domains/package-0/carbon_ug", "70");
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd);
}

static void test_walk(void **state)
{
	struct eacct_tree t;
	size_t i, found = 0;

	(void)state;
	assert_int_equal(eacct_tree_read(root, &t), 0);
	assert_int_equal(t.n, 7);
	assert_string_equal(t.cgs[0].path, "/");
	for (i = 0; i < t.n; i++) {
		if (!strcmp(t.cgs[i].path, "/kubepods.slice/pod-a")) {
			found++;
			assert_int_equal(t.cgs[i].id, 11);
			assert_int_equal(t.cgs[i].energy_uj, 400);
			assert_int_equal(t.cgs[i].gpu_uj, 100);
			assert_int_equal(t.cgs[i].carbon_ug, 40);
			assert_int_equal(t.cgs[i].budget_ug, 30);
			assert_true(t.cgs[i].exceeded);
			assert_string_equal(t.cgs[i].action, "throttle=25");
		} else if (!strcmp(t.cgs[i].path, "/system.slice/energy_uj")) {
			found++;
			assert_int_equal(t.cgs[i].id, 21);
		} else if (!strcmp(t.cgs[i].path, "/system.slice/%x")) {
			found++;
			assert_int_equal(t.cgs[i].id, 22);
		} else if (!strcmp(t.cgs[i].path, "/system.slice/gone.service")) {
			found++;
			assert_int_equal(t.cgs[i].id, 77);
			assert_true(t.cgs[i].removed);
			assert_int_equal(t.cgs[i].energy_uj, 5);
		}
	}
	assert_int_equal(found, 4);
	/* Removed ones after the live tree, which is parents first. */
	assert_true(t.cgs[t.n - 1].removed);
	eacct_tree_free(&t);
}

static void test_budgets(void **state)
{
	struct eacct_tree t;
	size_t i;

	(void)state;
	assert_int_equal(eacct_tree_read_budgets(root, &t), 0);
	assert_int_equal(t.n, 2);
	for (i = 0; i < t.n; i++) {
		if (t.cgs[i].id == 11) {
			assert_string_equal(t.cgs[i].path, "/kubepods.slice/pod-a");
			assert_int_equal(t.cgs[i].budget_ug, 30);
		} else {
			/* Its path file: it left the tree when it was removed. */
			assert_int_equal(t.cgs[i].id, 77);
			assert_string_equal(t.cgs[i].path, "/system.slice/gone.service");
			assert_int_equal(t.cgs[i].budget_ug, 5);
		}
	}
	eacct_tree_free(&t);
}

static void test_resolve(void **state)
{
	char dir[PATH_MAX], path[PATH_MAX], want[PATH_MAX];

	(void)state;
	snprintf(want, sizeof(want), "%s/cgroups/kubepods.slice/pod-a", root);
	assert_int_equal(eacct_tree_resolve(root, "/sys/fs/cgroup", "/kubepods.slice/pod-a",
					    dir, sizeof(dir), path, sizeof(path)), 0);
	assert_string_equal(dir, want);
	assert_string_equal(path, "/kubepods.slice/pod-a");
	assert_int_equal(eacct_tree_resolve(root, "/sys/fs/cgroup", "kubepods.slice/pod-a/",
					    dir, sizeof(dir), path, sizeof(path)), 0);
	assert_string_equal(path, "/kubepods.slice/pod-a");
	assert_int_equal(eacct_tree_resolve(root, "/sys/fs/cgroup",
					    "/sys/fs/cgroup/kubepods.slice/pod-a", dir,
					    sizeof(dir), path, sizeof(path)), 0);
	assert_string_equal(dir, want);
	assert_int_equal(eacct_tree_resolve(root, "/sys/fs/cgroup", "11", dir, sizeof(dir),
					    path, sizeof(path)), 0);
	assert_string_equal(dir, want);
	assert_string_equal(path, "/kubepods.slice/pod-a");
	assert_int_equal(eacct_tree_resolve(root, "/sys/fs/cgroup", "/", dir, sizeof(dir),
					    path, sizeof(path)), 0);
	assert_string_equal(path, "/");
	assert_int_equal(eacct_tree_resolve(root, "/sys/fs/cgroup", "/nope", dir, sizeof(dir),
					    path, sizeof(path)), -ENOENT);
	assert_int_equal(eacct_tree_resolve(root, "/sys/fs/cgroup", "12345", dir, sizeof(dir),
					    path, sizeof(path)), -ENOENT);
	assert_int_equal(eacct_tree_resolve(root, "/sys/fs/cgroup", "/kubepods.slice/energy_uj",
					    dir, sizeof(dir), path, sizeof(path)), -ENOENT);
	assert_int_equal(eacct_tree_resolve(root, "/sys/fs/cgroup", "/a/../..", dir,
					    sizeof(dir), path, sizeof(path)), -EINVAL);
	/* Escaped names, found by the cgroup's own. */
	snprintf(want, sizeof(want), "%s/cgroups/system.slice/%%energy_uj", root);
	assert_int_equal(eacct_tree_resolve(root, "/sys/fs/cgroup", "/system.slice/energy_uj",
					    dir, sizeof(dir), path, sizeof(path)), 0);
	assert_string_equal(dir, want);
	assert_string_equal(path, "/system.slice/energy_uj");
	snprintf(want, sizeof(want), "%s/cgroups/system.slice/%%%%x", root);
	assert_int_equal(eacct_tree_resolve(root, "/sys/fs/cgroup", "/system.slice/%x",
					    dir, sizeof(dir), path, sizeof(path)), 0);
	assert_string_equal(dir, want);
	assert_int_equal(eacct_tree_resolve(root, "/sys/fs/cgroup", "22", dir, sizeof(dir),
					    path, sizeof(path)), 0);
	assert_string_equal(dir, want);
	assert_string_equal(path, "/system.slice/%x");
	/* A removed one by id: removed/<id>, named by its path file. */
	snprintf(want, sizeof(want), "%s/removed/77", root);
	assert_int_equal(eacct_tree_resolve(root, "/sys/fs/cgroup", "77", dir, sizeof(dir),
					    path, sizeof(path)), 0);
	assert_string_equal(dir, want);
	assert_string_equal(path, "/system.slice/gone.service");
	assert_int_equal(eacct_tree_resolve(root, "/sys/fs/cgroup", "", dir, sizeof(dir),
					    path, sizeof(path)), -EINVAL);
}

static void test_domains(void **state)
{
	struct eacct_domain_stat d[4];

	(void)state;
	assert_int_equal(eacct_domains_read(root, d, 4), 1);
	assert_string_equal(d[0].name, "package-0");
	assert_int_equal(d[0].energy_uj, 700);
	assert_int_equal(d[0].idle_uj, 200);
	assert_int_equal(d[0].carbon_ug, 70);
	assert_int_equal(eacct_domains_read("/nonexistent", d, 4), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_budgets),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_domains),
	};

	return cmocka_run_group_tests_name("tree", tests, setup, teardown);
}
