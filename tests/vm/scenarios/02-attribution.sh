# End to end: real traffic between two network namespaces becomes
# attributed flows in the daemon's files, checked in nfdump's own output
# against processes whose pid, user, executable and hashes are known.
. /exeflow/lib.sh

load_exeflow
start_daemon /tmp/flows -t 60
netns_pair
NT=/exeflow/bin/nettest
MD5=$(md5sum $NT | cut -d' ' -f1)
SHA=$(sha256sum $NT | cut -d' ' -f1)

# Outbound and inbound TCP over IPv4, client as an unprivileged user.
start_server tcp4 b tcp-serve 10.0.0.2 5001 1
S_TCP4=$SERVER_PID
client tcp4c a runas 1000 1000 nettest tcp-connect 10.0.0.2 5001
C_TCP4=$CLIENT_PID
wait "$!" 2>/dev/null

# UDP over IPv4: the server only answers (its reply is its first packet).
start_server udp4 b udp-serve 10.0.0.2 5002 1
S_UDP4=$SERVER_PID
client udp4c a nettest udp-send 10.0.0.2 5002
C_UDP4=$CLIENT_PID

# TCP and UDP over IPv6.
start_server tcp6 b tcp-serve fd00::2 5003 1
S_TCP6=$SERVER_PID
client tcp6c a nettest tcp-connect fd00::2 5003
C_TCP6=$CLIENT_PID
start_server udp6 b udp-serve fd00::2 5004 1
S_UDP6=$SERVER_PID
client udp6c a nettest udp-send fd00::2 5004
C_UDP6=$CLIENT_PID

# ICMP echo from busybox ping.
ip netns exec a ping -c 1 -W 5 10.0.0.2 >/dev/null || fail "ping"

# A short-lived client: connects and exits within milliseconds.
mkdir -p /tmp/short
cp $NT /tmp/short/quick
start_server short b tcp-serve 10.0.0.2 5005 1
client shortc a /tmp/short/quick tcp-connect 10.0.0.2 5005
C_SHORT=$CLIENT_PID

# A server whose binary is deleted after it started: its hash must come
# from the running image, never from whatever the path holds later.
mkdir -p /tmp/gone
cp $NT /tmp/gone/vanish
start_server gone b tcp-serve 10.0.0.2 5006 2 /tmp/gone/vanish
S_GONE=$SERVER_PID
rm /tmp/gone/vanish
echo "not the binary" >/tmp/gone/vanish
client gonec a nettest tcp-connect 10.0.0.2 5006

# Kernel-originated: an RST from netns b for a closed port.
ip netns exec a nettest tcp-connect 10.0.0.2 5999 >/tmp/rst.out 2>&1 &&
	fail "connect to a closed port succeeded"
C_RST=$(sed -n 's/^nettest pid=//p' /tmp/rst.out)

stop_daemon
# Let the deleted-binary server finish.
client gonec2 a nettest tcp-connect 10.0.0.2 5006
wait

flows /tmp/flows >/tmp/flows.txt
echo "--- nfdump output"
cat /tmp/flows.txt

L="user=root comm=nettest exe=/exeflow/bin/nettest md5=$MD5 sha256=$SHA"
expect_flow /tmp/flows.txt "outbound TCP v4 client (alice)" \
	"\|TCP\|10\.0\.0\.1\|[0-9]+\|10\.0\.0\.2\|5001\|E\|" "\|alice\|" \
	"pid=$C_TCP4 " "uid=1000 " "user=alice comm=nettest exe=/exeflow/bin/nettest md5=$MD5 sha256=$SHA" \
	"how=task" "nettest//exeflow/bin/nettest"
expect_flow /tmp/flows.txt "accepted TCP v4 server" \
	"\|TCP\|10\.0\.0\.1\|[0-9]+\|10\.0\.0\.2\|5001\|I\|" "pid=$S_TCP4 " "$L" \
	"how=(task|accept)"
expect_flow /tmp/flows.txt "UDP v4 client" \
	"\|UDP\|10\.0\.0\.1\|[0-9]+\|10\.0\.0\.2\|5002\|E\|" "pid=$C_UDP4 " "$L" "how=task"
expect_flow /tmp/flows.txt "UDP v4 server reply" \
	"\|UDP\|10\.0\.0\.1\|[0-9]+\|10\.0\.0\.2\|5002\|I\|" "pid=$S_UDP4 " "$L" "how=(task|socket)"
expect_flow /tmp/flows.txt "TCP v6 client" \
	"\|TCP\|fd00::1\|[0-9]+\|fd00::2\|5003\|E\|" "pid=$C_TCP6 " "$L" "how=task"
expect_flow /tmp/flows.txt "TCP v6 server" \
	"\|TCP\|fd00::1\|[0-9]+\|fd00::2\|5003\|I\|" "pid=$S_TCP6 " "$L" "how=(task|accept)"
expect_flow /tmp/flows.txt "UDP v6 client" \
	"\|UDP\|fd00::1\|[0-9]+\|fd00::2\|5004\|E\|" "pid=$C_UDP6 " "$L" "how=task"
expect_flow /tmp/flows.txt "UDP v6 server" \
	"\|UDP\|fd00::1\|[0-9]+\|fd00::2\|5004\|I\|" "pid=$S_UDP6 " "$L" "how=(task|socket)"
expect_flow /tmp/flows.txt "ICMP echo from ping" \
	"\|ICMP\|10\.0\.0\.1\|[0-9]+\|10\.0\.0\.2\|" "\|E\|" "comm=ping " \
	"exe=/bin/busybox " "md5=$(md5sum /bin/busybox | cut -d' ' -f1)" "how=task"
expect_flow /tmp/flows.txt "short-lived client" \
	"\|TCP\|10\.0\.0\.1\|[0-9]+\|10\.0\.0\.2\|5005\|E\|" "pid=$C_SHORT " \
	"comm=quick exe=/tmp/short/quick md5=$MD5 sha256=$SHA" "how=task"
expect_flow /tmp/flows.txt "server with deleted binary" \
	"\|TCP\|10\.0\.0\.1\|[0-9]+\|10\.0\.0\.2\|5006\|I\|" "pid=$S_GONE " \
	"comm=vanish exe=/tmp/gone/vanish" "md5=$MD5 sha256=$SHA"
grep -E "5006\|I\|" /tmp/flows.txt | grep -q "md5=$(md5sum /tmp/gone/vanish | cut -d' ' -f1)" &&
	fail "hash of the replacement file reported for the deleted binary"
expect_flow /tmp/flows.txt "client refused by RST" \
	"\|TCP\|10\.0\.0\.1\|[0-9]+\|10\.0\.0\.2\|5999\|E\|" "pid=$C_RST " "how=task"
expect_flow /tmp/flows.txt "kernel RST for a closed port" \
	"\|TCP\|10\.0\.0\.1\|[0-9]+\|10\.0\.0\.2\|5999\|I\|" "pid=- " "how=(kernel|none)"

# The files are nfdump's own kind: -I reads the stat record.
nfdump -R /tmp/flows -I >/tmp/stat.txt || fail "nfdump -I"
n=$(sed -n 's/^Flows: *//p' /tmp/stat.txt)
m=$(wc -l </tmp/flows.txt)
[ "$n" = "$m" ] || fail "stat record says $n flows, nfdump printed $m"
netns_cleanup
pass "attribution end to end ($m flows)"
