#!/bin/sh
# matrix.sh [LINE...]: `make check-matrix`. Builds and boot-tests exeflow on
# every Debian kernel line (default: all of lib.sh's MATRIX_LINES, i.e.
# bullseye-security 5.10, bookworm 6.1, bookworm-security 6.12 and the
# newest trixie-backports kernel), then prints one row per kernel.
# A line whose packages cannot be fetched is SKIPPED (with the reason), not
# passed; the exit status is non-zero only when a line FAILED.
# Environment: EXEFLOW_MATRIX_CACHE (default /var/cache/exeflow/matrix),
# MATRIX_LINES, MATRIX_SCENARIOS, MATRIX_SELFTEST=0, MATRIX_MIRROR,
# MATRIX_SECURITY_MIRROR, and tests/vm/run.sh's VM_* variables.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=tests/matrix/lib.sh
. "$here/lib.sh"
[ "$(id -u)" = 0 ] || { echo "check-matrix: needs root (debootstrap, chroot, mount)" >&2; exit 1; }
for tool in debootstrap zstd flock qemu-system-x86_64 depmod; do
	command -v "$tool" >/dev/null ||
		{ echo "check-matrix: $tool missing (run 'make deps')" >&2; exit 1; }
done
[ $# -gt 0 ] && MATRIX_LINES=$*
# Work trees left by a run that was killed (nothing mounted, over a day old).
mkdir -p "$MATRIX_CACHE/chroot"
find "$MATRIX_CACHE" "$MATRIX_CACHE/chroot" -maxdepth 1 -type d \
	\( -name 'run.*' -o -name 'work.*' \) -mmin +1440 2>/dev/null |
	while read -r d; do
		grep -q " $d/" /proc/mounts || rm -rf "$d"
	done
out=$top/build/matrix
mkdir -p "$out"
t0=$(now)
for line in $MATRIX_LINES; do
	line_info "$line" || exit 2
	sh "$here/line.sh" "$line" "$out/$line" ||
		echo "== matrix: $line FAILED (logs in build/matrix/$line)" >&2
done

fmt='%-18s %-28s %-8s %8s %10s %8s %6s  %s\n'
echo
echo "== Kernel matrix (logs: build/matrix/LINE/)"
# shellcheck disable=SC2059
printf "$fmt" line kernel result warnings scenarios reports time detail
npass=0 nfail=0 nskip=0
for line in $MATRIX_LINES; do
	if [ -r "$out/$line/result" ]; then
		eval "set -- $(cat "$out/$line/result")"
	else
		set -- "$line" - FAILED - 0 0 - 0 "no result"
	fi
	case $3 in
	passed) npass=$((npass + 1)) ;;
	SKIPPED) nskip=$((nskip + 1)) ;;
	*) nfail=$((nfail + 1)) ;;
	esac
	# shellcheck disable=SC2059
	printf "$fmt" "$1" "$2" "$3" "$4" "$5/$6" "$7" "${8}s" "$9"
done
echo "matrix time: $(( $(now) - t0 ))s (cache: $MATRIX_CACHE)"
[ "$nskip" = 0 ] || echo "NOTE: $nskip kernel line(s) SKIPPED: not tested, see the detail column"
echo "matrix: $npass passed, $nfail failed, $nskip skipped"
[ "$nfail" = 0 ]
