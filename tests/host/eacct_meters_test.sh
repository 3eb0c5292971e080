#!/bin/bash
# eacct meters against a fixture powercap tree (the same reader eacctd
# uses) and against this machine, which has no meter: prints TAP lines.
set -u
bin=${1:-build/bin/eacct}
nvml=${2:-build/tests/libnvidia-ml.so.1}	# the NVML test library
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
TAP_PREFIX="eacct meters"
. "$(dirname "$0")/tap.sh"


mkdir -p "$tmp/pc/intel-rapl:0" "$tmp/pc/intel-rapl:0:0" "$tmp/cpu/cpu0/topology"
echo package-0 > "$tmp/pc/intel-rapl:0/name"
echo 262143328850 > "$tmp/pc/intel-rapl:0/max_energy_range_uj"
echo 1000 > "$tmp/pc/intel-rapl:0/energy_uj"
echo dram > "$tmp/pc/intel-rapl:0:0/name"
echo 5 > "$tmp/pc/intel-rapl:0:0/energy_uj"	# no range: unusable
echo 0 > "$tmp/cpu/cpu0/topology/physical_package_id"
# GPUs: an xe-style energy counter on card0, no meter on card1 (vgem).
mkdir -p "$tmp/dev/pci/hwmon/hwmon2" "$tmp/dev/drivers/xe" "$tmp/dev/vgem" \
	"$tmp/drm/card0" "$tmp/drm/renderD128" "$tmp/drm/card1"
echo 5000 > "$tmp/dev/pci/hwmon/hwmon2/energy1_input"
ln -s "$tmp/dev/drivers/xe" "$tmp/dev/pci/driver"
echo 226:0 > "$tmp/drm/card0/dev"; ln -s "$tmp/dev/pci" "$tmp/drm/card0/device"
echo 226:128 > "$tmp/drm/renderD128/dev"; ln -s "$tmp/dev/pci" "$tmp/drm/renderD128/device"
echo 226:1 > "$tmp/drm/card1/dev"; ln -s "$tmp/dev/vgem" "$tmp/drm/card1/device"
cat > "$tmp/conf" <<EOC
powercap_root = $tmp/pc
perf_pmu_root = /nonexistent
msr_root = /nonexistent
hwmon_root = /nonexistent
cpu_root = $tmp/cpu
drm_root = $tmp/drm
EOC
out=$("$bin" -c "$tmp/conf" meters)
echo "$out" | sed 's/^/# /'
check "package-0 metered by powercap, in use" grep -q "^package-0 *powercap *in use" <<<"$out"
check "dram without max_energy_range_uj reported unusable with the reason" \
	grep -q "^dram-0 *powercap *unusable .*no max_energy_range_uj" <<<"$out"
json=$("$bin" -c "$tmp/conf" --json meters)
check "JSON output" jqok '.meters[] | select(.domain == "package-0" and .meter == "powercap" and .status == "in use")' "$json"
check "gpu-0 (xe) metered by its hwmon energy counter" \
	grep -q "^gpu-0 *hwmon *in use .*energy1_input (xe)" <<<"$out"
check "gpu-1 (no hwmon) listed as not metered" grep -q "^gpu-1 *- *none .*no energy meter" <<<"$out"
check "JSON lists the GPUs" jqok '.gpus[0] | select(.domain == "gpu-0" and .driver == "xe")' "$json"

# An NVIDIA GPU through NVML (the test library): its own gpu-2.
printf 'gpu 0 name=H200 bus=00000000:3B:00.0 minor=0 energy=10\n' > "$tmp/nvml"
echo "nvml_library = $(realpath "$nvml")" >> "$tmp/conf"
out=$(EACCT_FAKE_NVML="$tmp/nvml" "$bin" -c "$tmp/conf" meters)
echo "$out" | sed 's/^/# /'
check "an NVML GPU is listed with its energy counter" \
	grep -q "^gpu-2 *nvml *in use *energy counter (nvidia, H200)" <<<"$out"
printf 'gpu 0 name=P100 bus=00000000:3B:00.0 minor=0 energy=rc:3 power=250000\n' > "$tmp/nvml"
out=$(EACCT_FAKE_NVML="$tmp/nvml" "$bin" -c "$tmp/conf" meters)
check "one without an energy counter: power integrated, said so" \
	grep -q "^gpu-2 *nvml *INTEGRATED" <<<"$out"

out=$("$bin" -c /dev/null meters)	# this machine: no RAPL, no hwmon
echo "$out" | sed 's/^/# /'
check "no meter on this machine: package-0 ESTIMATED from the model" \
	grep -q "^package-0 *model *ESTIMATED" <<<"$out"
printf 'colour = blue\n' > "$tmp/bad"
check "corrupt config: one-line error, exit 1" \
	bash -c "! '$bin' -c '$tmp/bad' meters 2>'$tmp/err' && grep -q \"line 1: unknown key 'colour'\" '$tmp/err'"
tap_done eacct-meters
