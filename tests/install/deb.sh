#!/bin/sh
# deb.sh [KVER]: builds the Debian packages (`make deb`) and checks them
# without installing anything on the host.
#
# - file lists (dpkg-deb -c): exeflow ships exactly what
#   `make install-userspace` installs (man pages compressed) plus its
#   Debian docs; exeflow-dkms exactly the tree of `make dkms-src`, file for
#   file identical;
# - control data: dependencies, conffiles, and maintainer scripts that
#   create the user before starting the service and register the module
#   with DKMS;
# - lintian: errors fail the test, warnings and notes are reported;
# - both packages unpack together into a throw-away root with its own dpkg
#   database (dpkg --root --unpack: no maintainer script runs, so the
#   host's DKMS is never touched);
# - the module source from the unpacked exeflow-dkms builds with DKMS for
#   KVER (default: the newest /lib/modules/*/build) in a throw-away DKMS
#   tree, as its postinst would do on a real machine. Nothing is loaded.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
[ "$(id -u)" = 0 ] || { echo "deb: run as root (dkms requires it)" >&2; exit 1; }
kver=${1:-$(for d in /lib/modules/*/build; do
	[ -d "$d" ] && basename "$(dirname "$d")"; done | sort -V | tail -n 1)}
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
arch=$(dpkg --print-architecture)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/exeflow-deb.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }

if make deb >"$tmp/build.log" 2>&1; then
	ok "make deb"
else
	tail -n 40 "$tmp/build.log"; bad "make deb"
	echo "deb: $pass passed, $fail failed"; exit 1
fi
deb=build/deb/exeflow_${ver}_${arch}.deb
dkmsdeb=build/deb/exeflow-dkms_${ver}_all.deb
for f in "$deb" "$dkmsdeb"; do
	[ -f "$f" ] || { bad "$f not built"; echo "deb: $pass passed, $fail failed"; exit 1; }
done

# Expected contents, from the Makefile targets the packages are made of.
# The staging copy of the tree keeps the checkout's objects out of it.
mkdir -p "$tmp/src"
tar -cf - --exclude=./.git --exclude=./build . | (cd "$tmp/src" && tar -xf -)
make -s -C "$tmp/src" install-userspace DESTDIR="$tmp/stage-exeflow" >/dev/null 2>&1
make -s -C "$tmp/src" dkms-src DESTDIR="$tmp/stage-dkms" >/dev/null 2>&1
listing() { (cd "$1" && find . ! -type d -printf '%m %P\n'); }
debfiles() { dpkg-deb -c "$1" | awk '$1 !~ /^d/ { sub("^\\./", "", $6); print $1, $6 }' | LC_ALL=C sort -k2; }
perm() { # octal mode -> ls style, as dpkg-deb -c prints it
	case $1 in 644) echo -rw-r--r-- ;; 755) echo -rwxr-xr-x ;; *) echo "mode-$1" ;; esac
}

listing "$tmp/stage-exeflow" | while read -r m p; do
	case $p in usr/share/man/*) p=$p.gz ;; esac
	echo "$(perm "$m") $p"
done >"$tmp/exp-exeflow"
printf '%s\n' "-rw-r--r-- usr/share/doc/exeflow/changelog.gz" \
	"-rw-r--r-- usr/share/doc/exeflow/copyright" >>"$tmp/exp-exeflow"
LC_ALL=C sort -k2 -o "$tmp/exp-exeflow" "$tmp/exp-exeflow"
debfiles "$deb" >"$tmp/got-exeflow"
if diff -u "$tmp/exp-exeflow" "$tmp/got-exeflow"; then
	ok "exeflow: files = make install-userspace ($(wc -l <"$tmp/got-exeflow") files)"
else
	bad "exeflow: file list"
fi

listing "$tmp/stage-dkms" | while read -r m p; do echo "$(perm "$m") $p"; done >"$tmp/exp-dkms"
printf '%s\n' "-rw-r--r-- usr/share/doc/exeflow-dkms/changelog.gz" \
	"-rw-r--r-- usr/share/doc/exeflow-dkms/copyright" >>"$tmp/exp-dkms"
LC_ALL=C sort -k2 -o "$tmp/exp-dkms" "$tmp/exp-dkms"
debfiles "$dkmsdeb" >"$tmp/got-dkms"
if diff -u "$tmp/exp-dkms" "$tmp/got-dkms"; then
	ok "exeflow-dkms: files = make dkms-src ($(wc -l <"$tmp/got-dkms") files)"
else
	bad "exeflow-dkms: file list"
fi

# Control data.
dpkg-deb -e "$deb" "$tmp/ctl-exeflow"
dpkg-deb -e "$dkmsdeb" "$tmp/ctl-dkms"
field() { dpkg-deb -f "$1" "$2"; }
case "$(field "$deb" Depends)" in
*"exeflow-dkms (= $ver)"*systemd*) ok "exeflow Depends: $(field "$deb" Depends)" ;;
*) bad "exeflow Depends: $(field "$deb" Depends)" ;;
esac
case "$(field "$dkmsdeb" Depends)" in
*dkms*) ok "exeflow-dkms Depends: $(field "$dkmsdeb" Depends)" ;;
*) bad "exeflow-dkms Depends: $(field "$dkmsdeb" Depends)" ;;
esac
printf '%s\n' /etc/default/exeflowd /etc/exeflow/nfdump.conf /etc/modprobe.d/exeflow.conf >"$tmp/exp-conffiles"
if diff -u "$tmp/exp-conffiles" "$tmp/ctl-exeflow/conffiles"; then
	ok "exeflow conffiles"
else
	bad "exeflow conffiles"
fi
pi=$tmp/ctl-exeflow/postinst
u=$(grep -n 'systemd-sysusers' "$pi" | head -n 1 | cut -d: -f1)
s=$(grep -n "deb-systemd-invoke .*exeflowd.service" "$pi" | head -n 1 | cut -d: -f1)
e=$(grep -n "deb-systemd-helper enable 'exeflowd.service'" "$pi" | head -n 1 | cut -d: -f1)
if [ -n "$u" ] && [ -n "$s" ] && [ -n "$e" ] && [ "$u" -lt "$s" ]; then
	ok "exeflow postinst: creates the user, then enables and starts exeflowd"
else
	bad "exeflow postinst (sysusers line ${u:-none}, enable ${e:-none}, start ${s:-none})"
fi
if grep -q 'DKMS_NAME=exeflow$' "$tmp/ctl-dkms/postinst" &&
	grep -q "DKMS_VERSION=$ver\$" "$tmp/ctl-dkms/postinst" &&
	grep -q 'dkms remove' "$tmp/ctl-dkms/prerm"; then
	ok "exeflow-dkms postinst/prerm register and remove exeflow/$ver with DKMS"
else
	bad "exeflow-dkms maintainer scripts"
fi

# lintian: errors fail, the rest is reported.
if command -v lintian >/dev/null; then
	lintian --display-info --pedantic "build/deb/exeflow_${ver}_${arch}.changes" >"$tmp/lintian.log" 2>&1 || true
	grep -v 'running with root privileges' "$tmp/lintian.log" | sed 's/^/     lintian: /'
	if grep -q '^E:' "$tmp/lintian.log"; then
		bad "lintian reports errors"
	else
		ok "lintian: no errors ($(grep -c '^W:' "$tmp/lintian.log" || true) warnings, $(grep -c '^[IPN]:' "$tmp/lintian.log" || true) notes)"
	fi
else
	echo "     lintian not installed: skipped (apt-get install lintian)"
fi

# Unpack both into a throw-away root with its own dpkg database.
root=$tmp/root
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
: >"$root/var/lib/dpkg/status"
: >"$root/var/lib/dpkg/available"
if dpkg --root="$root" --force-not-root --force-depends --unpack "$deb" "$dkmsdeb" >"$tmp/unpack.log" 2>&1; then
	ok "dpkg --root --unpack of both packages"
else
	cat "$tmp/unpack.log"; bad "dpkg --root --unpack"
fi
# Unpacked but not configured: conffiles wait as *.dpkg-new.
n=$(dpkg --root="$root" -L exeflow exeflow-dkms 2>/dev/null | while read -r f; do
	{ [ -f "$root$f" ] || [ -f "$root$f.dpkg-new" ]; } && echo "$f"; done | wc -l)
if [ "$n" -eq $(($(wc -l <"$tmp/got-exeflow") + $(wc -l <"$tmp/got-dkms"))) ]; then
	ok "dpkg database lists all $n unpacked files"
else
	bad "dpkg -L lists $n files"
fi
if cmp -s "$root/usr/src/exeflow-$ver/dkms.conf" dkms.conf; then
	ok "packaged dkms.conf is the tree's"
else
	bad "packaged dkms.conf differs from ./dkms.conf"
fi

# What exeflow-dkms's postinst would do, in a throw-away DKMS.
if [ -d "/lib/modules/$kver/build" ] && command -v dkms >/dev/null; then
	mok_signing_key=$tmp/mok.key mok_certificate=$tmp/mok.pub
	export mok_signing_key mok_certificate
	opts="--sourcetree $root/usr/src --dkmstree $tmp/dkms --installtree $tmp/modules --no-depmod"
	mkdir -p "$tmp/dkms" "$tmp/modules/$kver"
	# shellcheck disable=SC2086
	if dkms add $opts -m exeflow -v "$ver" >"$tmp/dkms.log" 2>&1 &&
		dkms install $opts -m exeflow -v "$ver" -k "$kver" >>"$tmp/dkms.log" 2>&1 &&
		ls "$tmp/modules/$kver/updates/dkms/exeflow.ko"* >/dev/null 2>&1; then
		ok "packaged module source: dkms add + install for $kver (throw-away tree)"
	else
		cat "$tmp/dkms.log"; bad "packaged module source does not build with DKMS for $kver"
	fi
	# shellcheck disable=SC2086
	dkms remove $opts -m exeflow -v "$ver" --all >/dev/null 2>&1 || true
else
	echo "     no headers for $kver or no dkms: DKMS build of the package skipped"
fi

echo "deb: $pass passed, $fail failed"
[ "$fail" = 0 ]
