# kill -9 of the daemon under traffic, restarted: every finished file reads
# in nfdump, and what the module still held is written after the restart.
. /exeflow/lib.sh

netns_pair
load_exeflow inactive_timeout=1 export_interval_ms=100
start_server crash b tcp-serve 10.0.0.2 7100 1000000
rm -f /tmp/stop-traffic
(
	while [ ! -e /tmp/stop-traffic ]; do
		ip netns exec a nettest udp-spray 10.0.0.2 7101 3 >/dev/null 2>&1
	done
) &
TRAFFIC=$!
for i in 1 2 3 4 5 6 7 8 9 10; do
	start_daemon /tmp/crash -t 2
	wait_for 30 counter_above records_exported 0
	kill -KILL "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null
	# Restart: the previous current file is repaired, no data for nfdump
	# to choke on.
	ls /tmp/crash | grep -v '^nfcapd\.' && fail "stray file in the flow directory"
done
touch /tmp/stop-traffic
wait "$TRAFFIC"
# Flows that ended while no daemon ran are held by the module...
ip netns exec a nettest tcp-connect 10.0.0.2 7100 >/tmp/last.out || fail "last connect"
LAST=$(sed -n 's/^nettest pid=//p' /tmp/last.out)
# ...and written by the next daemon.
start_daemon /tmp/crash -t 2
stop_daemon
[ -z "$(ls /tmp/crash | grep current)" ] || fail "a current file is left after a clean stop"
nfdump -q -R /tmp/crash -o line >/tmp/all.txt 2>/tmp/err.txt || fail "nfdump -R failed: $(cat /tmp/err.txt)"
[ -s /tmp/err.txt ] && fail "nfdump complained: $(cat /tmp/err.txt)"
for f in $(find /tmp/crash -name 'nfcapd.*'); do
	nfdump -q -r "$f" -o line >/dev/null 2>/tmp/err.txt || fail "unreadable file $f"
	[ -s /tmp/err.txt ] && fail "nfdump complained about $f: $(cat /tmp/err.txt)"
done
flows /tmp/crash >/tmp/flows.txt
expect_flow /tmp/flows.txt "connection made while no daemon ran" \
	"\|TCP\|10\.0\.0\.1\|[0-9]+\|10\.0\.0\.2\|7100\|E\|" "pid=$LAST "
echo "files: $(find /tmp/crash -name 'nfcapd.*' | wc -l), flows: $(wc -l </tmp/flows.txt)"
pass "daemon killed and restarted"
