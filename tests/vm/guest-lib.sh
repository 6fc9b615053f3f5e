# Helpers for scenarios; sourced inside the guest (busybox sh).

# Debian's static busybox runs its own applets before searching PATH; the
# scenarios need iproute2's ip (netns, veth).
ip() {
	/sbin/ip "$@"
}

fail() {
	echo "FAIL: $*"
	if [ -d /sys/module/exeflow ]; then
		echo "--- module state at failure"
		exeflowctl status
	fi
	[ -s /tmp/exeflowd.log ] && { echo "--- exeflowd log"; cat /tmp/exeflowd.log; }
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

# start_daemon DIR [ARGS...]: runs exeflowd in the background, logging to
# /tmp/exeflowd.log, and waits until it is the module's listener.
start_daemon() {
	_dir=$1
	shift
	mkdir -p "$_dir"
	exeflowd -w "$_dir" "$@" >>/tmp/exeflowd.log 2>&1 &
	DAEMON_PID=$!
	wait_for 60 daemon_registered
}

daemon_registered() {
	exeflowctl status 2>/dev/null | grep -q '^listener: *portid [0-9]'
}

# stop_daemon: SIGTERM, then the daemon must finish its file and exit 0.
stop_daemon() {
	kill -TERM "$DAEMON_PID"
	wait "$DAEMON_PID"
	_rc=$?
	echo "--- exeflowd log"
	cat /tmp/exeflowd.log
	[ "$_rc" = 0 ] || fail "exeflowd exited with $_rc"
}

# Flows as nfdump prints them, one line each, fields separated by '|'.
FLOW_FMT='fmt:|%pr|%sa|%sp|%da|%dp|%dir|%pkt|%byt|%opkt|%obyt|%uname|%nbnam|%lbl|'
flows() {
	nfdump -q -R "$1" -o "$FLOW_FMT" | tr -s ' ' | sed 's/| /|/g; s/ |/|/g'
}

# expect_flow FILE DESCRIPTION PATTERN...: some line of FILE matches every
# PATTERN (grep -E); prints it.
expect_flow() {
	_f=$1 _d=$2
	shift 2
	cp "$_f" /tmp/match
	for _p in "$@"; do
		grep -E -- "$_p" /tmp/match >/tmp/match.next
		mv /tmp/match.next /tmp/match
	done
	[ -s /tmp/match ] || fail "no flow for $_d (patterns: $*)"
	echo "ok: $_d: $(head -n 1 /tmp/match)"
}

# start_server NAME NETNS MODE ADDR PORT COUNT [PROG]: a nettest server in
# NETNS; waits for it to listen and sets SERVER_PID.
start_server() {
	_name=$1 _ns=$2 _mode=$3 _addr=$4 _port=$5 _count=$6
	_prog=${7:-nettest}
	rm -f "/tmp/$_name.ready"
	ip netns exec "$_ns" "$_prog" "$_mode" "$_addr" "$_port" "$_count" \
		"/tmp/$_name.ready" >"/tmp/$_name.out" 2>&1 &
	wait_for 30 test -e "/tmp/$_name.ready"
	SERVER_PID=$(sed -n 's/^nettest pid=//p' "/tmp/$_name.out")
	[ -n "$SERVER_PID" ] || fail "$_name: no pid"
}

# client NAME NETNS ARGS...: runs a nettest client to completion, sets
# CLIENT_PID.
client() {
	_name=$1 _ns=$2
	shift 2
	ip netns exec "$_ns" "$@" >"/tmp/$_name.out" 2>&1 ||
		fail "$_name failed: $(cat "/tmp/$_name.out")"
	CLIENT_PID=$(sed -n 's/^nettest pid=//p' "/tmp/$_name.out")
}

# counter NAME: a module counter from exeflowctl status.
counter() {
	exeflowctl status | awk -v n="$1" '$1 == n { print $2; exit }'
}

counter_above() { # counter_above NAME VALUE
	[ "$(counter "$1")" -gt "$2" ]
}

# count_flows DIR PATTERN: flows nfdump prints from DIR matching PATTERN.
count_flows() {
	flows "$1" | grep -cE -- "$2"
}

flows_at_least() { # flows_at_least DIR PATTERN N
	[ "$(count_flows "$1" "$2")" -ge "$3" ]
}

# efstat NAME: a module counter from efclient stats (exact, cheaper than
# exeflowctl status; "" when the module is not loaded).
efstat() {
	efclient stats 2>/dev/null | sed -n "s/^STAT $1=//p"
}

efstat_above() { # efstat_above NAME VALUE
	_v=$(efstat "$1")
	[ -n "$_v" ] && [ "$_v" -gt "$2" ]
}

# pid_gone PID: the process has exited (gone, or a zombie not yet waited for).
# live_flows PATTERN: the module's table (GET_FLOWS) holds a flow matching it
live_flows() {
	efclient dump | grep '^LIVE' | grep -q -e "$1"
}

no_live_flows() {
	! live_flows "$1"
}

pid_gone() {
	[ ! -r "/proc/$1/stat" ] || [ "$(cut -d')' -f2 "/proc/$1/stat" | cut -d' ' -f2)" = Z ]
}

# start_churn_traffic [PAR [PER [PAUSE_MS]]]: keeps short TCP connections
# and UDP exchanges, IPv4 and IPv6, going from netns a to netns b
# (netns_pair): tests/vm/tools/churn.c, PAR client processes at a time,
# each making PER exchanges (PAUSE_MS apart) before the next one starts,
# until stop_churn_traffic.
start_churn_traffic() {
	rm -f /tmp/stop-churn /tmp/churn-traffic-srv.ready
	ip netns exec b churn serve 10.0.0.2 fd00::2 7000 4 2 \
		/tmp/churn-traffic-srv.ready >/tmp/churn-traffic-srv.out 2>&1 &
	CHURN_SRV=$!
	wait_for 30 test -e /tmp/churn-traffic-srv.ready
	ip netns exec a churn client 10.0.0.2 fd00::2 7000 4 1 "${1:-3}" \
		"${2:-20}" /tmp/stop-churn "${3:-0}" >/tmp/churn-traffic-cli.out 2>&1 &
	CHURN_CLI=$!
}

# stop_churn_traffic: every exchange must have succeeded (the module never
# disturbs traffic); prints what the traffic did.
stop_churn_traffic() {
	touch /tmp/stop-churn
	wait "$CHURN_CLI" || fail "churn traffic failed: $(cat /tmp/churn-traffic-cli.out)"
	kill -TERM "$(sed -n 's/^churn serve pid=//p' /tmp/churn-traffic-srv.out)"
	wait "$CHURN_SRV" || fail "churn server failed: $(cat /tmp/churn-traffic-srv.out)"
	echo "traffic: $(grep '^churn done' /tmp/churn-traffic-cli.out)"
}
