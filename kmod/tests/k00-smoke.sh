# Smoke test: load, TCP/UDP/ICMP between two namespaces, records arrive
# through a registered listener, stats, dump, unload.
. /exeflow/lib.sh
rm -rf /tmp/k00; mkdir -p /tmp/k00
load_exeflow inactive_timeout=2 tcp_close_timeout=1 export_interval_ms=200
netns_pair
efclient listen 8 flush >/tmp/k00/rec.txt 2>&1 &
LP=$!
sleep 1
ip netns exec b nettest tcp-serve 10.0.0.2 5000 1 /tmp/k00/ready1 >/tmp/k00/srv.out &
wait_for 10 test -e /tmp/k00/ready1
ip netns exec a nettest tcp-connect 10.0.0.2 5000
ip netns exec a nettest udp-send 10.0.0.2 5001 &
ip netns exec a ping -c 2 10.0.0.2
ip netns exec a ping -c 1 fd00::2
wait $LP
cat /tmp/k00/rec.txt
efclient stats
efclient dump
netns_cleanup
rmmod exeflow || fail rmmod
dmesg | tail -5
pass smoke
