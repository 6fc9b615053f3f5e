#!/bin/sh
# mkinitrd.sh KVER MODULE_KO OUT.cpio.gz SCENARIO...
# Builds the guest's initramfs: busybox, the module, the project's programs,
# nfdump and iproute2 with every shared library ldd lists (at the same
# paths), the guest test tools, the kernel modules the scenarios need, and
# the scenarios themselves.
set -eu
kver=$1 ko=$2 out=$3
shift 3
top=$(cd "$(dirname "$0")/../.." && pwd)
vm=$top/tests/vm
root=$(mktemp -d "${TMPDIR:-/tmp}/exeflow-initrd.XXXXXX")
chmod 0755 "$root"
trap 'rm -rf "$root"' EXIT

mkdir -p "$root"/bin "$root"/sbin "$root"/usr/bin "$root"/usr/sbin \
	"$root"/etc "$root"/proc "$root"/sys "$root"/dev "$root"/tmp \
	"$root"/run "$root"/var/run "$root"/root \
	"$root"/exeflow/bin "$root"/exeflow/modules "$root"/exeflow/scenarios

copy_bin() { # copy_bin SRC DEST: a program and the libraries it needs
	install -D -m 0755 "$1" "$root$2"
	ldd "$1" 2>/dev/null | awk '/=> \//{print $3} /^\t\/lib/{print $1}' |
		while read -r lib; do
			[ -e "$root$lib" ] || install -D -m 0755 "$lib" "$root$lib"
		done
}

cp /bin/busybox "$root/bin/busybox"
for applet in $(/bin/busybox --list); do
	[ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
# glibc dlopens libgcc_s for thread exit/cancellation; ldd cannot see it.
install -D -m 0644 /lib/x86_64-linux-gnu/libgcc_s.so.1 "$root/lib/x86_64-linux-gnu/libgcc_s.so.1"
copy_bin /usr/sbin/ip /sbin/ip
copy_bin /usr/bin/nfdump /usr/bin/nfdump
copy_bin /usr/bin/nfexpire /usr/bin/nfexpire
for prog in exeflowd exeflowctl; do
	[ -x "$top/userspace/$prog" ] && copy_bin "$top/userspace/$prog" "/usr/sbin/$prog"
done
for tool in "$vm"/tools/*.c; do
	[ -e "$tool" ] || continue
	name=$(basename "$tool" .c)
	# shellcheck disable=SC2046
	gcc -std=c11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -I"$top/include" \
		-I"$top/userspace" -o "$root/tmp/$name" "$tool" \
		$(pkg-config --cflags --libs libnl-genl-3.0)
	copy_bin "$root/tmp/$name" "/exeflow/bin/$name"
	rm "$root/tmp/$name"
done
# VM_EXTRA_BINS="SRC[:DEST] ...": more programs, with their libraries
# (e.g. the benchmark's iperf3); DEST defaults to /usr/bin/<name of SRC>.
for spec in ${VM_EXTRA_BINS:-}; do
	src=${spec%%:*} dest=${spec#*:}
	[ "$dest" = "$spec" ] && dest=/usr/bin/$(basename "$src")
	copy_bin "$src" "$dest"
done

install -m 0644 "$ko" "$root/exeflow/exeflow.ko"
for extra in ${EXTRA_KO:-}; do
	install -m 0644 "$extra" "$root/exeflow/modules/$(basename "$extra")"
done
# Kernel modules the scenarios need, in dependency order, decompressed
# (6.12 ships .ko.xz). VM_KMODS overrides the list; a kernel without a
# modules directory here (the debug kernel) has them built in.
# VM_MODULES_DIR: where they come from (default /lib/modules/KVER; an
# unpacked image package in tests/matrix, after depmod -b).
kmods=${VM_KMODS-veth}
moddir=${VM_MODULES_DIR:-/lib/modules/$kver}
if [ -n "$kmods" ] && [ ! -e "$moddir/modules.dep" ]; then
	echo "mkinitrd: no $moddir/modules.dep; assuming $kmods built in" >&2
	kmods=
fi
for mod in $kmods; do
	path=$(sed -n "s#^\(kernel/.*/$mod\.ko[.a-z]*\):.*#\1#p" "$moddir/modules.dep")
	[ -n "$path" ] || { echo "mkinitrd: $mod not found for $kver" >&2; exit 1; }
	case $path in
	*.xz) xz -dc "$moddir/$path" >"$root/exeflow/modules/$mod.ko" ;;
	*.zst) zstd -qdc "$moddir/$path" >"$root/exeflow/modules/$mod.ko" ;;
	*) cp "$moddir/$path" "$root/exeflow/modules/$mod.ko" ;;
	esac
done

# What `make install` puts on a system, staged under /exeflow/installed so
# a scenario can run the installed files the way the systemd unit does.
if [ -x "$top/userspace/exeflowd" ]; then
	make -s -C "$top" install-userspace DESTDIR="$root/exeflow/installed" >/dev/null
fi

cat >"$root/etc/passwd" <<'PW'
root:x:0:0:root:/root:/bin/sh
exeflow:x:999:999:exeflow:/var/lib/exeflow:/usr/sbin/nologin
alice:x:1000:1000:Alice:/tmp:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PW
cat >"$root/etc/group" <<'GR'
root:x:0:
exeflow:x:999:
alice:x:1000:
nogroup:x:65534:
GR
echo "exeflow-guest" >"$root/etc/hostname"
install -m 0755 "$vm/guest-init.sh" "$root/init"
install -m 0644 "$vm/guest-lib.sh" "$root/exeflow/lib.sh"
# Optional guest hooks (shell functions sourced by /init; see guest-init.sh).
[ -n "${VM_GUEST_HOOKS:-}" ] && install -m 0644 "$VM_GUEST_HOOKS" "$root/exeflow/hooks.sh"
[ -d "$top/contrib" ] && cp -r "$top/contrib" "$root/exeflow/contrib"
: >"$root/exeflow/run-list"
for s in "$@"; do
	install -m 0755 "$s" "$root/exeflow/scenarios/$(basename "$s")"
	basename "$s" >>"$root/exeflow/run-list"
done
(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 >"$out"
