# 50 loads and unloads of the module while short TCP connections and UDP
# exchanges (IPv4 and IPv6, new processes all the time) keep coming, in 10
# rounds of 5:
#   1. no listener, loopback tracked, with live flows; in odd rounds a
#      network namespace created and destroyed (with traffic) while loaded;
#   2. no listener, accept probe off, flows expiring every few ms and ended
#      records queued for nobody;
#   3. exeflowd attached and receiving: it must finish its file and exit
#      with an error when the module goes;
#   4.+5. exeflowd attached, the module unloaded and loaded again at once:
#      the daemon either registers again (and then sees the next unload)
#      or exits as in 3 -- which one depends on when it looks, both are
#      checked.
# The traffic never fails, every file the daemons left reads in nfdump,
# and nothing is left half-written.
. /exeflow/lib.sh
T0=$(date +%s)

ROUNDS=10
netns_pair
# Paced (~80 exchanges/s, 2 processes at a time): with both vCPUs busy in
# the network stack, QEMU 7.2's multi-threaded TCG was seen to leave a vCPU
# trapping for ever on an int3 that text patching had already removed
# (the nf_hook jump label in ip_local_deliver, flipped by each load and
# unload: soft lockup); with -accel tcg,thread=single it never happened.
start_churn_traffic 2 20 20

cycles=0 rereg=0 exited=0
unload() { # unload WHAT
	rmmod exeflow || fail "rmmod $1, round $i"
	cycles=$((cycles + 1))
}
# daemon_gone DIR: the daemon exited as it must when the module goes: with
# an error (not a signal), its file finished.
daemon_gone() {
	wait_for 60 pid_gone "$DAEMON_PID"
	wait "$DAEMON_PID"
	_rc=$?
	[ "$_rc" != 0 ] && [ "$_rc" -lt 128 ] ||
		fail "round $i: exeflowd exited with $_rc after rmmod (expected an error exit)"
	ls "$1" | grep -q current && fail "round $i: exeflowd left $(ls "$1" | grep current)"
	true
}
daemon_settled() { daemon_registered || pid_gone "$DAEMON_PID"; }

i=0
while [ $i -lt $ROUNDS ]; do
	i=$((i + 1))
	# 1. no listener, live flows, a namespace coming and going
	load_exeflow track_loopback=1
	wait_for 30 efstat_above flows_created 0
	if [ $((i % 2)) = 1 ]; then
		ip netns add tmpns && ip -n tmpns link set lo up &&
			ip netns exec tmpns ping -c 1 127.0.0.1 >/dev/null ||
			fail "netns churn, round $i"
		ip netns del tmpns
	fi
	unload "without listener"

	# 2. no listener, flows ending all the time, records queued for nobody
	load_exeflow accept_probe=0 inactive_timeout=1 tcp_close_timeout=0 \
		export_interval_ms=10
	wait_for 30 efstat_above flows_expired 0
	unload "with records queued"

	# 3. the daemon attached and receiving
	load_exeflow export_interval_ms=100
	start_daemon "/tmp/unload$i" -t 60
	wait_for 30 efstat_above records_exported 0
	unload "with listener"
	daemon_gone "/tmp/unload$i"

	# 4. and 5. unloaded and loaded again under the daemon
	load_exeflow export_interval_ms=100
	start_daemon "/tmp/reload$i" -t 60
	wait_for 30 efstat_above records_exported 0
	unload "under a daemon"
	load_exeflow export_interval_ms=100
	wait_for 30 daemon_settled
	if pid_gone "$DAEMON_PID"; then
		exited=$((exited + 1))
	else
		rereg=$((rereg + 1))
		wait_for 30 efstat_above records_exported 0
	fi
	unload "after a reload under a daemon"
	daemon_gone "/tmp/reload$i"
	echo "round $i: $cycles cycles, $(($(date +%s) - T0)) s"
done
stop_churn_traffic
n=$(grep -c 'module reloaded: registered again' /tmp/exeflowd.log)
[ "$n" = "$rereg" ] || fail "exeflowd says it registered again $n times, $rereg seen"
echo "unload cycles: $cycles; daemon after a reload: registered again $rereg, exited $exited"
[ "$cycles" = $((ROUNDS * 5)) ] || fail "$cycles cycles"

# Every file the daemons left is readable, and none is unfinished.
for f in $(find /tmp/unload* /tmp/reload* -type f); do
	case $f in */nfcapd.2*) ;; *) fail "unexpected file $f" ;; esac
	nfdump -q -r "$f" -o 'fmt:%pr' >/dev/null 2>/tmp/err.txt || fail "nfdump -r $f failed"
	[ -s /tmp/err.txt ] && fail "nfdump complained about $f: $(cat /tmp/err.txt)"
done
echo "files: $(find /tmp/unload* /tmp/reload* -type f | wc -l), flows: $(nfdump -q -R /tmp/unload1 -o 'fmt:%pr' | wc -l) in /tmp/unload1"
echo "elapsed: $(($(date +%s) - T0)) s"
pass "unload under traffic"
