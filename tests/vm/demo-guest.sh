# make demo, inside the guest: a handful of recognisable programs talk over
# a veth pair between two network namespaces while exeflowd records them;
# the flow files then travel to the host over the serial console.
. /exeflow/lib.sh

load_exeflow
start_daemon /tmp/flows -t 60 -I demo-guest
netns_pair
mkdir -p /www /usr/local/bin
echo "hello from exeflow's demo" >/www/index.html
cp /exeflow/bin/nettest /usr/local/bin/udp-echo
cp /exeflow/bin/nettest /usr/local/bin/quick-check

# A web server in b, fetched by alice with wget from a (outbound + inbound).
ip netns exec b httpd -p 80 -h /www
ip netns exec a runas 1000 1000 wget -q -O /dev/null http://10.0.0.2/index.html ||
	fail "wget"
# A UDP echo service, and a client that sends one datagram.
start_server udp b udp-serve 10.0.0.2 5353 1 /usr/local/bin/udp-echo
ip netns exec a nettest udp-send 10.0.0.2 5353 >/dev/null || fail "udp"
# IPv6 ping.
ip netns exec a ping -c 2 fd00::2 >/dev/null || fail "ping6"
# A program that connects and exits within milliseconds.
start_server tcp b tcp-serve 10.0.0.2 8080 1
ip netns exec a runas 1000 1000 /usr/local/bin/quick-check tcp-connect 10.0.0.2 8080 >/dev/null ||
	fail "quick-check"
stop_daemon
killall httpd
echo "EXEFLOW-FILES-BEGIN"
tar -C /tmp/flows -cf - . | gzip | base64
echo "EXEFLOW-FILES-END"
pass "demo"
