#!/bin/sh
# line.sh LINE OUTDIR: one kernel line of the matrix. Fetches it (fetch.sh,
# cached), builds exeflow.ko with that kernel's headers and compiler
# (warnings are errors), boots the kernel with every VM scenario, then
# proves on the same kernel that the harness sees a crash (a planted module
# that oopses on load must fail its boot). Writes OUTDIR/result:
#   LINE KVER STATUS WARNINGS PASSED TOTAL REPORTS SECONDS "DETAIL"
# STATUS is passed, FAILED or SKIPPED. Exit 0 unless FAILED.
set -u
line=$1 out=$2
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
vm=$top/tests/vm
# shellcheck source=tests/matrix/lib.sh
. "$here/lib.sh"
mkdir -p "$out" "$MATRIX_CACHE"
out=$(cd "$out" && pwd)
t0=$(now)
kver=- warnings=- passed=0 reports=- detail=
# Every VM scenario (module and daemon), as make check-vm runs them.
# shellcheck disable=SC2086
set -- ${MATRIX_SCENARIOS:-"$vm"/scenarios/*.sh}
total=$#

result() { # STATUS DETAIL
	# shellcheck disable=SC1003
	d=$(printf '%s' "$2" | tr -d '"$`\\' | tr '\n' ' ')
	echo "$line $kver $1 $warnings $passed $total $reports $(( $(now) - t0 )) \"$d\"" >"$out/result"
	[ "$1" != FAILED ]
	exit $?
}

# ---- fetch (exclusive per line: it may replace cached chroots) ----------
rm -f "$out/env"
flock "$MATRIX_CACHE/$line.lock" sh "$here/fetch.sh" "$line" "$out/env" 2>"$out/fetch.log"
rc=$?
cat "$out/fetch.log" >&2
# shellcheck disable=SC1091
. "$out/env" 2>/dev/null
kver=${KVER:--}
case $rc in
0) ;;
3) result SKIPPED "$SKIP" ;;
*) result FAILED "fetch failed (rc=$rc): $(tail -n 1 "$out/fetch.log")" ;;
esac
echo "== matrix: $line $kver (${NOTE:-})" >&2

# ---- build -----------------------------------------------------------------
work='' croot='' run=''
cleanup() {
	[ -n "$work" ] || return 0
	mountpoint -q "$croot/proc" 2>/dev/null && umount "$croot/proc"
	grep -q " $work/" /proc/mounts || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
bdir=$out/build
if [ -n "$CHROOT_TAR" ]; then
	work=$(mktemp -d "$MATRIX_CACHE/run.XXXXXX")
	croot=$work/root
	mkdir "$croot"
	# shellcheck disable=SC2016
	flock -s "$MATRIX_CACHE/$line.lock" sh -c 'zstd -dc "$1" | tar -C "$2" --numeric-owner -xf -' \
		sh "$CHROOT_TAR" "$croot" || result FAILED "cannot unpack $CHROOT_TAR"
	mount -t proc proc "$croot/proc"
	bdir=$croot/build/exeflow
	run="chroot $croot env PATH=/usr/sbin:/usr/bin:/sbin:/bin"
fi
rm -rf "$out/kmod" "$out/build.log"
ko=$(VM_CHROOT=$croot sh "$vm/build-module.sh" "$kver" "$bdir" 2>"$out/build.err")
brc=$?
cp "$bdir/build.log" "$out/build.log" 2>/dev/null
warnings=$(grep -ciE 'warning:' "$out/build.log" 2>/dev/null)
if [ $brc != 0 ] || [ ! -f "$ko" ]; then
	tail -n 30 "$out/build.err" >&2
	result FAILED "module build failed: $(cat "$out/build.err" "$out/build.log" 2>/dev/null |
		grep -m 1 -iE 'error|warning:|gen-compat')"
fi
cp "$ko" "$out/exeflow.ko"
ko=$out/exeflow.ko

# Self-test module (built now, while the chroot is there).
odir=$bdir/../oops
rm -rf "$odir" && cp -r "$vm/selftest/oops" "$odir"
oinner=$(cd "$odir" && pwd)
[ -n "$croot" ] && oinner=${oinner#"$croot"}
$run make -C "/lib/modules/$kver/build" M="$oinner" modules >"$out/oops-build.log" 2>&1 &&
	cp "$odir/oops.ko" "$out/oops.ko"
cleanup
work=

# ---- boot ------------------------------------------------------------------
export VM_KERNEL_IMAGE="$KIMAGE" VM_MODULES_DIR="$KMODDIR"
sh "$vm/run.sh" "$kver" "$ko" "$out/scenarios.log" "$@" >"$out/run.out" 2>&1
vrc=$?
passed=$(grep -c '^EXEFLOW-END .* rc=0' "$out/scenarios.log")
# run.sh prints each kernel report as grep -n output (LINE:TEXT).
reports=$(grep -c '^[0-9][0-9]*:' "$out/run.out")
if [ $vrc != 0 ]; then
	cat "$out/run.out" >&2
	sed -n '/^EXEFLOW-BEGIN/,/^EXEFLOW-DONE/p' "$out/scenarios.log" | grep -v '^\[' | tail -n 60 >&2
	result FAILED "$(grep -v '^[0-9]' "$out/run.out" | head -n 3 | tr '\n' ' ')"
fi

# ---- harness self-test on this kernel ---------------------------------------
if [ "${MATRIX_SELFTEST:-1}" = 1 ]; then
	[ -f "$out/oops.ko" ] || result FAILED "self-test module did not build (oops-build.log)"
	if sh "$vm/run.sh" "$kver" "$out/oops.ko" "$out/selftest.log" \
		"$vm/selftest/load-broken.sh" >"$out/selftest.out" 2>&1; then
		result FAILED "harness self-test: a module that oopses on load passed"
	fi
	grep -q 'kernel reported a problem' "$out/selftest.out" ||
		result FAILED "harness self-test: the oops was not seen as a kernel report"
	detail="oops self-test detected"
fi
result passed "${NOTE:-}${detail:+; $detail}"
