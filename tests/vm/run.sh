#!/bin/sh
# run.sh KVER MODULE_KO LOG SCENARIO...
# Boots Debian's KVER kernel under QEMU (TCG) with the module and the given
# scenarios, and decides pass/fail from the serial log: every scenario must
# end with rc=0, the module must unload, and the kernel must not report a
# WARNING, BUG, Oops or panic (or a KASAN, kmemleak, lockdep... report).
# Environment: VM_KERNEL_IMAGE, VM_MEM, VM_ACCEL (default tcg,thread=single),
# VM_SMP (default 2), VM_ICOUNT (a QEMU -icount argument, default none),
# VM_APPEND (extra kernel arguments), VM_QEMU_ARGS (extra QEMU arguments,
# split on spaces, no glob characters: bench/hooktrace.sh's gdb stub),
# VM_PANIC_ARGS (default "oops=panic panic_on_warn=1"), VM_SCENARIO_TIMEOUT,
# VM_EXTRA_REPORTS (more grep -E alternatives that fail the run);
# mkinitrd.sh reads VM_KMODS, VM_MODULES_DIR, VM_GUEST_HOOKS and EXTRA_KO.
set -u
kver=$1 ko=$2 log=$3
shift 3
vm=$(cd "$(dirname "$0")" && pwd)
kernel=${VM_KERNEL_IMAGE:-/boot/vmlinuz-$kver}
limit=${VM_SCENARIO_TIMEOUT:-600}
initrd=$(mktemp "${TMPDIR:-/tmp}/exeflow-initrd.XXXXXX")
trap 'rm -f "$initrd"' EXIT

[ -r "$kernel" ] || { echo "run.sh: no kernel image $kernel" >&2; exit 1; }
sh "$vm/mkinitrd.sh" "$kver" "$ko" "$initrd" "$@" || exit 1

# The whole boot is bounded too: scenarios' limits plus a generous margin
# for TCG boots on a loaded machine.
total=$(( limit * $# + 300 ))
: >"$log"
# Single-threaded TCG by default: with QEMU 7.2's multi-threaded TCG, both
# vCPUs busy in the network stack while the module loads or unloads (the
# nf_hook static keys and the accept kretprobe are patched with int3 each
# time) were seen to stall for good (soft lockup on both vCPUs, in
# 04-unload-under-traffic, stock 6.1). The guest still has 2 CPUs.
# VM_ACCEL=tcg gives multi-threaded TCG (the debug kernel, which is slow
# enough not to hit it and would take much longer single-threaded).
# VM_ICOUNT (bench/hookbench.sh, HOOKBENCH_ICOUNT=1) makes guest time count
# executed instructions (-icount): deterministic, single-threaded, and QEMU
# 7.2 hangs before the first instruction with it and 2 vCPUs, so then
# VM_SMP=1.
timeout "$total" qemu-system-x86_64 -accel "${VM_ACCEL:-tcg,thread=single}" \
	${VM_ICOUNT:+-icount "$VM_ICOUNT"} \
	-m "${VM_MEM:-1024}" -smp "${VM_SMP:-2}" \
	${VM_QEMU_ARGS:-} -display none -monitor none -no-reboot \
	-serial "file:$log" \
	-kernel "$kernel" -initrd "$initrd" \
	-append "console=ttyS0 loglevel=4 panic=-1 ${VM_PANIC_ARGS-oops=panic panic_on_warn=1} exeflow.timeout=$limit ${VM_APPEND:-}" \
	</dev/null
qrc=$?

status=0
[ "$qrc" = 0 ] || { echo "run.sh: qemu exited with $qrc (124 = time limit)"; status=1; }
grep -q '^EXEFLOW-DONE' "$log" || { echo "run.sh: guest did not finish"; status=1; }
for s in "$@"; do
	name=$(basename "$s")
	if ! grep -q "^EXEFLOW-END $name rc=0" "$log"; then
		echo "run.sh: scenario $name failed"
		status=1
	fi
done
if grep -q '^EXEFLOW-UNLOAD-FAILED' "$log"; then
	echo "run.sh: module did not unload"
	status=1
fi
# Kernel reports: generic ones, then the debug kernel's (KASAN, kmemleak
# scan output, lockdep, might_sleep, DEBUG_LIST, debugobjects, slab caches
# destroyed while not empty).
reports='WARNING:|BUG:|Oops|Kernel panic|general protection fault|UBSAN:|KASAN:'
reports="$reports|unreferenced object|suspected memory leak|possible circular locking"
reports="$reports|possible recursive locking|inconsistent lock state|suspicious RCU usage"
reports="$reports|sleeping function called|Invalid wait context|scheduling while atomic"
reports="$reports|list_(add|del) corruption|ODEBUG:|Slab cache still has objects"
[ -n "${VM_EXTRA_REPORTS:-}" ] && reports="$reports|$VM_EXTRA_REPORTS"
if grep -nE "$reports" "$log"; then
	echo "run.sh: kernel reported a problem"
	status=1
fi
exit $status
