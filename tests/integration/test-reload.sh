#!/bin/sh
# Reloads that cannot leak, and `sysbroker reload`'s answer, end to end:
#  - a reload storm: 1000 reloads of a small policy and 100 of a 20,000-rule one; the broker's
#    resident memory (VmRSS) grows by less than a bound that keeping every old policy (as it
#    once did: ~97 KB and ~4.7 MB a reload) would exceed many times over;
#  - a reload while a call waits in the loop (a connect to a listener whose backlog is full),
#    over both transports: the policy it was decided under stays until it completes, and its
#    record names that policy's rule (the sanitizer build turns a use after free into a failure);
#  - `sysbroker reload`: 0 for an applied policy, 3 and the file:line reason on stderr for a
#    refused one, 4 and a message when the broker does not answer (stopped), 1 for a socket that
#    is not the broker's.
#     test-reload.sh SYSBROKER SOURCE_ROOT
set -u
sb=$1
src=$2
unset LD_LIBRARY_PATH
logmatch="python3 $src/tests/integration/logmatch.py"

. "$src/tests/tap.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root (the policies name /usr/bin and /tmp trees)"
	exit 0
fi
if ! [ -x /usr/bin/python3 ]; then
	echo "1..0 # SKIP /usr/bin/python3 is not installed"
	exit 0
fi

tmp=$(mktemp -d /tmp/sb-reload.XXXXXX)
chmod 755 "$tmp"
bg=
listener=
trap '[ -n "$bg" ] && kill $bg 2>/dev/null; [ -n "$listener" ] && kill $listener 2>/dev/null;
	rm -rf "$tmp"' EXIT
export SYSBROKER_RUNDIR=$tmp/run
mkdir -m 700 "$SYSBROKER_RUNDIR"

rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
# Wait (at most ~10 s) for a line matching $2 in file $1.
wait_for() {
	for _ in $(seq 200); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# Wait (at most ~30 s) until broker $1 serves: its reload socket is there.
ready() {
	for _ in $(seq 600); do
		[ -S "$SYSBROKER_RUNDIR/reload-$1" ] && return 0
		sleep 0.05
	done
	return 1
}

head_policy() {
	printf 'sysbroker-policy 1\ninclude %s/examples/policies/runtime.policy\n' "$src"
	printf 'default syscall allow\ndefault path deny errno EACCES log\n'
	printf 'path /usr/bin/sleep read exec\npath /usr/bin/python3* read exec\npath /usr/bin/env read exec\n'
	printf 'path /usr/** read list\npath %s/** read\n' "$tmp"
}
head_policy >"$tmp/small.policy"
{
	head_policy
	i=0
	while [ $i -lt 20000 ]; do
		echo "path $tmp/d$((i % 97))/f$i.txt read write"
		i=$((i + 1))
	done
} >"$tmp/large.policy"

# --- the storm ------------------------------------------------------------------------------
# storm POLICY COUNT BOUND_KB: reload a broker COUNT times with POLICY; its VmRSS grows less.
storm() {
	cp "$tmp/$1.policy" "$tmp/cur.policy"
	# A sanitizer build keeps freed memory in quarantine for a while: not here.
	ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=0" \
		"$sb" run -p "$tmp/cur.policy" -- /usr/bin/sleep 600 >"$tmp/storm.out" 2>&1 &
	bg=$!
	ready $bg
	before=$(rss $bg)
	i=0 bad=0
	while [ $i -lt "$2" ]; do
		"$sb" reload --pid $bg || bad=$((bad + 1))
		i=$((i + 1))
	done
	after=$(rss $bg)
	check "$2 reloads of the $1 policy all answered 0 ($bad failed)" [ "$bad" -eq 0 ] ||
		sed 's/^/# /' "$tmp/storm.out"
	check "$1 policy: the broker's VmRSS grew by $((after - before)) kB over $2 reloads (< $3)" \
		[ $((after - before)) -lt "$3" ]
	kill $bg
	wait $bg 2>/dev/null
	bg=
}
# Before old policies were freed: +97,000 kB and +474,000 kB.
storm small 1000 20000
storm large 100 60000

# --- a reload while a call waits -------------------------------------------------------------
# A TCP port on loopback that never answers: a listener whose accept queue (backlog 0) is full,
# so the kernel drops every further SYN and a blocking connect waits, retransmitting, until the
# listener goes away (then the next SYN is refused: ECONNREFUSED within seconds).
start_listener() {
	rm -f "$tmp/port"
	python3 - "$tmp/port" <<'PY' &
import os, socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(0)
fill = socket.create_connection(s.getsockname())
time.sleep(0.2)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(600)
PY
	listener=$!
	for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
	port=$(cat "$tmp/port")
}

cat >"$tmp/client.py" <<'PY'
import os, socket, sys, time
while not os.path.exists(sys.argv[2]):
    time.sleep(0.02)
s = socket.socket()
print("connecting", flush=True)
try:
    s.connect(("127.0.0.1", int(sys.argv[1])))
    print("connected", flush=True)
except OSError as e:
    print("refused" if e.errno == 111 else "error %d" % e.errno, flush=True)
PY
for case in trap notify "trap nobody" "notify nobody"; do
	set -- $case
	transport=$1 user=${2:-}
	pre=
	[ $transport = notify ] && pre="/usr/bin/env -u SYSBROKER_FD"
	start_listener
	# The waiting connect is decided by a reloaded policy (the first one lives to the end),
	# whose rule is on line 11; the later ones have it on line 12.
	{ head_policy; echo "net tcp:127.0.0.1:$port connect log"; } >"$tmp/net.policy"
	log=$tmp/net-$transport$user.log
	rm -f "$tmp/go"
	"$sb" run -p "$tmp/net.policy" --log "$log" ${user:+--user $user} -- \
		$pre /usr/bin/python3 "$tmp/client.py" "$port" "$tmp/go" >"$tmp/net.out" 2>&1 &
	bg=$!
	ready $bg
	{ head_policy; echo "# reloaded"; echo "net tcp:127.0.0.1:$port connect log"; } \
		>"$tmp/net.policy"
	"$sb" reload --pid $bg
	touch "$tmp/go"
	wait_for "$tmp/net.out" connecting
	sleep 0.5 # the connect is brokered and waits in the loop
	{ head_policy; echo "# reloaded"; echo "#"; echo "net tcp:127.0.0.1:$port connect log"; } \
		>"$tmp/net.policy"
	bad=0
	for _ in $(seq 20); do "$sb" reload --pid $bg || bad=$((bad + 1)); done
	check "$case: 20 reloads while a connect waits, all applied" [ $bad -eq 0 ]
	check "$case: the connect still waits" [ "$(cat "$tmp/net.out")" = connecting ]
	kill $listener
	wait $listener 2>/dev/null
	listener=
	wait $bg
	rc=$?
	bg=
	check "$case: the program ends once the connect is refused ($rc)" [ $rc -eq 0 ]
	check "$case: the connect was answered: refused" grep -qx refused "$tmp/net.out"
	check "$case: its record names the rule of the policy it was decided under" \
		$logmatch "$log" syscall=connect "rule~=net.policy:11"
done

# --- sysbroker reload's answers -------------------------------------------------------------
cp "$tmp/small.policy" "$tmp/cur.policy"
"$sb" run -p "$tmp/cur.policy" -- /usr/bin/sleep 600 >"$tmp/ans.out" 2>&1 &
bg=$!
ready $bg
"$sb" reload --pid $bg 2>"$tmp/err"
check "a good policy: reload exits 0, says nothing" [ $? -eq 0 ] && [ ! -s "$tmp/err" ]
echo "path $tmp/x raed" >>"$tmp/cur.policy"
"$sb" reload --pid $bg 2>"$tmp/err"
rc=$?
check "a refused policy: reload exits 3 ($rc)" [ $rc -eq 3 ]
check "a refused policy: its file:line reason on stderr" \
	grep -q "^sysbroker reload: $tmp/cur.policy:10:.*(the policy in force stays)\$" "$tmp/err"
check "without --log the broker says it on its stderr too" grep -q "cur.policy:10" "$tmp/ans.out"
kill -STOP $bg
"$sb" reload --pid $bg 2>"$tmp/err"
rc=$?
kill -CONT $bg
check "a stopped broker: reload exits 4 ($rc)" [ $rc -eq 4 ]
check "a stopped broker: reload says it did not answer" grep -q "did not answer within" "$tmp/err"
# A socket in the broker's place that is not the broker's: nothing is asked.
sock=$SYSBROKER_RUNDIR/reload-$bg
rm -f "$sock"
python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(4)
open(sys.argv[1] + ".up", "w").close(); time.sleep(30)' "$sock" &
fake=$!
for _ in $(seq 100); do [ -e "$sock.up" ] && break; sleep 0.05; done
"$sb" reload --pid $bg 2>"$tmp/err"
rc=$?
kill $fake
check "a socket that is not the broker's: reload exits 1 ($rc) and says so" \
	[ $rc -eq 1 ] && grep -q "is not $bg's" "$tmp/err"
kill $bg
wait $bg 2>/dev/null
bg=
check "the broker removes its socket at exit" [ ! -e "$sock" ] || [ -e "$sock.up" ]

echo "1..$n"
exit $fail
