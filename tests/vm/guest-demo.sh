#!/bin/sh
# make demo, inside the guest: load eacct.ko, make a few cgroups, ingest a
# batch through eacct-write and show what /sys/kernel/eacct then says.
set -e
insmod /eacct.ko
cg=/sys/fs/cgroup
mkdir -p $cg/system.slice/nginx.service $cg/kubepods.slice/pod-a/train $cg/kubepods.slice/pod-a/serve
sleep 1000 &
echo $! > $cg/kubepods.slice/pod-a/train/cgroup.procs
echo "# one interval's records, as eacctd would send them:"
cat > /tmp/batch.txt <<EOR
cgroup  /system.slice/nginx.service       package-0  1200000  105
cgroup  /system.slice/nginx.service       dram-0      150000   13
cgroup  /kubepods.slice/pod-a/train       package-0  5400000  473
cgroup  /kubepods.slice/pod-a/train       gpu-0     48000000 4200
cgroup  /kubepods.slice/pod-a/serve       package-0   800000   70
process $! /kubepods.slice/pod-a/train    gpu-0     48000000 4200 python3
EOR
sed 's/^/#   /' /tmp/batch.txt
/eacct-write /tmp/batch.txt
echo
echo "# /sys/kernel/eacct after one batch:"
cd /sys/kernel/eacct
for f in version seq domains/*/energy_uj; do
	printf '%-40s %s\n' "$f" "$(cat $f)"
done
find cgroups -name energy_uj | sort | while read -r f; do
	d=${f%/energy_uj}
	printf '%-40s energy_uj=%-9s cpu=%-8s dram=%-7s gpu=%-9s carbon_ug=%s\n' \
		"$d" "$(cat $f)" "$(cat $d/cpu_energy_uj)" "$(cat $d/dram_energy_uj)" \
		"$(cat $d/gpu_energy_uj)" "$(cat $d/carbon_ug)"
done
echo
echo "# /proc/eacct/processes:"
cat /proc/eacct/processes
echo
echo "# a carbon budget on pod-a, crossed by the next batch:"
echo 5000 > cgroups/kubepods.slice/pod-a/budget_ug
echo "cgroup /kubepods.slice/pod-a/serve package-0 900000 800" | /eacct-write
echo "kubepods.slice/pod-a carbon_ug=$(cat cgroups/kubepods.slice/pod-a/carbon_ug) budget_ug=$(cat cgroups/kubepods.slice/pod-a/budget_ug) budget_exceeded=$(cat cgroups/kubepods.slice/pod-a/budget_exceeded)"
