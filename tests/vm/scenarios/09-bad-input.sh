# Bad input on the netlink interface: tools/nlfuzz.c sends 20 000 random
# messages per run (commands, flags, attributes, lengths, nesting, framing)
# with exeflowd attached and traffic flowing:
#   1. as an unprivileged user: every operation must be refused with EPERM,
#      nothing may come back; the daemon keeps its registration;
#   2. as root without REGISTER (which would, by design, take the records
#      away from exeflowd): the module keeps answering, exeflowd keeps its
#      registration and keeps receiving;
#   3. as root with every command, REGISTER included, the daemon stopped;
# plus a control: the unprivileged checks run as root must fail. Then the
# module still attributes a connection, and unloads (run.sh fails the run
# on any WARNING, BUG or Oops in the kernel log).
. /exeflow/lib.sh

N=20000
# KASAN and kmemleak make every message ~4x slower under TCG: on the debug
# kernel (make check-debug) fewer messages keep the run inside its limit.
[ -e /sys/kernel/debug/kmemleak ] && N=5000
load_exeflow
start_daemon /tmp/flows -t 60
netns_pair

# Traffic for the whole run: a TCP server answering a client loop, and UDP.
start_server churn b tcp-serve 10.0.0.2 7000 1000000
CHURN_SERVER=$SERVER_PID
rm -f /tmp/stop-traffic
(
	while [ ! -e /tmp/stop-traffic ]; do
		ip netns exec a nettest tcp-connect 10.0.0.2 7000 >/dev/null 2>&1
		ip netns exec a nettest udp-spray 10.0.0.2 7001 3 >/dev/null 2>&1
	done
) &
TRAFFIC_PID=$!
wait_for 60 counter_above records_exported 0

# the listener's portid (the rest of the line, the holder's pid and queue
# from /proc/net/netlink, is a hint that a busy system may miss)
listener() {
	exeflowctl status | sed -n 's/^listener: *\(portid [0-9]*\).*/\1/p'
}
LISTENER=$(listener)
[ -n "$LISTENER" ] || fail "exeflowd is not the listener: $(exeflowctl status | grep '^listener:')"
echo "daemon: $LISTENER"

# run_fuzz NAME ARGS...: nlfuzz must exit 0; its report goes to the log.
run_fuzz() {
	_n=$1
	shift
	"$@" >"/tmp/$_n.out" 2>&1
	_rc=$?
	cat "/tmp/$_n.out"
	[ "$_rc" = 0 ] || fail "$_n: nlfuzz exited with $_rc"
	grep -q "^nlfuzz: result: $N messages, 0 violations" "/tmp/$_n.out" ||
		fail "$_n: no clean result line"
}

# 1. Unprivileged: EPERM for every operation, and there must be many.
run_fuzz unpriv runas 65534 65534 nlfuzz -u -n $N -s 1
ops=$(sed -n 's/^nlfuzz: operations \([0-9]*\), answered EPERM \([0-9]*\)$/\1 \2/p' /tmp/unpriv.out)
set -- $ops
[ "${1:-0}" -ge 1000 ] || fail "unprivileged run made only ${1:-0} operations"
[ "$1" = "$2" ] || fail "unprivileged: $1 operations, $2 EPERM"
kill -0 "$DAEMON_PID" || fail "exeflowd died during the unprivileged run"
[ "$(listener)" = "$LISTENER" ] || fail "listener changed: $(listener)"
before=$(counter records_exported)

# 2. Root, daemon attached, no REGISTER.
run_fuzz root-attached nlfuzz -n $N -s 2 -x 1
kill -0 "$DAEMON_PID" || fail "exeflowd died during the root run"
[ "$(listener)" = "$LISTENER" ] || fail "listener changed: $(listener)"
# The daemon still gets records (the fuzzer's FLUSHes end flows, too).
wait_for 60 counter_above records_exported "$before"

# Control: the unprivileged oracle must catch a privileged caller.
nlfuzz -u -n 300 -s 4 -x 1 >/tmp/control.out 2>&1 &&
	fail "control: nlfuzz -u as root found nothing to complain about"
grep -q 'VIOLATION' /tmp/control.out || fail "control: no violation reported"
echo "control: nlfuzz -u as root: $(tail -n 1 /tmp/control.out)"

# 3. Root, every command (the fuzzer registers itself), no daemon.
stop_daemon
run_fuzz root-all nlfuzz -n $N -s 3
grep -Eq 'register [1-9]' /tmp/root-all.out || fail "root-all: no REGISTER got through"

# The module still works: a fresh daemon attributes a new connection.
touch /tmp/stop-traffic
wait "$TRAFFIC_PID"
kill "$CHURN_SERVER" 2>/dev/null
: >/tmp/exeflowd.log
start_daemon /tmp/flows2 -t 60
start_server after b tcp-serve 10.0.0.2 5100 1
S_AFTER=$SERVER_PID
client afterc a nettest tcp-connect 10.0.0.2 5100
C_AFTER=$CLIENT_PID
stop_daemon
wait
MD5=$(md5sum /exeflow/bin/nettest | cut -d' ' -f1)
flows /tmp/flows2 >/tmp/flows2.txt
expect_flow /tmp/flows2.txt "client after the fuzzing" \
	"\|TCP\|10\.0\.0\.1\|[0-9]+\|10\.0\.0\.2\|5100\|E\|" "pid=$C_AFTER " \
	"comm=nettest exe=/exeflow/bin/nettest md5=$MD5" "how=task"
expect_flow /tmp/flows2.txt "server after the fuzzing" \
	"\|TCP\|10\.0\.0\.1\|[0-9]+\|10\.0\.0\.2\|5100\|I\|" "pid=$S_AFTER "
exeflowctl status
netns_cleanup
rmmod exeflow || fail "rmmod after fuzzing"
[ -d /sys/module/exeflow ] && fail "module still loaded"
pass "netlink fuzzing: 3 x $N messages, unprivileged always EPERM; module works and unloads"
