#!/bin/sh
# End to end in the guest: eacct.ko + eacctd + BPF + a fixture powercap
# tree advancing at a known power (wrapping around on the way), three
# cgroups with different CPU loads, and a kill -9 of eacctd halfway.
# Conservation must be exact: for each domain, what the module shows is
# what the meter advanced, to the microjoule.
ok() { echo "ok - eacctd: $*"; }
notok() { echo "not ok - eacctd: $*"; }
check() { desc=$1; shift; if "$@"; then ok "$desc"; else notok "$desc"; fi; }

RANGE=1000000000
. /fixture-powercap.sh
zone intel-rapl:0 package-0 999000000	# wraps after 1 J
zone intel-rapl:0:0 dram 5000
zone intel-rapl:1 package-1 7000
eacctd_conf <<EOC
interval = 200
prune_after = 3
intensity = 300
EOC

# The meter: +50 mJ, +30 mJ, +20 mJ every 100 ms.
touch /tmp/meter-run /tmp/meter-pause
( while [ -e /tmp/meter-run ]; do
	[ -e /tmp/meter-pause ] ||
		{ advance intel-rapl:0 50000; advance intel-rapl:0:0 30000; advance intel-rapl:1 20000; }
	sleep 0.1
  done ) &
meter=$!

insmod /eacct.ko
cg=/sys/fs/cgroup/e2e
mkdir -p $cg/busy $cg/half $cg/idle
# busy: two spinners; half: one that sleeps between bursts; idle: sleeps.
( sh -c 'echo $$ > '$cg'/busy/cgroup.procs; while :; do :; done' ) &
( sh -c 'echo $$ > '$cg'/busy/cgroup.procs; while :; do :; done' ) &
( sh -c 'echo $$ > '$cg'/half/cgroup.procs; while :; do i=0; while [ $i -lt 100 ]; do i=$((i+1)); done; sleep 0.05; done' ) &
( sh -c 'echo $$ > '$cg'/idle/cgroup.procs; while :; do sleep 1; done' ) &
sleep 0.3

# The meter holds still while eacctd takes its first reading, so that the
# test's baseline and eacctd's are the same.
sleep 0.2
p0=$(cat $F/intel-rapl:0/energy_uj); d0=$(cat $F/intel-rapl:0:0/energy_uj); q0=$(cat $F/intel-rapl:1/energy_uj)
/eacctd > /tmp/eacctd.log 2>&1 &
daemon=$!
i=0
while ! grep -q "eacctd: running: interval" /tmp/eacctd.log && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
rm /tmp/meter-pause
sleep 1.5
kill -9 $daemon
wait $daemon 2>/dev/null
check "killed with -9 after $(cat /sys/kernel/eacct/seq) batches" [ "$(cat /sys/kernel/eacct/seq)" -gt 2 ]
sleep 0.7	# the meter runs on while eacctd is down
/eacctd >> /tmp/eacctd.log 2>&1 &
daemon=$!
sleep 1
# No room for a new cgroup's entry for a while: the module still takes
# every batch, and the late cgroup's energy lands on its parent, e2e.
rej0=$(cat /sys/kernel/eacct/stats/batches_rejected)
um0=$(cat /sys/kernel/eacct/stats/records_unmirrored)
echo 1 > /sys/module/eacct/parameters/max_cgroups
mkdir -p $cg/late
( sh -c 'echo $$ > '$cg'/late/cgroup.procs; while :; do :; done' ) &
# Until the late cgroup's time has reached a batch (TCG timing varies), at most 10 s.
i=0
while [ "$(cat /sys/kernel/eacct/stats/records_unmirrored)" = "$um0" ] && [ $i -lt 100 ]; do
	sleep 0.1; i=$((i + 1))
done
sleep 0.5
late_mirrored=$([ -d /sys/kernel/eacct/cgroups/e2e/late ] && echo yes || echo no)
rej1=$(cat /sys/kernel/eacct/stats/batches_rejected)
um1=$(cat /sys/kernel/eacct/stats/records_unmirrored)
echo 65536 > /sys/module/eacct/parameters/max_cgroups
sleep 1
rm /tmp/meter-run
wait $meter
p1=$(cat $F/intel-rapl:0/energy_uj); d1=$(cat $F/intel-rapl:0:0/energy_uj); q1=$(cat $F/intel-rapl:1/energy_uj)
sleep 0.6	# at least two intervals after the last meter step
kill -TERM $daemon
wait $daemon
sed 's/^/# /' /tmp/eacctd.log

E=/sys/kernel/eacct
dp=$(( (p1 - p0 + RANGE) % RANGE )); dd=$(( d1 - d0 )); dq=$(( q1 - q0 ))
check "package-0 wrapped around and its energy is exact: meter $dp uJ, module $(cat $E/domains/package-0/energy_uj) uJ" \
	[ "$(cat $E/domains/package-0/energy_uj)" = $dp ]
check "dram-0 exact: meter $dd uJ, module $(cat $E/domains/dram-0/energy_uj) uJ" \
	[ "$(cat $E/domains/dram-0/energy_uj)" = $dd ]
check "package-1 exact: meter $dq uJ, module $(cat $E/domains/package-1/energy_uj) uJ" \
	[ "$(cat $E/domains/package-1/energy_uj)" = $dq ]
idle=$(( $(cat $E/domains/package-0/idle_uj) + $(cat $E/domains/package-1/idle_uj) + $(cat $E/domains/dram-0/idle_uj) ))
check "cgroups plus idle add up to the meters: $(cat $E/cgroups/energy_uj) + $idle = $((dp + dd + dq))" \
	[ $(( $(cat $E/cgroups/energy_uj) + idle )) = $((dp + dd + dq)) ]
b=$(cat $E/cgroups/e2e/busy/energy_uj); h=$(cat $E/cgroups/e2e/half/energy_uj); i=$(cat $E/cgroups/e2e/idle/energy_uj 2>/dev/null || echo 0)
echo "# busy $b uJ, half $h uJ, idle $i uJ"
check "shares follow CPU time: busy > half > idle" [ "$b" -gt "$h" -a "$h" -gt "$i" ]
check "recovered after kill -9 without a gap" sh -c "grep -q \"recovered the state of batch\" /tmp/eacctd.log && ! grep -q \"NOT counted\" /tmp/eacctd.log"
check "the restart reused the pinned BPF programs" grep -q "still running" /tmp/eacctd.log
check "idle cgroups left the BPF map (prune_after = 3), energy still exact" \
	grep -q "left the BPF map" /tmp/eacctd.log
check "max_cgroups reached: no batch refused ($rej0 -> $rej1), $((um1 - um0)) records of the late cgroup charged to its parent, no entry for it ($late_mirrored)" \
	[ "$rej0" = "$rej1" -a "$um1" -gt "$um0" -a "$late_mirrored" = no ]
# Per process: the busy cgroup's rows add up to the cgroup, to the uJ.
rows=$(awk '$5 == "/e2e/busy" { n++; s += $6 + $7 + $8 } END { print n + 0, s + 0 }' /proc/eacct/processes)
echo "# /proc/eacct/processes, busy: $rows (rows, uJ)"
check "per-process rows of e2e/busy add up to its energy ($rows vs $b)" \
	[ "${rows#* }" = "$b" -a "${rows% *}" -ge 2 ]
check "carbon charged at 300 g/kWh: $(cat $E/cgroups/carbon_ug) ug" [ "$(cat $E/cgroups/carbon_ug)" -gt 0 ]
kill $(cat $cg/busy/cgroup.procs $cg/half/cgroup.procs $cg/idle/cgroup.procs $cg/late/cgroup.procs) 2>/dev/null
sleep 0.2
rmdir $cg/busy $cg/half $cg/idle $cg/late $cg 2>/dev/null
rmmod eacct
