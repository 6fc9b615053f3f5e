#!/bin/sh
# The guest's /init: runs each scenario of /exeflow/run-list under a time
# limit, unloads the module after each, and brackets everything with
# markers that tests/vm/run.sh reads from the serial console.
export PATH=/exeflow/bin:/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mkdir -p /sys/fs/cgroup /run/netns
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
hostname exeflow-guest
ip link set lo up
for m in /exeflow/modules/*.ko; do
	[ -e "$m" ] && insmod "$m"
done

# Hooks: /exeflow/hooks.sh (mkinitrd.sh VM_GUEST_HOOKS) may redefine these.
exeflow_hook_boot() { :; }
exeflow_hook_before_unload() { :; }
exeflow_hook_after_scenario() { :; }
[ -r /exeflow/hooks.sh ] && . /exeflow/hooks.sh

limit=$(sed -n 's/.*exeflow.timeout=\([0-9]*\).*/\1/p' /proc/cmdline)
echo "EXEFLOW-BOOTED $(uname -r)"
exeflow_hook_boot
while read -r s; do
	echo "EXEFLOW-BEGIN $s"
	: >/tmp/exeflowd.log
	# In a session of its own: what a scenario leaves running (the
	# background traffic of one that failed half-way) dies with it
	# instead of disturbing the next ones.
	(cd /tmp && exec setsid timeout "${limit:-300}" sh "/exeflow/scenarios/$s") &
	spid=$!
	wait "$spid"
	rc=$?
	kill -KILL -- "-$spid" 2>/dev/null
	# Leave nothing behind for the next scenario.
	/sbin/ip -all netns delete 2>/dev/null
	# Scenarios may leave the module loaded; unloading must always work.
	if [ -d /sys/module/exeflow ]; then
		killall exeflowd 2>/dev/null
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			pidof exeflowd >/dev/null || break
			sleep 1
		done
		exeflow_hook_before_unload "$s"
		rmmod exeflow || echo "EXEFLOW-UNLOAD-FAILED $s"
	fi
	[ -d /sys/module/exeflow ] && echo "EXEFLOW-UNLOAD-FAILED $s"
	exeflow_hook_after_scenario "$s"
	echo "EXEFLOW-END $s rc=$rc"
done </exeflow/run-list
echo "EXEFLOW-DMESG-BEGIN"
dmesg
echo "EXEFLOW-DMESG-END"
echo "EXEFLOW-DONE"
# Without ACPI (the debug kernel) poweroff only halts; reboot -f ends QEMU
# too, as run.sh passes -no-reboot.
[ -d /sys/firmware/acpi ] && poweroff -f
reboot -f
