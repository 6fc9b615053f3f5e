# The module loads, exposes its parameters, rejects bad values, makes the
# EXEFLOW family visible to root only, and unloads cleanly.
. /exeflow/lib.sh

load_exeflow
for p in enabled track_loopback inactive_timeout active_timeout \
	tcp_close_timeout accept_probe hash_size max_flows max_procs \
	max_owners max_backlog; do
	[ -r "/sys/module/exeflow/parameters/$p" ] || fail "parameter $p missing"
	echo "param $p=$(param "$p")"
done
[ "$(param track_loopback)" = 0 ] || fail "track_loopback must default to 0"
[ "$(param inactive_timeout)" = 15 ] || fail "inactive_timeout default"
[ "$(param active_timeout)" = 300 ] || fail "active_timeout default"

# Run-time parameters: garbage and out-of-range values are refused with
# EINVAL and the old value stays.
for bad in garbage -1 0 99999999999 ""; do
	if echo "$bad" >/sys/module/exeflow/parameters/inactive_timeout 2>/tmp/err; then
		fail "inactive_timeout accepted '$bad'"
	fi
	grep -q 'Invalid argument' /tmp/err || fail "no EINVAL for '$bad': $(cat /tmp/err)"
done
[ "$(param inactive_timeout)" = 15 ] || fail "inactive_timeout changed by a rejected write"
echo 30 >/sys/module/exeflow/parameters/inactive_timeout || fail "valid write refused"
[ "$(param inactive_timeout)" = 30 ] || fail "valid write not applied"
for bad in 2 x; do
	echo "$bad" >/sys/module/exeflow/parameters/enabled 2>/dev/null &&
		fail "enabled accepted '$bad'"
done
# Load-time parameters are read-only at run time.
old=$(param max_flows)
if (echo 1 >/sys/module/exeflow/parameters/max_flows) 2>/dev/null; then
	fail "max_flows writable at run time"
fi
[ "$(param max_flows)" = "$old" ] || fail "max_flows changed at run time"

# The family resolves for root; an unprivileged user gets EPERM.
exeflowctl status >/tmp/status || fail "exeflowctl status failed"
cat /tmp/status
grep -qi 'loaded' /tmp/status || fail "status does not report the module"
if runas 1000 1000 exeflowctl status >/tmp/unpriv 2>&1; then
	fail "unprivileged status succeeded"
fi
cat /tmp/unpriv
grep -q 'needs CAP_NET_ADMIN' /tmp/unpriv || fail "unprivileged error is not EPERM"

rmmod exeflow || fail "rmmod"
[ -d /sys/module/exeflow ] && fail "module still present after rmmod"
exeflowctl status >/tmp/status2 2>&1 && fail "status succeeded without the module"
grep -qi 'not loaded' /tmp/status2 || fail "no 'not loaded' message: $(cat /tmp/status2)"
pass "load, parameters, family, unload"
