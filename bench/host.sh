#!/bin/sh
# bench/host.sh OUT RECORDS REPS HASH_REPS: the userspace figures, on this
# machine, interleaved rep by rep:
#   - the nfcapd writer (bench/nfwbench.c) writing RECORDS realistic
#     attributed flows, uncompressed and LZ4, and in the same rep
#     `nfdump -r X -w Y` rewriting that very file (-y for LZ4);
#   - one-pass MD5+SHA-256 (exehash) and sha256sum on the same 256 MiB
#     file, alternating which goes first.
# Files live in BENCH_TMP (default /dev/shm): CPU cost, not the disk's.
# Prints "BENCH ..." lines for bench/report.sh.
set -eu
out=$1 n=$2 reps=$3 hreps=$4
top=$(cd "$(dirname "$0")/.." && pwd)
base=${BENCH_TMP:-/dev/shm}
[ -d "$base" ] && [ -w "$base" ] || base=${TMPDIR:-/tmp}
tmp=$(mktemp -d "$base/exeflow-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

PKGS="libnl-3.0 libnl-genl-3.0 liblz4 lzo2 libcrypto"
# shellcheck disable=SC2046
gcc -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -I"$top/include" \
	-I"$top/userspace" $(pkg-config --cflags $PKGS) -o "$out/nfwbench" \
	"$top/bench/nfwbench.c" "$top/userspace/libexeflow.a" \
	$(pkg-config --libs $PKGS) -pthread

ns() { date +%s%N; }

echo "host: $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1), $(nproc) CPUs, kernel $(uname -r), $(nfdump -V 2>&1 | head -n 1)"

rep=1
while [ "$rep" -le "$reps" ]; do
	for comp in none lz4; do
		rm -rf "$tmp/w" "$tmp/rw"
		mkdir "$tmp/w"
		line=$("$out/nfwbench" write "$tmp/w" "$n" "$comp")
		f=$(ls "$tmp/w"/nfcapd.2*)
		flag=
		[ "$comp" = lz4 ] && flag=-y
		t0=$(ns)
		nfdump -r "$f" $flag -w "$tmp/rw" >/dev/null
		t1=$(ns)
		got=$(nfdump -r "$tmp/rw" -I | sed -n 's/^Flows: //p')
		[ "$got" = "$n" ] || { echo "nfdump rewrote $got flows, not $n" >&2; exit 1; }
		echo "BENCH us test=writer comp=$comp rep=$rep $line bytes=$(stat -c %s "$f")"
		echo "BENCH us test=nfdump comp=$comp rep=$rep records=$n secs_ns=$((t1 - t0)) rps=$(awk -v n="$n" -v t=$((t1 - t0)) 'BEGIN { printf "%.0f", n / (t / 1e9) }') bytes=$(stat -c %s "$tmp/rw")"
	done
	rep=$((rep + 1))
done
rm -rf "$tmp/w" "$tmp/rw"
gcc -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -I"$top/include" -I"$top/userspace" $(pkg-config --cflags $PKGS) -o "$out/dpath" "$top/bench/tools/dpath.c" "$top/userspace/libexeflow.a" $(pkg-config --libs $PKGS) -pthread; mkdir "$tmp/dpath"; "$out/dpath" -n 100000 -R "$reps" "$tmp/dpath"

size=$((256 * 1024 * 1024))
head -c "$size" /dev/urandom >"$tmp/hash.bin"
cat "$tmp/hash.bin" >/dev/null
ref=$(sha256sum "$tmp/hash.bin" | cut -d' ' -f1)
run_exehash() {
	t0=$(ns)
	line=$("$out/nfwbench" hash "$tmp/hash.bin")
	t1=$(ns)
	case $line in *"sha256=$ref"*) ;; *) echo "exehash: wrong digest: $line" >&2; exit 1 ;; esac
	echo "BENCH us test=exehash rep=$rep bytes=$size secs_ns=$((t1 - t0)) mbps=$(awk -v b=$size -v t=$((t1 - t0)) 'BEGIN { printf "%.1f", b / 1048576 / (t / 1e9) }')"
}
run_sha256sum() {
	t0=$(ns)
	sha256sum "$tmp/hash.bin" >/dev/null
	t1=$(ns)
	echo "BENCH us test=sha256sum rep=$rep bytes=$size secs_ns=$((t1 - t0)) mbps=$(awk -v b=$size -v t=$((t1 - t0)) 'BEGIN { printf "%.1f", b / 1048576 / (t / 1e9) }')"
}
rep=1
while [ "$rep" -le "$hreps" ]; do
	if [ $((rep % 2)) = 1 ]; then
		run_exehash
		run_sha256sum
	else
		run_sha256sum
		run_exehash
	fi
	rep=$((rep + 1))
done
