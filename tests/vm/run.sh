#!/bin/bash
# Boot real Debian kernels under QEMU with eacct.ko and run one guest mode.
#
#   tests/vm/run.sh [--mode test|demo|bench] [KVER...]
#
# KVER defaults to every kernel with both /boot/vmlinuz-KVER and headers
# (the oldest alone for demo). EACCT_VM_SCRIPT=NAME runs tests/vm/guest-NAME.sh
# alone instead of the whole suite (while working on one part).
# test: prints the guest's TAP lines and a summary, exits non-zero on any
# failure, missing result or hung guest. bench: writes build/vm/bench-KVER.txt.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
build=$top/build/vm
mode=test
timeout_s=${EACCT_VM_TIMEOUT:-900}

if [ "${1:-}" = --mode ]; then
	mode=$2
	shift 2
fi
kvers=("$@")
if [ ${#kvers[@]} -eq 0 ]; then
	for k in $(ls /boot/vmlinuz-* 2>/dev/null | sort -V); do
		v=${k#/boot/vmlinuz-}
		[ -d "/usr/src/linux-headers-$v" ] && kvers+=("$v")
	done
	# The demo needs one kernel: the oldest, Debian 12's own 6.1.
	[ "$mode" = demo ] && [ ${#kvers[@]} -gt 0 ] && kvers=("${kvers[0]}")
fi
[ ${#kvers[@]} -gt 0 ] || { echo "run.sh: no kernel with headers in /boot" >&2; exit 1; }

mkdir -p "$build/bin"
make -s -C "$top" vm-binaries VMBIN="$build/bin"

total_pass=0
total_fail=0
for kver in "${kvers[@]}"; do
	kdir=/usr/src/linux-headers-$kver
	out=$build/$kver
	rm -rf "$out"
	mkdir -p "$out/src" "$out/root/bin"
	# A private copy per kernel: kbuild writes its objects beside the sources.
	cp -r "$top/kmod" "$top/include" "$top/Kbuild" "$out/src/"
	make -s -C "$kdir" M="$out/src" W=1 modules >"$out/kbuild.log" 2>&1 ||
		{ cat "$out/kbuild.log"; exit 1; }
	# mockgpu.ko, the test-only DRM driver on drm_sched.
	cp -r "$top/tests/vm/mockgpu" "$out/mockgpu"
	make -s -C "$kdir" M="$out/mockgpu" W=1 modules >"$out/kbuild-mockgpu.log" 2>&1 ||
		{ cat "$out/kbuild-mockgpu.log"; exit 1; }
	# The module as released at 0.1.0 (25dc307), for the ABI across
	# versions: today's writers against yesterday's module. Skipped where
	# the checkout has no history.
	rm -f "$out/eacct-0.1.ko"
	if git -C "$top" cat-file -e 25dc307^{commit} 2>/dev/null; then
		mkdir -p "$out/old"
		git -C "$top" archive 25dc307 kmod include Kbuild | tar -x -C "$out/old"
		make -s -C "$kdir" M="$out/old" modules >"$out/kbuild-old.log" 2>&1 &&
			cp "$out/old/kmod/eacct.ko" "$out/eacct-0.1.ko"
	fi
	# kobjhold.ko, test-only: a late kobject release on a stock kernel.
	cp -r "$top/tests/vm/kobjhold" "$out/kobjhold"
	make -s -C "$kdir" M="$out/kobjhold" W=1 modules >"$out/kbuild-kobjhold.log" 2>&1 ||
		{ cat "$out/kbuild-kobjhold.log"; exit 1; }

	cp /bin/busybox "$out/root/bin/busybox"
	cp "$top/tests/vm/init" "$top"/tests/vm/guest-*.sh \
	   "$top/tests/vm/fixture-powercap.sh" "$out/root/"
	cp "$out/src/kmod/eacct.ko" "$build/bin/abitest" "$build/bin/bench" \
	   "$build/bin/eacct-write" "$build/bin/cgroup-events-test" \
	   "$build/bin/cpu-account-test" "$build/bin/eacctd" "$build/bin/vgem-client" \
	   "$build/bin/mockgpu-client" "$build/bin/eacct" "$build/bin/hostile" \
	   "$build/bin/fuzz" "$build/bin/nsrun" "$out/root/"
	# vgem, gpu-sched and what they need, uncompressed for busybox insmod.
	mkdir -p "$out/root/modules"
	cp "$out/mockgpu/mockgpu.ko" "$out/kobjhold/kobjhold.ko" "$out/root/modules/"
	[ ! -e "$out/eacct-0.1.ko" ] || cp "$out/eacct-0.1.ko" "$out/root/modules/"
	for m in drm drm_kms_helper drm_shmem_helper vgem gpu-sched; do
		f=$(find "/lib/modules/$kver/kernel/drivers/gpu/drm" -name "$m.ko*" | head -1)
		case $f in
		*.xz) xz -dc "$f" >"$out/root/modules/$m.ko" ;;
		*.zst) zstd -qdc "$f" >"$out/root/modules/$m.ko" ;;
		?*) cp "$f" "$out/root/modules/$m.ko" ;;
		esac
	done
	mkdir -p "$out/root/proc" "$out/root/sys" "$out/root/dev" "$out/root/tmp"
	(cd "$out/root" && find . | cpio -o -H newc --quiet | gzip -1) >"$out/initrd.gz"

	echo "# booting $kver ($mode)"
	set +e
	# thread=single: with one host thread per vCPU (MTTCG), a vCPU can run
	# stale translated code while another patches kernel text (tracepoint
	# static calls as BPF programs attach and detach): a guest "Oops:
	# int3" in syscall_exit_to_user_mode_prepare, seen once in CI. One
	# thread for both vCPUs makes code changes visible at once.
	timeout "$timeout_s" qemu-system-x86_64 -m 2048 -smp 2,sockets=2,cores=1,threads=1 -nographic \
		-accel tcg,thread=single \
		-no-reboot -kernel "/boot/vmlinuz-$kver" -initrd "$out/initrd.gz" \
		-append "console=ttyS0 quiet panic=-1 slab_nomerge eacct_mode=$mode eacct_script=${EACCT_VM_SCRIPT:-test}" \
		</dev/null >"$out/serial.log" 2>&1
	rc=$?
	set -e
	tr -d '\r' <"$out/serial.log" >"$out/guest.log"

	case $mode in
	test)
		grep -E '^(ok|not ok|#)' "$out/guest.log" | sed "s/^/[$kver] /"
		pass=$(grep -c '^ok' "$out/guest.log" || true)
		fail=$(grep -c '^not ok' "$out/guest.log" || true)
		if ! grep -q '^# guest done' "$out/guest.log"; then
			echo "not ok - [$kver] guest did not finish (qemu rc $rc, timeout ${timeout_s}s); see $out/serial.log"
			tail -30 "$out/guest.log" | sed 's/^/# /'
			fail=$((fail + 1))
		fi
		echo "# $kver: $pass passed, $fail failed"
		total_pass=$((total_pass + pass))
		total_fail=$((total_fail + fail))
		;;
	bench)
		grep '^BENCH ' "$out/guest.log" >"$build/bench-$kver.txt" || true
		grep -E '^(BENCH|#)' "$out/guest.log"
		grep -q '^# guest done' "$out/guest.log" || { echo "bench: guest did not finish" >&2; exit 1; }
		;;
	demo)
		# The firmware's escape codes share the first line: cut them off.
		sed -n '/# guest kernel/,/^# guest done/p' "$out/guest.log" | sed '1s/.*# guest/# guest/'
		grep -q '^# guest done' "$out/guest.log" || { echo "demo: guest did not finish" >&2; exit 1; }
		;;
	esac
done

if [ "$mode" = test ]; then
	echo "vm: $total_pass passed, $total_fail failed"
	[ "$total_fail" -eq 0 ]
fi
