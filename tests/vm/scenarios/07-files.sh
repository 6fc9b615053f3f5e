# The daemon's files as an nfdump user meets them: rotation with
# sub-directories, LZ4 and LZO compression, SIGHUP, -I and nfexpire.
. /exeflow/lib.sh

netns_pair
load_exeflow inactive_timeout=1 export_interval_ms=100
for z in lz4 lzo none; do
	start_daemon "/tmp/z-$z" -z "$z" -t 2 -S 1 -I "host-$z"
	ip netns exec a nettest udp-spray 10.0.0.2 7300 30
	wait_for 60 flows_at_least "/tmp/z-$z" 7300 30
	kill -HUP "$DAEMON_PID"
	ip netns exec a nettest udp-spray 10.0.0.2 7301 30
	stop_daemon
	f=$(find "/tmp/z-$z" -name 'nfcapd.*' | head -n 1)
	case $f in
	/tmp/z-$z/[0-9][0-9][0-9][0-9]/[0-9][0-9]/[0-9][0-9]/nfcapd.[0-9]*) ;;
	*) fail "-S 1 layout not used: $f" ;;
	esac
	[ "$(count_flows "/tmp/z-$z" '\|10\.0\.0\.2\|730[01]\|E\|')" = 60 ] ||
		fail "$z: expected 60 flows"
	nfdump -R "/tmp/z-$z" -I >/tmp/i.txt || fail "$z: nfdump -I"
	grep -q "Ident: host-$z" /tmp/i.txt || fail "$z: ident missing"
	echo "$z: $(find "/tmp/z-$z" -name 'nfcapd.*' | wc -l) files"
done
nfexpire -l /tmp/z-none >/tmp/exp.txt 2>&1 || fail "nfexpire -l: $(cat /tmp/exp.txt)"
nfexpire -r /tmp/z-none >/dev/null 2>&1 || fail "nfexpire -r"
pass "rotation, compression, sub-directories"
