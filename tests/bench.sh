#!/bin/bash
# make bench: the host benchmarks (BPF on the running kernel) and the
# in-guest ones on each Debian kernel installed; writes bench-results.json.
# Top-level keys: the host's and the first kernel's (6.1, Debian 12's
# default); "by_kernel" holds every kernel's figures.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
make -s all vm-binaries build/bin/sched-bench build/bin/ioctl-bench build/bin/gpu-reader-bench \
	build/bin/eacctd-bench build/tests/libnvidia-ml.so.1
{
	build/bin/sched-bench
	build/bin/sched-bench --two-packages
	build/bin/sched-bench --two-packages --migrating
	build/bin/ioctl-bench
	build/bin/gpu-reader-bench "$top/build/tests/libnvidia-ml.so.1"
	timeout 600 build/bin/eacctd-bench build/bin/eacctd
	tests/host/cli_bench.sh build/bin
} >build/bench-host.txt
cat build/bench-host.txt
tests/vm/run.sh --mode bench "$@"

json_obj() {	# "BENCH key value" lines -> "key": value, ...
	awk '$1 == "BENCH" { printf "%s\"%s\": %s", (n++ ? ", " : ""), $2, $3 }' "$1"
}

files=(build/vm/bench-*.txt)
first=$(ls "${files[@]}" | sort -V | head -1)
{
	echo "{"
	echo "  \"note\": \"bpf_* and eacctd_*: on the running kernel of a 2-core build machine (eacctd writing batches to a file: no module there); exporter_* and cli_*: there too, reading a fixture tree of /sys/kernel/eacct's shape in tmpfs; the rest: eacct.ko in QEMU TCG (no KVM), absolute times emulated, compare ratios\","
	echo "  \"kernel\": \"$(basename "$first" .txt | sed 's/^bench-//')\","
	echo "  \"host_kernel\": \"$(uname -r)\","
	echo "  $(json_obj build/bench-host.txt),"
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
