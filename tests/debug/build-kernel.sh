#!/bin/sh
# build-kernel.sh: builds exeflow's debug kernel (KASAN, kmemleak, lockdep,
# DEBUG_ATOMIC_SLEEP, KUnit, ...) from Debian's linux-source-6.1 package:
# tinyconfig + kernel/configs/kvm_guest.config + tests/debug/debug.config.
#
# The tree lives outside the checkout, in a cache directory keyed by the
# config fragment, the kernel source version and this recipe:
#   ${EXEFLOW_CACHE:-/var/cache/exeflow}/debug-kernel/<key>/linux-source-6.1
# A complete cached build makes this a no-op. On success the last line on
# stdout is the tree's path (bzImage: <tree>/arch/x86/boot/bzImage; modules
# build with make -C <tree> M=<dir>); progress goes to stderr.
#
# Needs (tests/deps.sh): linux-source-6.1 bc flex bison libelf-dev libssl-dev
# build-essential xz-utils; installs nothing itself.
#
# Environment: EXEFLOW_CACHE (cache root), DEBUG_KERNEL_SOURCE (the source
# tarball, default /usr/src/linux-source-6.1.tar.xz), JOBS (make -j, default
# nproc).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
frag=$here/debug.config
src=${DEBUG_KERNEL_SOURCE:-/usr/src/linux-source-6.1.tar.xz}
cache=${EXEFLOW_CACHE:-/var/cache/exeflow}/debug-kernel
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}
# Bump when the recipe below changes in a way that changes the result.
recipe=1

log() { echo "build-kernel: $*" >&2; }
die() { log "$*"; exit 1; }
now() { date +%s; }

[ -r "$src" ] || die "no kernel source $src (make deps installs linux-source-6.1)"
for tool in make gcc bc flex bison xz tar sha256sum; do
	command -v "$tool" >/dev/null 2>&1 || die "missing tool: $tool (run 'make deps')"
done
[ -e /usr/include/libelf.h ] || die "missing libelf-dev (run 'make deps')"
[ -e /usr/include/openssl/ssl.h ] || die "missing libssl-dev (run 'make deps')"

# Source version: the Debian package's version when it is installed, else
# the tarball's own checksum.
srcver=$(dpkg-query -W -f '${Package}=${Version}' linux-source-6.1 2>/dev/null) ||
	srcver=
[ -n "$srcver" ] && [ "$src" = /usr/src/linux-source-6.1.tar.xz ] ||
	srcver=$(sha256sum "$src" | cut -d' ' -f1)
key=$( { cat "$frag"; echo "source=$srcver recipe=$recipe"; } | sha256sum | cut -c1-16)
dir=$cache/$key
tree=$dir/linux-source-6.1
stamp=$dir/complete

if [ -f "$stamp" ] && [ -f "$tree/arch/x86/boot/bzImage" ] &&
	[ -f "$tree/Module.symvers" ]; then
	log "cached debug kernel: $tree ($(cat "$stamp"))"
	echo "$tree"
	exit 0
fi

mkdir -p "$dir" || die "cannot create $dir (set EXEFLOW_CACHE to a writable directory)"
# One build at a time per cache entry (parallel check-debug runs).
exec 9>"$dir/lock"
if command -v flock >/dev/null 2>&1; then
	flock 9 || die "cannot lock $dir/lock"
	if [ -f "$stamp" ]; then
		log "built by another process meanwhile: $tree"
		echo "$tree"
		exit 0
	fi
fi

t0=$(now)
log "building the debug kernel in $tree ($srcver, fragment $(basename "$frag"), -j$jobs)"
# Unpack afresh: a half-built tree from an interrupted run is not trusted
# for the config step, but its objects are reused by make when the config
# has not changed (same key), so only unpack when the tree is missing.
if [ ! -f "$dir/unpacked" ]; then
	rm -rf "$tree"
	log "unpacking $src"
	tar -C "$dir" -xf "$src" || die "unpack failed"
	[ -d "$tree" ] || die "$src did not unpack to $(basename "$tree")"
	: >"$dir/unpacked"
fi
t1=$(now)

cp "$frag" "$dir/debug.config"
# Out-of-tree modules are built with W=1; keep the kernel's own build quiet
# but logged.
blog=$dir/build.log
: >"$blog"
(
	cd "$tree"
	make tinyconfig
	scripts/kconfig/merge_config.sh -m .config kernel/configs/kvm_guest.config "$dir/debug.config"
	make olddefconfig
) >>"$blog" 2>&1 || { tail -n 40 "$blog" >&2; die "configuration failed (log: $blog)"; }

# Kconfig silently drops a line whose dependencies are missing: every
# fragment line must be in the final .config.
dropped=$(
	grep -E '^(CONFIG_[A-Za-z0-9_]+=|# CONFIG_[A-Za-z0-9_]+ is not set)' "$dir/debug.config" |
		while IFS= read -r line; do
			case $line in
			"# CONFIG_"*)
				sym=${line#\# }
				sym=${sym%% *}
				if grep -q "^$sym=" "$tree/.config"; then
					echo "  $line  (final: $(grep "^$sym=" "$tree/.config"))"
				fi
				;;
			*)
				grep -qxF "$line" "$tree/.config" ||
					echo "  $line  (final: $(grep -E "^(# )?${line%%=*}[= ]" "$tree/.config" || echo absent))"
				;;
			esac
		done
)
if [ -n "$dropped" ]; then
	log "these fragment lines did not make it into .config:"
	echo "$dropped" >&2
	die "fix tests/debug/debug.config (a missing dependency?)"
fi
log "config ok: all $(grep -cE '^(CONFIG_|# CONFIG_)' "$dir/debug.config") fragment lines applied"
t2=$(now)

# bzImage to boot; modules for Module.symvers (out-of-tree modpost needs it)
# and modules_prepare for the out-of-tree build itself.
log "make -j$jobs bzImage modules modules_prepare (log: $blog)"
(cd "$tree" && make -j"$jobs" bzImage modules modules_prepare) >>"$blog" 2>&1 ||
	{ grep -E 'error|Error' "$blog" | tail -n 30 >&2; die "kernel build failed (log: $blog)"; }
t3=$(now)
[ -f "$tree/arch/x86/boot/bzImage" ] && [ -f "$tree/Module.symvers" ] ||
	die "build finished without bzImage or Module.symvers"
kver=$(cat "$tree/include/config/kernel.release")
echo "$kver built $(date -u +%Y-%m-%dT%H:%M:%SZ) in $((t3 - t0)) s" >"$stamp"
log "done: $kver; unpack $((t1 - t0)) s, config $((t2 - t1)) s, build $((t3 - t2)) s, total $((t3 - t0)) s"
log "tree $(du -sh "$tree" | cut -f1), bzImage $(du -h "$tree/arch/x86/boot/bzImage" | cut -f1)"
echo "$tree"
