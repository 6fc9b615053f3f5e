#!/bin/sh
# demo.sh [KVER]: the main job, end to end, without touching this host's
# kernel: boot Debian's kernel in QEMU, load exeflow.ko, run exeflowd and a
# few programs that talk over the network, then read the daemon's files
# here with nfdump and the shipped profile.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
vm=$top/tests/vm
kver=${1:-$(sh "$vm/kernels.sh" | awk '{print $1}')}
out=$top/build/demo
[ -n "$kver" ] || { echo "demo: no test kernel installed (run 'make deps')" >&2; exit 1; }
mkdir -p "$out"
echo "demo: building exeflow.ko for $kver"
ko=$(sh "$vm/build-module.sh" "$kver" "$out/module")
echo "demo: booting $kver under QEMU (about half a minute)"
if ! sh "$vm/run.sh" "$kver" "$ko" "$out/guest.log" "$vm/demo-guest.sh" >"$out/run.out"; then
	cat "$out/run.out"
	grep -v '^\[' "$out/guest.log" | tail -n 40
	echo "demo: the guest run failed (log: $out/guest.log)" >&2
	exit 1
fi
rm -rf "$out/flows" && mkdir -p "$out/flows"
sed -n '/^EXEFLOW-FILES-BEGIN/,/^EXEFLOW-FILES-END/p' "$out/guest.log" |
	sed '1d;$d' | tr -d '\r' | base64 -d | gunzip | tar -C "$out/flows" -xf -

echo
echo "Flows recorded in the guest (nfdump -R $out/flows, profile contrib/nfdump-exeflow.conf):"
echo
NFCONF=$top/contrib/nfdump-exeflow.conf nfdump -q -R "$out/flows" -o demo \
	-O tstart 'proto tcp or proto udp or proto icmp or (proto icmp6 and (icmp-type 128 or icmp-type 129))' | awk -F'|' '
	function field(lbl, key,   n, i, kv) {
		n = split(lbl, kv, " ")
		for (i = 1; i <= n; i++)
			if (index(kv[i], key "=") == 1)
				return substr(kv[i], length(key) + 2)
		return "-"
	}
	function trim(s) { gsub(/^ +| +$/, "", s); return s }
	BEGIN {
		printf "%-12s %-5s %-3s %-26s %-12s %-26s %-6s %-6s %-7s %-7s %s\n",
			"time", "proto", "dir", "peer", "process", "path", "user",
			"pid", "bytes", "replied", "md5"
	}
	{
		lbl = $9
		comm = field(lbl, "comm"); path = field(lbl, "exe")
		if (comm == "-") { comm = "(kernel)"; path = "-" }
		# the other end, seen from this host
		peer = trim($3) == "I" ? trim($4) : trim($5)
		printf "%-12s %-5s %-3s %-26s %-12s %-26s %-6s %-6s %-7s %-7s %s\n",
			substr(trim($1), 12), trim($2), trim($3), peer,
			comm, path, field(lbl, "user"), field(lbl, "pid"),
			trim($6), trim($7), field(lbl, "md5")
	}'
echo
echo "All fields: NFCONF=contrib/nfdump-exeflow.conf nfdump -R $out/flows -o proc"
