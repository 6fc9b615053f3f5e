#!/bin/sh
# bench/hookbench.sh [BASE]: the packet path's cost per call, this tree's
# module against BASE's (a git revision, default HEAD; its module is built
# with this tree's kmod/tests/hook_bench.c and pktbuild.h), in one QEMU guest
# boot (nothing is loaded into this machine's kernel). Both are built with
# EXEFLOW_BENCH=1 (kmod/tests/hook_bench.c); each round loads one, times
# ef_hook() for every kind of packet, unloads it, then the other, in an
# order that alternates. Prints the medians per kind and module and their
# ratio (this tree / BASE): a before/after for a hot-path change that the
# traffic figures of `make bench` are too noisy to show under TCG.
#
# Environment: HOOKBENCH_ROUNDS (default 9), HOOKBENCH_CALLS (per kind and
# round, default 200000), BENCH_KERNEL (default: as bench/run.sh),
# HOOKBENCH_ICOUNT=1: the guest's clock counts executed instructions, one
# per ns (QEMU -icount shift=0, one vCPU), so the figures are instructions
# per call: deterministic and free of the host's noise, but blind to what
# TCG charges for calls, loops and TLB misses (udp4_cold equals udp4_in).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
vm=$top/tests/vm
base=${1:-HEAD}
rounds=${HOOKBENCH_ROUNDS:-9}
calls=${HOOKBENCH_CALLS:-200000}
out=$top/build/hookbench
kver=${BENCH_KERNEL:-$(sh "$vm/kernels.sh" | awk '{print $1}')}
[ -n "$kver" ] || { echo "hookbench: no test kernel installed (run 'make deps')" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out/base-src"

git -C "$top" archive "$base" kmod include tests/vm/build-module.sh |
	tar -xf - -C "$out/base-src"
# BASE's code under this tree's bench: the same measurement for both
grep -q 'tests/hook_bench.c' "$out/base-src/kmod/hook.c" ||
	{ echo "hookbench: $base predates kmod/tests/hook_bench.c" >&2; exit 1; }
cp "$top/kmod/tests/hook_bench.c" "$top/kmod/tests/pktbuild.h" \
	"$out/base-src/kmod/tests/"
echo "hookbench: building $base and the working tree for $kver"
EXEFLOW_BENCH=1 sh "$out/base-src/tests/vm/build-module.sh" "$kver" "$out/base" >/dev/null
EXEFLOW_BENCH=1 sh "$vm/build-module.sh" "$kver" "$out/tree" >/dev/null
cp "$out/base/kmod/exeflow.ko" "$out/exeflow-base.ko"
cp "$out/tree/kmod/exeflow.ko" "$out/exeflow-tree.ko"

cat >"$out/hookbench.sh" <<EOF
#!/bin/sh
. /exeflow/lib.sh
# the harness loads /exeflow/modules/*.ko at boot (dependencies): one of ours
rmmod exeflow 2>/dev/null
r=0
while [ \$r -lt $rounds ]; do
	if [ \$((r % 2)) = 0 ]; then order="base tree"; else order="tree base"; fi
	for v in \$order; do
		insmod /exeflow/modules/exeflow-\$v.ko || fail "insmod \$v"
		echo $calls >/sys/module/exeflow/parameters/bench_hook ||
			fail "bench_hook \$v"
		echo "HOOKBENCH v=\$v \$(cat /sys/module/exeflow/parameters/bench_hook)"
		rmmod exeflow || fail "rmmod \$v"
	done
	r=\$((r + 1))
done
EOF
unit=ns
if [ "${HOOKBENCH_ICOUNT:-0}" = 1 ]; then
	unit=insns
	export VM_SMP=1 VM_ICOUNT=shift=0,sleep=off
fi
echo "hookbench: $rounds rounds of $calls calls per kind under QEMU (TCG), $unit per call"
EXTRA_KO="$out/exeflow-base.ko $out/exeflow-tree.ko" VM_MEM=1024 \
	VM_SCENARIO_TIMEOUT=1800 \
	sh "$vm/run.sh" "$kver" "$out/exeflow-tree.ko" "$out/guest.log" \
	"$out/hookbench.sh" >"$out/vm.out" 2>&1 ||
	{ cat "$out/vm.out"; echo "hookbench: guest run failed (log: $out/guest.log)" >&2; exit 1; }

# ns (or instructions) per call: median per kind and module, then tree / base
tr -d '\r' <"$out/guest.log" | grep '^HOOKBENCH ' | awk -v unit="$unit" '
	{ v = substr($2, 3)
	  for (i = 4; i <= NF; i++) { split($i, kv, "="); x[v, kv[1], ++n[v, kv[1]]] = kv[2]; kinds[kv[1]] = 1 } }
	function median(v, k,   m, i, j, t, a) {
		m = n[v, k]
		for (i = 1; i <= m; i++) a[i] = x[v, k, i]
		for (i = 2; i <= m; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
		return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
	}
	END {
		printf "%-10s %12s %12s %8s\n", "kind", "base " unit, "tree " unit, "ratio"
		for (k in kinds) {
			b = median("base", k); t = median("tree", k)
			printf "%-10s %12.1f %12.1f %8.3f\n", k, b, t, b ? t / b : 0
		}
	}' | tee "$out/result.txt"
