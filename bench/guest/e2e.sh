# Figure 5 and the hash cache hit rate: records from the module to a
# finalised nfcapd file. Four programs (four executables, so four hashes)
# each start 1/4 of the flows, one UDP datagram each; flows end after
# inactive_timeout=1; exeflowd (as deployed, files on tmpfs) is stopped
# with SIGTERM right after the last datagram, so it makes the module end
# what is still live, drains it and seals the file. The clock runs from the
# first datagram to the daemon's exit: flows/s is what reached the sealed
# file in that time. Drops: the module's drop counters and the daemon's
# own; and flows sent but missing from the file.
#
# Two loads per rep: "burst" (E2E_FLOWS as fast as the programs go: the
# pipeline's capacity, and what it loses when offered more), then "paced"
# (E2E_PACED_FLOWS at 70 % of the flow rate the burst got into its file).
#
# Settings: E2E_FLOWS E2E_PACED_FLOWS E2E_REPS E2EARGS PROFILE.

bench_netns

nprog=4
i=1
while [ "$i" -le "$nprog" ]; do
	cp /exeflow/bin/efbench "/tmp/gen$i"
	i=$((i + 1))
done

# e2e LOAD FLOWS RATE (flows/s in all, 0 = as fast as possible) [perf]
e2e() {
	_load=$1 _flows=$2 _rate=$3 _perf=${4:-}
	_per=$((_flows / nprog))
	set_state off
	insmod /exeflow/exeflow.ko $E2EARGS || fail "insmod $E2EARGS"
	STATE=mod
	rm -rf /tmp/e2e
	: >/tmp/exeflowd.log
	start_daemon /tmp/e2e -t 300
	if [ -n "$_perf" ]; then
		perf record -a -g -e cpu-clock -F 499 -o /tmp/perf.data >/tmp/perf.rec 2>&1 &
		_perfpid=$!
	fi
	t0=$(now_ns)
	pids=
	i=1
	while [ "$i" -le "$nprog" ]; do
		ip netns exec a "/tmp/gen$i" flowfill 198.18.0.1 "$_per" \
			$(( (i - 1) * _per )) "$(awk -v r="$_rate" -v n=$nprog 'BEGIN { print r / n }')" \
			>"/tmp/gen$i.out" 2>&1 &
		pids="$pids $!"
		i=$((i + 1))
	done
	for p in $pids; do
		wait "$p" || fail "generator failed"
	done
	t1=$(now_ns)
	kill -TERM "$DAEMON_PID"
	# Its CPU time, sampled until it is gone (ash reaps it at once).
	dcpu=0 n=0
	while proc_stat "$DAEMON_PID" && [ "$PS_STATE" != Z ]; do
		dcpu=$PS_CPU
		n=$((n + 1))
		[ "$n" -gt 1500 ] && fail "exeflowd does not exit"
		sleep 0.1
	done
	t2=$(now_ns)
	wait "$DAEMON_PID" || { cat /tmp/exeflowd.log; fail "exeflowd exited with an error"; }
	DAEMON_PID=
	if [ -n "$_perf" ]; then
		kill -INT "$_perfpid"
		wait "$_perfpid"
		echo "EXEFLOW-BENCH-PROFILE-BEGIN e2e $_load"
		perf report -i /tmp/perf.data --stdio --no-children -g none \
			--sort comm,dso --percent-limit 1 2>/dev/null | grep '%'
		echo "--- exeflowd"
		perf report -i /tmp/perf.data --stdio --no-children -g none \
			--comms exeflowd --sort dso,sym --percent-limit 0.5 2>/dev/null | grep '%' | head -n 50
		echo "--- module"
		perf report -i /tmp/perf.data --stdio --no-children -g none \
			--sort sym 2>/dev/null | grep -E '\[k\] ef_' | head -n 20
		echo "EXEFLOW-BENCH-PROFILE-END e2e $_load"
		rm -f /tmp/perf.data
		return 0
	fi
	sent=$(cat /tmp/gen*.out | sed -n 's/^flows=\([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s + 0 }')
	infile=$(nfdump -q -R /tmp/e2e -o 'fmt:%da' 'dst net 198.18.0.0/15' | wc -l)
	allfile=$(nfdump -q -R /tmp/e2e -o 'fmt:%da' | wc -l)
	sum=$(sed -n 's/.*exeflowd: records \([0-9]*\), flows written \([0-9]*\) (\([0-9]*\) with hash), dropped \([0-9]*\), sequence gaps \([0-9]*\), overruns \([0-9]*\), executables hashed \([0-9]*\).*/records=\1 written=\2 with_hash=\3 dropped=\4 gaps=\5 overruns=\6 hashed=\7/p' /tmp/exeflowd.log)
	[ -n "$sum" ] || { cat /tmp/exeflowd.log; fail "no summary from exeflowd"; }
	bench "e2e load=$_load rep=$rep rate=$_rate sent=$sent in_file=$infile all_in_file=$allfile" \
		"gen_ns=$((t1 - t0)) total_ns=$((t2 - t0)) daemon_cpu=$dcpu $sum" \
		"drop_backlog=$(counter drop_backlog) drop_table_full=$(counter drop_table_full)" \
		"drop_alloc=$(counter drop_alloc) drop_no_listener=$(counter drop_no_listener)" \
		"evicted=$(counter flows_evicted) send_eagain=$(counter send_eagain)" \
		"records_exported=$(counter records_exported)"
	grep -v 'exeflowd: registered' /tmp/exeflowd.log | tail -n 3
	E2E_GOT=$(awk -v n="$infile" -v t=$((t2 - t0)) 'BEGIN { printf "%.0f", n / (t / 1e9) }')
}

rep=1
while [ "$rep" -le "$E2E_REPS" ]; do
	e2e burst "$E2E_FLOWS" 0
	e2e paced "$E2E_PACED_FLOWS" "$((E2E_GOT * 7 / 10))"
	rep=$((rep + 1))
done
if [ "${PROFILE:-0}" = 1 ]; then
	e2e burst "$E2E_FLOWS" 0 perf
fi
set_state off
netns_cleanup
pass "bench e2e"
