# The installed files, run the way exeflowd.service runs them: the unit's
# ExecStart (with /etc/default/exeflowd), as its User, with exactly its
# AmbientCapabilities, into its StateDirectory with its UMask; then the
# installed nfdump profile reads the result. (systemd itself is not in the
# guest; tests/install checks the unit with systemd-analyze.)
. /exeflow/lib.sh

I=/exeflow/installed
unit=$I/lib/systemd/system/exeflowd.service
[ -r "$unit" ] || fail "no installed unit"
key() { sed -n "s/^$1=//p" "$unit" | tail -n 1; }

grep -qx exeflow "$I/usr/lib/modules-load.d/exeflow.conf" ||
	fail "modules-load.d does not load exeflow"
# ExecStartPre=+/sbin/modprobe exeflow: the module is not in this guest's
# module tree, so load the same file by path.
[ "$(key ExecStartPre)" = "+/sbin/modprobe exeflow" ] || fail "unexpected ExecStartPre"
load_exeflow

user=$(key User)
caps=$(key AmbientCapabilities | tr 'A-Z' 'a-z' | sed 's/cap_//g; s/ /,/g')
[ "$(key CapabilityBoundingSet | tr 'A-Z' 'a-z' | sed 's/cap_//g; s/ /,/g')" = "$caps" ] ||
	fail "bounding set and ambient capabilities differ"
uid=$(awk -F: -v u="$user" '$1 == u { print $3 }' /etc/passwd)
[ -n "$uid" ] || fail "unit user $user unknown"
state=/var/lib/$(key StateDirectory)
mkdir -p "$state"
chown "$uid:$uid" "$state"
chmod "$(key StateDirectoryMode)" "$state"
. "$I/etc/default/exeflowd"
cmd=$(key ExecStart | sed "s|\$EXEFLOWD_OPTS|$EXEFLOWD_OPTS|; s|^/usr/sbin/|$I/usr/sbin/|")
echo "running as $user ($uid) with $caps: $cmd -t 60"

netns_pair
(umask "$(key UMask)" && exec capexec "$uid" "$uid" "$caps" $cmd -t 60) >/tmp/exeflowd.log 2>&1 &
DAEMON_PID=$!
wait_for 60 daemon_registered
start_server inst b tcp-serve 10.0.0.2 7500 1
client instc a runas 1000 1000 nettest tcp-connect 10.0.0.2 7500
C=$CLIENT_PID
[ "$(key KillSignal)" = SIGTERM ] || fail "unexpected KillSignal"
stop_daemon

ls -la "$state"
f=$(ls "$state" | grep '^nfcapd\.[0-9]' | head -n 1)
[ -n "$f" ] || fail "no finished file in $state"
[ "$(stat -c %U:%a "$state/$f")" = "$user:640" ] || fail "file owner/mode $(stat -c %U:%a "$state/$f")"
NFCONF=$I/etc/exeflow/nfdump.conf nfdump -q -R "$state" -o proc >/tmp/proc.txt ||
	fail "nfdump with the installed profile"
cat /tmp/proc.txt
grep -E "10\.0\.0\.2:7500" /tmp/proc.txt | grep " E " | grep "pid=$C " | grep -q "alice nettest//exeflow/bin/nettest" ||
	fail "the installed daemon did not attribute the connection"
pass "installed files run as the unit says"
