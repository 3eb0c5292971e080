#!/bin/bash
# Sourced by the shell host tests: TAP lines and a closing count.
# TAP_PREFIX names the test ("eacct cli").
pass=0 fail=0
check() {
	local desc=$1
	shift
	if "$@"; then echo "ok - $TAP_PREFIX: $desc"; pass=$((pass + 1));
	else echo "not ok - $TAP_PREFIX: $desc"; fail=$((fail + 1)); fi
}
# jqok FILTER JSON: the filter holds on the document.
jqok() { jq -e "$1" >/dev/null <<<"$2"; }
# "SUITE: N passed, N failed", and the exit status.
tap_done() {
	echo "$1: $pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}
