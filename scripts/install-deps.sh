#!/bin/bash
# Install the Debian 12 packages eacct needs to build, test and demo,
# only those missing. Needs root (or sudo) when something is missing.
set -euo pipefail

pkgs=(
	build-essential make gcc clang llvm libbpf-dev bpftool libelf-dev
	zlib1g-dev libcmocka-dev pkg-config libjson-c-dev libcurl4-openssl-dev libmicrohttpd-dev
	jq curl iproute2 prometheus python3
	linux-headers-amd64 linux-image-amd64
	linux-headers-6.12-amd64 linux-image-6.12-amd64
	qemu-system-x86 busybox-static cpio gzip kmod
	sparse linux-source-6.1
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
