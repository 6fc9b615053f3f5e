# Figures 1-3: TCP throughput (iperf3), 64-byte UDP packets/s and new TCP
# connections/s between two namespaces over veth, each measured in every
# state (STATES) once per round, interleaved in the same boot. The states
# of one test follow each other directly, in an order that reverses from
# one test to the next ("off on mod", then "mod on off", ...), so that
# drift over the run weighs on every state alike.
#
# Settings: ROUNDS SECS STATES MODARGS PROFILE.

bench_netns

# CPUs: the traffic runs on WL (its senders do all the kernel work of a
# veth path, both hooks included), everything else (the daemon, the UDP
# receiver) on HK, so the scheduler does not add its own noise.
if [ "$(nproc)" -ge 2 ]; then WL=1 HK=0; else WL=0 HK=0; fi
# On one CPU a polling UDP sink would starve the sender: it sleeps there.
SINK_WAIT=
[ "$(nproc)" = 1 ] && SINK_WAIT=wait

# Servers live through every state (a module loaded under a listening
# socket is the normal case too).
ip netns exec b taskset -c "$WL" iperf3 -s -D -B 10.0.0.2 -p 5201 -I /tmp/iperf3.pid ||
	fail "iperf3 server"
ip netns exec b taskset -c "$WL" efbench tcp-serve 10.0.0.2 8000 2 /tmp/crr.ready \
	>/tmp/crr-serve.out 2>&1 &
CRR_PID=$!
wait_for 30 test -e /tmp/crr.ready
wait_for 30 ip netns exec a iperf3 -c 10.0.0.2 -p 5201 -t 1

t_tcp() { # bits/s received
	ip netns exec a taskset -c "$WL" iperf3 -c 10.0.0.2 -p 5201 -t "$((SECS + 1))" -O 1 -J \
		>/tmp/iperf.json 2>&1 || { cat /tmp/iperf.json; fail "iperf3"; }
	tr -d ' \n\t' </tmp/iperf.json |
		sed -n 's/.*"sum_received":{[^}]*"bits_per_second":\([0-9.e+]*\).*/\1/p'
}

t_udp() { # datagrams/s received, 64-byte payload, one flow
	rm -f /tmp/sink.ready
	ip netns exec b taskset -c "$HK" efbench udp-sink 10.0.0.2 7000 "$SECS" /tmp/sink.ready \
		$SINK_WAIT >/tmp/sink.out 2>&1 &
	_sink=$!
	wait_for 30 test -e /tmp/sink.ready
	ip netns exec a taskset -c "$WL" efbench udp-blast 10.0.0.2 7000 "$((SECS + 1))" 64 \
		>/tmp/blast.out 2>&1 || { cat /tmp/blast.out; fail "udp-blast"; }
	wait "$_sink" || { cat /tmp/sink.out; fail "udp-sink"; }
	sed -n 's/^pps=\([0-9]*\).*/\1/p' /tmp/sink.out
}

# crr_run SECS: connect, 1-byte request, 1-byte answer, close, for SECS
# (2 clients); efbench's "cps= conns=" in /tmp/crr.out
crr_run() {
	ip netns exec a taskset -c "$WL" efbench tcp-crr 10.0.0.2 8000 "$1" 2 >/tmp/crr.out 2>&1 ||
		{ cat /tmp/crr.out; fail "tcp-crr"; }
}

t_crr() { # connections per second
	crr_run "$SECS"
	sed -n 's/^cps=\([0-9]*\).*/\1/p' /tmp/crr.out
}

# A connection's records reach exeflowd 1-3 s after it closed (the TCP
# close timeout, 2 s, then the export interval, 1 s). Connections made
# just before the measured ones keep that pipeline full, as on a server
# that has been accepting for a while: without them the measurement would
# end before exeflowd got most of its records.
CRR_WARM=${CRR_WARM:-3}

cpu_busy_idle() { # "busy idle" jiffies of all CPUs so far (/proc/stat)
	awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6; exit }' /proc/stat
}

# On-CPU ns of exeflowd's threads so far (schedstat; 0 without a daemon).
# On the instruction clock, instructions.
daemon_ns() {
	_n=0
	if [ -n "$DAEMON_PID" ]; then
		for _f in /proc/"$DAEMON_PID"/task/*/schedstat; do
			{ read -r _r _ <"$_f"; } 2>/dev/null && _n=$((_n + _r))
		done
	fi
	echo "$_n"
}

# Idle ns of all CPUs so far (/proc/stat idle + iowait: counted exactly,
# in 10 ms units, not sampled by the tick).
idle_ns() {
	set -- $(cpu_busy_idle)
	echo $(($2 * 10000000))
}

daemon_quiet() { # exeflowd used under 1 ms of CPU in 0.3 s
	_q=$(daemon_ns)
	sleep 0.3
	[ $(($(daemon_ns) - _q)) -lt 1000000 ]
}

# Figure 3 by its cost: the CPU time that SECS of connections take, from
# the first until everything they cause is done (their flows ended 2 s
# after closing and exported, then written by exeflowd; with the module
# alone, queued), divided by their number. In steady state the rate is
# its inverse, but this needs no window: the loaded rate moves by a few
# per cent with where a window falls against the exporter's 1 s period.
crr_drain() { # crr_drain STATE: the flows of connections so far are done
	sleep 4
	if [ "$1" = on ]; then
		wait_for 30 backlog_empty
		wait_for 10 daemon_quiet
	fi
}

crr_cost() { # crr_cost ROUND STATE
	# what the test before left (its last second of connections)
	crr_drain "$2"
	_t0=$(now_ns) _i0=$(idle_ns) _d0=$(daemon_ns)
	crr_run "$SECS"
	# the polling (on) costs a few ms of the ~3 s counted
	crr_drain "$2"
	_busy=$(( ($(now_ns) - _t0) * $(nproc) - ($(idle_ns) - _i0) ))
	bench "crrcost round=$1 state=$2 conns=$(sed -n 's/.*conns=\([0-9]*\).*/\1/p' /tmp/crr.out) busy_ns=$_busy daemon_ns=$(($(daemon_ns) - _d0))"
}

reverse() {
	_r=
	for _w in "$@"; do _r="$_w $_r"; done
	echo "$_r"
}

# Warm-up, not reported: page in the programs, fill TCG's translation cache.
_secs=$SECS
SECS=1
for st in $STATES; do
	set_state "$st"
	for t in tcp udp crr; do
		"t_$t" >/dev/null
	done
done
SECS=$_secs

k=0
r=1
while [ "$r" -le "$ROUNDS" ]; do
	for t in tcp udp crr cost; do
		if [ $((k % 2)) = 0 ]; then order=$STATES; else order=$(reverse $STATES); fi
		k=$((k + 1))
		for st in $order; do
			set_state "$st"
			settle
			if [ "$t" = cost ]; then
				crr_cost "$r" "$st"
				continue
			fi
			[ "$t" = crr ] && crr_run "$CRR_WARM"
			set -- $(cpu_busy_idle) $(daemon_ns)
			v=$("t_$t")
			[ -n "$v" ] || fail "$t: no result"
			# exeflowd's CPU during the test (the records it gets
			# then are from the same test, a second or two older)
			dns=$(($(daemon_ns) - $3))
			# the CPUs' idle share during the test: a test that
			# waits is not measuring the packet path alone
			idle=$(cpu_busy_idle | awk -v b="$1" -v i="$2" \
				'{ t = $1 - b + $2 - i; printf "%.3f", t ? ($2 - i) / t : 0 }')
			bench "net test=$t round=$r state=$st value=$v idle=$idle daemon_ns=$dns"
		done
	done
	r=$((r + 1))
done

# Where the time goes: a system-wide profile (cpu-clock, TCG has no PMU) of
# the same tests, per state. Not part of the figures.
profile() { # profile TEST STATE
	set_state "$2"
	settle
	perf record -a -g -e cpu-clock -F 499 -o /tmp/perf.data -- sleep "$SECS" \
		>/tmp/perf.rec 2>&1 &
	_perf=$!
	"t_$1" >/dev/null
	wait "$_perf"
	echo "EXEFLOW-BENCH-PROFILE-BEGIN $1 $2"
	perf report -i /tmp/perf.data --stdio --no-children -g none \
		--sort comm,dso --percent-limit 1 2>/dev/null | grep '%'
	echo "--- symbols"
	perf report -i /tmp/perf.data --stdio --no-children -g none \
		--sort comm,sym 2>/dev/null | grep '%' >/tmp/perf.sym
	head -n 45 /tmp/perf.sym
	echo "--- exeflow's own (module, probes, netfilter entry, daemon)"
	grep -E '\[k\] (ef_|nf_hook_slow|kprobe|kretprobe|rethook|arch_rethook|__kretprobe)|^ *[0-9.]+% +exeflowd ' /tmp/perf.sym | head -n 40
	echo "EXEFLOW-BENCH-PROFILE-END $1 $2"
	# Shares of all samples: idle, the module on the packet path (ef_*,
	# netfilter's entry, the accept kretprobe), the daemon.
	awk -v t="$1" -v s="$2" '
		{ p = $1; sub(/%/, "", p) }
		$2 == "swapper" { idle += p; next }
		$2 == "exeflowd" { daemon += p; next }
		/\[k\] (ef_|nf_hook_slow|kprobe|kretprobe|rethook|arch_rethook|__kretprobe)/ { mod += p }
		END { printf "BENCH prof test=%s state=%s idle=%.2f module=%.2f daemon=%.2f\n", t, s, idle, mod, daemon }' /tmp/perf.sym
	rm -f /tmp/perf.data
}

if [ "${PROFILE:-0}" = 1 ]; then
	for t in tcp udp crr; do
		for st in off on; do
			profile "$t" "$st"
		done
	done
fi

set_state off
kill "$CRR_PID" 2>/dev/null
[ -f /tmp/iperf3.pid ] && kill "$(cat /tmp/iperf3.pid)" 2>/dev/null
netns_cleanup
pass "bench net"
