# Privileges:
#   1. an unprivileged user cannot register, unregister, dump, flush, read
#      stats or join a group of the family, not even from a user namespace
#      of its own, and cannot write the module's parameters;
#   2. exeflowd runs as a plain user with exactly CAP_NET_ADMIN,
#      CAP_DAC_READ_SEARCH and CAP_SYS_PTRACE (checked in /proc) and still
#      attributes connections with the hashes of a root-owned 0755 binary
#      and of a binary only root can read (0700, in a 0700 directory); a
#      control daemon without CAP_DAC_READ_SEARCH cannot hash the latter;
#      its files are 0640 whatever the umask;
#   3. with -m 0600, files are 0600, and symlinks planted in the output
#      directory under the names the daemon will use (its current file,
#      the .merge file and the coming slot files) are never followed: the
#      file they point to stays untouched.
. /exeflow/lib.sh

load_exeflow
netns_pair
CAPS=net_admin,dac_read_search,sys_ptrace
CAPMASK=0000000000081004	# bits 2, 12, 19
DUSER=1000			# alice

# ---- 1. the family refuses an unprivileged user ----
privcheck -r >/tmp/pc-root.out 2>&1
rc=$?
cat /tmp/pc-root.out
[ "$rc" = 0 ] || fail "privcheck control as root failed"
runas 65534 65534 privcheck >/tmp/pc.out 2>&1
rc=$?
cat /tmp/pc.out
[ "$rc" = 0 ] || fail "an unprivileged user got further than EPERM"
for op in register unregister get_stats flush "get_flows dump"; do
	grep -q "^ok: $op refused: Operation not permitted" /tmp/pc.out ||
		fail "no EPERM check for $op"
done
grep -Eq '^ok: (the family has no multicast groups|join of group)' /tmp/pc.out ||
	fail "multicast groups not checked"
if grep -q '^skip:' /tmp/pc.out; then
	echo "note: user namespace checks skipped"
else
	grep -q '^ok: userns: get_stats refused: Operation not permitted' /tmp/pc.out ||
		fail "user namespace check missing"
fi
runas 65534 65534 sh -c 'echo 0 >/sys/module/exeflow/parameters/enabled' 2>/dev/null &&
	fail "an unprivileged user wrote a module parameter"
[ "$(param enabled)" = 1 ] || fail "enabled changed"
echo "ok: module parameters not writable by an unprivileged user"

# ---- 2. the daemon with only its three capabilities ----
MD5=$(md5sum /exeflow/bin/nettest | cut -d' ' -f1)
mkdir -p /root && chmod 0755 /root
mkdir -m 0700 /root/priv
cat /exeflow/bin/nettest >/root/priv/secretnet
echo "not the same file" >>/root/priv/secretnet
chmod 0700 /root/priv/secretnet
SMD5=$(md5sum /root/priv/secretnet | cut -d' ' -f1)
ls -ld /exeflow/bin/nettest /root/priv /root/priv/secretnet
runas "$DUSER" "$DUSER" cat /root/priv/secretnet >/dev/null 2>&1 &&
	fail "user $DUSER can read the 0700 binary: the test proves nothing"

# capdaemon DIR CAPS [ARGS...]: exeflowd as $DUSER with CAPS, umask 0.
capdaemon() {
	_dir=$1 _caps=$2
	shift 2
	mkdir -p "$_dir"
	chown "$DUSER:$DUSER" "$_dir"
	chmod 0750 "$_dir"
	(umask 000 && exec capexec "$DUSER" "$DUSER" "$_caps" exeflowd -w "$_dir" "$@") \
		>>/tmp/exeflowd.log 2>&1 &
	DAEMON_PID=$!
	wait_for 60 daemon_registered
}

# two_clients PORT1 PORT2: the 0755 and the 0700 binary connect (as root).
two_clients() {
	start_server pub b tcp-serve 10.0.0.2 "$1" 1
	_s1=$SERVER_PID
	client pubc a nettest tcp-connect 10.0.0.2 "$1"
	C_PUB=$CLIENT_PID
	start_server sec b tcp-serve 10.0.0.2 "$2" 1
	_s2=$SERVER_PID
	client secc a /root/priv/secretnet tcp-connect 10.0.0.2 "$2"
	C_SEC=$CLIENT_PID
	wait "$_s1" "$_s2"
}

capdaemon /tmp/capflows "$CAPS"
grep -E '^(Uid|Gid|Cap(Inh|Prm|Eff|Bnd|Amb)):' "/proc/$DAEMON_PID/status"
for t in /proc/"$DAEMON_PID"/task/*; do
	eff=$(sed -n 's/^CapEff:[[:space:]]*//p' "$t/status")
	[ "$eff" = "$CAPMASK" ] || fail "thread ${t##*/}: CapEff $eff, want $CAPMASK"
done
prm=$(sed -n 's/^CapPrm:[[:space:]]*//p' "/proc/$DAEMON_PID/status")
[ "$prm" = "$CAPMASK" ] || fail "CapPrm $prm, want $CAPMASK"
uids=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$DAEMON_PID/status")
[ "$uids" = "$DUSER $DUSER $DUSER $DUSER" ] || fail "daemon uids: $uids"
echo "ok: exeflowd pid $DAEMON_PID runs as uid $DUSER with CapEff=CapPrm=$CAPMASK only"

two_clients 5201 5202
stop_daemon
flows /tmp/capflows >/tmp/capflows.txt
cat /tmp/capflows.txt
expect_flow /tmp/capflows.txt "root-owned 0755 binary, hashed" \
	"\|TCP\|10\.0\.0\.1\|[0-9]+\|10\.0\.0\.2\|5201\|E\|" "pid=$C_PUB " \
	"user=root comm=nettest exe=/exeflow/bin/nettest md5=$MD5 " "how=task"
expect_flow /tmp/capflows.txt "0700 binary, hashed through CAP_DAC_READ_SEARCH" \
	"\|TCP\|10\.0\.0\.1\|[0-9]+\|10\.0\.0\.2\|5202\|E\|" "pid=$C_SEC " \
	"user=root comm=secretnet exe=/root/priv/secretnet md5=$SMD5 " "how=task"
n=0
for f in /tmp/capflows/*; do
	[ -L "$f" ] && fail "symlink $f in the output"
	mode=$(stat -c '%a %u' "$f")
	echo "file $f: mode/owner $mode"
	[ "$mode" = "640 $DUSER" ] || fail "$f: mode/owner $mode, want 640 $DUSER (umask was 000)"
	n=$((n + 1))
done
[ "$n" -ge 1 ] || fail "no output file"

# Control: without CAP_DAC_READ_SEARCH the 0700 binary cannot be hashed,
# so the check above can fail.
: >/tmp/exeflowd.log
capdaemon /tmp/ctlflows net_admin,sys_ptrace
two_clients 5203 5204
stop_daemon
flows /tmp/ctlflows >/tmp/ctlflows.txt
expect_flow /tmp/ctlflows.txt "control: 0755 binary still hashed" \
	"10\.0\.0\.2\|5203\|E\|" "pid=$C_PUB " "md5=$MD5 "
expect_flow /tmp/ctlflows.txt "control: 0700 binary not hashed" \
	"10\.0\.0\.2\|5204\|E\|" "pid=$C_SEC " "exe=/root/priv/secretnet md5=- "

# ---- 3. -m 0600 and planted symlinks ----
D=/tmp/symflows
mkdir -p "$D"
chown "$DUSER:$DUSER" "$D"
echo "precious data, not an nfcapd file" >/tmp/victim
chmod 0666 /tmp/victim	# writable by the daemon's user: only O_NOFOLLOW protects it
VSUM=$(md5sum /tmp/victim | cut -d' ' -f1)
VSTAT=$(stat -c '%s %Y %h' /tmp/victim)
# Slot files of the next 4 minutes (-t 2: nfcapd.YYYYMMDDhhmmss, UTC).
now=$(date +%s)
t=$((now - now % 2))
end=$((t + 240))
while [ "$t" -le "$end" ]; do
	ln -s /tmp/victim "$D/nfcapd.$(date -u -d "@$t" +%Y%m%d%H%M%S)" ||
		fail "cannot plant a slot symlink"
	t=$((t + 2))
done
planted=$(ls "$D" | wc -l)
echo "planted $planted slot symlinks"
# The current file is nfcapd.current.<pid>: start the daemon from a shell
# that plants the links with its own pid and then execs it (same pid).
: >/tmp/exeflowd.log
(umask 000 && exec sh -c '
	ln -s /tmp/victim '"$D"'/nfcapd.current.$$
	ln -s /tmp/victim '"$D"'/nfcapd.current.$$.merge
	exec capexec '"$DUSER $DUSER $CAPS"' exeflowd -w '"$D"' -t 2 -m 0600') \
	>>/tmp/exeflowd.log 2>&1 &
DAEMON_PID=$!
wait_for 60 daemon_registered
[ -f "$D/nfcapd.current.$DAEMON_PID" ] && [ ! -L "$D/nfcapd.current.$DAEMON_PID" ] ||
	fail "current file is not a regular file: $(ls -l "$D/nfcapd.current.$DAEMON_PID" 2>&1)"
[ -e "$D/nfcapd.current.$DAEMON_PID.merge" ] && fail "planted .merge link still there"

placed() { # placed N: at least N planted slot names now hold our files
	_k=0
	for _f in "$D"/nfcapd.2*; do
		[ -f "$_f" ] && [ ! -L "$_f" ] && _k=$((_k + 1))
	done
	[ "$_k" -ge "$1" ]
}
start_server sym b tcp-serve 10.0.0.2 5301 1
client symc a nettest tcp-connect 10.0.0.2 5301
wait_for 120 placed 3
stop_daemon

[ "$(md5sum /tmp/victim | cut -d' ' -f1)" = "$VSUM" ] || fail "the symlink target was written"
[ "$(stat -c '%s %Y %h' /tmp/victim)" = "$VSTAT" ] || fail "the symlink target changed: $(stat -c '%s %Y %h' /tmp/victim)"
echo "--- $D without the untouched slot links"
ls -l "$D" | grep -v ' nfcapd\.2[0-9]* -> /tmp/victim$'
files=0 aside=0
for f in "$D"/*; do
	name=${f##*/}
	if [ -L "$f" ]; then
		[ "$(readlink "$f")" = /tmp/victim ] || fail "$name: link changed"
		case $name in
		nfcapd.current.broken.nfcapd.2*) aside=$((aside + 1)) ;;
		nfcapd.2*) ;;	# a slot the daemon did not live to
		*) fail "unexpected link $name" ;;
		esac
		continue
	fi
	mode=$(stat -c '%a' "$f")
	[ "$mode" = 600 ] || fail "$name: mode $mode, want 600 (-m 0600)"
	nfdump -q -r "$f" >/dev/null || fail "$name: nfdump cannot read it"
	files=$((files + 1))
done
echo "files written $files (all 0600), planted links moved aside $aside, victim untouched"
[ "$files" -ge 3 ] || fail "only $files files"
[ "$aside" -ge 3 ] || fail "only $aside planted links moved aside"
netns_cleanup
pass "privileges: EPERM for the unprivileged, exeflowd on 3 capabilities, modes, no symlink followed"
