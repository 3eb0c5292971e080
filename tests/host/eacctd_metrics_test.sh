#!/bin/bash
# eacctd's Prometheus endpoint on this host: eacctd with batches going to
# a file and metrics_listen on loopback, reading a fixture tree shaped
# like /sys/kernel/eacct (sysfs = ...). The exposition is checked by
# promtool (Debian's prometheus package), the values against the tree,
# and a cgroup the module drops drops out of the metrics. Prints TAP lines.
set -u
eacctd=$(realpath "${1:-build/bin/eacctd}")
tmp=$(mktemp -d)
daemon=
trap 'kill $daemon 2>/dev/null; wait $daemon 2>/dev/null; "$eacctd" -c "$tmp/conf" --reset-bpf >/dev/null 2>&1; rm -rf "$tmp"' EXIT
TAP_PREFIX="eacctd metrics"
. "$(dirname "$0")/tap.sh"
S=$tmp/sys
. "$(dirname "$0")/fixture-sysfs.sh"
fixture_tree
POD=kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1b2c3d4e_5f60_4718_9a0b_c1d2e3f40516.slice
fixture_cgroup /kubepods.slice 10 60000000 9000000 6900
fixture_cgroup /kubepods.slice/kubepods-besteffort.slice 11 60000000 9000000 6900
fixture_cgroup "/$POD" 12 60000000 9000000 6900
fixture_cgroup "/$POD/crio-3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a.scope" 13 60000000 9000000 6900
fixture_cgroup /system.slice 20 20000000 0 2000
fixture_cgroup '/system.slice/we"ird\name.service' 21 20000000 0 2000
fixture_cgroup /batch 30 500000 0 50
echo 2500 >"$S/cgroups/batch/budget_ug"; echo 1 >"$S/cgroups/batch/budget_exceeded"
ln -s ../cgroups/batch "$S/budgets/30"	# as the module links each budget
port=$((20000 + RANDOM % 20000))
fixture_eacctd_conf "$tmp/conf" "$tmp" <<EOC
interval = 200
metrics_listen = 127.0.0.1:$port
intensity_region = DEU
pue = 1.2
EOC
"$eacctd" -c "$tmp/conf" 2>"$tmp/log" &
daemon=$!
for i in $(seq 50); do grep -q "running:" "$tmp/log" && break; sleep 0.1; done
sleep 0.5
curl -sf "http://127.0.0.1:$port/metrics" >"$tmp/m"
check "GET /metrics answers ($(wc -l <"$tmp/m") lines)" [ -s "$tmp/m" ]
check "the log says where" grep -q "metrics: http://127.0.0.1:$port/metrics" "$tmp/log"
promtool check metrics <"$tmp/m" >"$tmp/promtool" 2>&1
rc=$?
sed 's/^/# promtool: /' "$tmp/promtool"
check "promtool check metrics: clean" [ $rc -eq 0 -a ! -s "$tmp/promtool" ]
check "per-cgroup energy by class, in joules" \
	grep -q '^eacct_cgroup_energy_joules_total{cgroup="/kubepods.slice",kind="systemd",unit="kubepods.slice",class="cpu"} 60.000000$' "$tmp/m"
check "Kubernetes labels from the path" \
	grep -q '^eacct_cgroup_co2e_grams_total{cgroup="/kubepods.slice/.*/crio-3f2a.*.scope",kind="kubernetes",container_id="3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a",pod_uid="1b2c3d4e-5f60-4718-9a0b-c1d2e3f40516"} 0.006900$' "$tmp/m"
check "label values escaped" grep -q 'cgroup="/system.slice/we\\"ird\\\\name.service"' "$tmp/m"
check "budget and its state" \
	bash -c "grep -q '^eacct_cgroup_budget_co2e_grams{cgroup=\"/batch\"} 0.002500$' '$tmp/m' &&
		 grep -q '^eacct_cgroup_budget_exceeded{cgroup=\"/batch\"} 1$' '$tmp/m'"
check "node energy per domain" grep -q '^eacct_node_energy_joules_total{domain="package-0"} 90.000000$' "$tmp/m"
check "grid intensity in force, its source" \
	grep -q '^eacct_grid_intensity_grams_per_kwh{source="region",fallback="false"} 3' "$tmp/m"
check "PUE" grep -q '^eacct_pue 1.2$' "$tmp/m"
check "a domain without a meter is marked estimated" grep -q '^eacct_domain_estimated{domain="package-0"} 1$' "$tmp/m"
check "other paths: 404" bash -c "! curl -sf 'http://127.0.0.1:$port/nope' >/dev/null"
check "loopback only: not on other addresses" \
	bash -c "! ss -ltn | awk '{ print \$4 }' | grep -q '^0.0.0.0:$port\$'"
# The module drops a removed cgroup: so does the exporter.
rm -rf "$S/cgroups/batch"
curl -sf "http://127.0.0.1:$port/metrics" >"$tmp/m2"
check "a cgroup the module dropped is gone from the metrics" bash -c "! grep -q 'cgroup=\"/batch\"' '$tmp/m2'"
tap_done eacctd-metrics
