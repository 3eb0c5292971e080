#!/bin/bash
# make bench: run the in-guest benchmarks on each Debian kernel installed
# and write bench-results.json. Top-level keys are the first kernel's
# (6.1, Debian 12's default); "by_kernel" holds every kernel's figures.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
make -s vm-binaries
tests/vm/run.sh --mode bench "$@"

json_obj() {	# "BENCH key value" lines -> "key": value, ...
	awk '{ printf "%s\"%s\": %s", (NR > 1 ? ", " : ""), $2, $3 }' "$1"
}

files=(build/vm/bench-*.txt)
first=$(ls "${files[@]}" | sort -V | head -1)
{
	echo "{"
	echo "  \"note\": \"eacct.ko in QEMU TCG (no KVM) on a 2-core build machine: absolute times are emulated, compare ratios\","
	echo "  \"kernel\": \"$(basename "$first" .txt | sed 's/^bench-//')\","
	echo "  $(json_obj "$first"),"
	echo "  \"by_kernel\": {"
	n=0
	for f in $(ls "${files[@]}" | sort -V); do
		[ $n -gt 0 ] && echo ","
		printf '    "%s": {%s}' "$(basename "$f" .txt | sed 's/^bench-//')" "$(json_obj "$f")"
		n=$((n + 1))
	done
	echo
	echo "  }"
	echo "}"
} >bench-results.json
cat bench-results.json
