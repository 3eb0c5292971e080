#!/bin/bash
# Sourced by host tests: a tree shaped like /sys/kernel/eacct under $S
# (this host has no module), filled with fixture_tree, and cgroup entries
# made with fixture_cgroup.

# fixture_cgroup PATH ID CPU_UJ GPU_UJ CARBON_UG
fixture_cgroup() {
	local d=$S/cgroups$1
	mkdir -p "$d"
	echo "$2" >"$d/id"; echo $(($3 + $4)) >"$d/energy_uj"; echo "$3" >"$d/cpu_energy_uj"
	echo 0 >"$d/dram_energy_uj"; echo "$4" >"$d/gpu_energy_uj"; echo "$5" >"$d/carbon_ug"
	echo 0 >"$d/budget_ug"; echo 0 >"$d/energy_budget_uj"; echo notify >"$d/budget_action"
	echo 0 >"$d/budget_exceeded"; echo 0 >"$d/removed"
}

# The module's own files: version, seq, stats, one package domain.
fixture_tree() {
	local f
	mkdir -p "$S/budgets" "$S/stats" "$S/domains/package-0"
	echo 0.1.0 >"$S/version"; echo 42 >"$S/seq"
	for f in batches_applied batches_rejected cgroups cgroups_removed processes \
		processes_dropped mirror_errors; do
		echo 0 >"$S/stats/$f"
	done
	echo 90000000 >"$S/domains/package-0/energy_uj"
	echo 1000000 >"$S/domains/package-0/idle_uj"
	echo 9000 >"$S/domains/package-0/carbon_ug"
	fixture_cgroup "" 1 80000000 9000000 8900
}

# fixture_eacctd_conf FILE DIR: an eacctd.conf for a host test: batches,
# state and status in DIR, this host's absent meters named absent, the
# tree under $S (bpffs refuses dots in names: none in the pin dir); more
# "key = value" lines from stdin.
fixture_eacctd_conf() {
	{
		cat <<EOC
device = $2/batches
state_file = $2/state
status_file = $2/status.json
enforce_file = $2/enforced.json
bpf_pin_dir = /sys/fs/bpf/eacct-$(basename "$2" | tr . -)
sysfs = $S
powercap_root = /nonexistent
perf_pmu_root = /nonexistent
msr_root = /nonexistent
hwmon_root = /nonexistent
drm_root = /nonexistent
nvml_library = none
EOC
		cat
	} >"$1"
	: >"$2/batches"
}
