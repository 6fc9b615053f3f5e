# A full output directory: the daemon says so, keeps the flows in memory,
# and writes them once there is space again; nfdump never meets a corrupt
# file.
. /exeflow/lib.sh

netns_pair
load_exeflow inactive_timeout=1 export_interval_ms=100
mkdir -p /tmp/small
mount -t tmpfs -o size=1m tmpfs /tmp/small
start_daemon /tmp/small -t 3600
# Fill the file system to the last block.
dd if=/dev/zero of=/tmp/small/filler bs=4k 2>/dev/null
ip netns exec a nettest udp-spray 10.0.0.2 7200 200
# Rotation forces a write: it must fail and be reported.
kill -HUP "$DAEMON_PID"
wait_for 60 grep -qiE 'no space|cannot store|failed' /tmp/exeflowd.log
rm /tmp/small/filler
stop_daemon
ls -la /tmp/small
nfdump -q -R /tmp/small -o line >/dev/null 2>/tmp/err.txt || fail "nfdump failed after a full disk"
[ -s /tmp/err.txt ] && fail "nfdump complained: $(cat /tmp/err.txt)"
n=$(count_flows /tmp/small '\|UDP\|10\.0\.0\.1\|[0-9]+\|10\.0\.0\.2\|7200\|E\|')
[ "$n" = 200 ] || fail "expected 200 flows after space returned, got $n"
umount /tmp/small
pass "full disk"
