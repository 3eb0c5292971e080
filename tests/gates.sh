#!/bin/bash
# Kernel-code quality gates: a W=1 build without warnings, sparse, and
# checkpatch.pl --strict from Debian's linux-source-6.1 (extracted here,
# never committed). Prints one "ok"/"not ok" line per gate.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
kdir=${1:?usage: gates.sh KDIR}
out=$top/build/gates
fail=0

gate() {
	local name=$1 log=$2
	shift 2
	if "$@" >"$log" 2>&1; then
		echo "ok - gate: $name"
	else
		echo "not ok - gate: $name"
		sed 's/^/# /' "$log" | head -40
		fail=1
	fi
}

no_diagnostics() {
	# Builds $1 (extra make arguments) and fails on any diagnostic.
	rm -rf "$out/src"
	mkdir -p "$out/src"
	cp -r "$top/kmod" "$top/include" "$top/Kbuild" "$out/src/"
	make -C "$kdir" M="$out/src" "$@" modules 2>&1 | tee "$out/build.log" >/dev/null
	[ "${PIPESTATUS[0]}" -eq 0 ] || return 1
	! grep -E "warning:|error:|: note:" "$out/build.log"
}

checkpatch() {
	local ks=$out/linux-source-6.1
	if [ ! -x "$ks/scripts/checkpatch.pl" ]; then
		tar -xJf /usr/src/linux-source-6.1.tar.xz -C "$out" \
			--wildcards 'linux-source-6.1/scripts/checkpatch.pl' \
			'linux-source-6.1/scripts/spelling.txt' \
			'linux-source-6.1/scripts/const_structs.checkpatch' || return 1
	fi
	perl "$ks/scripts/checkpatch.pl" --no-tree --strict --quiet \
		--ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG \
		-f "$top"/kmod/eacct.h "$top"/kmod/eacct_*.c "$top"/include/uapi/linux/eacct.h \
		"$top"/tests/vm/kobjhold/kobjhold.c
}

mkdir -p "$out"
gate "module builds with W=1, no warnings ($(basename "$kdir"))" "$out/w1.log" no_diagnostics W=1
gate "sparse (C=2) clean" "$out/sparse.log" no_diagnostics C=2 CHECK="sparse -Wno-decl"
gate "checkpatch.pl --strict clean" "$out/checkpatch.log" checkpatch
exit $fail
