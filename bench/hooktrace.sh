#!/bin/sh
# bench/hooktrace.sh [KIND]: the instructions of one packet-path call, one
# by one: what bench/hookbench.sh's per-call figure is made of. Builds the
# bench module (EXEFLOW_BENCH=1, kmod/tests/hook_bench.c), boots the guest
# with QEMU's gdb stub and single-steps one call of ef_hook() with a flow
# already in the table (the third of its kind), from its first instruction
# to its return, callees included. KIND: udp4_in (default; received, in
# softirq), tcp4_out (sent, in a task) or udp6_in. Prints each instruction
# (the module's by its address in `objdump -d exeflow.ko`, the kernel's by
# its own), then the count; netfilter's own part of the call
# (nf_hook_slow(), the indirect call) is not in it. Needs gdb; nothing is
# loaded into this machine's kernel.
#
# Environment: BENCH_KERNEL (default: as bench/run.sh), HOOKTRACE_MAX
# (instructions stepped at most, default 2000).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
vm=$top/tests/vm
kind=${1:-udp4_in}
max=${HOOKTRACE_MAX:-2000}
out=$top/build/hooktrace
kver=${BENCH_KERNEL:-$(sh "$vm/kernels.sh" | awk '{print $1}')}
[ -n "$kver" ] || { echo "hooktrace: no test kernel installed (run 'make deps')" >&2; exit 1; }
for t in gdb nm python3; do
	command -v $t >/dev/null || { echo "hooktrace: needs $t" >&2; exit 1; }
done
# bench_hook runs its kinds in this order, each 1 + N calls (the first
# creates the flow): with N = 3 the third call of kind i is hit 4 i + 3
case $kind in
udp4_in) idx=0 ;;
tcp4_out) idx=1 ;;
udp6_in) idx=2 ;;
*) echo "hooktrace: KIND is udp4_in, tcp4_out or udp6_in" >&2; exit 2 ;;
esac
rm -rf "$out"
mkdir -p "$out"
EXEFLOW_BENCH=1 sh "$vm/build-module.sh" "$kver" "$out/build" >/dev/null
ko=$out/build/kmod/exeflow.ko
cp "$ko" "$out/exeflow-trace.ko"

# The guest prints where the module's text is, then gives the host's gdb
# 30 s to attach and set its breakpoint before it sends the packets. (A
# fixed wait: the guest cannot see the host. This is a profiling aid, not
# a test; the host side waits for the guest's line, not for a time.)
cat >"$out/guest.sh" <<'EOF'
#!/bin/sh
. /exeflow/lib.sh
rmmod exeflow 2>/dev/null
sysctl -qw kernel.kptr_restrict=0
insmod /exeflow/modules/exeflow-trace.ko || fail "insmod"
echo "HOOKTRACE-TEXT $(cat /sys/module/exeflow/sections/.text)"
sleep 30
echo 3 >/sys/module/exeflow/parameters/bench_hook || fail "bench_hook"
rmmod exeflow
EOF
port=$((20000 + $$ % 20000))
EXTRA_KO="$out/exeflow-trace.ko" VM_SMP=1 VM_SCENARIO_TIMEOUT=600 \
	VM_QEMU_ARGS="-gdb tcp:127.0.0.1:$port" \
	sh "$vm/run.sh" "$kver" "$out/exeflow-trace.ko" "$out/guest.log" \
	"$out/guest.sh" >"$out/vm.out" 2>&1 &
qemu=$!
i=0
until grep -q '^HOOKTRACE-TEXT' "$out/guest.log" 2>/dev/null; do
	sleep 1
	i=$((i + 1))
	kill -0 "$qemu" 2>/dev/null && [ $i -lt 300 ] ||
		{ cat "$out/vm.out"; echo "hooktrace: the guest did not load the module" >&2; exit 1; }
done
text=$(tr -d '\r' <"$out/guest.log" | sed -n 's/^HOOKTRACE-TEXT //p')
off=$(nm "$ko" | awk '$3 == "ef_hook" { print $1 }')
addr=$(python3 -c "print(hex($text + 0x$off))")
cat >"$out/gdb.cmd" <<EOF
set pagination off
target remote 127.0.0.1:$port
hbreak *$addr
ignore 1 $((4 * idx + 2))
continue
delete
set \$n = 0
while \$n < $max
  x/i \$pc
  stepi
  set \$n = \$n + 1
end
detach
quit
EOF
gdb -q -batch -x "$out/gdb.cmd" >"$out/gdb.out" 2>&1 || true
wait "$qemu" || { cat "$out/vm.out"; echo "hooktrace: guest run failed (log: $out/guest.log)" >&2; exit 1; }
grep -q '^Breakpoint 1,' "$out/gdb.out" ||
	{ cat "$out/gdb.out"; echo "hooktrace: gdb did not stop in ef_hook() (attached after the guest's 30 s?)" >&2; exit 1; }
# from ef_hook's first instruction to its own return
grep '^=>' "$out/gdb.out" | python3 -c '
import sys
base, text = int(sys.argv[1], 16), int(sys.argv[2], 16)
depth, n = 0, 0
for line in sys.stdin:
    pc, ins = line.split(None, 2)[1:]
    pc = int(pc.rstrip(":"), 16)
    ins = " ".join(ins.split("#")[0].split())
    n += 1
    where = hex(pc - text) if 0 <= pc - text < 0x100000 else "kernel " + hex(pc)
    print("%4d %-24s %s" % (n, where, ins))
    if ins.startswith("call"):
        depth += 1
    elif ins.startswith("ret"):
        if depth == 0:
            print("hooktrace: %d instructions in ef_hook() and its callees" % n)
            sys.exit(0)
        depth -= 1
sys.exit("hooktrace: no return within the instructions stepped (HOOKTRACE_MAX)")
' "$addr" "$text"
