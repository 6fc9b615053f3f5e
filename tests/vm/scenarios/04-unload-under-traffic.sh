# rmmod while connections are being made, with and without the daemon
# attached, repeatedly; and network namespaces coming and going meanwhile.
. /exeflow/lib.sh

netns_pair
traffic() { # traffic SECONDS-ish: keeps TCP and UDP flows coming
	start_server churn b tcp-serve 10.0.0.2 7000 1000000
	(
		while [ ! -e /tmp/stop-traffic ]; do
			ip netns exec a nettest tcp-connect 10.0.0.2 7000 >/dev/null 2>&1
			ip netns exec a nettest udp-spray 10.0.0.2 7001 5 >/dev/null 2>&1
		done
	) &
	TRAFFIC_PID=$!
}
rm -f /tmp/stop-traffic
traffic
CHURN_SERVER=$SERVER_PID

for i in 1 2 3 4 5; do
	load_exeflow track_loopback=1
	wait_for 30 counter_above flows_created 0
	rmmod exeflow || fail "rmmod without listener, round $i"
	load_exeflow track_loopback=1
	start_daemon "/tmp/unload$i" -t 60
	wait_for 30 counter_above records_exported 0
	# The daemon sees the module go away; it must not crash or hang.
	rmmod exeflow || fail "rmmod with listener, round $i"
	wait "$DAEMON_PID"
	echo "round $i: daemon exited with $? after rmmod"
	# Namespaces created and destroyed while the module is loaded.
	load_exeflow
	ip netns add tmpns && ip -n tmpns link set lo up &&
		ip netns exec tmpns ping -c 1 127.0.0.1 >/dev/null
	ip netns del tmpns
	rmmod exeflow || fail "rmmod after netns churn, round $i"
done
touch /tmp/stop-traffic
wait "$TRAFFIC_PID"
kill "$CHURN_SERVER" 2>/dev/null
# Every file the killed-off daemons left is readable.
nfdump -q -R /tmp/unload1 -o line >/dev/null || fail "nfdump on a daemon's files"
pass "unload under traffic"
