#!/bin/sh
# drm_sched jobs end to end in the guest: mockgpu (a DRM driver on the
# kernel's own GPU scheduler, its engine a timer), the BPF hooks, eacctd
# and eacct.ko, with a fixture hwmon energy counter for the GPU. Two
# cgroups share the one engine, one job at a time: 30 ms jobs against
# 10 ms jobs, each client keeping one job queued, so every job waits for
# the other client's. The GPU's energy must follow the engine time (3:1,
# as the driver's fdinfo counts it), not the jobs' lifetimes (about 1:1,
# queue time included). Twice: with the gpu_scheduler tracepoint, then
# from the "scheduled" fences alone. Last, a driver whose own extra fence
# skews the split, caught by eacctd's cross-check against fdinfo.
ok() { echo "ok - sched: $*"; }
notok() { echo "not ok - sched: $*"; }
check() { desc=$1; shift; if "$@"; then ok "$desc"; else notok "$desc"; fi; }

for m in drm gpu-sched mockgpu; do
	lsmod | grep -q "^$(echo $m | tr - _) " || insmod /modules/$m.ko
done
card=
render=
for n in /sys/class/drm/card* /sys/class/drm/renderD*; do
	case $(readlink -f $n/device) in
	*/mockgpu) case ${n##*/} in card*) card=${n##*/} ;; *) render=${n##*/} ;; esac ;;
	esac
done
check "mockgpu loaded on drm_sched: /dev/dri/$card and /dev/dri/$render" \
	[ -n "$card" -a -n "$render" -a -c "/dev/dri/$render" ]
check "gpu-sched's BTF is there for CO-RE (/sys/kernel/btf/gpu_sched)" [ -e /sys/kernel/btf/gpu_sched ]

# A DRM class tree with mockgpu's device numbers; its device (named as
# the driver's drm-pdev) has an i915-style hwmon energy counter.
G=/fixture/drm-sched
H=$G/mockgpu/hwmon/hwmon0
mkdir -p $H /fixture/drivers/mockgpu
ln -s /fixture/drivers/mockgpu $G/mockgpu/driver
for n in $card $render; do
	mkdir -p $G/$n
	cp /sys/class/drm/$n/dev $G/$n/dev
	ln -s $G/mockgpu $G/$n/device
done
echo 1000000 > $H/energy1_input

RANGE=1000000000
. /fixture-powercap.sh

# The GPU's meter: +40 mJ every 100 ms (0.4 W), still while paused.
touch /tmp/smeter-run /tmp/smeter-pause
( while [ -e /tmp/smeter-run ]; do
	if [ ! -e /tmp/smeter-pause ]; then
		echo $(( $(cat $H/energy1_input) + 40000 )) > $H/.tmp && mv $H/.tmp $H/energy1_input
	fi
	sleep 0.1
  done ) &
smeter=$!

lsmod | grep -q '^eacct' || insmod /eacct.ko
E=/sys/kernel/eacct
cg=/sys/fs/cgroup/sched
g0=$(cat $H/energy1_input)

# ratio_ok A B X Y PCT: is A/B within PCT % of X/Y?
ratio_ok() {
	awk -v a="$1" -v b="$2" -v x="$3" -v y="$4" -v p="$5" 'BEGIN {
		if (a + 0 <= 0 || b + 0 <= 0 || x + 0 <= 0 || y + 0 <= 0)
			exit 1
		r = (a / b) / (x / y)
		exit !(r >= 1 - p / 100 && r <= 1 + p / 100) }'
}

queue_misleads() { ratio_ok $el $es 3 1 10 && ratio_ok $tl $ts 1 1 25; }

# Two clients on the engine for SECONDS under eacctd; sets long, short
# (their energy), el, es (engine time), tl, ts (lifetimes), log.
run_clients() {	# run_clients NAME TRACEPOINTS(yes|no) SECONDS
	name=$1
	log=/tmp/eacctd-sched-$name.log
	# unattributed: each cgroup pays its busy share of each interval, the
	# rest is idle. With proportional, an interval at either end of the
	# run where one client alone ran a little would give it all that
	# interval's energy, and the comparison with engine time would be off
	# by a whole interval's energy.
	eacctd_conf <<EOC
interval = 500
idle_policy = unattributed
drm_root = $G
bpf_pin_dir = /sys/fs/bpf/eacct-sched
gpu_sched_tracepoints = $2
EOC
	mkdir -p $cg/$name-long $cg/$name-short
	/eacctd > $log 2>&1 &
	daemon=$!
	i=0
	while ! grep -q "eacctd: running: interval" $log && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	rm -f /tmp/smeter-pause /tmp/sched-go
	sh -c 'echo $$ > '$cg/$name-long'/cgroup.procs; exec /mockgpu-client /dev/dri/'$render' 30000 1 '$3' --go=/tmp/sched-go' > /tmp/$name-long.out &
	l=$!
	sh -c 'echo $$ > '$cg/$name-short'/cgroup.procs; exec /mockgpu-client /dev/dri/'$render' 10000 1 '$3' --go=/tmp/sched-go' > /tmp/$name-short.out &
	s=$!
	sleep 0.7
	touch /tmp/sched-go
	wait $l; rl=$?
	wait $s; rs=$?
	check "$name: mockgpu clients ran (exit $rl $rs): $(cat /tmp/$name-long.out) / $(cat /tmp/$name-short.out)" \
		[ $rl -eq 0 -a $rs -eq 0 ]
	[ $rl -eq 0 -a $rs -eq 0 ] || dmesg | grep -A14 -m1 -E "WARNING|BUG" | sed 's/^/# dmesg: /'
	sleep 1.2	# two intervals after their last jobs
	touch /tmp/smeter-pause
	sleep 0.2
	kill -TERM $daemon
	wait $daemon
	sed 's/^/# /' $log

	long=$(cat $E/cgroups/sched/$name-long/gpu_energy_uj 2>/dev/null || echo 0)
	short=$(cat $E/cgroups/sched/$name-short/gpu_energy_uj 2>/dev/null || echo 0)
	set -- $(cat /tmp/$name-long.out) x x x x x x
	el=$4 tl=$6
	set -- $(cat /tmp/$name-short.out) x x x x x x
	es=$4 ts=$6
	echo "# $name: engine time (fdinfo) $el : $es ns, lifetimes $tl : $ts ns, energy $long : $short uJ"
}

phase() {	# phase NAME TRACEPOINTS(yes|no)
	run_clients $1 $2 8
	check "$name: energy follows engine time within 3 % ($long : $short uJ against $el : $es ns)" \
		ratio_ok "$long" "$short" "$el" "$es" 3
	check "$name: engine time is 3:1 but lifetimes about 1:1: queue time would have misled ($tl : $ts ns)" \
		queue_misleads
	check "$name: fence busy time agrees with fdinfo engine time (eacctd's cross-check)" \
		sh -c "grep -q 'gpu-0: fence busy time against fdinfo engine time: [1-9][0-9]* windows, worst [0-4]\.[0-9] %' $log &&
		       ! grep -q DISAGREE $log"
}

phase tp yes
check "tp: run time from the gpu_scheduler tracepoint (drm_run_job)" \
	grep -q "drm_sched jobs: run time from the gpu_scheduler tracepoint drm_run_job" /tmp/eacctd-sched-tp.log
check "tp: jobs started by the run tracepoint" \
	sh -c "grep 'drm_sched jobs: [1-9][0-9]* queued' /tmp/eacctd-sched-tp.log | grep -q ', [1-9][0-9]* started by the run tracepoint'"

phase fence no
check "fence: tracepoints off, jobs started by their scheduled fence" \
	sh -c "grep -q 'gpu_scheduler tracepoints off' /tmp/eacctd-sched-fence.log &&
	       grep -q ', 0 started by the run tracepoint (0 run events), [1-9][0-9]* by their scheduled fence' /tmp/eacctd-sched-fence.log"

# A driver that makes a fence of its own in the submit ioctl (here the
# hardware fence, as mockgpu does with hw_fence_at_submit): that fence
# spans the queue time and the split is wrong. The cross-check against
# the driver's fdinfo must say so.
echo 1 > /sys/module/mockgpu/parameters/hw_fence_at_submit
run_clients early yes 6
echo 0 > /sys/module/mockgpu/parameters/hw_fence_at_submit
skew_reported() {
	! ratio_ok $long $short $el $es 10 &&
		grep -q 'gpu-0: fence busy time and fdinfo engine time DISAGREE' $log
}
check "early: a fence spanning the queue skews the split ($long : $short uJ against $el : $es ns) and eacctd reports it" \
	skew_reported

rm /tmp/smeter-run
wait $smeter
g1=$(cat $H/energy1_input)
dom=$(cat $E/domains/gpu-0/energy_uj 2>/dev/null)
idle=$(cat $E/domains/gpu-0/idle_uj 2>/dev/null)
root=$(cat $E/cgroups/gpu_energy_uj)
check "gpu-0 energy is exact over both runs: meter $((g1 - g0)) uJ, module $dom uJ" [ "$dom" = $((g1 - g0)) ]
check "cgroups + idle = gpu-0: $root + $idle = $dom uJ" [ $((root + idle)) = "$dom" ]
check "no GPU BPF errors in eacctd's logs" sh -c '! grep -q "GPU BPF\|GPU activity\|not attached" /tmp/eacctd-sched-*.log'
/eacctd -c /etc/eacct/eacctd.conf --reset-bpf > /dev/null 2>&1
rmmod eacct
