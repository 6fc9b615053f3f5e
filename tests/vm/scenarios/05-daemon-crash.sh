# kill -9 of the daemon, 20 times, while short TCP connections and UDP
# exchanges (IPv4 and IPv6, many processes) keep coming. Each instance is
# killed once it is receiving records, every other one right after it
# started to finish a file (rotation every 2 s, often merging into the
# slot a killed instance's file was given). Each time only the killed
# instance's unfinished file is left (and its .merge file if it was killed
# while merging), never a file set aside as broken, and the next start
# repairs them before it registers. What the module held while no daemon
# ran is written by the next one; that one is stopped cleanly, still under
# traffic, and must have seen exactly as many sequence gaps as the module
# counted records dropped from its backlog (drop_backlog) while it was
# registered. (A killed instance's gaps cannot be seen: it prints no
# summary and the files do not carry sequence numbers.) Every file reads
# in nfdump without a complaint, and each file's stat record (nfdump -I)
# counts the flows it holds.
. /exeflow/lib.sh
T0=$(date +%s)

KILLS=20
netns_pair
load_exeflow inactive_timeout=1 export_interval_ms=100
start_churn_traffic 2 20 20
start_server crash b tcp-serve 10.0.0.2 7100 1
only_flow_files() {
	ls /tmp/crash | grep -v '^nfcapd\.' && fail "$1: stray file in the flow directory"
	ls /tmp/crash | grep '\.broken$' && fail "$1: a file was set aside as broken"
	true
}
# current_ino PID: inode of the instance's current file (a new one after
# each rotation); rotated PID INODE: it changed.
current_ino() { ls -i "/tmp/crash/nfcapd.current.$1" 2>/dev/null | sed 's/^ *\([0-9]*\) .*/\1/'; }
rotated() { _ino=$(current_ino "$1"); [ -n "$_ino" ] && [ "$_ino" != "$2" ]; }
# left_by PID: what the instance PID left unfinished (its current file, and
# its merge file when it was killed while merging into an existing slot).
left_by() { ls /tmp/crash | grep -E "^nfcapd\.current\.$1(\.merge)?\$"; }

prev=""
i=0
while [ $i -lt $KILLS ]; do
	i=$((i + 1))
	before=$(efstat records_exported)
	start_daemon /tmp/crash -t 2
	# The previous instance's unfinished file was repaired and renamed
	# before this one registered.
	[ -n "$prev" ] && left_by "$prev" &&
		fail "start $i: what instance $prev left was not repaired"
	# Killed mid-stream: it has been receiving records; every other time
	# right after it started to finish a file (rotation every 2 s, often
	# merging into the slot a killed instance's file was given).
	ino=$(current_ino "$DAEMON_PID")
	wait_for 60 efstat_above records_exported $((before + 20))
	[ $((i % 2)) = 0 ] && wait_for 60 rotated "$DAEMON_PID" "$ino"
	kill -KILL "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null
	prev=$DAEMON_PID
	only_flow_files "kill $i"
	[ "$(ls /tmp/crash | grep -c current)" = "$(left_by "$prev" | wc -l)" ] ||
		fail "kill $i: unfinished files $(ls /tmp/crash | grep current) (killed: $prev)"
done

# Flows that end while no daemon runs are held by the module...
ip netns exec a nettest tcp-connect 10.0.0.2 7100 >/tmp/last.out || fail "last connect"
LAST=$(sed -n 's/^nettest pid=//p' /tmp/last.out)
ended_7100() { efclient dump >/tmp/dump.txt && ! grep -q ' dport=7100 ' /tmp/dump.txt; }
wait_for 60 ended_7100
# ...and written by the next daemon, which stops cleanly (still under
# traffic): its sequence gaps are the records dropped while it listened.
b0=$(efstat drop_backlog)
start_daemon /tmp/crash -t 2
left_by "$prev" && fail "last start: what instance $prev left was not repaired"
wait_for 60 efstat_above records_exported $(($(efstat records_exported) + 20))
stop_daemon
b1=$(efstat drop_backlog)
gaps=$(sed -n 's/.*sequence gaps \([0-9]*\),.*/\1/p' /tmp/exeflowd.log | tail -n 1)
[ -n "$gaps" ] || fail "no summary line from the last exeflowd"
echo "last daemon: sequence gaps $gaps, drop_backlog while it listened $((b1 - b0))"
[ "$gaps" = $((b1 - b0)) ] ||
	fail "sequence gaps $gaps, but drop_backlog grew by $((b1 - b0)) while the daemon listened"
stop_churn_traffic
efclient stats | grep -E 'drop_|records_exported|flows_(created|exported)'

only_flow_files "end"
[ -z "$(ls /tmp/crash | grep current)" ] || fail "a current file is left after a clean stop"
nfdump -q -R /tmp/crash -o 'fmt:%pr' >/dev/null 2>/tmp/err.txt || fail "nfdump -R failed: $(cat /tmp/err.txt)"
[ -s /tmp/err.txt ] && fail "nfdump complained: $(cat /tmp/err.txt)"
nflows=0 bad="" empty=0
for f in $(find /tmp/crash -name 'nfcapd.*'); do
	n=$(nfdump -q -r "$f" -o 'fmt:%pr' 2>/tmp/err.txt | grep -vc '^No matching flows$')
	[ -s /tmp/err.txt ] && fail "nfdump complained about $f: $(cat /tmp/err.txt)"
	s=$(nfdump -I -r "$f" 2>/tmp/err.txt | sed -n 's/^Flows: //p')
	if [ "$s" != "$n" ]; then
		echo "$f holds $n flows, its stat record says ${s:-nothing} ($(cat /tmp/err.txt))"
		nfdump -I -r "$f" | tr '\n' ' '
		echo
		nfdump -q -r "$f" -o 'fmt:%ts %te %pr %sa %sp %da %dp %dir %pkt' | head -n 3
		bad="$bad $f"
	fi
	nflows=$((nflows + n))
	[ "$n" = 0 ] && empty=$((empty + 1))
done
if [ -n "$bad" ]; then
	ls -l --full-time /tmp/crash 2>/dev/null || ls -le /tmp/crash
	fail "stat records that do not count their file's flows:$bad"
fi
nfdump -q -R /tmp/crash -o "$FLOW_FMT" 'port 7100' | tr -s ' ' |
	sed 's/| /|/g; s/ |/|/g' >/tmp/flows.txt
expect_flow /tmp/flows.txt "connection made while no daemon ran" \
	"\|TCP\|10\.0\.0\.1\|[0-9]+\|10\.0\.0\.2\|7100\|E\|" "pid=$LAST "
echo "kills: $KILLS, files: $(find /tmp/crash -name 'nfcapd.*' | wc -l) ($empty without flows: instances killed before they wrote a block), flows: $nflows"
echo "elapsed: $(($(date +%s) - T0)) s"
pass "daemon killed and restarted"
