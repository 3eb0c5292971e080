// SPDX-License-Identifier: GPL-2.0
/*
 * Meter detection and reading against fixture trees shaped like the real
 * files: powercap (with wraparound, a core subzone, an unreadable counter
 * and a zone without range), the perf power PMU, Intel and AMD RAPL MSRs
 * (sparse files read at the MSR's offset, as /dev/cpu/N/msr is), hwmon.
 */
#include <errno.h>
#include <fcntl.h>
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

#include "lib/counter.h"
#include "lib/meter.h"

static char root[64];
static char p_powercap[128], p_perf[128], p_msr[128], p_hwmon[128], p_cpu[128];

static void put(const char *rel, const char *fmt, ...)
{
	char path[512], *slash;
	va_list ap;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (slash = strchr(path + strlen(root) + 1, '/'); slash;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	f = fopen(path, "w");
	assert_non_null(f);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
}

/* A value at an MSR's offset in a sparse file, as /dev/cpu/N/msr reads. */
static void put_msr(const char *rel, uint32_t msr, uint64_t val)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, &val, sizeof(val), msr), sizeof(val));
	close(fd);
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/eacct-meter-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	snprintf(p_powercap, sizeof(p_powercap), "%s/powercap", root);
	snprintf(p_perf, sizeof(p_perf), "%s/power", root);
	snprintf(p_msr, sizeof(p_msr), "%s/dev-cpu", root);
	snprintf(p_hwmon, sizeof(p_hwmon), "%s/hwmon", root);
	snprintf(p_cpu, sizeof(p_cpu), "%s/cpu", root);
	mkdir(p_powercap, 0755);
	mkdir(p_hwmon, 0755);
	/* Two packages: CPUs 0,1 on package 0, CPUs 2,3 on package 1. */
	put("cpu/cpu0/topology/physical_package_id", "0\n");
	put("cpu/cpu1/topology/physical_package_id", "0\n");
	put("cpu/cpu2/topology/physical_package_id", "1\n");
	put("cpu/cpu3/topology/physical_package_id", "1\n");
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd);
}

static struct eacct_meter_roots roots_only(const char *powercap,
					   const char *perf, const char *msr,
					   const char *hwmon)
{
	struct eacct_meter_roots r = {
		.powercap = powercap ? powercap : "/nonexistent",
		.perf_pmu = perf ? perf : "/nonexistent",
		.msr = msr ? msr : "/nonexistent",
		.hwmon = hwmon ? hwmon : "/nonexistent",
		.cpu = p_cpu,
	};
	return r;
}

static void test_counter_delta(void **state)
{
	enum eacct_counter_step step;

	(void)state;
	assert_int_equal(eacct_counter_delta(100, 250, 1000, &step), 150);
	assert_int_equal(step, EACCT_COUNTER_GREW);
	assert_int_equal(eacct_counter_delta(900, 50, 1000, &step), 150);
	assert_int_equal(step, EACCT_COUNTER_WRAPPED);
	assert_int_equal(eacct_counter_delta(5, 5, 1000, NULL), 0);
	assert_true(eacct_counter_delta(UINT32_MAX - 9, 10, 1ULL << 32, NULL) == 20);
	/* No modulus: a decrease is a restart from zero, all of now is new. */
	assert_int_equal(eacct_counter_delta(900, 50, 0, &step), 50);
	assert_int_equal(step, EACCT_COUNTER_RESTARTED);
	/* Readings outside the modulus are no wrap either. */
	assert_int_equal(eacct_counter_delta(5000, 50, 1000, &step), 50);
	assert_int_equal(step, EACCT_COUNTER_RESTARTED);
	assert_true(eacct_counter_delta(0, UINT64_MAX, 0, NULL) == UINT64_MAX);
}

/* The meters' files and fds belong to the test: eacctd keeps its meters open. */
static void close_meter(struct eacct_meter *m)
{
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
}

static void test_model(void **state)
{
	(void)state;
	/* 10 W idle, 100 W TDP, half busy, 1 s: 55 J. */
	assert_int_equal(eacct_model_energy_uj(10, 100, 0.5, 1000000000ULL), 55000000);
	assert_int_equal(eacct_model_energy_uj(10, 100, 0, 2000000000ULL), 20000000);
	assert_int_equal(eacct_model_energy_uj(10, 100, 7, 1000000000ULL), 100000000);
	assert_int_equal(eacct_model_energy_uj(10, 100, -1, 1000000000ULL), 10000000);
}

static void test_powercap(void **state)
{
	struct eacct_meter m[16], *pkg, *dram;
	struct eacct_meter_roots r = roots_only(p_powercap, NULL, NULL, NULL);
	int n, i;

	(void)state;
	put("powercap/intel-rapl:0/name", "package-0\n");
	put("powercap/intel-rapl:0/max_energy_range_uj", "262143328850\n");
	put("powercap/intel-rapl:0/energy_uj", "262143000000\n");
	put("powercap/intel-rapl:0:0/name", "core\n");
	put("powercap/intel-rapl:0:0/max_energy_range_uj", "262143328850\n");
	put("powercap/intel-rapl:0:0/energy_uj", "5\n");
	put("powercap/intel-rapl:0:1/name", "dram\n");
	put("powercap/intel-rapl:0:1/max_energy_range_uj", "65712999613\n");
	put("powercap/intel-rapl:0:1/energy_uj", "1000\n");
	put("powercap/intel-rapl:1/name", "package-1\n");
	put("powercap/intel-rapl:1/max_energy_range_uj", "262143328850\n");
	/* energy_uj that cannot be read (a directory here). */
	mkdir(p_powercap, 0755);
	{
		char d[256];

		snprintf(d, sizeof(d), "%s/intel-rapl:1/energy_uj", p_powercap);
		mkdir(d, 0755);
	}
	put("powercap/intel-rapl:2/name", "psys\n");
	put("powercap/intel-rapl:2/energy_uj", "7\n");
	put("powercap/intel-rapl-mmio:0/name", "package-0\n");

	n = eacct_meters_detect(&r, m, 16);
	assert_int_equal(n, 4);	/* package-0, dram-0, package-1, psys */
	pkg = eacct_meter_pick(m, n, "package-0");
	dram = eacct_meter_pick(m, n, "dram-0");
	assert_non_null(pkg);
	assert_non_null(dram);
	assert_int_equal(pkg->kind, EACCT_METER_POWERCAP);
	assert_false(pkg->estimated);
	assert_null(eacct_meter_pick(m, n, "package-1"));
	for (i = 0; i < n; i++)
		if (!strcmp(m[i].domain, "package-1"))
			assert_string_equal(m[i].error, "Is a directory");
	/* psys without max_energy_range_uj: found, not usable. */
	assert_null(eacct_meter_pick(m, n, "psys"));

	/* Wraparound: 262143000000 -> 100 across the 262143328850 range. */
	put("powercap/intel-rapl:0/energy_uj", "100\n");
	assert_int_equal(eacct_meter_read(pkg), 0);
	assert_int_equal(pkg->total_uj, 328850 + 100);
	put("powercap/intel-rapl:0/energy_uj", "1100\n");
	assert_int_equal(eacct_meter_read(pkg), 0);
	assert_int_equal(pkg->total_uj, 328950 + 1000);

	put("powercap/intel-rapl:0:1/energy_uj", "garbage\n");
	assert_int_equal(eacct_meter_read(dram), -EINVAL);
	assert_int_equal(dram->total_uj, 0);	/* unchanged */
}

static uint64_t perf_count;
static char perf_file[256];

/* Stands in for perf_event_open: an fd whose first 8 bytes are the count. */
static int fake_perf_open(uint32_t type, uint64_t config, int cpu)
{
	int fd;

	if (type != 17 || config != 0x2)
		return -EINVAL;
	if (cpu == 2)
		return -EACCES;	/* as with perf_event_paranoid */
	snprintf(perf_file, sizeof(perf_file), "%s/perf-%d", root, cpu);
	fd = open(perf_file, O_RDWR | O_CREAT, 0644);
	if (fd >= 0 && pwrite(fd, &perf_count, sizeof(perf_count), 0) != sizeof(perf_count))
		return -EIO;
	return fd;
}

static void test_perf(void **state)
{
	struct eacct_meter_roots r = roots_only(NULL, p_perf, NULL, NULL);
	struct eacct_meter m[8], *pkg;
	uint64_t count;
	int n;

	(void)state;
	put("power/type", "17\n");
	put("power/events/energy-pkg", "event=0x02\n");
	/* 2^-32 J per count, as the kernel publishes it. */
	put("power/events/energy-pkg.scale", "2.3283064365386962890625e-10\n");
	put("power/events/energy-pkg.unit", "Joules\n");
	r.perf_open = fake_perf_open;
	perf_count = 1000;

	n = eacct_meters_detect(&r, m, 8);
	assert_int_equal(n, 2);
	pkg = eacct_meter_pick(m, n, "package-0");
	assert_non_null(pkg);
	assert_int_equal(pkg->kind, EACCT_METER_PERF);
	assert_int_equal(pkg->cpu, 0);
	assert_null(eacct_meter_pick(m, n, "package-1"));
	assert_non_null(strstr(m[1].error, "Permission denied"));

	/* 2^32 counts later: exactly one joule. */
	count = 1000 + (1ULL << 32);
	assert_int_equal(pwrite(pkg->fd, &count, sizeof(count), 0), sizeof(count));
	assert_int_equal(eacct_meter_read(pkg), 0);
	assert_int_equal(pkg->total_uj, 1000000);
	close_meter(&m[0]);
	close_meter(&m[1]);
}

static void test_msr_intel(void **state)
{
	struct eacct_meter_roots r = roots_only(NULL, NULL, p_msr, NULL);
	struct eacct_meter m[8], *pkg, *dram;
	int n, i;

	(void)state;
	mkdir(p_msr, 0755);
	put("dev-cpu/0/msr", "");
	put("dev-cpu/2/msr", "");
	for (i = 0; i <= 2; i += 2) {
		char rel[64];

		snprintf(rel, sizeof(rel), "dev-cpu/%d/msr", i);
		/* ESU 14: 61.035 uJ per count. */
		put_msr(rel, 0x606, 0xa0e03);
		put_msr(rel, 0x611, 0xfffffff0);
		put_msr(rel, 0x619, 0x10);
		put_msr(rel, 0x64d, 0x20);
	}
	n = eacct_meters_detect(&r, m, 8);
	/* package-0, dram-0, psys, package-1, dram-1 */
	assert_int_equal(n, 5);
	pkg = eacct_meter_pick(m, n, "package-1");
	dram = eacct_meter_pick(m, n, "dram-0");
	assert_non_null(pkg);
	assert_non_null(dram);
	assert_non_null(eacct_meter_pick(m, n, "psys"));
	assert_int_equal(pkg->cpu, 2);

	/* Wrap of the 32-bit status register: 0xfffffff0 -> 0x10 is 32 counts. */
	put_msr("dev-cpu/2/msr", 0x611, 0x10);
	assert_int_equal(eacct_meter_read(pkg), 0);
	assert_int_equal(pkg->total_uj, 1953);	/* 32 x 61.035 = 1953.1 */
	/* The fraction is carried: 32 more counts make 3906.25 in all. */
	put_msr("dev-cpu/2/msr", 0x611, 0x30);
	assert_int_equal(eacct_meter_read(pkg), 0);
	assert_int_equal(pkg->total_uj, 3906);
	for (i = 0; i < n; i++)
		close_meter(&m[i]);
}

static void test_msr_amd(void **state)
{
	struct eacct_meter_roots r = roots_only(NULL, NULL, p_msr, NULL);
	struct eacct_meter m[8], *pkg;
	char cmd[512];
	int n, i;

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s && mkdir -p %s/0 %s/2", p_msr, p_msr, p_msr);
	assert_int_equal(system(cmd), 0);
	/* Intel's unit register reads as 0 here (a hole): AMD's is used. */
	put_msr("dev-cpu/0/msr", 0xc0010299, 0x0a1003);	/* ESU 16 */
	put_msr("dev-cpu/0/msr", 0xc001029b, 100);
	put_msr("dev-cpu/2/msr", 0xc0010299, 0x0a1003);
	put_msr("dev-cpu/2/msr", 0xc001029b, 200);
	n = eacct_meters_detect(&r, m, 8);
	assert_int_equal(n, 2);	/* no DRAM or psys on AMD */
	pkg = eacct_meter_pick(m, n, "package-0");
	assert_non_null(pkg);
	assert_int_equal(pkg->msr, 0xc001029b);
	put_msr("dev-cpu/0/msr", 0xc001029b, 100 + 65536);	/* one joule */
	assert_int_equal(eacct_meter_read(pkg), 0);
	assert_int_equal(pkg->total_uj, 1000000);
	for (i = 0; i < n; i++)
		close_meter(&m[i]);
}

static void test_hwmon(void **state)
{
	struct eacct_meter_roots r = roots_only(NULL, NULL, NULL, p_hwmon);
	struct eacct_meter m[8], *pkg;
	int n;

	(void)state;
	put("hwmon/hwmon3/name", "amd_energy\n");
	put("hwmon/hwmon3/energy1_label", "Ecore000\n");
	put("hwmon/hwmon3/energy1_input", "5\n");
	put("hwmon/hwmon3/energy2_label", "Esocket0\n");
	put("hwmon/hwmon3/energy2_input", "123456789\n");
	n = eacct_meters_detect(&r, m, 8);
	assert_int_equal(n, 1);
	pkg = eacct_meter_pick(m, n, "package-0");
	assert_non_null(pkg);
	assert_int_equal(pkg->kind, EACCT_METER_HWMON);
	put("hwmon/hwmon3/energy2_input", "124456789\n");
	assert_int_equal(eacct_meter_read(pkg), 0);
	assert_int_equal(pkg->total_uj, 1000000);
}

static void test_preference_and_absence(void **state)
{
	struct eacct_meter_roots r = roots_only(p_powercap, NULL, NULL, p_hwmon);
	struct eacct_meter m[16], *pkg;
	int n;

	(void)state;
	/* powercap and hwmon both meter package-0: powercap wins. */
	n = eacct_meters_detect(&r, m, 16);
	pkg = eacct_meter_pick(m, n, "package-0");
	assert_non_null(pkg);
	assert_int_equal(pkg->kind, EACCT_METER_POWERCAP);

	/* Nothing at all, as on this build machine's VMs. */
	r = roots_only(NULL, NULL, NULL, NULL);
	assert_int_equal(eacct_meters_detect(&r, m, 16), 0);
	assert_null(eacct_meter_pick(m, 0, "package-0"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counter_delta),
		cmocka_unit_test(test_model),
		cmocka_unit_test(test_powercap),
		cmocka_unit_test(test_perf),
		cmocka_unit_test(test_msr_intel),
		cmocka_unit_test(test_msr_amd),
		cmocka_unit_test(test_hwmon),
		cmocka_unit_test(test_preference_and_absence),
	};

	return cmocka_run_group_tests_name("meter", tests, setup, teardown);
}
