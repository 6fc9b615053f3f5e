#!/bin/sh
# build-module.sh KVER OUTDIR: builds exeflow.ko for KVER in OUTDIR (a
# private copy of kmod/ and include/, so builds for different kernels never
# share objects). Prints the path of the module. KDIR overrides the kernel
# build tree (default /lib/modules/KVER/build; the debug kernel's tree).
# VM_CHROOT=DIR builds inside that root with its compiler (tests/matrix:
# an older or newer Debian release): OUTDIR must lie inside DIR, KDIR is a
# path inside it, and the caller mounts DIR/proc.
set -eu
kver=$1 out=$2
top=$(cd "$(dirname "$0")/../.." && pwd)
kdir=${KDIR:-/lib/modules/$kver/build}
rm -rf "$out"
mkdir -p "$out"
out=$(cd "$out" && pwd)
inner=$out run=
if [ -n "${VM_CHROOT:-}" ]; then
	croot=$(cd "$VM_CHROOT" && pwd)
	case $out in
	"$croot"/*) inner=${out#"$croot"} ;;
	*) echo "build-module: $out is not inside VM_CHROOT $croot" >&2; exit 1 ;;
	esac
	run="chroot $croot env PATH=/usr/sbin:/usr/bin:/sbin:/bin"
fi
# Sources only: objects left by an in-tree build for another kernel must
# never be picked up.
(cd "$top" && tar -cf - --exclude='*.o' --exclude='*.ko' --exclude='*.mod' \
	--exclude='*.mod.c' --exclude='.*.cmd' --exclude='Module.symvers' \
	--exclude='modules.order' --exclude='compat-generated.h' kmod include) |
	(cd "$out" && tar -xf -)
$run sh "$inner/kmod/gen-compat.sh" "$kdir" "$inner/kmod" >"$out/build.log" 2>&1
if ! $run make -C "$kdir" M="$inner/kmod" W=1 modules >>"$out/build.log" 2>&1; then
	cat "$out/build.log" >&2
	echo "build-module: exeflow.ko failed to build for $kver" >&2
	exit 1
fi
# Compiler "warning:" and modpost "WARNING:" alike.
if grep -iE 'warning:' "$out/build.log" >&2; then
	echo "build-module: warnings building for $kver" >&2
	exit 1
fi
echo "$out/kmod/exeflow.ko"
