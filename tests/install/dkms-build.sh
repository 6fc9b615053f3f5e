#!/bin/sh
# dkms-build.sh [KVER...]: the module's DKMS life cycle against each kernel's
# headers (default: every /lib/modules/*/build), in a throw-away DKMS.
#
# `make dkms-src` stages the source tree that `make dkms-install` and the
# exeflow-dkms package use; then dkms add, build and install run with a
# temporary --sourcetree, --dkmstree and --installtree (install without
# depmod) and a temporary signing key, and dkms remove undoes it all. The
# host's /usr/src, /var/lib/dkms and /lib/modules are not written (checked),
# and nothing is ever loaded: the built module is only inspected with
# modinfo. Needs root (dkms insists) and the dkms package.
#
# Checks per kernel: the build and install succeed, make.log has no
# warning, the module's vermagic is that kernel's, it is signed with the
# temporary DKMS key, it carries the expected name/version/license.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
[ "$(id -u)" = 0 ] || { echo "dkms-build: run as root (dkms requires it)" >&2; exit 1; }
command -v dkms >/dev/null || { echo "dkms-build: dkms is not installed (make deps)" >&2; exit 1; }

if [ $# -eq 0 ]; then
	# shellcheck disable=SC2046
	set -- $(for d in /lib/modules/*/build; do
		[ -d "$d" ] && basename "$(dirname "$d")"
	done | sort -V)
fi
[ $# -gt 0 ] || { echo "dkms-build: no kernel headers in /lib/modules/*/build (make deps)" >&2; exit 1; }

ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
name=$(sed -n 's/^PACKAGE_NAME="\(.*\)"/\1/p' dkms.conf)
if [ "$name" != exeflow ] || [ -z "$ver" ]; then
	echo "dkms-build: dkms.conf: bad PACKAGE_NAME/VERSION" >&2; exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/exeflow-dkms.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
src=$tmp/root/usr/src
tree=$tmp/dkms
inst=$tmp/modules
mkdir -p "$tree" "$inst" "$tmp/keys"
# dkms reads these from the environment unless /etc/dkms/framework.conf
# sets them: the test key never replaces the host's /var/lib/dkms/mok.*.
mok_signing_key=$tmp/keys/mok.key
mok_certificate=$tmp/keys/mok.pub
export mok_signing_key mok_certificate
opts="--sourcetree $src --dkmstree $tree --installtree $inst --no-depmod"

host_state() {
	ls -la /var/lib/dkms /usr/src 2>&1
	find /lib/modules/ -path '*/updates/dkms/exeflow*' 2>/dev/null | sort
}
host_state >"$tmp/host.before"

pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }

make -s dkms-src DESTDIR="$tmp/root" >/dev/null
# shellcheck disable=SC2086
if dkms add $opts -m exeflow -v "$ver" >"$tmp/add.log" 2>&1; then
	ok "dkms add exeflow/$ver"
else
	cat "$tmp/add.log"; bad "dkms add exeflow/$ver"
fi

for k in "$@"; do
	mkdir -p "$inst/$k"
	log=$tree/exeflow/$ver/$k/$(uname -m)/log/make.log
	# shellcheck disable=SC2086
	if ! dkms build $opts -m exeflow -v "$ver" -k "$k" >"$tmp/build-$k.log" 2>&1; then
		cat "$tmp/build-$k.log"
		[ -f "$log" ] && cat "$log"
		bad "dkms build for $k"
		continue
	fi
	ok "dkms build for $k"
	if grep -E 'warning:|error:' "$log"; then
		bad "$k: compiler warnings in make.log"
	else
		ok "$k: no warnings"
	fi
	# shellcheck disable=SC2086
	if dkms install $opts -m exeflow -v "$ver" -k "$k" >"$tmp/install-$k.log" 2>&1; then
		ok "dkms install for $k (into a temporary tree)"
	else
		cat "$tmp/install-$k.log"; bad "dkms install for $k"
		continue
	fi
	ko=$(find "$inst/$k/updates/dkms" -name 'exeflow.ko*' 2>/dev/null | head -n 1)
	if [ -z "$ko" ]; then
		bad "$k: no exeflow.ko* in updates/dkms"
		continue
	fi
	vm=$(modinfo -F vermagic "$ko")
	case "$vm" in
	"$k "*) ok "$k: vermagic $vm" ;;
	*) bad "$k: vermagic '$vm'" ;;
	esac
	signer=$(modinfo -F signer "$ko")
	if [ "$signer" = "DKMS module signing key" ]; then
		ok "$k: signed by '$signer'"
	else
		bad "$k: signer '$signer' (expected the DKMS key)"
	fi
	nvl="$(modinfo -F name "$ko") $(modinfo -F version "$ko") $(modinfo -F license "$ko")"
	if [ "$nvl" = "exeflow $ver GPL" ]; then
		ok "$k: name/version/license $nvl"
	else
		bad "$k: modinfo name/version/license: $nvl"
	fi
done

# shellcheck disable=SC2086
dkms status $opts -m exeflow -v "$ver" 2>/dev/null | sed 's/^/     /'
# shellcheck disable=SC2086
if dkms remove $opts -m exeflow -v "$ver" --all >"$tmp/remove.log" 2>&1 &&
	[ -z "$(dkms status $opts -m exeflow 2>/dev/null)" ] &&
	! ls "$inst"/*/updates/dkms/exeflow.ko* >/dev/null 2>&1; then
	ok "dkms remove --all left nothing registered or installed"
else
	cat "$tmp/remove.log"; bad "dkms remove"
fi

if [ -r /proc/modules ] && grep -q "^exeflow " /proc/modules; then
	bad "exeflow is loaded in the host kernel (not by this test, which never loads it)"
fi
host_state >"$tmp/host.after"
if cmp -s "$tmp/host.before" "$tmp/host.after"; then
	ok "host /usr/src, /var/lib/dkms, /lib/modules/*/updates/dkms unchanged"
else
	diff "$tmp/host.before" "$tmp/host.after" || true
	bad "host DKMS state changed"
fi

echo "dkms-build: $pass passed, $fail failed"
[ "$fail" = 0 ]
