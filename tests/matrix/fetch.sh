#!/bin/sh
# fetch.sh LINE ENVFILE: makes one kernel line ready in the cache and writes
# what the build and the boot need to ENVFILE (shell assignments):
#   KVER      kernel version
#   KIMAGE    the kernel image to boot
#   KMODDIR   its modules directory (with modules.dep)
#   CHROOT_TAR  chroot with the line's headers and compiler ("" = host)
#   NOTE      anything worth saying in the summary
# Exit 0: ready. Exit 3: the line's packages cannot be fetched; ENVFILE has
# SKIP="reason". Any other exit: a real failure.
#
# Nothing is installed on the host: images are `apt-get download`ed with a
# private apt state and unpacked with `dpkg -x`; headers and the compiler go
# into a debootstrap chroot, cached as a tarball keyed by suite and kernel
# version (the bare debootstrap is cached per release too).
set -eu
line=$1 envfile=$2
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/matrix/lib.sh
. "$here/lib.sh"
line_info "$line"
matrix_mirrors
mkdir -p "$MATRIX_CACHE"
: >"$envfile"

skip() {
	echo "SKIP='$(echo "$*" | tr -d "'" | tr '\n' ' ')'" >>"$envfile"
	echo "matrix: $line SKIPPED: $*" >&2
	exit 3
}

# ---- host lines: installed by make deps (tests/deps.sh) -------------------
if [ "$how" = host ]; then
	kver=$(for img in /boot/vmlinuz-*; do
		k=${img#/boot/vmlinuz-}
		echo "$k" | grep -qxE "$pattern" && [ -d "/lib/modules/$k/build" ] && echo "$k"
	done | sort -V | tail -n 1)
	[ -n "$kver" ] || skip "no installed $line kernel with headers (run 'make deps')"
	{
		echo "KVER='$kver'"
		echo "KIMAGE='/boot/vmlinuz-$kver'"
		echo "KMODDIR='/lib/modules/$kver'"
		echo "CHROOT_TAR=''"
		echo "NOTE='host headers and compiler'"
	} >>"$envfile"
	exit 0
fi

# ---- chroot lines ---------------------------------------------------------
lsuite=${suites##*:}                       # the line's own suite
apt_dir=$MATRIX_CACHE/apt/$lsuite
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
sources_list "${suites##* }" >"$apt_dir/sources.list"
note=
log=$MATRIX_CACHE/apt/$lsuite.log
if papt "$apt_dir" apt-get update >"$log" 2>&1 &&
	! grep -qE '^(W|E): (Failed|Some index)' "$log"; then
	kver=$(papt "$apt_dir" apt-cache search --names-only "$pattern" |
		awk '{print $1}' | sed 's/^linux-headers-//' | sort -V | tail -n 1)
	[ -n "$kver" ] || skip "no package matching $pattern in $lsuite"
else
	# Offline or archive gone: the newest line already in the cache, if any.
	# shellcheck disable=SC2012
	kver=$(ls "$MATRIX_CACHE/image/$lsuite" 2>/dev/null | while read -r k; do
		[ -e "$MATRIX_CACHE/image/$lsuite/$k/ok" ] &&
			[ -e "$MATRIX_CACHE/chroot/$lsuite-$k.tar.zst" ] && echo "$k"
	done | sort -V | tail -n 1)
	[ -n "$kver" ] || skip "cannot read the $lsuite index: $(grep -E '^(W|E):' "$log" | head -n 2)"
	note="$lsuite index unreachable; using the cached $kver"
fi

# Image: linux-image-KVER (5.10, 6.x); from 7.x the image package is a meta
# package and the kernel is in linux-binary-KVER + linux-modules-KVER.
img=$MATRIX_CACHE/image/$lsuite/$kver
if [ ! -e "$img/ok" ]; then
	echo "matrix: $line: downloading the $kver image" >&2
	rm -rf "$img"
	mkdir -p "$img/debs"
	pkgs=linux-image-$kver
	for extra in linux-binary-$kver linux-modules-$kver; do
		papt "$apt_dir" apt-cache show "$extra" >/dev/null 2>&1 && pkgs="$pkgs $extra"
	done
	# shellcheck disable=SC2086
	(cd "$img/debs" && papt "$apt_dir" apt-get download $pkgs) >"$img/download.log" 2>&1 ||
		skip "apt-get download $pkgs failed: $(grep -E '^(E|W):' "$img/download.log" | head -n 2)"
	for deb in "$img"/debs/*.deb; do dpkg -x "$deb" "$img/root"; done
	rm -rf "$img/debs"
	# merged-/usr packages (7.x) put modules under usr/lib/modules
	if [ ! -d "$img/root/lib/modules/$kver" ] && [ -d "$img/root/usr/lib/modules/$kver" ]; then
		mkdir -p "$img/root/lib/modules"
		ln -s "../../usr/lib/modules/$kver" "$img/root/lib/modules/$kver"
	fi
	[ -d "$img/root/lib/modules/$kver" ] || { echo "matrix: $kver: no modules in $pkgs" >&2; exit 1; }
	# An unpacked tree has no modules.dep (postinst makes it); depmod -b
	# only reads and writes files below the given base.
	# (7.x packages lack modules.order and modules.builtin: depmod warns.)
	depmod -b "$img/root" "$kver" 2>"$img/depmod.log" ||
		{ cat "$img/depmod.log" >&2; exit 1; }
	touch "$img/ok"
fi
kimage=
for f in "$img/root/boot/vmlinuz-$kver" "$img/root/usr/lib/modules/$kver/vmlinuz" \
	"$img/root/lib/modules/$kver/vmlinuz"; do
	[ -f "$f" ] && { kimage=$f; break; }
done
[ -n "$kimage" ] || { echo "matrix: no vmlinuz for $kver in $img/root" >&2; exit 1; }

# Chroot: $release minbase + the line's headers, gcc and make.
cdir=$MATRIX_CACHE/chroot
tarball=$cdir/$lsuite-$kver.tar.zst
base=$cdir/$release-base.tar.zst
mkdir -p "$cdir"
work=
cleanup() {
	[ -n "$work" ] || return 0
	for m in proc dev/pts; do
		mountpoint -q "$work/root/$m" 2>/dev/null && umount "$work/root/$m"
	done
	# never remove a tree that still has something mounted in it
	if ! grep -q " $work/" /proc/mounts; then rm -rf "$work"; fi
}
trap cleanup EXIT INT TERM
if [ ! -e "$tarball" ]; then
	work=$(mktemp -d "$cdir/work.XXXXXX")
	root=$work/root
	if [ ! -e "$base" ]; then
		echo "matrix: $line: debootstrap $release (minbase)" >&2
		debootstrap --variant=minbase "$release" "$root" "$MIRROR" >"$work/debootstrap.log" 2>&1 ||
			skip "debootstrap $release from $MIRROR failed: $(tail -n 2 "$work/debootstrap.log")"
		rm -rf "$root/var/cache/apt/archives/"*.deb "$root/var/lib/apt/lists/"*_*
		tar -C "$root" --numeric-owner -cf - . | zstd -q -T0 -3 -o "$base.tmp"
		mv "$base.tmp" "$base"
	else
		mkdir "$root"
		zstd -dc "$base" | tar -C "$root" --numeric-owner -xf -
	fi
	echo "matrix: $line: installing linux-headers-$kver in the $release chroot" >&2
	# shellcheck disable=SC2086
	sources_list $suites >"$root/etc/apt/sources.list"
	cat >"$root/etc/apt/apt.conf.d/90exeflow-matrix" <<-'EOF'
	Acquire::Check-Valid-Until "false";
	APT::Install-Recommends "false";
	Acquire::Languages "none";
	EOF
	cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
	mount -t proc proc "$root/proc"
	if ! chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
		sh -c "apt-get -q update && apt-get -q -y -t $lsuite install gcc make linux-headers-$kver && apt-get clean" \
		>"$work/apt.log" 2>&1; then
		umount "$root/proc"
		if grep -qE "^(E: (Unable to locate|Failed to fetch|Package .* has no installation candidate)|W: Failed to fetch)" "$work/apt.log"; then
			skip "installing linux-headers-$kver in the $release chroot: $(grep -E '^E:' "$work/apt.log" | head -n 2)"
		fi
		cat "$work/apt.log" >&2
		exit 1
	fi
	umount "$root/proc"
	rm -rf "$root/var/lib/apt/lists/"*_*
	chroot "$root" test -e "/lib/modules/$kver/build/Makefile" ||
		{ echo "matrix: no /lib/modules/$kver/build in the chroot" >&2; exit 1; }
	tar -C "$root" --numeric-owner -cf - . | zstd -q -T0 -3 -o "$tarball.tmp"
	mv "$tarball.tmp" "$tarball"
	# Older kernels of this line are not needed any more.
	for old in "$cdir/$lsuite"-*.tar.zst; do
		[ "$old" = "$tarball" ] || rm -f "$old"
	done
	for old in "$MATRIX_CACHE/image/$lsuite"/*; do
		[ "$old" = "$img" ] || rm -rf "$old"
	done
fi

{
	echo "KVER='$kver'"
	echo "KIMAGE='$kimage'"
	echo "KMODDIR='$img/root/lib/modules/$kver'"
	echo "CHROOT_TAR='$tarball'"
	echo "NOTE='$release chroot${note:+; $note}'"
} >>"$envfile"
