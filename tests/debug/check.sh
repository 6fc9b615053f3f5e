#!/bin/sh
# check.sh [SCENARIO...]: the VM scenarios on exeflow's debug kernel (KASAN,
# kmemleak, lockdep, PROVE_RCU, DEBUG_ATOMIC_SLEEP, DEBUG_LIST, KUnit).
#
# Builds the kernel if the cache lacks it (tests/debug/build-kernel.sh),
# builds exeflow.ko against that tree (tests/vm/build-module.sh with KDIR),
# boots it with tests/vm/scenarios/*.sh + tests/debug/scenarios/*.sh (or the
# given scenarios) through tests/vm/run.sh, with guest hooks that print the
# module's slab caches before rmmod and a kmemleak scan after each scenario.
# Any kernel report fails the run, and so does a KUnit suite of the module
# (kmod/tests, run at each load) without a passing KTAP summary in the log.
# Then the harness self-test: a planted module (tests/debug/selftest/planted)
# with a kmalloc leak, a msleep() under a spinlock and a non-empty slab cache
# at unload, one boot each; each must fail with its own report.
#
# Environment: EXEFLOW_CACHE (see build-kernel.sh), DEBUG_SELFTEST=0 skips
# the self-test, DEBUG_KMEMLEAK=each scans for leaks after every scenario
# (default: once, after the last one; slower but names the scenario),
# VM_SCENARIO_TIMEOUT, VM_APPEND (extra kernel arguments), DEBUG_OUT (output
# directory, default build/debug).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
vm=$top/tests/vm
dbg=$top/tests/debug
out=${DEBUG_OUT:-$top/build/debug}
mkdir -p "$out"
t0=$(date +%s)

echo "== debug kernel"
tree=$(sh "$dbg/build-kernel.sh") && [ -d "$tree" ] ||
	{ echo "check-debug: no debug kernel"; exit 1; }
kver=$(cat "$tree/include/config/kernel.release")
t1=$(date +%s)

# run.sh / mkinitrd.sh settings for the debug kernel: its bzImage; no
# modules directory (veth is built in); the guest hooks; kmemleak on, slab
# caches not merged (so a module's cache is checked alone at destroy),
# warnings on the console and a big log buffer; no panic_on_warn, so that
# one report does not hide the next ones (the kernel goes on; run.sh greps).
export VM_KERNEL_IMAGE="$tree/arch/x86/boot/bzImage"
export VM_MEM="${VM_MEM:-1024}"
# multi-threaded TCG here: single-threaded would make this run far longer
# (tests/vm/run.sh says why the stock kernels use it)
export VM_ACCEL="${VM_ACCEL:-tcg}"
export VM_KMODS=""
export VM_GUEST_HOOKS="$dbg/guest-hooks.sh"
export VM_PANIC_ARGS="oops=panic"
export VM_APPEND="kmemleak=on slab_nomerge loglevel=5 log_buf_len=4M exeflow.kmemleak=${DEBUG_KMEMLEAK:-end} ${VM_APPEND:-}"
# KUnit suites (run at insmod) print "not ok N name" for a failed test.
export VM_EXTRA_REPORTS='not ok [0-9]+ '

# count_reports RUN_OUTPUT: distinct report lines run.sh printed ("N:line"
# from its grep), timestamps stripped (the console and the final dmesg dump
# show some reports twice).
count_reports() {
	grep -E '^[0-9]+:' "$1" | sed 's/^[0-9]*://; s/^\[ *[0-9.]*\] *//' |
		sort -u | wc -l
}

failed=""
echo "== exeflow.ko for $kver (debug)"
if ! ko=$(EXEFLOW_KUNIT=1 KDIR="$tree" sh "$vm/build-module.sh" "$kver" "$out/exeflow"); then
	echo "check-debug: exeflow.ko does not build against the debug kernel"
	exit 1
fi
t2=$(date +%s)

if [ $# -gt 0 ]; then
	scenarios="$*"
else
	# DEBUG_SKIP="NAME.sh ...": scenarios to leave out (none by default)
	skip=${DEBUG_SKIP-}
	scenarios=""
	for s in "$vm"/scenarios/*.sh "$dbg"/scenarios/*.sh; do
		case " $skip " in *" $(basename "$s") "*)
			echo "debug: skipping $(basename "$s") (DEBUG_SKIP)"; continue ;;
		esac
		[ -e "$s" ] && scenarios="$scenarios $s"
	done
fi
total=$(echo "$scenarios" | wc -w)
log=$out/scenarios.log
echo "== scenarios on the debug kernel ($total; log: $log)"
# shellcheck disable=SC2086
if sh "$vm/run.sh" "$kver" "$ko" "$log" $scenarios >"$out/scenarios.out" 2>&1; then
	res=passed
else
	res=FAILED
	failed="$failed scenarios"
	sed -n '/^EXEFLOW-BEGIN/,/^EXEFLOW-DONE/p' "$log" | grep -v '^\[' | tail -n 80
fi
cat "$out/scenarios.out"
passed=$(grep -c '^EXEFLOW-END .* rc=0' "$log")
nrep=$(count_reports "$out/scenarios.out")

# KUnit (kmod/tests/) runs at every load of the module. Proof that it ran:
# each suite's KTAP summary, every one with fail:0 and tests passed ("not
# ok" lines fail the run already).
ksuites=$(sed -n 's/^[[:space:]]*\.name = "\(exeflow_[a-z0-9_]*\)",$/\1/p' \
	"$top"/kmod/tests/*.c)
ktap=$(tr -d '\r' <"$log" | grep -E '# exeflow_[a-z0-9_]+: pass:' | sort -u |
	sed 's/.*# //')
ktests=0 kbad="" kloads=0
for s in $ksuites; do
	k=$(echo "$ktap" | grep "^$s: ")
	kloads=$(echo "$k" | grep -c .)
	if [ -z "$k" ] || echo "$k" | grep -qv ' fail:0 ' ||
		echo "$k" | grep -q ' pass:0 '; then
		kbad="$kbad $s"
	fi
	p=$(echo "$k" | sed -n '1s/.* pass:\([0-9]*\) .*/\1/p')
	ktests=$((ktests + ${p:-0}))
done
if [ -n "$kbad" ] || [ "$ktests" = 0 ]; then
	echo "check-debug: KUnit: no passing summary for:${kbad:- any suite}"
	echo "$ktap"
	failed="$failed kunit"
fi
t3=$(date +%s)
summary="debug $kver: scenarios $passed/$total $res, kernel reports found = $nrep, KUnit: $ktests tests passed (module loads: $kloads) ($((t3 - t2)) s, log: $log)"

# Harness self-test: every planted bug must fail its boot with its report.
if [ "${DEBUG_SELFTEST:-1}" != 0 ]; then
	echo "== harness self-test (planted bugs)"
	pdir=$out/planted
	rm -rf "$pdir" && cp -r "$dbg/selftest/planted" "$pdir"
	if ! make -C "$tree" M="$pdir" modules >"$pdir/build.log" 2>&1; then
		cat "$pdir/build.log"
		failed="$failed selftest-build"
	else
		for case in "leak:unreferenced object" \
			"sleep:sleeping function called from invalid context" \
			"slab:Slab cache still has objects"; do
			bug=${case%%:*} want=${case#*:}
			slog=$out/selftest-$bug.log sout=$out/selftest-$bug.out
			more=""
			[ "$bug" = leak ] && more=$dbg/selftest/idle.sh
			# shellcheck disable=SC2086
			if sh "$vm/run.sh" "$kver" "$pdir/exeflow_planted.ko" "$slog" \
				"$dbg/selftest/$bug.sh" $more >"$sout" 2>&1; then
				echo "self-test bug=$bug: the run PASSED: the harness cannot see it"
				failed="$failed selftest-$bug"
				r="NOT DETECTED"
			elif ! grep -q "$want" "$slog"; then
				echo "self-test bug=$bug: failed, but without \"$want\":"
				cat "$sout"
				failed="$failed selftest-$bug"
				r="WRONG REPORT"
			else
				r="detected, reports found = $(count_reports "$sout"): $(grep -m1 -o "$want.*" "$slog" | cut -c1-100)"
			fi
			echo "self-test bug=$bug: $r"
			summary="$summary
self-test bug=$bug: $r"
		done
	fi
fi
t4=$(date +%s)
echo "== debug check summary"
echo "$summary"
echo "time: kernel $((t1 - t0)) s, module $((t2 - t1)) s, scenarios $((t3 - t2)) s, self-test $((t4 - t3)) s, total $((t4 - t0)) s"
if [ -n "$failed" ]; then
	echo "check-debug FAILED:$failed"
	exit 1
fi
echo "check-debug passed"
