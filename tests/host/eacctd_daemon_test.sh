#!/bin/bash
# eacctd's loop on this host, with batches going to a file (no module):
# a SIGHUP storm neither stops nor delays batches; a reload without its
# file keeps the running configuration; an unreadable module seq is an
# error, not 0; a device that refuses every batch loses nothing: the
# records are carried, meters read on, and all of it lands once the
# device takes batches again; the status file shows the ledger and BPF's
# loss counters. Prints TAP lines.
set -u
eacctd=$(realpath "${1:-build/bin/eacctd}")
tmp=$(mktemp -d)
daemon=
trap 'kill $daemon 2>/dev/null; wait $daemon 2>/dev/null; "$eacctd" -c "$tmp/conf" --reset-bpf >/dev/null 2>&1; rm -rf "$tmp"' EXIT
TAP_PREFIX="eacctd daemon"
. "$(dirname "$0")/tap.sh"
S=$tmp/sys
. "$(dirname "$0")/fixture-sysfs.sh"
fixture_tree

# Batches in the file: "count energy_uj" summed over every record (perl, in Debian's base).
batch_sum() {
	perl -e 'local $/; open(my $f, "<", $ARGV[0]) or die; my $d = <$f>; my ($n, $e) = (0, 0);
		while (length($d) >= 32) {
			my ($magic, $ver, $hs, $seq, $nc, $np) = unpack("L S S Q L L", $d);
			last unless $magic == 0x54434145;
			for my $i (0 .. $nc - 1) {
				my (undef, undef, undef, $uj) = unpack("Q L L Q", substr($d, 32 + 32 * $i, 24));
				$e += $uj;
			}
			$d = substr($d, 32 + 32 * $nc + 48 * $np); $n++;
		}
		print "$n $e\n";' "$1"
}
status() { jq -r "$1" "$tmp/status.json" 2>/dev/null; }
export -f status 2>/dev/null; export tmp
# Start eacctd and wait until this one says "running:" (the log accumulates).
start() {
	local n0
	n0=$(grep -c "eacctd: running: interval" "$tmp/log" 2>/dev/null)
	"$eacctd" -c "$tmp/conf" 2>>"$tmp/log" &
	daemon=$!
	for _ in $(seq 200); do
		[ "$(grep -c "eacctd: running: interval" "$tmp/log")" -gt "${n0:-0}" ] && break
		sleep 0.1
	done
}
stop() { kill "$daemon" 2>/dev/null; wait "$daemon" 2>/dev/null; daemon=; }
# Wait for N more intervals (the status file rewritten N times), 20 s at most:
# this machine may be busy, and a fixed sleep then says nothing.
intervals() {
	local n=$1 last now i
	last=$(stat -c %y "$tmp/status.json" 2>/dev/null)
	for i in $(seq 200); do
		now=$(stat -c %y "$tmp/status.json" 2>/dev/null)
		if [ "$now" != "$last" ]; then
			last=$now
			n=$((n - 1))
			[ $n -le 0 ] && return 0
		fi
		sleep 0.1
	done
}

fixture_eacctd_conf "$tmp/conf" "$tmp" <<EOC
interval = 200
intensity = 100
EOC

# An unreadable seq is an error: eacctd says so and does not start.
mv "$S/seq" "$S/seq.away"
"$eacctd" -c "$tmp/conf" 2>"$tmp/log0"
rc=$?
mv "$S/seq.away" "$S/seq"
check "no readable seq: eacctd refuses to start (status $rc) and says why" \
	bash -c "[ $rc -ne 0 ] && grep -q 'cannot read .*/seq' '$tmp/log0'"

# A SIGHUP storm: 100 a second for 10 s.
start
sleep 1
read -r n0 _ < <(batch_sum "$tmp/batches")
u0=$(status .updated)
end=$((SECONDS + 10))
while [ $SECONDS -lt $end ]; do
	for _ in $(seq 10); do kill -HUP "$daemon"; done
	sleep 0.1
done
read -r n1 _ < <(batch_sum "$tmp/batches")
u1=$(status .updated)
check "100 SIGHUPs a second for 10 s: batches go on ($((n1 - n0)) in 10 s at 200 ms)" [ $((n1 - n0)) -ge 40 ]
check "... and the status file is written on ($u0 -> $u1)" [ $((u1 - u0)) -ge 9 ]
check "... eacctd still running" kill -0 "$daemon"

# A reload without its file keeps the running configuration.
mv "$tmp/conf" "$tmp/conf.away"
kill -HUP "$daemon"
sleep 0.6
check "a reload without its file says so" grep -q "the running configuration stays" "$tmp/log"
check "... and keeps the intensity (100 g/kWh)" [ "$(status .intensity.g_per_kwh)" = 100 ]
mv "$tmp/conf.away" "$tmp/conf"

check "status shows the ledger" [ "$(status .ledger.lost_uj)" = 0 ]
check "status shows BPF's loss counters" [ "$(status '.bpf_losses | has("storage_misses") and has("cgroup_map_full") and has("flush_races")')" = true ]
stop
read -r n_before e_before < <(batch_sum "$tmp/batches")

# A device that refuses every batch: carried, nothing lost, meters read on.
ln -sf /dev/full "$tmp/dev"
sed -i "s|^device = .*|device = $tmp/dev|" "$tmp/conf"
start
sleep 2
check "refused batches are carried (status: $(status .ledger.carried_uj) uJ in $(status .ledger.carried_records) records)" \
	[ "$(status .ledger.carried_uj)" -gt 0 ]
check "... nothing declared lost" [ "$(status .ledger.lost_uj)" = 0 ]
check "... the log says the energy goes with the next batch" grep -q "its energy goes with the next batch" "$tmp/log"
# The device takes batches again: the carry lands with the next one.
carried=$(status .ledger.carried_uj)
ln -sf "$tmp/batches" "$tmp/dev"
sleep 1
read -r n_after e_after < <(batch_sum "$tmp/batches")
check "once the device takes batches, the carried energy lands ($((e_after - e_before)) uJ >= $carried uJ)" \
	[ $((e_after - e_before)) -ge "$carried" ]
check "... and the carry is empty" [ "$(status .ledger.carried_records)" = 0 ]

# One eacctd per state file: a second one refuses to start.
"$eacctd" -c "$tmp/conf" 2>"$tmp/log2"
rc=$?
check "a second eacctd on the same state file refuses to start ($rc)" \
	bash -c "[ $rc -ne 0 ] && grep -q 'another eacctd runs' '$tmp/log2'"

# A state file that cannot be saved: no batch is sent (a restart would
# read stale readings); the energy is carried until it can be.
read -r n_a e_a < <(batch_sum "$tmp/batches")
mkdir "$tmp/state.tmp"
sleep 1.2
read -r n_b e_b < <(batch_sum "$tmp/batches")
check "state not saved: no batch sent ($n_a -> $n_b), the energy carried ($(status .ledger.carried_uj) uJ)" \
	bash -c "[ $n_b -le $((n_a + 1)) ] && [ $(status .ledger.carried_uj) -gt 0 ]"
rmdir "$tmp/state.tmp"
intervals 2
check "... sent once it can be saved" [ "$(status .ledger.carried_records)" = 0 ]

# Carried across a crash: refused, killed, the device back: it all lands.
ln -sf /dev/full "$tmp/dev"
sleep 1
carried=$(status .ledger.carried_uj)
kill -9 "$daemon"; wait "$daemon" 2>/dev/null; daemon=
read -r n_c e_c < <(batch_sum "$tmp/batches")
ln -sf "$tmp/batches" "$tmp/dev"
start
intervals 2
read -r n_d e_d < <(batch_sum "$tmp/batches")
check "a carry survives kill -9: $((e_d - e_c)) uJ landed after the restart, $carried were carried" \
	bash -c "[ $((e_d - e_c)) -ge $carried ] && grep -q 'of the state file had not landed: it goes with the first batch' '$tmp/log'"
stop

# Readings further apart than a wrap at full power (eacctd stopped with
# SIGSTOP): said, not guessed. A powercap zone of 1 J that draws 1 W at
# most wraps in 1 s.
P=$tmp/powercap
mkdir -p "$P/intel-rapl:0"
echo package-0 >"$P/intel-rapl:0/name"
echo 1000000 >"$P/intel-rapl:0/max_energy_range_uj"
echo 1000000 >"$P/intel-rapl:0/constraint_0_max_power_uw"
echo 500 >"$P/intel-rapl:0/energy_uj"
sed -i "s|^powercap_root = .*|powercap_root = $P|" "$tmp/conf"
: >"$tmp/log"
start
intervals 2
kill -STOP "$daemon"
sleep 1.6
kill -CONT "$daemon"
intervals 2
check "readings further apart than a wrap at full power are reported" \
	grep -q "package-0: readings .* apart, longer than its meter takes to wrap" "$tmp/log"
check "... and shown in the status" bash -c "status .ledger.wrap_gap | grep -q 'package-0'"
stop
sed -i "s|^powercap_root = .*|powercap_root = /nonexistent|" "$tmp/conf"

# CPUs online, not present: a fixture of 4 CPUs, one offline (without a
# topology, as the kernel shows an offline CPU), then two more go offline.
C=$tmp/cpu
for c in 0 1 2 3; do
	mkdir -p "$C/cpu$c/topology"
	[ $c = 1 ] || echo 0 >"$C/cpu$c/topology/physical_package_id"
done
echo "0,2-3" >"$C/online"
ln -sf "$tmp/batches" "$tmp/dev"
echo "cpu_root = $C" >>"$tmp/conf"
: >"$tmp/log"
start
check "an offline CPU is not counted: package-0 has 3 CPUs online" grep -q "package-0: 3 CPU(s) online" "$tmp/log"
check "... and no second package from the offline CPU" bash -c "! grep -q 'package-1' '$tmp/log'"
echo "0" >"$C/online"
intervals 2
check "CPUs going offline are seen at the next interval" grep -q "package-0: 1 CPU(s) online, were 3" "$tmp/log"
stop
tap_done eacctd-daemon
