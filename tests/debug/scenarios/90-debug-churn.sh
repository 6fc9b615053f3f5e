# Debug kernel only: drives the module's concurrent and teardown paths
# with traffic flowing, so that lockdep, KASAN, kmemleak and might_sleep
# see them: a netlink listener killed without unregistering, run-time
# parameter flips (accept kretprobe off/on, accounting off/on, short
# timeouts so the worker expires flows), a network namespace destroyed
# with live flows, and /init's rmmod with live flows and queued records.
. /exeflow/lib.sh

load_exeflow
netns_pair
P=/sys/module/exeflow/parameters

# A listener that dies without unregistering (SIGKILL).
efclient listen 120 >/tmp/l1.out 2>&1 &
L1=$!
wait_for 30 daemon_registered
start_server t1 b tcp-serve 10.0.0.2 6001 2
client t1c a nettest tcp-connect 10.0.0.2 6001
ip netns exec a ping -c 2 -W 2 fd00::2 >/dev/null || fail "ping v6"
kill -9 "$L1"
wait "$L1" 2>/dev/null

# Parameter flips under traffic.
echo 0 >$P/accept_probe || fail "accept_probe=0"
client t1c2 a nettest tcp-connect 10.0.0.2 6001
echo 1 >$P/accept_probe || fail "accept_probe=1"
echo 0 >$P/enabled || fail "enabled=0"
ip netns exec a ping -c 1 -W 2 10.0.0.2 >/dev/null || fail "ping while disabled"
echo 1 >$P/enabled || fail "enabled=1"
echo 1 >$P/track_loopback || fail "track_loopback=1"
ping -c 2 -W 2 127.0.0.1 >/dev/null || fail "ping loopback"
echo 1 >$P/inactive_timeout || fail "inactive_timeout=1"
echo 1 >$P/tcp_close_timeout || fail "tcp_close_timeout=1"
wait

# Dump and flush from a non-listener socket, then let the worker expire.
efclient stats || fail "efclient stats"
efclient dump >/tmp/dump.out || fail "efclient dump"
sleep 3

# A namespace destroyed while its flows are live, then a new pair.
start_server t2 b udp-serve 10.0.0.2 6002 1
client t2c a nettest udp-send 10.0.0.2 6002
netns_cleanup
netns_pair
ip netns exec a ping -c 2 -W 2 10.0.0.2 >/dev/null || fail "ping after re-creating the namespaces"
efclient stats
# Left loaded with live flows on purpose: /init's rmmod tears them down.
pass "debug churn"
