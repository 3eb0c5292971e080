#!/bin/sh
# In-guest tests of eacct.ko against tenants, containers and hostile
# input: a module loaded in a cgroup namespace, a writer in one, late
# kobject releases at rmmod, the hostile suite (names, depth, squatted
# names, max_cgroups, wrapping sums, sequence jumps, extended headers,
# refused batches, racing readers, other readers' rows, memory charged,
# large tables) and the fuzzer with a tenant churning cgroups beside it.
# Prints TAP lines.
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; }
check() { desc=$1; shift; if "$@"; then ok "$desc"; else notok "$desc"; fi; }
KLOG_BAD=${KLOG_BAD:-'WARNING|BUG|Oops|still has objects|general protection|cannot create duplicate|kobject.*(error|already)|eacct: '}
KLOG_OK='(eacct|kobjhold|mockgpu): (loading out-of-tree|module verification)|kobjhold: dropping'
CG=/sys/fs/cgroup
E=/sys/kernel/eacct

klog_from=$(dmesg | wc -l)
klog_new() { dmesg | tail -n +$((klog_from + 1)) | grep -v -E "$KLOG_OK" | grep -E "$KLOG_BAD"; }
centis() { awk '{ printf "%d", $1 * 100 }' /proc/uptime; }

# 1. Loaded by a privileged container with its own cgroup namespace.
mkdir -p $CG/ct $CG/outside/x
check "insmod from inside a cgroup namespace" \
	timeout 30 /nsrun --cgroup $CG/ct --cgroupns -- insmod /eacct.ko
check "the mirror is rooted at the real root (id $(cat $E/cgroups/id 2>/dev/null), cgroupfs root inode $(stat -c %i $CG))" \
	[ "$(cat $E/cgroups/id 2>/dev/null)" = "$(stat -c %i $CG)" ]
check "a batch naming a cgroup outside the loader's namespace lands" \
	sh -c 'echo "cgroup /outside/x package-0 5 0" | timeout 20 /eacct-write && [ "$(cat '$E'/cgroups/outside/x/energy_uj)" = 5 ]'
check "a writer inside a cgroup namespace names the node's cgroups (resolved in the initial one)" \
	sh -c 'echo "cgroup /outside package-0 7 0" | timeout 20 /nsrun --cgroup '$CG'/ct --cgroupns -- /eacct-write && [ "$(cat '$E'/cgroups/outside/energy_uj)" = 12 ]'
check "rmmod after a load in a cgroup namespace" timeout 30 rmmod eacct

# 10. A kobject released seconds after the module's last put (as with
# CONFIG_DEBUG_KOBJECT_RELEASE): rmmod waits for it.
insmod /eacct.ko
mkdir -p $CG/hold
echo "cgroup /hold package-0 1 0" | /eacct-write
check "kobjhold holds cgroups/hold's kobject for 2 s" \
	insmod /modules/kobjhold.ko path=eacct/cgroups/hold hold_ms=2000
t0=$(centis)
timeout 30 rmmod eacct
rc=$?
t1=$(centis)
check "rmmod waited $(( (t1 - t0) * 10 )) ms for the release before destroying its cache" \
	[ $rc = 0 -a $((t1 - t0)) -ge 150 ]
check "no slab left behind, nothing freed into a destroyed cache" \
	sh -c '! grep -q "^eacct_cgroup " /proc/slabinfo && ! dmesg | grep -q "still has objects"'
rmmod kobjhold
check "the module loads again after that" sh -c 'insmod /eacct.ko && rmmod eacct'
rmdir $CG/hold

# Today's writers against the module as released at 0.1.0: a batch of
# the first layout is the same bytes, so it lands.
if [ -e /modules/eacct-0.1.ko ]; then
	insmod /modules/eacct-0.1.ko
	mkdir -p $CG/old
	check "today's eacct-write against eacct.ko 0.1.0: the batch lands ($(cat $E/version))" \
		sh -c 'printf "cgroup /old package-0 9 1\nprocess $$ /old package-0 9 1 sh\n" | /eacct-write &&
			[ "$(cat '$E'/cgroups/old/energy_uj)" = 9 ]'
	rmmod eacct
	rmdir $CG/old
else
	ok "# SKIP today's writers against eacct.ko 0.1.0: no git history to build it from"
fi

# The hostile suite; overflow on a module of its own (it fills counters).
insmod /eacct.ko
/abitest setup | grep -E '^(ok|not ok|#)'
/hostile setup squat maxcg names depth unknown sequence extensible rollback \
	action order privacy reuse scale stall race kmem cleanup
/abitest cleanup | grep -E '^(ok|not ok)'
rmmod eacct
insmod /eacct.ko
/hostile setup overflow cleanup
rmmod eacct

# Fuzzing, with a tenant (uid 65534) churning its delegated subtree.
insmod /eacct.ko
mkdir -p $CG/tenant
chown 65534:65534 $CG/tenant $CG/tenant/cgroup.procs $CG/tenant/cgroup.subtree_control \
	$CG/tenant/cgroup.threads
touch /tmp/churn
/nsrun --uid 65534 --gid 65534 -- sh -c '
	cd '$CG'/tenant || exit 1
	i=0
	while [ -e /tmp/churn ]; do
		mkdir -p "c$((i % 13))/d$((i % 5))" "energy_uj" "%$i" 2>/dev/null
		rmdir "c$(((i + 7) % 13))/d$((i % 5))" "c$(((i + 7) % 13))" "%$((i - 3))" 2>/dev/null
		i=$((i + 1))
	done' &
churner=$!
/fuzz ${EACCT_FUZZ_CASES:-100000}
rm /tmp/churn
wait $churner
check "the tenant could churn its subtree as uid 65534" [ -d $CG/tenant/energy_uj ]
find $CG/tenant -mindepth 1 -depth -type d -exec rmdir {} \; 2>/dev/null
rmdir $CG/tenant
timeout 30 rmmod eacct
check "rmmod after fuzzing" [ ! -e $E ]

check "kernel log clean through the hostile tests (no WARNING, BUG, Oops, leak)" \
	sh -c "! dmesg | tail -n +$((klog_from + 1)) | grep -v -E '$KLOG_OK' | grep -qE '$KLOG_BAD'"
klog_new | head -20 | sed 's/^/# dmesg: /'
rmdir $CG/outside/x $CG/outside $CG/ct 2>/dev/null
true
