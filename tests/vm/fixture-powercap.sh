#!/bin/sh
# Sourced by the guest scripts: a powercap tree shaped like
# /sys/class/powercap under $F (this VM has no RAPL), its counters wrapping
# at $RANGE (set by the caller), and an eacctd.conf pointing eacctd at it.
F=/fixture/powercap

zone() {	# zone DIR NAME START_UJ
	mkdir -p $F/$1
	echo "$2" > $F/$1/name
	echo $RANGE > $F/$1/max_energy_range_uj
	echo "$3" > $F/$1/energy_uj
	# As on a real package: the most it may draw, so a wrap takes 20 s at worst.
	echo $((RANGE / 20)) > $F/$1/constraint_0_max_power_uw
}

# Advance a counter by STEP uJ, wrapping as RAPL does; replaced with a
# rename so that eacctd never reads a half-written file.
advance() {	# advance DIR STEP_UJ
	v=$(( $(cat $F/$1/energy_uj) + $2 ))
	[ $v -ge $RANGE ] && v=$(( v - RANGE ))
	echo $v > $F/$1/.tmp && mv $F/$1/.tmp $F/$1/energy_uj
}

# eacctd.conf: the "key = value" lines on stdin, then the fixture's roots.
eacctd_conf() {
	mkdir -p /etc/eacct
	{
		cat
		echo "powercap_root = $F"
		echo "perf_pmu_root = /nonexistent"
		echo "msr_root = /nonexistent"
		echo "hwmon_root = /nonexistent"
		echo "state_file = /tmp/eacctd.state"
	} > /etc/eacct/eacctd.conf
}
