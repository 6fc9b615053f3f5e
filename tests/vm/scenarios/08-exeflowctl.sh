# exeflowctl on a live module: the flow table with owners, watch as a
# connection starts, and the --json forms.
. /exeflow/lib.sh

load_exeflow inactive_timeout=60 tcp_close_timeout=60
netns_pair
start_server ctl b tcp-serve 10.0.0.2 7400 2
S=$SERVER_PID
# Closed flows stay in the table for tcp_close_timeout: long enough to look.
ip netns exec a runas 1000 1000 nettest tcp-connect 10.0.0.2 7400 >/tmp/c1.out
C=$(sed -n 's/^nettest pid=//p' /tmp/c1.out)

exeflowctl flows >/tmp/flows.txt || fail "exeflowctl flows"
cat /tmp/flows.txt
grep -E "10\.0\.0\.1:[0-9]+ +10\.0\.0\.2:7400 +out" /tmp/flows.txt | grep -q "$C" ||
	fail "flows does not show the client (pid $C)"
grep -E "10\.0\.0\.1:[0-9]+ +10\.0\.0\.2:7400 +out" /tmp/flows.txt | grep -q alice ||
	fail "flows does not show the client's user"

exeflowctl --json flows >/tmp/flows.json || fail "exeflowctl --json flows"
grep -q "\"pid\":$C" /tmp/flows.json || grep -q "\"tgid\":$C" /tmp/flows.json ||
	fail "--json flows lacks the client pid: $(head -c 600 /tmp/flows.json)"
grep -q '"how":"task"\|"method":"task"' /tmp/flows.json || fail "--json flows lacks the method"
# a record with a process has no socket cgroup (uapi): absent, not 0
grep "\"pid\":$C" /tmp/flows.json | grep -q '"sock_cgroup":null' ||
	fail "--json flows: the client's absent sock_cgroup is not null"
grep -q '"sock_cgroup":0\|"sock_cookie":0' /tmp/flows.json &&
	fail "--json flows prints an absent id as 0"

exeflowctl --json status >/tmp/status.json || fail "exeflowctl --json status"
grep -q '"flows_created":' /tmp/status.json || fail "--json status lacks counters"
grep -q '"listener":' /tmp/status.json || fail "--json status lacks the listener"

# watch prints a connection that starts while it runs.
exeflowctl watch -i 1 >/tmp/watch.txt 2>&1 &
W=$!
# watch skips flows present at its start: its header says it has looked.
wait_for 30 test -s /tmp/watch.txt
ip netns exec a nettest tcp-connect 10.0.0.2 7400 >/tmp/c2.out
C2=$(sed -n 's/^nettest pid=//p' /tmp/c2.out)
wait_for 30 grep -q "$C2" /tmp/watch.txt
kill -INT "$W"
wait "$W"
cat /tmp/watch.txt
pass "exeflowctl"
