# Helpers for scenarios; sourced inside the guest (busybox sh).

# Debian's static busybox runs its own applets before searching PATH; the
# scenarios need iproute2's ip (netns, veth).
ip() {
	/sbin/ip "$@"
}

fail() {
	echo "FAIL: $*"
	exit 1
}

pass() {
	echo "PASS: $*"
}

# wait_for SECONDS CMD...: polls CMD every 0.1 s; fails after SECONDS.
wait_for() {
	_limit=$(( $1 * 10 ))
	shift
	_i=0
	while ! "$@" >/dev/null 2>&1; do
		_i=$((_i + 1))
		[ "$_i" -ge "$_limit" ] && fail "timed out waiting for: $*"
		sleep 0.1
	done
}

load_exeflow() {
	insmod /exeflow/exeflow.ko "$@" || fail "insmod exeflow.ko $*"
	[ -d /sys/module/exeflow/parameters ] || fail "no sysfs parameters"
}

param() {
	cat "/sys/module/exeflow/parameters/$1"
}

# Two network namespaces, "a" (10.0.0.1, fd00::1) and "b" (10.0.0.2,
# fd00::2), joined by a veth pair: traffic that crosses a real device.
netns_pair() {
	ip netns add a || fail "ip netns add a"
	ip netns add b || fail "ip netns add b"
	ip link add va netns a type veth peer name vb netns b ||
		fail "veth pair"
	ip -n a addr add 10.0.0.1/24 dev va
	ip -n b addr add 10.0.0.2/24 dev vb
	ip -n a addr add fd00::1/64 dev va nodad
	ip -n b addr add fd00::2/64 dev vb nodad
	for n in a b; do
		ip -n "$n" link set lo up
	done
	ip -n a link set va up
	ip -n b link set vb up
	wait_for 20 ip netns exec a ping -c 1 -W 1 10.0.0.2
}

netns_cleanup() {
	ip netns del a 2>/dev/null
	ip netns del b 2>/dev/null
	true
}
