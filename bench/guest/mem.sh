# Figure 4: kernel memory per tracked flow. One process, one UDP socket,
# N datagrams to N distinct destinations: N live flows that share one
# process record and one socket-owner entry, so what grows with N is the
# per-flow cost (the process record's cache, exeflow_proc, grows by a
# slab: shared process data, which the target leaves out). Flows are kept
# (inactive_timeout=3600) and no daemon runs (no export copies). The same
# traffic without the module gives the kernel's own growth, which is
# subtracted. IPv4 (198.18.0.0/15) and IPv6
# (2001:2::/48, RFC 5180) destinations: the flows of each family have a
# cache of their own (exeflow_flow4, exeflow_flow6; booted with
# slab_nomerge, so they are not merged with others in /proc/slabinfo).
#
# Settings: MEM_FLOWS MEM_REPS MEMARGS.

bench_netns

fill() { # fill N OFFSET FAMILY
	_dst=198.18.0.1
	[ "$3" = 6 ] && _dst=2001:2::1
	ip netns exec a efbench flowfill "$_dst" "$1" "$2" 0 >/tmp/fill.out 2>&1 ||
		{ cat /tmp/fill.out; fail "flowfill"; }
	sleep 1
}

# Which caches grew differently with the module than without it (beyond
# exeflow's own): where the all-caches figure and the flow cache's differ.
slab_diff() { # slab_diff B0 B1 L0 L1 LABEL
	awk -v label="$5" '
		FILENAME == ARGV[1] { b0[$1] = $2; next }
		FILENAME == ARGV[2] { b1[$1] = $2; next }
		FILENAME == ARGV[3] { l0[$1] = $2; next }
		{ d = ($2 - l0[$1]) - (b1[$1] - b0[$1])
		  if ($1 !~ /^exeflow_flow/ && (d >= 4096 || d <= -4096))
			printf "BENCH memcache %s cache=%s extra=%d\n", label, $1, d }' \
		"$1" "$2" "$3" "$4"
}

vm_kb() {
	echo $(( $(meminfo_kb VmallocUsed) + $(meminfo_kb Percpu) ))
}

for fam in 4 6; do
for n in $MEM_FLOWS; do
	rep=1
	while [ "$rep" -le "$MEM_REPS" ]; do
		set_state off
		sleep 1
		slab_snap /tmp/slab.b0
		v0=$(vm_kb)
		fill "$n" 0 "$fam"
		slab_snap /tmp/slab.b1

		insmod /exeflow/exeflow.ko $MEMARGS || fail "insmod $MEMARGS"
		STATE=mod
		sleep 1
		slab_snap /tmp/slab.l0
		v1=$(vm_kb)
		fill "$n" 0 "$fam"
		slab_snap /tmp/slab.l1
		b0=$(snap_total /tmp/slab.b0)
		b1=$(snap_total /tmp/slab.b1)
		l0=$(snap_total /tmp/slab.l0)
		l1=$(snap_total /tmp/slab.l1)
		set -- $(snap_cache /tmp/slab.l0 "exeflow_flow$fam")
		c0=$1
		set -- $(snap_cache /tmp/slab.l0 exeflow_proc)
		p0=$1
		set -- $(snap_cache /tmp/slab.l1 exeflow_proc)
		p1=$1
		set -- $(snap_cache /tmp/slab.l1 "exeflow_flow$fam")
		c1=$1 objs=$2 objsize=$3
		slab_diff /tmp/slab.b0 /tmp/slab.b1 /tmp/slab.l0 /tmp/slab.l1 \
			"flows=$n fam=$fam rep=$rep"
		bench "mem flows=$n fam=$fam rep=$rep active=$(counter flows_active)" \
			"procs=$(counter procs_active) owners=$(counter owners_active)" \
			"created=$(counter flows_created) expired=$(counter flows_expired) evicted=$(counter flows_evicted) refused=$(( $(counter drop_table_full) + $(counter drop_alloc) ))" \
			"slab_delta=$((l1 - l0)) base_delta=$((b1 - b0))" \
			"cache_delta=$((c1 - c0)) cache_objs=$objs objsize=$objsize" \
			"shared_delta=$((p1 - p0))" \
			"fixed_slab=$((l0 - b1)) fixed_vmalloc_percpu_kb=$((v1 - v0))"
		rep=$((rep + 1))
	done
done
done
grep -E '^(# name|exeflow)' /proc/slabinfo
set_state off
netns_cleanup
pass "bench mem"
