#!/bin/sh
# make demo, inside the guest: the real pipeline. eacct.ko, eacctd with its
# BPF programs, a powercap tree (a fixture: this VM has no RAPL) advancing
# at a known power, three cgroups running different CPU loads; then what
# /sys/kernel/eacct says, each cgroup's CO2e, and a carbon budget crossed
# and enforced: eacctd freezes the cgroup, and thaws it once cleared.
RANGE=262143328850
. /fixture-powercap.sh
zone intel-rapl:0 package-0 0
zone intel-rapl:0:0 dram 0
zone intel-rapl:1 package-1 0
eacctd_conf <<EOC
interval = 500
intensity = 231
EOC
echo "# meters (fixture): package-0 at 20 W, package-1 at 15 W, dram-0 at 4 W"
touch /tmp/meter-run
( while [ -e /tmp/meter-run ]; do
	advance intel-rapl:0 2000000; advance intel-rapl:1 1500000; advance intel-rapl:0:0 400000
	sleep 0.1
  done ) &

insmod /eacct.ko
cg=/sys/fs/cgroup
mkdir -p $cg/kubepods.slice/pod-train $cg/kubepods.slice/pod-serve $cg/system.slice/cron.service
echo "# loads: pod-train spins two CPUs, pod-serve about a third of one, cron sleeps"
sh -c "echo \$\$ > $cg/kubepods.slice/pod-train/cgroup.procs; while :; do :; done" &
sh -c "echo \$\$ > $cg/kubepods.slice/pod-train/cgroup.procs; while :; do :; done" &
sh -c "echo \$\$ > $cg/kubepods.slice/pod-serve/cgroup.procs; while :; do i=0; while [ \$i -lt 200 ]; do i=\$((i+1)); done; sleep 0.02; done" &
sh -c "echo \$\$ > $cg/system.slice/cron.service/cgroup.procs; while :; do sleep 1; done" &

/eacctd 2>/tmp/eacctd.log &
daemon=$!
sleep 4
echo
echo "# eacctd's log:"
sed 's/^/#   /' /tmp/eacctd.log
echo
kill -STOP $daemon	# one consistent snapshot for the tables below
echo "# /sys/kernel/eacct after $(cat /sys/kernel/eacct/seq) intervals:"
cd /sys/kernel/eacct
for f in domains/*; do
	printf '%-22s energy %8s uJ   of which idle %s uJ\n' "${f#domains/}" "$(cat $f/energy_uj)" "$(cat $f/idle_uj)"
done
echo
printf '%-40s %10s %10s %10s %9s\n' CGROUP CPU_uJ DRAM_uJ TOTAL_uJ CARBON_ug
find cgroups -name energy_uj | sed 's|/energy_uj$||' | sort | while read -r d; do
	printf '%-40s %10s %10s %10s %9s\n' "$d" "$(cat $d/cpu_energy_uj)" \
		"$(cat $d/dram_energy_uj)" "$(cat $d/energy_uj)" "$(cat $d/carbon_ug)"
done
echo
echo "# /proc/eacct/processes, live rows ($(grep -c ' exited ' /proc/eacct/processes) exited processes kept too):"
awk 'NR == 1 || $3 == "live"' /proc/eacct/processes
kill -CONT $daemon
echo
echo "# eacct top (one refresh of 1 s):"
/eacct top -b -n 1 -d 1 -r 8
echo
echo "# CO2e per demo cgroup, as eacctd charged it interval by interval (eacct carbon --cgroup):"
for c in /kubepods.slice/pod-train /kubepods.slice/pod-serve /system.slice/cron.service; do
	printf '#   %-28s %s\n' "$c" "$(/eacct carbon --cgroup $c | awk '/^accounted/ { print $2, $3, "CO2e" }')"
done
echo
echo "# a carbon budget on pod-train, just above what it has spent, action freeze:"
used=$(cat cgroups/kubepods.slice/pod-train/carbon_ug)
/eacct budget set /kubepods.slice/pod-train "$(( used / 1000 + 1 )) mg" --action freeze
i=0
while [ $i -lt 100 ] && [ "$(cat $cg/kubepods.slice/pod-train/cgroup.freeze)" != 1 ]; do sleep 0.1; i=$((i + 1)); done
/eacct budget show
echo "#   $cg/kubepods.slice/pod-train: cgroup.freeze=$(cat $cg/kubepods.slice/pod-train/cgroup.freeze), $(grep frozen $cg/kubepods.slice/pod-train/cgroup.events) (eacctd froze it)"
grep "budget exceeded" /tmp/eacctd.log | sed 's/^/#   /'
/eacct budget clear /kubepods.slice/pod-train > /dev/null
sleep 1
echo "#   budget cleared: cgroup.freeze=$(cat $cg/kubepods.slice/pod-train/cgroup.freeze) (thawed)"
kill -TERM $daemon
rm /tmp/meter-run
wait $daemon
