# Helpers of the benchmark scenarios (busybox sh, inside the guest).
# bench/run.sh puts the settings (ROUNDS, SECS, ...), this file and one
# scenario body together into one scenario file for tests/vm/run.sh.
# Results go to the console as lines "BENCH <name> key=value ..." that
# bench/report.sh reads back from the serial log.
. /exeflow/lib.sh

bench() {
	echo "BENCH $*"
}

now_ns() {
	efbench now
}

# Two namespaces (lib.sh's netns_pair); 198.18.0.0/15 (RFC 2544's
# benchmarking range) is routed from a to b, where forwarding is off: a
# datagram to it is one flow at a's LOCAL_OUT, then dropped by b without
# an ICMP error. flowfill uses it to make any number of flows.
bench_netns() {
	netns_pair
	ip netns exec a ip route add 198.18.0.0/15 via 10.0.0.2 ||
		fail "route to the benchmark range"
	# b drops what it gets for 2001:2::/48 without an ICMP error
	ip netns exec a ip -6 route add 2001:2::/48 via fd00::2 ||
		fail "route to the IPv6 benchmark range"
	ip netns exec b ip -6 route add blackhole 2001:2::/48 ||
		fail "blackhole for the IPv6 benchmark range"
	# Many short connections: never run out of ports.
	ip netns exec a sysctl -qw net.ipv4.ip_local_port_range="10000 65000"
	sysctl -qw kernel.kptr_restrict=0 kernel.perf_event_paranoid=-1
}

# The state of the kernel under test:
#   off  no exeflow module
#   mod  exeflow.ko loaded (MODARGS), no daemon: records queue in the module
#   on   exeflow.ko + exeflowd writing nfcapd files to tmpfs: as deployed
STATE=off
DAEMON_PID=

daemon_up() {
	rm -rf /tmp/bench-out
	start_daemon /tmp/bench-out -t 60
	# exeflowd on the housekeeping CPU, as on a server with a spare core
	taskset -a -p -c "${HK:-0}" "$DAEMON_PID" >/dev/null
}

# proc_stat PID: sets PS_STATE and PS_CPU (user + system seconds, 2
# decimals) from /proc/PID/stat with shell builtins only (no process is
# started: this runs while the end-to-end figure is being timed). Returns
# non-zero once the process is gone.
proc_stat() {
	{ read -r _ps <"/proc/$1/stat"; } 2>/dev/null || return 1
	# shellcheck disable=SC2086
	set -- ${_ps##*) }
	PS_STATE=$1
	_t=$(( ${12} + ${13} ))
	_c=$((_t % 100))
	[ "$_c" -lt 10 ] && _c=0$_c
	PS_CPU=$((_t / 100)).$_c
}

daemon_down() {
	[ -n "$DAEMON_PID" ] || return 0
	kill -TERM "$DAEMON_PID"
	wait "$DAEMON_PID" || { cat /tmp/exeflowd.log; fail "exeflowd exited with an error"; }
	DAEMON_PID=
	: >/tmp/exeflowd.log
	rm -rf /tmp/bench-out
}

set_state() {
	[ "$1" = "$STATE" ] && return 0
	case $STATE in
	on) daemon_down ;;
	esac
	case $1 in
	off)
		[ -d /sys/module/exeflow ] && { rmmod exeflow || fail "rmmod"; }
		;;
	mod | on)
		[ -d /sys/module/exeflow ] || load_exeflow $MODARGS
		if [ "$1" = on ]; then
			daemon_up
			# what "mod" left queued reaches the daemon first
			wait_for 60 backlog_empty
		fi
		;;
	esac
	STATE=$1
}

backlog_empty() {
	[ "$(counter backlog)" = 0 ]
}

# Let the previous measurement's leftovers (closing flows, exports) pass.
settle() {
	sleep "${SETTLE:-2}"
	if [ "$STATE" = on ]; then
		wait_for 30 backlog_empty
	fi
}

# Slab memory (booted with slab_nomerge): one reading of /proc/slabinfo,
# a line per cache (name, bytes = slabs * pages per slab * 4096, active
# objects, object size), from which the total and single caches are read,
# so that every figure of one moment comes from the same reading.
slab_snap() { # slab_snap FILE
	awk 'NR > 2 { print $1, $15 * $6 * 4096, $2, $4 }' /proc/slabinfo >"$1"
}

snap_total() { # snap_total FILE -> bytes in all caches
	awk '{ t += $2 } END { printf "%d\n", t }' "$1"
}

snap_cache() { # snap_cache FILE NAME -> "bytes active_objs objsize"
	awk -v n="$2" '$1 == n { print $2, $3, $4; f = 1 }
		END { if (!f) print "0 0 0" }' "$1"
}

meminfo_kb() { # meminfo_kb FIELD
	awk -v f="$1:" '$1 == f { print $2 }' /proc/meminfo
}
