#!/bin/sh
# Budgets enforced, in the guest: eacct.ko, eacctd and the eacct CLI, a
# fixture powercap meter at 10 W, intensity 1000 g/kWh. Three busy
# cgroups with a budget each, crossed within seconds: notify, throttle
# (cpu.max, restored when the budget is raised) and freeze (thawed when it
# is cleared); then a budget crossed while eacctd is down, and a throttle
# whose budget is cleared while eacctd is down, both handled at restart.
# Between the two, throttled and frozen cgroups removed and made again at
# their paths, under a running eacctd and while it is down: what was done
# to the old cgroup is never undone onto the new one (a new id).
ok() { echo "ok - budget: $*"; }
notok() { echo "not ok - budget: $*"; }
check() { desc=$1; shift; if "$@"; then ok "$desc"; else notok "$desc"; fi; }

RANGE=262143328850
. /fixture-powercap.sh
zone intel-rapl:0 package-0 0
eacctd_conf <<EOC
interval = 200
intensity = 1 kg/kWh
status_file = /tmp/eacct-status.json
enforce_file = /tmp/eacct-enforced.json
bpf_pin_dir = /sys/fs/bpf/eacct-budget
EOC
touch /tmp/bmeter-run
( while [ -e /tmp/bmeter-run ]; do advance intel-rapl:0 1000000; sleep 0.1; done ) &
meter=$!

lsmod | grep -q '^eacct' || insmod /eacct.ko
cg=/sys/fs/cgroup
echo +cpu > $cg/cgroup.subtree_control
mkdir -p $cg/budget
echo +cpu > $cg/budget/cgroup.subtree_control
for n in n t f r c; do
	mkdir -p $cg/budget/$n
	sh -c "echo \$\$ > $cg/budget/$n/cgroup.procs; exec sh -c 'while :; do :; done'" &
done
E="/eacct -c /etc/eacct/eacctd.conf"
log=/tmp/eacctd-budget.log
/eacctd > $log 2>&1 &
daemon=$!
# Until the module knows the five cgroups (their first batches), at most 20 s.
i=0
while [ $i -lt 200 ] && [ "$(ls -d /sys/kernel/eacct/cgroups/budget/? 2>/dev/null | wc -l)" -lt 5 ]; do
	sleep 0.1; i=$((i + 1))
done
sleep 0.4	# and has charged them once or twice

# Each budget a little above what the cgroup has spent: crossed in ~2 s.
set_budget() {	# set_budget NAME EXTRA_MG ACTION
	used=$(cat /sys/kernel/eacct/cgroups/budget/$1/carbon_ug)
	$E budget set /budget/$1 "$(( used / 1000 + $2 )) mg" --action $3 > /dev/null
}
set_budget n 1 notify && set_budget t 1 throttle=10 && set_budget f 1 freeze
check "eacct budget set by path, three actions (exit $?)" [ $? = 0 ]
check "budgets/ lists them" sh -c '[ $(ls /sys/kernel/eacct/budgets | wc -l) = 3 ]'
i=0
while [ $i -lt 100 ] && ! { grep -q "budget exceeded: /budget/t" $log && grep -q "budget exceeded: /budget/f" $log &&
			      grep -q "budget exceeded: /budget/n" $log; }; do
	sleep 0.1; i=$((i + 1))
done
check "notify: logged, nothing else changed" \
	sh -c "grep -q 'budget exceeded: /budget/n (carbon .*): notify' $log && [ \"\$(cat $cg/budget/n/cpu.max)\" = 'max 100000' ] &&
	       [ \$(cat $cg/budget/n/cgroup.freeze) = 0 ]"
check "throttle=10: cpu.max is 10 % of the 2 CPUs ($(cat $cg/budget/t/cpu.max))" \
	[ "$(cat $cg/budget/t/cpu.max)" = "20000 100000" ]
check "freeze: cgroup.freeze 1, the kernel says frozen" \
	sh -c "[ \$(cat $cg/budget/f/cgroup.freeze) = 1 ] && grep -q 'frozen 1' $cg/budget/f/cgroup.events"
out=$($E budget show)
echo "$out" | sed 's/^/# /'
check "eacct budget show: EXCEEDED, and what eacctd did" \
	sh -c "echo '$out' | grep -q '^/budget/t .*throttle=10 *EXCEEDED *throttled: cpu.max 20000 100000' &&
	       echo '$out' | grep -q '^/budget/f .*freeze *EXCEEDED *frozen'"
# A throttled cgroup really runs less: usage_usec grows at ~10 % of a CPU.
u0=$(awk '/usage_usec/ { print $2 }' $cg/budget/t/cpu.stat)
sleep 1
u1=$(awk '/usage_usec/ { print $2 }' $cg/budget/t/cpu.stat)
check "throttled: $(( (u1 - u0) / 1000 )) ms of CPU in 1 s (at most 20 % of 2 CPUs, 10 % asked)" \
	[ $((u1 - u0)) -lt 300000 ]

$E budget set /budget/t 10g --action throttle=10 > /dev/null
$E budget clear /budget/f > /dev/null
i=0
while [ $i -lt 100 ] && { [ "$(cat $cg/budget/t/cpu.max)" != "max 100000" ] || [ "$(cat $cg/budget/f/cgroup.freeze)" != 0 ]; }; do
	sleep 0.1; i=$((i + 1))
done
check "budget raised: cpu.max restored ($(cat $cg/budget/t/cpu.max))" [ "$(cat $cg/budget/t/cpu.max)" = "max 100000" ]
check "budget cleared: thawed" sh -c "[ \$(cat $cg/budget/f/cgroup.freeze) = 0 ] && grep -q 'frozen 0' $cg/budget/f/cgroup.events"
check "both logged" sh -c "grep -q 'budget no longer exceeded: /budget/t: cpu.max restored' $log &&
			   grep -q 'budget gone or cleared: /budget/f: thawed' $log"

# Replaced cgroups. A cgroup removed and made again at its path is a new
# cgroup with a new id (its directory's inode number); what eacctd did to
# the old one must not be undone onto it. x had a limit of its own before
# it was throttled, so that restoring it onto the new x would show; the
# new z is frozen by its owner, so that a thaw meant for the old z would
# show. x, y, z are replaced under a running eacctd (stopped for the few
# milliseconds it takes, so that it finds them all replaced at once);
# u, v, w while it is down, below.
busy() {	# busy NAME...: a new cgroup each, a busy loop in it
	for n; do
		mkdir -p $cg/budget/$n
		sh -c "echo \$\$ > $cg/budget/$n/cgroup.procs; exec sh -c 'while :; do :; done'" &
	done
}
known() { for n; do [ -d /sys/kernel/eacct/cgroups/budget/$n ] || return 1; done; }
replace() {	# replace NAME...: its processes killed, removed, made again empty
	for n; do
		echo 1 > $cg/budget/$n/cgroup.kill
		i=0
		while [ $i -lt 100 ] && grep -q 'populated 1' $cg/budget/$n/cgroup.events; do
			sleep 0.1; i=$((i + 1))
		done
		rmdir $cg/budget/$n && mkdir $cg/budget/$n
	done
}
applied() {	# all six throttled or frozen
	for n in x u; do [ "$(cat $cg/budget/$n/cpu.max)" = "20000 100000" ] || return 1; done
	for n in y z v w; do [ "$(cat $cg/budget/$n/cgroup.freeze)" = 1 ] || return 1; done
}
logged_gone() {	# logged_gone NAME...: eacctd has let go of each
	for n; do grep -q "budget gone or cleared: /budget/$n:" $log || return 1; done
}
busy x y z u v w
i=0
while [ $i -lt 200 ] && ! known x y z u v w; do sleep 0.1; i=$((i + 1)); done
sleep 0.4
echo "50000 100000" > $cg/budget/x/cpu.max
echo "50000 100000" > $cg/budget/u/cpu.max
for n in x u; do $E budget set /budget/$n 1ug --action throttle=10 > /dev/null; done
for n in y z v w; do $E budget set /budget/$n 1ug --action freeze > /dev/null; done
i=0
while [ $i -lt 100 ] && ! applied; do sleep 0.1; i=$((i + 1)); done
check "replaced: x, u throttled from their own 50000 100000; y, z, v, w frozen" applied
ids=$(stat -c %i $cg/budget/x $cg/budget/y $cg/budget/z)
kill -STOP $daemon
replace x y z
echo 1 > $cg/budget/z/cgroup.freeze
kill -CONT $daemon
check "replaced: x, y, z are new cgroups (ids $(echo $ids) -> $(echo $(stat -c %i $cg/budget/x $cg/budget/y $cg/budget/z)))" \
	[ "$(echo $ids)" != "$(echo $(stat -c %i $cg/budget/x $cg/budget/y $cg/budget/z))" ]
i=0
while [ $i -lt 100 ] && ! logged_gone x y z; do sleep 0.1; i=$((i + 1)); done
sleep 1	# five intervals more: a late write would have landed
check "replaced under eacctd: the new x's cpu.max untouched ($(cat $cg/budget/x/cpu.max))" \
	[ "$(cat $cg/budget/x/cpu.max)" = "max 100000" ]
check "replaced under eacctd: the new y not frozen" \
	sh -c "[ \$(cat $cg/budget/y/cgroup.freeze) = 0 ] && grep -q 'frozen 0' $cg/budget/y/cgroup.events"
check "replaced under eacctd: the new z, frozen by its owner, not thawed by eacctd" \
	sh -c "[ \$(cat $cg/budget/z/cgroup.freeze) = 1 ] && grep -q 'frozen 1' $cg/budget/z/cgroup.events"
check "replaced under eacctd: each dropped with a log line, nothing undone onto the new cgroup" \
	sh -c "grep -q 'budget gone or cleared: /budget/x: cgroup [0-9]* replaced by [0-9]*: cpu.max not restored' $log &&
	       grep -q 'budget gone or cleared: /budget/y: cgroup [0-9]* replaced by [0-9]*: not thawed' $log &&
	       grep -q 'budget gone or cleared: /budget/z: cgroup [0-9]* replaced by [0-9]*: not thawed' $log"

# Across a restart: c throttled, then eacctd stops; c's budget is cleared
# and r's budget set below what r has spent (crossed at once) while it is down.
set_budget c 1 throttle=50
i=0
while [ $i -lt 100 ] && [ "$(cat $cg/budget/c/cpu.max)" = "max 100000" ]; do sleep 0.1; i=$((i + 1)); done
check "c throttled to 50 % before the restart ($(cat $cg/budget/c/cpu.max))" [ "$(cat $cg/budget/c/cpu.max)" = "100000 100000" ]
kill -TERM $daemon
wait $daemon
# u, v, w replaced while eacctd is down (the enforcement file names the
# old ones); the new v frozen by its owner.
replace u v w
echo 1 > $cg/budget/v/cgroup.freeze
$E budget clear /budget/c > /dev/null
$E budget set /budget/r 1ug --action freeze > /dev/null
check "r over budget while eacctd is down: the module flipped it" [ "$(cat /sys/kernel/eacct/cgroups/budget/r/budget_exceeded)" = 1 ]
/eacctd >> $log 2>&1 &
daemon=$!
i=0
while [ $i -lt 100 ] && { [ "$(cat $cg/budget/r/cgroup.freeze)" != 1 ] || [ "$(cat $cg/budget/c/cpu.max)" != "max 100000" ]; }; do
	sleep 0.1; i=$((i + 1))
done
check "restarted eacctd took over what its predecessor did" grep -q "budget action(s) of a previous eacctd taken over" $log
check "restart: the budget crossed while down is enforced (r frozen)" [ "$(cat $cg/budget/r/cgroup.freeze)" = 1 ]
check "restart: the budget cleared while down is undone (c's cpu.max restored)" [ "$(cat $cg/budget/c/cpu.max)" = "max 100000" ]
i=0
while [ $i -lt 100 ] && ! logged_gone u v w; do sleep 0.1; i=$((i + 1)); done
sleep 1
check "replaced while down: the new u's cpu.max untouched ($(cat $cg/budget/u/cpu.max))" \
	[ "$(cat $cg/budget/u/cpu.max)" = "max 100000" ]
check "replaced while down: the new v, frozen by its owner, not thawed by eacctd" \
	sh -c "[ \$(cat $cg/budget/v/cgroup.freeze) = 1 ] && grep -q 'frozen 1' $cg/budget/v/cgroup.events"
check "replaced while down: the new w not frozen" \
	sh -c "[ \$(cat $cg/budget/w/cgroup.freeze) = 0 ] && grep -q 'frozen 0' $cg/budget/w/cgroup.events"
check "replaced while down: each dropped with a log line" \
	sh -c "grep -q 'budget gone or cleared: /budget/u: cgroup [0-9]* replaced by [0-9]*: cpu.max not restored' $log &&
	       grep -q 'budget gone or cleared: /budget/v: cgroup [0-9]* replaced by [0-9]*: not thawed' $log &&
	       grep -q 'budget gone or cleared: /budget/w: cgroup [0-9]* replaced by [0-9]*: not thawed' $log"
st=$($E status)
echo "$st" | sed 's/^/# /'
# A function, not sh -c '$st': the text may hold a quote ("see eacctd's log"
# on the bpf losses line, once a task died before it was counted).
status_ok() {
	echo "$st" | grep -q '^daemon *eacctd running' && echo "$st" | grep -q '^intensity *1000 g/kWh' &&
	echo "$st" | grep -q '^enforced *\(/budget/n\|/budget/r\)'
}
check "eacct status: module, eacctd running, intensity, enforced budgets" status_ok
kill -TERM $daemon
wait $daemon
sed 's/^/# /' $log | grep -v "^# eacctd: \(package\|on-CPU\|NVML\|drm_sched\|GPU\)" | head -80
rm /tmp/bmeter-run
wait $meter
for n in n t f r c x y z u v w; do
	echo 0 > $cg/budget/$n/cgroup.freeze
	kill $(cat $cg/budget/$n/cgroup.procs) 2>/dev/null
done
sleep 0.3
for n in n t f r c x y z u v w; do rmdir $cg/budget/$n; done
rmdir $cg/budget
/eacctd -c /etc/eacct/eacctd.conf --reset-bpf > /dev/null 2>&1
rmmod eacct
