#!/bin/sh
# Net rules end to end, on loopback only: real servers on 127.0.0.1 (and 127.0.0.2, ::1, unix
# sockets), a Python client under `sysbroker run` with examples/policies/http-client.policy.
# The client reaches what the policy grants and is refused, with the policy's errno and a log
# record that names the address, everywhere else. Every case runs over both transports: trap
# (the preloaded runtime) and notify (the same client started by env(1) without SYSBROKER_FD,
# so its runtime never arms).
#     test-net.sh SYSBROKER SOURCE_ROOT
set -u
sb=$1
src=$2
pol=$src/examples/policies
unset LD_LIBRARY_PATH
logmatch="python3 $src/tests/integration/logmatch.py"

n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $(printf '%s' "$1" | tr '\n' ' ')"; }
not_ok() { n=$((n + 1)); fail=1; echo "not ok $n - $(printf '%s' "$1" | tr '\n' ' ')"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
check() {
	d=$1
	shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root (sysbroker run)"
	exit 0
fi
if ! command -v python3 >/dev/null; then
	echo "1..0 # SKIP python3 is not installed"
	exit 0
fi

tmp=$(mktemp -d /tmp/sb-net.XXXXXX)
chmod 755 "$tmp"
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
cp "$src/tests/integration/netclient.py" "$tmp/"
mkdir "$tmp/www"
echo "sysbroker-net-ok" >"$tmp/www/index.html"

# Free ports, as the kernel hands them out.
ports=$(python3 -c '
import socket
ss = [socket.socket() for _ in range(7)]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))')
set -- $ports
pa=$1 pb=$2 pbind=$3 pbind2=$4 pudp=$5 pudp2=$6 p6=$7
have6=0
python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null && have6=1

serve_http() { # ADDRESS PORT
	python3 -m http.server --bind "$1" --directory "$tmp/www" "$2" >/dev/null 2>&1 &
	pids="$pids $!"
}
serve_http 127.0.0.1 "$pa"
serve_http 127.0.0.1 "$pb"
serve_http 127.0.0.2 "$pa"
[ $have6 = 1 ] && serve_http ::1 "$p6"
[ $have6 = 1 ] && serve_http ::1 "$pb"
# Unix stream servers (paths and abstract names) that greet, and a UDP sink that records.
python3 - "$tmp" "$$" "$pudp" <<'PY' >/dev/null 2>&1 &
import os, socket, sys, threading
tmp, tag, pudp = sys.argv[1], sys.argv[2], int(sys.argv[3])
def greet(s, word):
    while True:
        c, _ = s.accept()
        c.sendall(word.encode() + b"\n")
        c.close()
for name, word in ((tmp + "/allowed.sock", "allowed-path"), (tmp + "/forbidden.sock", "forbidden-path"),
                   ("\0sb-allowed-" + tag, "allowed-abstract"), ("\0sb-denied-" + tag, "denied-abstract")):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(name)
    s.listen(8)
    threading.Thread(target=greet, args=(s, word), daemon=True).start()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", pudp))
with open(tmp + "/udp.log", "a") as f:
    while True:
        f.write(u.recv(256).decode() + "\n")
        f.flush()
PY
pids="$pids $!"
ln -s allowed.sock "$tmp/link-to-allowed.sock"

# Every server answers before the sandbox starts.
python3 - "$pa" "$pb" "$p6" "$have6" "$tmp" <<'PY'
import socket, sys, time, os
pa, pb, p6, have6, tmp = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1", sys.argv[5]
want = [("127.0.0.1", pa), ("127.0.0.1", pb), ("127.0.0.2", pa)] + ([("::1", p6), ("::1", pb)] if have6 else [])
deadline = time.time() + 20
for host, port in want:
    while True:
        try:
            socket.create_connection((host, port), timeout=1).close()
            break
        except OSError:
            if time.time() > deadline:
                sys.exit("server %s:%d did not start" % (host, port))
            time.sleep(0.05)
while not os.path.exists(tmp + "/udp.log") and time.time() < deadline:
    time.sleep(0.05)
PY

cat >"$tmp/client.policy" <<EOF
sysbroker-policy 1
include $pol/http-client.policy
path $tmp/netclient.py read
path /usr/bin/env read exec
allow socket if arg0 == AF_UNIX
net tcp:127.0.0.1:$pa connect
net tcp:[::1]:$p6 connect
net tcp:127.0.0.2/32:* deny errno ENETUNREACH
net unix:$tmp/allowed.sock connect
net unix:$tmp/bound-*.sock bind
net unix:@sb-allowed-$$ connect
net tcp:127.0.0.1:$pbind bind
net udp:127.0.0.1:$pudp send
EOF

cases="get:get-allowed:http://127.0.0.1:$pa/
get:get-other-port:http://127.0.0.1:$pb/
tcp:tcp-other-port:127.0.0.1:$pb
tcpblock:tcp-blocking:127.0.0.1:$pa
tcpblock:tcp-blocking-other-port:127.0.0.1:$pb
tcp:tcp-other-address:127.0.0.2:$pa
unix:unix-allowed:$tmp/allowed.sock
unix:unix-link:$tmp/link-to-allowed.sock
unix:unix-forbidden:$tmp/forbidden.sock
unix:unix-relative:allowed.sock
unix:unix-relative-forbidden:./forbidden.sock
ubind:ubind-relative:bound-rel.sock
ubind:ubind-relative-dotdot:../$(basename "$tmp")/bound-dotdot.sock
ubind:ubind-relative-forbidden:other.sock
unix:abstract-allowed:@sb-allowed-$$
unix:abstract-denied:@sb-denied-$$
bind:bind-allowed:127.0.0.1:$pbind
bind:bind-other-port:127.0.0.1:$pbind2
listen:listen-unbound
udp:udp-allowed:127.0.0.1:$pudp
udpmsg:udpmsg-allowed:127.0.0.1:$pudp
udp:udp-other-port:127.0.0.1:$pudp2"
[ $have6 = 1 ] && cases="$cases
get:get6-allowed:http://[::1]:$p6/
tcp:tcp6-other-port:[::1]:$pb"

for transport in trap notify; do
	log=$tmp/$transport.log
	if [ $transport = trap ]; then
		pre=""
	else
		pre="/usr/bin/env -u SYSBROKER_FD"
	fi
	# shellcheck disable=SC2086
	out=$(cd "$tmp" && "$sb" run --log "$log" -p "$tmp/client.policy" -- $pre /usr/bin/python3 \
		"$tmp/netclient.py" $cases 2>&1)
	rc=$?
	check "$transport: the client ran to its end (status $rc): $out" [ $rc -eq 0 ]
	got() { printf '%s\n' "$out" | grep "^$1 " | head -1; }
	expect() { # LABEL RESULT
		g=$(got "$1")
		case "$g" in
		"$1 $2"*) ok "$transport: $1: $2" ;;
		*) not_ok "$transport: $1: want '$2', got '$g'" ;;
		esac
	}
	rec() { # DESCRIPTION KEY=VALUE...
		d=$1
		shift
		if $logmatch "$log" transport=$transport "$@" 2>"$tmp/lm"; then
			ok "$transport: logged: $d"
		else
			not_ok "$transport: logged: $d: $(tr '\n' ' ' <"$tmp/lm" | cut -c1-600)"
		fi
	}
	expect get-allowed "ok sysbroker-net-ok"
	expect get-other-port "err EACCES"
	rec "another port" syscall=connect decision=deny errno=EACCES "addr=tcp:127.0.0.1:$pb"
	expect tcp-other-port "err EACCES"
	expect tcp-blocking "ok"
	expect tcp-blocking-other-port "err EACCES"
	expect tcp-other-address "err ENETUNREACH"
	rec "another address, the rule's errno" syscall=connect decision=deny errno=ENETUNREACH \
		"addr=tcp:127.0.0.2:$pa" "rule=$tmp/client.policy:*"
	expect unix-allowed "ok allowed-path"
	expect unix-link "ok allowed-path"
	expect unix-forbidden "err EACCES"
	rec "a forbidden unix path" syscall=connect decision=deny "addr=unix:$tmp/forbidden.sock"
	# A relative unix path is resolved from the program's cwd ($tmp), like a file path.
	expect unix-relative "ok allowed-path"
	expect unix-relative-forbidden "err EACCES"
	rec "a relative unix path, by its canonical path" syscall=connect decision=deny \
		errno=EACCES "addr=unix:$tmp/forbidden.sock"
	expect ubind-relative "ok"
	expect ubind-relative-dotdot "ok"
	check "$transport: relative binds made their socket files" \
		[ -S "$tmp/bound-rel.sock" -a -S "$tmp/bound-dotdot.sock" ]
	rm -f "$tmp/bound-rel.sock" "$tmp/bound-dotdot.sock"
	expect ubind-relative-forbidden "err EACCES"
	rec "a relative bind elsewhere" syscall=bind decision=deny "addr=unix:$tmp/other.sock"
	check "$transport: the refused bind made no file" [ ! -e "$tmp/other.sock" ]
	expect abstract-allowed "ok allowed-abstract"
	expect abstract-denied "err EACCES"
	rec "an abstract name" syscall=connect decision=deny "addr=unix:@sb-denied-$$"
	expect bind-allowed "ok 127.0.0.1:$pbind"
	expect bind-other-port "err EACCES"
	rec "bind elsewhere" syscall=bind decision=deny "addr=tcp:127.0.0.1:$pbind2"
	expect listen-unbound "err EACCES"
	rec "listen on an unbound socket, as bind to every address" syscall=listen \
		decision=deny "addr=tcp:0.0.0.0:0"
	expect udp-allowed "ok 17"
	expect udpmsg-allowed "ok 20"
	expect udp-other-port "err EACCES"
	rec "a datagram elsewhere" syscall=sendto decision=deny "addr=udp:127.0.0.1:$pudp2"
	check "$transport: the datagrams arrived" grep -q "hello udp-allowed" "$tmp/udp.log"
	check "$transport: ... by sendmsg too" grep -q "hello udpmsg-allowed" "$tmp/udp.log"
	: >"$tmp/udp.log"
	if [ $have6 = 1 ]; then
		expect get6-allowed "ok sysbroker-net-ok"
		expect tcp6-other-port "err EACCES"
		rec "IPv6, another port" syscall=connect decision=deny "addr=tcp:[::1]:$pb"
	else
		skip "$transport: IPv6 loopback" "::1 is not available"
	fi
done

echo "1..$n"
exit $fail
