#!/bin/sh
# check.sh KVER...: the VM test suite. For each kernel: build exeflow.ko with
# that kernel's headers, boot it with every scenario, then prove the harness
# can fail (a planted oopsing module must be reported).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
vm=$top/tests/vm
out=$top/build/vm
mkdir -p "$out"
failed=""
summary=""
for kver in "$@"; do
	dir=$out/$kver
	log=$dir/scenarios.log
	echo "== VM tests on $kver"
	if ! ko=$(sh "$vm/build-module.sh" "$kver" "$dir"); then
		failed="$failed $kver:build"
		continue
	fi
	if sh "$vm/run.sh" "$kver" "$ko" "$log" "$vm"/scenarios/*.sh; then
		res=passed
	else
		res=FAILED
		failed="$failed $kver:scenarios"
		sed -n '/^EXEFLOW-BEGIN/,/^EXEFLOW-DONE/p' "$log" | grep -v '^\[' | tail -n 80
	fi
	n=$(grep -c '^EXEFLOW-END .* rc=0' "$log")
	total=$(ls "$vm"/scenarios/*.sh | wc -l)
	summary="$summary
$kver: scenarios $n/$total $res (log: $log)"

	# Harness self-test: the same run with a module that oopses on load.
	rm -rf "$dir/oops" && cp -r "$vm/selftest/oops" "$dir/oops"
	make -C "/lib/modules/$kver/build" M="$dir/oops" modules >"$dir/oops/build.log" 2>&1 ||
		{ failed="$failed $kver:selftest-build"; continue; }
	if sh "$vm/run.sh" "$kver" "$dir/oops/oops.ko" "$dir/selftest.log" \
		"$vm/selftest/load-broken.sh" >"$dir/selftest.out" 2>&1; then
		echo "harness self-test: a module that oopses on load PASSED on $kver"
		failed="$failed $kver:selftest"
	else
		summary="$summary
$kver: harness self-test ok (oopsing module detected: $(tail -n 1 "$dir/selftest.out"))"
	fi
done
echo "== VM test summary$summary"
if [ -n "$failed" ]; then
	echo "VM tests FAILED:$failed"
	exit 1
fi
echo "VM tests passed"
