# Caps and slow consumers: a full table refuses new flows and counts them
# without stalling traffic; without a listener flows wait for one; a
# listener that stops reading loses nothing until the backlog cap, and
# then exactly what the drop counter says.
. /exeflow/lib.sh

netns_pair

echo "== tiny max_flows"
load_exeflow max_flows=8
ip netns exec a nettest udp-spray 10.0.0.2 6000 50
ip netns exec a ping -c 1 -W 5 10.0.0.2 >/dev/null || fail "traffic stalled with a full table"
active=$(counter flows_active)
full=$(counter drop_table_full)
echo "flows_active=$active drop_table_full=$full"
[ "$active" -le 8 ] || fail "more live flows ($active) than max_flows"
[ "$full" -gt 0 ] || fail "table-full refusals not counted"
rmmod exeflow || fail "rmmod with a full table"

echo "== no listener: flows wait for one"
load_exeflow inactive_timeout=1
ip netns exec a nettest udp-spray 10.0.0.2 6001 20
# the flows end while nobody listens
wait_for 60 no_live_flows ' dport=6001 '
[ "$(counter drop_no_listener)" = 0 ] || fail "flows dropped below the cap"
start_daemon /tmp/held -t 60
stop_daemon
n=$(count_flows /tmp/held '\|UDP\|10\.0\.0\.1\|[0-9]+\|10\.0\.0\.2\|6001\|E\|')
[ "$n" = 20 ] || fail "expected 20 held flows after registering, got $n"
rmmod exeflow

echo "== stopped listener below the backlog cap: nothing lost"
load_exeflow inactive_timeout=1 export_interval_ms=100
start_daemon /tmp/slow -t 60 -B 4096
kill -STOP "$DAEMON_PID"
ip netns exec a nettest udp-spray 10.0.0.2 6002 300
wait_for 60 counter_above backlog 0
echo "backlog=$(counter backlog) send_eagain=$(counter send_eagain)"
kill -CONT "$DAEMON_PID"
stop_daemon
[ "$(counter drop_backlog)" = 0 ] || fail "records dropped below the backlog cap"
n=$(count_flows /tmp/slow '\|UDP\|10\.0\.0\.1\|[0-9]+\|10\.0\.0\.2\|6002\|E\|')
[ "$n" = 300 ] || fail "expected 300 flows from the stopped listener, got $n"
grep -q 'sequence gaps 0,' /tmp/exeflowd.log || fail "sequence gaps without drops"
sent=$(counter records_exported)
got=$(sed -n 's/.*records \([0-9]*\), flows written.*/\1/p' /tmp/exeflowd.log | tail -n 1)
[ "$got" = "$sent" ] || fail "module sent $sent records, daemon received $got"
rmmod exeflow

echo "== stopped listener above the backlog cap: loss counted exactly"
: >/tmp/exeflowd.log
load_exeflow inactive_timeout=1 export_interval_ms=100 max_backlog=16
start_daemon /tmp/lossy -t 60 -B 4096
kill -STOP "$DAEMON_PID"
ip netns exec a nettest udp-spray 10.0.0.2 6003 300
wait_for 60 counter_above drop_backlog 0
kill -CONT "$DAEMON_PID"
stop_daemon
# Every record the module sent reached the daemon; every gap the daemon saw
# is a counted drop (drops at the very end leave no gap it could see).
dropped=$(counter drop_backlog)
sent=$(counter records_exported)
got=$(sed -n 's/.*records \([0-9]*\), flows written.*/\1/p' /tmp/exeflowd.log)
gaps=$(sed -n 's/.*sequence gaps \([0-9]*\),.*/\1/p' /tmp/exeflowd.log)
n=$(count_flows /tmp/lossy '\|UDP\|10\.0\.0\.1\|[0-9]+\|10\.0\.0\.2\|6003\|E\|')
echo "drop_backlog=$dropped records_exported=$sent received=$got gaps=$gaps flows written=$n"
[ "$got" = "$sent" ] || fail "module sent $sent records, daemon received $got"
[ "$gaps" -gt 0 ] || fail "backlog overflowed but the daemon saw no gap"
[ "$gaps" -le "$dropped" ] || fail "daemon saw $gaps gaps, module counted only $dropped drops"
[ "$n" -lt 300 ] || fail "no flow lost although the backlog overflowed"
rmmod exeflow
netns_cleanup
pass "limits"
