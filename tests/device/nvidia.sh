#!/bin/bash
# A prepared check for a machine with a real NVIDIA GPU, run by hand (as
# root, in a container is fine), never in CI: builds eacct's NVML reader,
# runs a short CUDA load, and prints what eacct reads next to nvidia-smi.
# Needs gcc and the NVIDIA driver (libnvidia-ml.so.1, nvidia-smi); nvcc
# for the load (without it, the GPUs are read idle). About a minute.
#
#   tests/device/nvidia.sh [SECONDS]     (default 15)
#   EACCT_NVML_LIBRARY=/path/to/libnvidia-ml.so.1 for another library
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-15}
out=${OUT:-/tmp/eacct-device}
lib=${EACCT_NVML_LIBRARY:-libnvidia-ml.so.1}
mkdir -p "$out"
cd "$top"

echo "# $(date -u +%FT%TZ) $(uname -r)"
gcc -O2 -Wall -Iuserspace -o "$out/nvml-probe" tests/device/nvml_probe.c \
	userspace/lib/nvml.c -ldl || { echo "build failed"; exit 1; }
gcc -O2 -Wall -Iinclude/uapi -Iuserspace -o "$out/eacct" userspace/eacct.c \
	userspace/lib/*.c -ldl || { echo "build of eacct failed"; exit 1; }

echo "## eacct meters"
printf 'nvml_library = %s\n' "$lib" > "$out/eacct.conf"
"$out/eacct" -c "$out/eacct.conf" meters

# A CUDA load: one busy kernel per GPU 0, for about half the window.
load=
if command -v nvcc >/dev/null; then
	cat > "$out/busy.cu" <<'CU'
#include <cstdio>
#include <cstdlib>
__global__ void spin(float *x, long n) {
	float v = threadIdx.x;
	for (long i = 0; i < n; i++) v = v * 1.0000001f + 0.5f;
	x[blockIdx.x * blockDim.x + threadIdx.x] = v;
}
int main(int argc, char **argv) {
	long n = argc > 1 ? atol(argv[1]) : 20000000;
	float *x;
	cudaMalloc(&x, 1024 * 1024 * sizeof(float));
	spin<<<1024, 1024>>>(x, n);
	cudaError_t e = cudaDeviceSynchronize();
	printf("busy: %s\n", cudaGetErrorString(e));
	return e != cudaSuccess;
}
CU
	if nvcc -O2 -o "$out/busy" "$out/busy.cu" 2>"$out/nvcc.log"; then
		load="$out/busy"
	else
		echo "# nvcc failed: $(tail -1 "$out/nvcc.log")"
	fi
else
	echo "# no nvcc: GPUs read without a load"
fi

echo "## eacct's NVML reader, every second"
"$out/nvml-probe" "$secs" "$lib" > "$out/probe.txt" &
probe=$!
nvidia-smi --query-gpu=timestamp,index,name,power.draw,utilization.gpu \
	--format=csv,noheader -l 1 > "$out/smi.txt" 2>&1 &
smi=$!
nvidia-smi pmon -s u -d 1 -c "$secs" > "$out/pmon.txt" 2>&1 &
pmon=$!
sleep 2
if [ -n "$load" ]; then
	"$load" &
	echo "# CUDA load pid $!"
fi
wait $probe
kill $smi 2>/dev/null
wait $pmon 2>/dev/null
cat "$out/probe.txt"
echo "## nvidia-smi (power.draw, utilization.gpu)"
cat "$out/smi.txt"
echo "## nvidia-smi pmon (per-process sm %)"
cat "$out/pmon.txt"
wait
