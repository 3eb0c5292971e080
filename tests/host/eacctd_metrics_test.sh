#!/bin/bash
# eacctd's Prometheus endpoint on this host: eacctd with batches going to
# a file and metrics_listen on loopback, reading a fixture tree shaped
# like /sys/kernel/eacct (sysfs = ...). The exposition is checked by
# promtool (Debian's prometheus package), the values against the tree,
# and a cgroup the module drops drops out of the metrics. Then clients that
# misbehave: one dripping a request a byte at a time, 200 connecting and
# sending nothing, a flood from one address, accept() failing with EMFILE;
# scrapes must still answer. Prints TAP lines.
set -u
eacctd=$(realpath "${1:-build/bin/eacctd}")
tmp=$(mktemp -d)
daemon= drip= idle=
trap 'kill $drip $idle $daemon 2>/dev/null; wait $daemon 2>/dev/null; "$eacctd" -c "$tmp/conf" --reset-bpf >/dev/null 2>&1; rm -rf "$tmp"' EXIT
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
for i in $(seq 50); do grep -q "eacctd: running: interval" "$tmp/log" && break; sleep 0.1; done
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
check "BPF's loss counters, each by name" \
	bash -c "grep -q '^eacct_bpf_lost_total{counter=\"storage_misses\"} [0-9]' '$tmp/m' &&
		 grep -q '^eacct_bpf_lost_total{counter=\"nv_ioctls_lost\"} [0-9]' '$tmp/m'"
check "eacctd's ledger: lost, uncounted and carried energy" \
	bash -c "grep -q '^eacct_daemon_lost_energy_joules_total 0' '$tmp/m' &&
		 grep -q '^eacct_daemon_uncounted_energy_joules_total 0' '$tmp/m' &&
		 grep -q '^eacct_daemon_carried_energy_joules 0' '$tmp/m'"
check "a domain without a meter is marked estimated" grep -q '^eacct_domain_estimated{domain="package-0"} 1$' "$tmp/m"
check "other paths: 404" bash -c "! curl -sf 'http://127.0.0.1:$port/nope' >/dev/null"
check "loopback only: not on other addresses" \
	bash -c "! ss -ltn | awk '{ print \$4 }' | grep -q '^0.0.0.0:$port\$'"
# The module drops a removed cgroup: so does the exporter.
rm -rf "$S/cgroups/batch"
curl -sf "http://127.0.0.1:$port/metrics" >"$tmp/m2"
check "a cgroup the module dropped is gone from the metrics" bash -c "! grep -q 'cgroup=\"/batch\"' '$tmp/m2'"

# Misbehaving clients (issue 11, M1). The server gives a connection
# $deadline s from its accept before it cuts it, as metrics_server.c's
# METRICS_DEADLINE_S, and takes at most $per_ip connections from one
# address (METRICS_PER_IP_LIMIT): the idle crowd comes from several
# loopback addresses, the slow client and the scrapes from 127.0.0.1.
# The old server (one thread, 2 s a recv(), no deadline) failed these.
deadline=10 per_ip=64
clients="python3 $(dirname "$0")/metrics_clients.py"
# scrape FILE: one GET /metrics with a 1 s limit; prints its time in ms
# ("fail" when it did not answer 200 in time).
scrape() {
	local t
	t=$(curl -sf --max-time 1 -o "$1" -w '%{time_total}' "http://127.0.0.1:$port/metrics") &&
		[ -s "$1" ] && awk -v t="$t" 'BEGIN { printf "%d\n", t * 1000 }' || echo fail
}
$clients drip "$port" $((deadline + 20)) >"$tmp/drip" 2>&1 &
drip=$!
$clients idle "$port" 200 127.0.0.2,127.0.0.3,127.0.0.4,127.0.0.5 "$tmp/ready" $((deadline + 10)) \
	>"$tmp/idle" 2>&1 &
idle=$!
for i in $(seq 50); do [ -e "$tmp/ready" ] && break; sleep 0.1; done
sleep 0.5	# let the server take them all
queued=$(ss -Hltn "sport = :$port" | awk '{ print $2 }')
held=$(ss -Htn state established "dport = :$port" | wc -l)
echo "# under load: $(cat "$tmp/ready" 2>/dev/null) idle connections open, $held client sockets established, $queued waiting in the listen backlog"
for i in $(seq 10); do scrape "$tmp/scrape$i"; done >"$tmp/lat"
# and 8 at once
pids=()
for i in $(seq 11 18); do scrape "$tmp/scrape$i" >"$tmp/lat$i" & pids+=($!); done
wait "${pids[@]}"
cat "$tmp"/lat1? >>"$tmp/lat"
worst=$(sort -n "$tmp/lat" | tail -1)
echo "# scrape latency under load, ms: $(tr '\n' ' ' <"$tmp/lat")(worst $worst)"
check "200 idle connections and a slow client open at once" \
	[ "$(cat "$tmp/ready" 2>/dev/null)" = 200 -a "$held" -ge 201 -a "$queued" = 0 ]
check "18 scrapes under that load (8 at once) each answered within 1 s (worst $worst ms)" \
	bash -c "! grep -q fail '$tmp/lat' && [ \$(wc -l <'$tmp/lat') -eq 18 ]"
check "scrapes under load serve the same text as before" \
	bash -c "for f in '$tmp'/scrape*; do cmp -s '$tmp/m2' \"\$f\" || exit 1; done"
wait $drip
rc=$?
echo "# slow client: $(cat "$tmp/drip")"
check "the slow client is cut off within ${deadline} s (and 1 s of slack)" \
	bash -c "[ $rc -eq 0 ] && awk '{ exit !(\$3 <= $deadline + 1) }' '$tmp/drip'"
wait $idle
rc=$?
echo "# idle crowd: $(cat "$tmp/idle")"
check "idle connections are cut off within ${deadline} s (and 1 s of slack)" \
	bash -c "[ $rc -eq 0 ] && grep -q 'closed by the server 200,' '$tmp/idle' &&
		 awk '{ exit !(\$NF == \"s\" && \$(NF - 1) <= $deadline + 1) }' '$tmp/idle'"
check "after the load: eacctd running" kill -0 "$daemon"
check "after the load: scrapes answer" [ "$(scrape "$tmp/after")" != fail ]

# One address alone gets $per_ip connections; others are still served.
rm -f "$tmp/ready"
$clients idle "$port" $((per_ip + 16)) 127.0.0.9 "$tmp/ready" 2 >"$tmp/flood" 2>&1 &
idle=$!
for i in $(seq 50); do [ -e "$tmp/ready" ] && break; sleep 0.1; done
sleep 0.5
kept=$(ss -Htn state established "( dport = :$port and src 127.0.0.9 )" | wc -l)
lat=$(scrape "$tmp/flood-scrape")
kill $idle 2>/dev/null; wait $idle 2>/dev/null
echo "# $((per_ip + 16)) connections from 127.0.0.9: $kept kept open; a scrape from 127.0.0.1 meanwhile: $lat ms"
check "one address gets at most $per_ip connections" [ "$kept" -le $per_ip ]
check "others are served meanwhile" [ "$lat" != fail ]

# accept() failing with EMFILE: eacctd's fd limit lowered to its lowest
# free descriptor, none to spare (the least of a few looks: its intervals
# open files for a moment), while 6 clients connect; then raised back.
nofile=$(prlimit --pid "$daemon" --nofile --noheadings --output SOFT)
nfd=$(for i in 1 2 3 4 5; do
	ls "/proc/$daemon/fd" | sort -n | awk '$1 == n { n++ } END { print n + 0 }'
	sleep 0.05
      done | sort -n | head -1)
rm -f "$tmp/ready"
lines=$(wc -l <"$tmp/log")
prlimit --pid "$daemon" --nofile="$nfd": &&
$clients idle "$port" 6 127.0.0.1 "$tmp/ready" 1 >"$tmp/emfile" 2>&1
prlimit --pid "$daemon" --nofile="$nofile":
echo "# fd limit $nfd for 1 s, 6 clients: $(cat "$tmp/emfile")"
tail -n +$((lines + 1)) "$tmp/log" | sort | uniq -c | sed 's/^/# log: /'
sleep 0.5
check "after accept() failed with EMFILE: eacctd running" kill -0 "$daemon"
lat=$(scrape "$tmp/emfile-scrape")
check "after accept() failed with EMFILE: scrapes answer ($lat ms)" [ "$lat" != fail ]

tap_done eacctd-metrics
