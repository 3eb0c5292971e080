#!/bin/sh
# The GPU path end to end in the guest: vgem (a real DRM driver, fences
# without hardware), the BPF ioctl and dma_fence hooks, eacctd and
# eacct.ko, with a fixture hwmon energy counter for the GPU advancing at
# a known power. Two cgroups keep fences busy 3:1 and the GPU's energy
# must be split 3:1 (within 2 %), the domain exact to the microjoule.
ok() { echo "ok - gpu: $*"; }
notok() { echo "not ok - gpu: $*"; }
check() { desc=$1; shift; if "$@"; then ok "$desc"; else notok "$desc"; fi; }

for m in drm drm_kms_helper drm_shmem_helper vgem; do
	[ -f /modules/$m.ko ] && insmod /modules/$m.ko
done
check "vgem loaded: /dev/dri/card0 and renderD128" [ -c /dev/dri/card0 -a -c /dev/dri/renderD128 ]

# A DRM class tree with the real nodes' device numbers, whose device has
# an i915-style hwmon energy counter (vgem has no meter of its own).
G=/fixture/drm
H=$G/gpudev/hwmon/hwmon0
mkdir -p $H /fixture/drivers/vgem
ln -s /fixture/drivers/vgem $G/gpudev/driver
for n in card0 renderD128; do
	mkdir -p $G/$n
	cp /sys/class/drm/$n/dev $G/$n/dev
	ln -s $G/gpudev $G/$n/device
done
echo 5000000 > $H/energy1_input

RANGE=1000000000
. /fixture-powercap.sh
# unattributed, as in guest-sched.sh: each cgroup pays its busy share of
# each interval. With proportional, an interval at an end of the run where
# only some clients ran gave them all of its energy (3.11:1 once).
eacctd_conf <<EOC
interval = 1000
idle_policy = unattributed
drm_root = $G
state_file = /tmp/eacctd-gpu.state
bpf_pin_dir = /sys/fs/bpf/eacct-gpu
EOC

# The GPU's meter: +40 mJ every 100 ms (0.4 W), held still until eacctd
# has its first reading.
touch /tmp/gmeter-run /tmp/gmeter-pause
( while [ -e /tmp/gmeter-run ]; do
	if [ ! -e /tmp/gmeter-pause ]; then
		echo $(( $(cat $H/energy1_input) + 40000 )) > $H/.tmp && mv $H/.tmp $H/energy1_input
	fi
	sleep 0.1
  done ) &
gmeter=$!

lsmod | grep -q '^eacct' || insmod /eacct.ko
cg=/sys/fs/cgroup/gpu
mkdir -p $cg/three $cg/one $cg/leaver
g0=$(cat $H/energy1_input)
/eacctd > /tmp/eacctd-gpu.log 2>&1 &
daemon=$!
i=0
while ! grep -q "eacctd: running: interval" /tmp/eacctd-gpu.log && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
rm /tmp/gmeter-pause

# Busy 3:1: three processes in "three", one in "one", each keeping a
# fence in flight without pause (100 ms each, the same shape for all, so
# the TCG overheads cancel). They start together (--go): a client still
# starting while the others run leaves an interval split otherwise.
rm -f /tmp/gpu-go
for k in 1 2 3; do
	sh -c 'echo $$ > '$cg'/three/cgroup.procs; exec /vgem-client /dev/dri/card0 100 0 30 --go=/tmp/gpu-go' &
	eval t$k=\$!
done
sh -c 'echo $$ > '$cg'/one/cgroup.procs; exec /vgem-client /dev/dri/card0 100 0 30 --go=/tmp/gpu-go' &
b=$!
sleep 1
touch /tmp/gpu-go
ra=0
for p in $t1 $t2 $t3; do wait $p || ra=1; done
wait $b; rb=$?
check "vgem clients ran (exit $ra $rb)" [ $ra -eq 0 -a $rb -eq 0 ]
sleep 2.2	# their last fences charged before the leaver starts
# Exits with a fence outstanding: vgem signals it when the file closes.
sh -c 'echo $$ > '$cg'/leaver/cgroup.procs; exec /vgem-client /dev/dri/card0 50 0 2 --leave'
check "a client exiting with a fence outstanding exits cleanly" [ $? -eq 0 ]
sleep 2.2
# A long job, alone on the GPU: charged as it runs, not only at its end.
mkdir -p $cg/long
sh -c 'echo $$ > '$cg'/long/cgroup.procs; exec /vgem-client /dev/dri/card0 3500 0 1' &
l=$!
sleep 2.5
mid=$(cat /sys/kernel/eacct/cgroups/gpu/long/gpu_energy_uj 2>/dev/null || echo 0)
wait $l
check "a 3.5 s fence is charged while in flight: $mid uJ after 2.5 s" [ "$mid" -ge 300000 ]
sleep 2.2
rm /tmp/gmeter-run
wait $gmeter
g1=$(cat $H/energy1_input)
sleep 2.2	# two intervals after the last meter step
kill -TERM $daemon
wait $daemon
sed 's/^/# /' /tmp/eacctd-gpu.log

E=/sys/kernel/eacct
dom=$(cat $E/domains/gpu-0/energy_uj 2>/dev/null)
idle=$(cat $E/domains/gpu-0/idle_uj 2>/dev/null)
root=$(cat $E/cgroups/gpu_energy_uj)
three=$(cat $E/cgroups/gpu/three/gpu_energy_uj)
one=$(cat $E/cgroups/gpu/one/gpu_energy_uj)
leaver=$(cat $E/cgroups/gpu/leaver/gpu_energy_uj)
check "gpu-0 from the fixture hwmon counter, split by fence busy time" \
	sh -c 'grep -q "gpu-0 (vgem, /fixture/drm/gpudev): hwmon" /tmp/eacctd-gpu.log &&
	       grep -q "gpu-0: energy split by fence busy time" /tmp/eacctd-gpu.log'
check "gpu-0 energy is exact: meter $((g1 - g0)) uJ, module $dom uJ" [ "$dom" = $((g1 - g0)) ]
check "cgroups + idle = gpu-0: $root + $idle = $dom uJ" [ $((root + idle)) = "$dom" ]
check "busy 3:1 gives energy 3:1 within 2 %: $three / $one uJ" \
	[ $((100 * three)) -ge $((294 * one)) -a $((100 * three)) -le $((306 * one)) -a "$one" -gt 0 ]
check "the leaver's fences, ended by its exit, were charged: $leaver uJ" [ "$leaver" -gt 0 ]
check "no GPU BPF errors in eacctd's log" sh -c '! grep -q "GPU BPF\|GPU activity" /tmp/eacctd-gpu.log'
/eacctd -c /etc/eacct/eacctd.conf --reset-bpf > /dev/null 2>&1
rmmod eacct
