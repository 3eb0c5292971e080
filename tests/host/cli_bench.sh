#!/bin/bash
# The exporter's scrape and eacct top's refresh with 1,000 cgroups, on a
# fixture tree of /sys/kernel/eacct's shape in tmpfs (this host has no
# module; every file is opened and read as on sysfs). Prints BENCH lines:
#   exporter_scrape_ms_1000_cgroups  median of 20 scrapes (curl's total time),
#                                    a node with CPU package domains only
#   cli_top_refresh_ms_1000_cgroups  median refresh of eacct top -b
#   ..._all_classes                  the same with DRAM and GPU domains too:
#                                    DRAM energy in every cgroup, GPU energy in
#                                    a tenth of them
set -eu
bin=$(realpath "${1:-build/bin}")
tmp=$(mktemp -d -p /dev/shm)
daemon=
trap 'kill $daemon 2>/dev/null; wait $daemon 2>/dev/null; "$bin/eacctd" -c "$tmp/conf" --reset-bpf >/dev/null 2>&1; rm -rf "$tmp"' EXIT
S=$tmp/sys
. "$(dirname "$0")/fixture-sysfs.sh"
fixture_tree
# 1,000 cgroups: 10 slices of 99 pods, as a busy node would have.
for s in $(seq 0 9); do
	fixture_cgroup "/slice$s" $((100 + s)) 1000000 0 100
	for p in $(seq 1 99); do
		fixture_cgroup "/slice$s/pod$p" $((1000 + s * 100 + p)) 1000000 0 100
	done
done
n=$(find "$S/cgroups" -name id | wc -l)
port=$((20000 + RANDOM % 20000))
fixture_eacctd_conf "$tmp/conf" "$tmp" <<EOC
interval = 1000
metrics_listen = 127.0.0.1:$port
EOC
"$bin/eacctd" -c "$tmp/conf" 2>"$tmp/log" &
daemon=$!
for i in $(seq 50); do grep -q "eacctd: running: interval" "$tmp/log" && break; sleep 0.1; done
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
measure() {	# measure SUFFIX
for i in $(seq 20); do
	curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$port/metrics"
done | awk '{ print $1 * 1000 }' | median >"$tmp/scrape"
lines=$(curl -s "http://127.0.0.1:$port/metrics" | grep -vc '^#')
# eacct top: 11 refreshes 50 ms apart; the refresh is what is beyond 50 ms.
for i in $(seq 5); do
	t0=$(date +%s%N)
	"$bin/eacct" --sysfs "$S" -c "$tmp/conf" top -b -n 10 -d 0.05 >/dev/null
	t1=$(date +%s%N)
	# 11 readings of the tree (the first one too), 10 renders, 10 waits.
	echo "$(( (t1 - t0) / 1000000 )) 500" | awk '{ printf "%.1f\n", ($1 - $2) / 11 }'
done | median >"$tmp/top"
echo "# $n cgroups in the fixture, $lines series per scrape"
echo "BENCH exporter_scrape_ms_1000_cgroups$1 $(cat "$tmp/scrape")"
echo "BENCH cli_top_refresh_ms_1000_cgroups$1 $(cat "$tmp/top")"
}
measure ""
# A node with DRAM and GPU domains: DRAM energy in every cgroup, GPU
# energy in the root and in one slice of ten (its pods), as on a node
# where a few jobs use the GPUs.
for d in dram-0 gpu-0; do
	mkdir -p "$S/domains/$d"
	for f in energy_uj idle_uj carbon_ug; do echo 1000 >"$S/domains/$d/$f"; done
done
find "$S/cgroups" -name dram_energy_uj -exec sh -c 'for f; do echo 100000 >"$f"; done' sh {} +
find "$S/cgroups/slice0" -name gpu_energy_uj -exec sh -c 'for f; do echo 500000 >"$f"; done' sh {} +
measure _all_classes
