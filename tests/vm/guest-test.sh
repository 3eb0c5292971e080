#!/bin/sh
# In-guest test run; prints TAP lines ("ok - ..." / "not ok - ...").
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; }
check() { desc=$1; shift; if "$@"; then ok "$desc"; else notok "$desc"; fi; }

# Kernel log lines that mean something went wrong in or because of eacct.
# The module prints nothing in normal operation: any "eacct:" line other
# than the kernel's own taint notices counts too.
export KLOG_BAD='WARNING|BUG|Oops|still has objects|general protection|cannot create duplicate|kobject.*(error|already)|eacct: '

# SLUB counts objects held in per-CPU slabs as in use: flush those first
# (shrink), or the count drifts by a few hundred whatever the module does.
slab_objs() {
	echo 1 > /sys/kernel/slab/$1/shrink 2>/dev/null
	awk -v c="$1" '$1 == c { print $2 }' /proc/slabinfo
}

check "insmod eacct.ko" insmod /eacct.ko
check "version file reads $(cat /sys/kernel/eacct/version 2>/dev/null)" \
	grep -qx '[0-9]*\.[0-9]*\.[0-9]*' /sys/kernel/eacct/version
check "/dev/eacct is a root-only character device" \
	sh -c 'ls -l /dev/eacct | grep -q "^crw-------"'
check "root cgroup mirrored with id 1" \
	sh -c '[ "$(cat /sys/kernel/eacct/cgroups/id)" = "$(stat -c %i /sys/fs/cgroup)" ]'

# The CO-RE BPF object built against the host's BTF, on this kernel.
/cgroup-events-test | grep -E '^(ok|not ok)'
# Two sockets here (qemu -smp sockets=2): the migration hook, for real.
/cpu-account-test | grep -E '^(ok|not ok)'

/abitest setup hierarchy malformed unprivileged budget processes rename stress cleanup

# eacct-write, the text front end, against the real device.
mkdir -p /sys/fs/cgroup/w/x
printf 'cgroup /w/x package-0 250 3\ncgroup /w dram-0 50 1\n' | /eacct-write
check "eacct-write: text records applied" \
	sh -c '[ "$(cat /sys/kernel/eacct/cgroups/w/energy_uj)" = 300 ]'
check "eacct-write: bad record gives an error and writes nothing" \
	sh -c '! echo "cgroup /w bogus-0 1 1" | /eacct-write 2>/tmp/err && grep -q "<stdin>:1" /tmp/err && [ "$(cat /sys/kernel/eacct/cgroups/w/energy_uj)" = 300 ]'
rmdir /sys/fs/cgroup/w/x /sys/fs/cgroup/w

check "rmmod while nothing holds it" rmmod eacct
check "sysfs tree gone after rmmod" sh -c '[ ! -e /sys/kernel/eacct ]'

# Load/unload cycles with readers running and cgroups tracked each time;
# kernfs nodes and the module's own slab must come back to where they were.
# Removed cgroups free their kernfs nodes asynchronously: let them settle.
mkdir -p /sys/fs/cgroup/cyc/a /sys/fs/cgroup/cyc/b
sleep 2; sync; echo 3 > /proc/sys/vm/drop_caches
kn0=$(slab_objs kernfs_node_cache)
fail=0
busy=0
i=0
while [ $i -lt 100 ]; do
	# Every other load from inside a cgroup namespace, as a container would.
	if [ $((i % 2)) = 1 ]; then
		/nsrun --cgroup /sys/fs/cgroup/cyc --cgroupns -- insmod /eacct.ko retain_secs=1 ||
			{ fail=1; break; }
	else
		insmod /eacct.ko retain_secs=1 || { fail=1; break; }
	fi
	( while [ -e /sys/kernel/eacct ]; do
		cat /sys/kernel/eacct/cgroups/energy_uj /sys/kernel/eacct/cgroups/cyc/a/energy_uj /proc/eacct/processes >/dev/null 2>&1
	  done ) &
	reader=$!
	printf 'cgroup /cyc/a package-0 1 1\ncgroup /cyc/b gpu-0 1 1\nprocess %s /cyc/a package-0 1 1 sh\n' $$ | /eacct-write || fail=1
	# Every tenth cycle a writer keeps /dev/eacct busy while rmmod runs:
	# rmmod may be refused (EBUSY) while a write is in flight, never crash.
	writer=
	if [ $((i % 10)) = 0 ]; then
		( while [ -e /dev/eacct ]; do
			echo 'cgroup /cyc/b dram-0 1 0' | /eacct-write 2>/dev/null
		  done ) &
		writer=$!
	fi
	tries=0
	until rmmod eacct 2>/dev/null; do
		tries=$((tries + 1))
		[ $tries -lt 200 ] || { fail=1; break 2; }
		busy=$((busy + 1))
	done
	wait $reader $writer
	i=$((i + 1))
done
echo "# rmmod refused $busy times while a write was in flight"

insmod /eacct.ko
( exec 3>/dev/eacct; sleep 2 ) &
holder=$!
sleep 0.5
check "rmmod refused (EBUSY) while a writer holds /dev/eacct open" \
	sh -c '! rmmod eacct 2>/dev/null && [ -e /sys/kernel/eacct ]'
wait $holder
check "rmmod succeeds once the writer is gone" rmmod eacct
check "100 load/unload cycles, every other one from a cgroup namespace, with concurrent readers (and writers every 10th)" [ $fail = 0 ]
sleep 2; sync; echo 3 > /proc/sys/vm/drop_caches
kn1=$(slab_objs kernfs_node_cache)
# Each cycle makes about 60 kernfs nodes; leaking even one cgroup entry
# (10 nodes) a cycle would show as 1,000 or more.
check "no kernfs nodes leaked over 100 cycles (before $kn0, after $kn1)" \
	[ $((kn1 - kn0)) -lt 300 ]
check "no eacct slab left behind" sh -c '! grep -q "^eacct_cgroup " /proc/slabinfo'
check "kernel log clean (no WARNING, BUG, leak reports)" \
	sh -c '! dmesg | grep -v -E "eacct: (loading out-of-tree|module verification)" | grep -qE "$KLOG_BAD"'
dmesg | grep -v -E "eacct: (loading out-of-tree|module verification)" | grep -E "$KLOG_BAD" | head -20 | sed 's/^/# dmesg: /'
rmdir /sys/fs/cgroup/cyc/a /sys/fs/cgroup/cyc/b /sys/fs/cgroup/cyc

sh /guest-hostile.sh
sh /guest-eacctd.sh
sh /guest-faults.sh
sh /guest-gpu.sh
sh /guest-sched.sh
sh /guest-budget.sh
check "kernel log clean after the GPU tests (vgem, gpu-sched, mockgpu)" \
	sh -c '! dmesg | grep -v -E "(eacct|mockgpu): (loading out-of-tree|module verification)" | grep -qE "$KLOG_BAD"'
dmesg | grep -v -E "(eacct|mockgpu): (loading out-of-tree|module verification)" | grep -E "$KLOG_BAD" | head -20 | sed 's/^/# dmesg: /'

modes() {
	echo 'cgroup /m package-0 1 0' | /eacct-write
	stat -c %a /sys/kernel/eacct/cgroups/m/energy_uj /sys/kernel/eacct/cgroups/m/budget_ug \
		/proc/eacct/processes /sys/kernel/eacct/cgroups/energy_uj \
		/sys/kernel/eacct/domains/package-0/energy_uj | tr '\n' ' '
}
mkdir -p /sys/fs/cgroup/m
insmod /eacct.ko
check "default modes: cgroup counters and processes readable by all, budget root-writable, node energy root only ($(modes))" \
	[ "$(modes)" = "444 644 444 400 400 " ]
rmmod eacct
insmod /eacct.ko world_readable=0
check "world_readable=0: counters root only ($(modes))" [ "$(modes)" = "400 600 400 400 400 " ]
rmmod eacct
insmod /eacct.ko node_readable=1
check "node_readable=1: the node's energy readable by all ($(modes))" [ "$(modes)" = "444 644 444 444 444 " ]
rmmod eacct
rmdir /sys/fs/cgroup/m
