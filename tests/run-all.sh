#!/bin/bash
# make check: every suite, then one line "N passed, N failed".
#
# Suites: unit tests (cmocka, plain and under ASan+UBSan), the host BPF
# test (real kernel, needs root), kernel-code gates (W=1, sparse,
# checkpatch), and the VM tests on each Debian kernel installed.
set -uo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh || exit 1
make -s all || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }

passed=0
failed=0
logdir=build/check
mkdir -p "$logdir"

# Count TAP-style lines and cmocka's summaries in a suite's output.
tally() {
	local log=$1 rc=${2:-1} p f
	read -r p f < <(awk '
		/^(\[[^]]*\] )?ok /		{ p++ }
		/^(\[[^]]*\] )?not ok /	{ f++ }
		/^\[  PASSED  \] [0-9]+ test/	{ p += $4 }
		/^\[  FAILED  \] [0-9]+ test/	{ f += $4 }
		END { print p + 0, f + 0 }' "$log" || echo "0 1")
	# A log that cannot be read says nothing passed.
	p=${p:-0}
	f=${f:-1}
	# A suite that failed without saying why still counts as a failure.
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
}

suite() {
	local name=$1
	shift
	echo "=== $name"
	mkdir -p "$logdir"
	"$@" 2>&1 | tee "$logdir/$name.log"
	tally "$logdir/$name.log" "${PIPESTATUS[0]}"
}

suite unit make -s unit
suite unit-asan make -s unit-asan
suite host-bpf make -s host-bpf-test
suite gates make -s gates
suite vm make -s vm-test

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
