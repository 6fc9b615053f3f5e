# Unload under traffic, three ways: nobody listening, a reading listener,
# and a listener that never reads (EAGAIN). Namespaces come and go during
# the traffic. The harness fails on any WARNING/BUG (kmem_cache_destroy
# warns if a flow or process record leaked).
. /exeflow/lib.sh
rm -rf /tmp/k30; mkdir -p /tmp/k30

netns_pair
for round in 1 2 3; do
	load_exeflow inactive_timeout=1 export_interval_ms=50 track_loopback=1 \
		tcp_close_timeout=0
	pids=""
	if [ $round = 2 ]; then
		efclient listen 600 >/dev/null 2>&1 &
		pids="$pids $!"
	elif [ $round = 3 ]; then
		efclient listen 600 sleep=600 rcvbuf=2048 >/tmp/k30/l3 2>&1 &
		pids="$pids $!"
	fi
	rm -f /tmp/k30/ready$round
	ip netns exec b nettest tcp-serve 10.0.0.2 $((5100 + round)) 100000 /tmp/k30/ready$round >/dev/null 2>&1 &
	pids="$pids $!"
	wait_for 10 test -e /tmp/k30/ready$round
	ip netns exec a sh -c "while [ ! -e /tmp/k30/stop$round ]; do nettest tcp-connect 10.0.0.2 $((5100 + round)) >/dev/null 2>&1; done" &
	pids="$pids $!"
	ip netns exec a sh -c 'i=0; while [ ! -e /tmp/k30/stop'$round' ]; do efclient udp1 10.0.0.2 $((8000 + i % 500)) >/dev/null; efclient udp1 fd00::2 $((8000 + i % 500)) >/dev/null; i=$((i + 1)); done' &
	pids="$pids $!"
	ip netns exec a ping -i 0.01 10.0.0.2 >/dev/null 2>&1 &
	pids="$pids $!"
	ping -i 0.01 127.0.0.1 >/dev/null 2>&1 &
	pids="$pids $!"
	# namespaces created and destroyed under traffic
	for n in 1 2 3; do
		ip netns add c$n
		ip -n c$n link set lo up
		ip netns exec c$n ping -c 3 -i 0.05 127.0.0.1 >/dev/null
		ip netns del c$n
	done
	sleep 2
	efclient stats | grep -e flows_active -e packets -e backlog -e listener -e eagain
	[ $round = 3 ] && { cat /tmp/k30/l3; ps | grep efclient; }
	rmmod exeflow || fail "rmmod under traffic (round $round)"
	echo "OK round $round: unloaded under traffic"
	touch /tmp/k30/stop$round
	# shellcheck disable=SC2086
	kill $pids 2>/dev/null
	wait 2>/dev/null
done
netns_cleanup
dmesg | grep exeflow | tail -n 8
pass "unload under traffic"
