#!/bin/bash
# The eacct CLI against a fixture tree shaped like /sys/kernel/eacct (this
# host has no module; the VM tests run it against the real one): carbon,
# show, budget, status, top, their JSON, and bad input answered with one
# line and a non-zero exit. Prints TAP lines.
set -u
bin=$(realpath "${1:-build/bin/eacct}")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; kill $writer 2>/dev/null' EXIT
writer=
TAP_PREFIX="eacct cli"
. "$(dirname "$0")/tap.sh"
# fails CMD...: exit status 1 or 2, one line on stderr starting "eacct: ".
fails() {
	local rc
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ $rc -ge 1 ] && [ $rc -le 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] &&
		grep -q '^eacct: ' "$tmp/err"
}

S=$tmp/sys
. "$(dirname "$0")/fixture-sysfs.sh"
cgroup() { fixture_cgroup "$@"; }
POD=kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1b2c3d4e_5f60_4718_9a0b_c1d2e3f40516.slice
CTR=cri-containerd-3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a.scope
fixture_tree
echo 5 >"$S/stats/cgroups"
cgroup /kubepods.slice 10 60000000 9000000 6900
cgroup /kubepods.slice/kubepods-burstable.slice 11 60000000 9000000 6900
cgroup "/$POD" 12 60000000 9000000 6900
cgroup "/$POD/$CTR" 13 60000000 9000000 6900
cgroup /system.slice 20 20000000 0 2000
cgroup /system.slice/nginx.service 21 20000000 0 2000
E="$bin --sysfs $S -c /dev/null"

# carbon
out=$($E carbon 1287 MWh --region USA)
echo "$out" | sed 's/^/# /'
check "carbon: 1,287 MWh in the USA is 476 t" grep -q "^CO2e *476 t" <<<"$out"
json=$($E carbon 12kWh --intensity "0.4 kg/kWh" --pue 1.5 --json)
check "carbon --json: energy_j, pue, intensity_g_per_kwh, co2e_g" \
	jqok '.energy_j == 43200000 and .pue == 1.5 and .intensity_g_per_kwh == 400 and .co2e_g == 7200' "$json"
check "carbon: lb/MWh" jqok '.co2e_g > 453.59 and .co2e_g < 453.6' \
	"$($E carbon 1 MWh --intensity "1 lb/MWh" --json)"
check "carbon: kJ, MJ, Wh, GWh" bash -c "$E carbon 3600kJ --intensity 100 --json | jq -e '.co2e_g == 100' >/dev/null &&
	$E carbon 3.6MJ --intensity 100 --json | jq -e '.co2e_g == 100' >/dev/null &&
	$E carbon 1000Wh --intensity 100 --json | jq -e '.co2e_g == 100' >/dev/null &&
	$E carbon 1GWh --intensity 100 --json | jq -e '.co2e_g == 1e8' >/dev/null"
check "carbon: grams shown as mg below a gram" grep -q "^CO2e *333 mg" <<<"$($E carbon 4kJ --intensity 300)"
check "carbon: unknown unit, one-line error" fails $E carbon 12 parsecs
check "carbon: no unit, one-line error" fails $E carbon 12
check "carbon: negative energy, one-line error" fails $E carbon -5kWh --intensity 300
check "carbon: unknown intensity unit" fails $E carbon 5kWh --intensity "3 g/J"
check "carbon: unknown region" fails $E carbon 5kWh --region XYZ
check "carbon: PUE below 1" fails $E carbon 5kWh --intensity 300 --pue 0.8
check "carbon: no intensity anywhere" fails $E carbon 5kWh
check "carbon --help names the data's source" bash -c "$E carbon --help | grep -q 'Our World in Data / Ember (CC BY 4.0), via CodeCarbon (MIT)'"
out=$($E carbon --cgroup /system.slice --region FRA)
check "carbon --cgroup: the cgroup's accounted energy" \
	bash -c "grep -q '^energy *20.0 J' <<<'$out' && grep -q '^accounted *2.00 mg' <<<'$out'"

# show
out=$($E show "/$POD/$CTR")
echo "$out" | sed 's/^/# /'
check "show: Kubernetes labels from a systemd-driver path" \
	grep -q "^labels *kubernetes, pod 1b2c3d4e-5f60-4718-9a0b-c1d2e3f40516 (burstable), container 3f2a1b0c9d8e (containerd)" <<<"$out"
check "show: energy by class" grep -q "^energy *69.0 J (CPU 60.0 J, DRAM 0 J, GPU 9.00 J)" <<<"$out"
check "show by id, --json" jqok '.cgroup == "/system.slice/nginx.service" and .labels.unit == "nginx.service" and .carbon_ug == 2000' \
	"$($E show 21 --json)"
check "show: a path under the cgroup2 mount" bash -c "$E show /sys/fs/cgroup/system.slice >/dev/null 2>&1 || $E show /sys/fs/cgroup/unified/system.slice >/dev/null"
check "show: unknown cgroup, one-line error" fails $E show /nope
check "show: no module, one-line error" fails "$bin" --sysfs "$tmp/none" show /
check "unknown command, one-line error" fails $E frobnicate

# budgets
check "budget set: 5 mg with throttle=25" bash -c "$E budget set /system.slice '5 mg' --action throttle=25 >/dev/null"
check "budget set wrote budget_ug and budget_action" \
	bash -c "[ \$(cat '$S/cgroups/system.slice/budget_ug') = 5000 ] && [ \$(cat '$S/cgroups/system.slice/budget_action') = throttle=25 ]"
check "budget set: energy budget in kWh" bash -c "$E budget set 21 1kWh >/dev/null"
check "budget set wrote energy_budget_uj" bash -c "[ \$(cat '$S/cgroups/system.slice/nginx.service/energy_budget_uj') = 3600000000000 ]"
$E budget set /kubepods.slice "1 g" --from-now >/dev/null
check "budget set --from-now adds what was used" bash -c "[ \$(cat '$S/cgroups/kubepods.slice/budget_ug') = 1006900 ]"
check "budget set: bad action, nothing written" \
	bash -c "! $E budget set /system.slice 9mg --action throttle=0 2>/dev/null && [ \$(cat '$S/cgroups/system.slice/budget_ug') = 5000 ]"
check "budget set: bad amount, one-line error" fails $E budget set /system.slice "9 furlongs"
check "budget set: negative amount" fails $E budget set /system.slice "-9 g"
check "budget set: unknown cgroup" fails $E budget set /nope 5g
ln -s ../cgroups/system.slice "$S/budgets/20"
echo 1 >"$S/cgroups/system.slice/budget_exceeded"
out=$($E budget show)
echo "$out" | sed 's/^/# /'
check "budget show: used, budget, action, EXCEEDED" \
	grep -q "^/system.slice *2.00 mg *5.00 mg *40% throttle=25 *EXCEEDED *eacctd not running" <<<"$out"
check "budget show --json" jqok '.[0].cgroup == "/system.slice" and .[0].budget_ug == 5000 and .[0].budget_exceeded' \
	"$($E budget show --json)"
check "budget clear" bash -c "$E budget clear /system.slice >/dev/null && [ \$(cat '$S/cgroups/system.slice/budget_ug') = 0 ] && [ \$(cat '$S/cgroups/system.slice/budget_action') = notify ]"
check "budget with a bad verb" fails $E budget frobnicate /x

# status: no daemon, then a status file of a live one (this shell)
check "status without eacctd: exit 1" bash -c "! $E status >/dev/null"
cat >"$tmp/conf" <<EOC
status_file = $tmp/status.json
EOC
cat >"$tmp/status.json" <<EOS
{"pid": $$, "started": $(date +%s), "updated": $(date +%s), "interval_ms": 1000, "seq": 42,
 "intensity": {"g_per_kwh": 231.5, "source": "uk-api https://api.carbonintensity.org.uk/intensity", "since": 0,
  "fallback": false, "signal": "average", "error": ""}, "pue": 1.1,
 "domains": [{"domain": "package-0", "meter": "powercap", "source": "/sys/class/powercap/intel-rapl:0", "estimated": false}],
 "gpus": [], "enforced": [{"id": 20, "cgroup": "/system.slice", "action": "throttle=25", "state": "throttled: cpu.max 50000 100000 (was max 100000)"}]}
EOS
out=$("$bin" --sysfs "$S" -c "$tmp/conf" status)
echo "$out" | sed 's/^/# /'
check "status: module, daemon, intensity source" \
	bash -c "grep -q '^module *eacct.ko 0.1.0: batch 42' <<<'$out' && grep -q '^daemon *eacctd running' <<<'$out' &&
		 grep -q '^intensity *231.5 g/kWh (average), from uk-api' <<<'$out'"
check "status --json" jqok '.module.loaded and .daemon_running and .daemon.intensity.g_per_kwh == 231.5' \
	"$("$bin" --sysfs "$S" -c "$tmp/conf" status --json)"
echo 1 >"$S/cgroups/system.slice/budget_exceeded"
echo 5000 >"$S/cgroups/system.slice/budget_ug"
check "budget show: what eacctd did, from its status file" \
	bash -c "'$bin' --sysfs '$S' -c '$tmp/conf' budget show | grep -q 'throttled: cpu.max 50000 100000'"

# top: a writer charges nginx 10 W while top watches
( e=20000000; while :; do e=$((e + 1000000)); for d in "$S/cgroups/system.slice" "$S/cgroups/system.slice/nginx.service"; do
	echo $e >"$d/energy_uj.tmp"; mv "$d/energy_uj.tmp" "$d/energy_uj"; echo $e >"$d/cpu_energy_uj.tmp"; mv "$d/cpu_energy_uj.tmp" "$d/cpu_energy_uj"; done; sleep 0.1; done ) &
writer=$!
out=$($E top -b -n 2 -d 0.5)
echo "$out" | sed 's/^/# /'
check "top: nginx first, about 10 W" \
	bash -c "grep -A1 '^CGROUP' <<<'$out' | tail -1 | awk '{ exit !(\$1 ~ /^\\/system.slice/ && \$5 > 5 && \$5 < 15) }'"
check "top: fits 80 columns" bash -c "! awk 'length > 80' <<<'$out' | grep -q ."
json=$($E top --json -n 1 -d 0.5)
check "top --json: one object per refresh, power per cgroup" \
	jqok '.cgroups | map(select(.cgroup == "/system.slice/nginx.service")) | .[0].power_w > 5' "$json"
check "top: bad delay, one-line error" fails $E top -d 0
kill $writer

# A user that is not root: the node's energy (domains/, the root cgroup)
# is the module's root-only; the cgroups below are readable.
chmod -R a+rX "$S" "$tmp"
chmod 0400 "$S"/domains/package-0/* "$S"/cgroups/*_uj "$S"/cgroups/carbon_ug
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups $E top -b -n 1 -d 0.2 2>&1)
echo "$out" | sed 's/^/# /'
check "top as uid 65534: says the node's power is root's, shows the cgroups below" \
	bash -c "grep -q 'node power: root only' <<<'$out' && grep -q '^/system.slice/nginx.service' <<<'$out' &&
		 ! grep -q '^/ ' <<<'$out'"
tap_done eacct-cli
