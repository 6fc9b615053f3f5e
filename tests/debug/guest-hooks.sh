# Guest hooks for the debug kernel: installed as /exeflow/hooks.sh by
# tests/vm/mkinitrd.sh (VM_GUEST_HOOKS) and sourced by /init
# (tests/vm/guest-init.sh), which calls them around each scenario.
# Everything printed here lands in the serial log that run.sh greps.
KMEMLEAK=/sys/kernel/debug/kmemleak

exeflow_hook_boot() {
	echo "EXEFLOW-DEBUG kernel $(uname -r): $(cat /proc/cmdline)"
	[ -w "$KMEMLEAK" ] || echo "EXEFLOW-DEBUG-NO-KMEMLEAK (not a debug kernel?)"
}

# The module's slab caches just before /init's rmmod, for the log (objects
# may legitimately be live here; the emptiness check is kmem_cache_destroy's
# own "Slab cache still has objects" at unload, exact with slab_nomerge).
exeflow_hook_before_unload() {
	for c in /sys/kernel/slab/exeflow*; do
		[ -e "$c/objects" ] && echo "EXEFLOW-SLAB $1 $(basename "$c") objects=$(cut -d' ' -f1 "$c/objects")"
	done
	return 0
}

# kmemleak scans, after the last scenario (default) or after each one
# (kernel argument exeflow.kmemleak=each; ~10-25 s per scenario under TCG,
# but names the scenario). The module is unloaded by then: a leak is
# reported only once the module, whose data referenced it, is gone. An
# object is reported only on a scan at least 5 s after its allocation, and
# only if its contents did not change since the previous scan (its first
# scan just records a checksum): two scans, the second >= 5 s after unload.
exeflow_hook_after_scenario() {
	[ -w "$KMEMLEAK" ] || return 0
	if ! grep -q 'exeflow.kmemleak=each' /proc/cmdline &&
		[ "$1" != "$(tail -n 1 /exeflow/run-list)" ]; then
		return 0
	fi
	_t0=$(date +%s)
	echo scan >"$KMEMLEAK"
	_t1=$(date +%s)
	[ $((_t1 - _t0)) -lt 5 ] && sleep $((5 - (_t1 - _t0)))
	echo scan >"$KMEMLEAK"
	echo "EXEFLOW-KMEMLEAK-BEGIN after $1 (scans took $(($(date +%s) - _t0)) s)"
	cat "$KMEMLEAK"
	echo "EXEFLOW-KMEMLEAK-END after $1"
	# Reported objects are not listed again after the next scenario.
	echo clear >"$KMEMLEAK"
}
