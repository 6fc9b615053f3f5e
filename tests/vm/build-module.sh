#!/bin/sh
# build-module.sh KVER OUTDIR: builds exeflow.ko for KVER in OUTDIR (a
# private copy of kmod/ and include/, so builds for different kernels never
# share objects). Prints the path of the module. KDIR overrides the kernel
# build tree (default /lib/modules/KVER/build; the debug kernel's tree).
set -eu
kver=$1 out=$2
top=$(cd "$(dirname "$0")/../.." && pwd)
kdir=${KDIR:-/lib/modules/$kver/build}
rm -rf "$out"
mkdir -p "$out"
out=$(cd "$out" && pwd)
# Sources only: objects left by an in-tree build for another kernel must
# never be picked up.
(cd "$top" && tar -cf - --exclude='*.o' --exclude='*.ko' --exclude='*.mod' \
	--exclude='*.mod.c' --exclude='.*.cmd' --exclude='Module.symvers' \
	--exclude='modules.order' --exclude='compat-generated.h' kmod include) |
	(cd "$out" && tar -xf -)
sh "$out/kmod/gen-compat.sh" "$kdir" "$out/kmod" >"$out/build.log" 2>&1
if ! make -C "$kdir" M="$out/kmod" W=1 modules >>"$out/build.log" 2>&1; then
	cat "$out/build.log" >&2
	echo "build-module: exeflow.ko failed to build for $kver" >&2
	exit 1
fi
if grep -E 'warning:' "$out/build.log" >&2; then
	echo "build-module: warnings building for $kver" >&2
	exit 1
fi
echo "$out/kmod/exeflow.ko"
