#!/bin/sh
# A call that succeeds leaves errno as it was, natively and under `sysbroker run` with kernel
# grants (the preloaded fast path's direct try, whose failed opens set errno, must not show),
# dynamically linked (trap) and static (notify), as root and as nobody.
#     test-fastpath-errno.sh SYSBROKER SOURCE_ROOT PROBE PROBE_STATIC
set -u
sb=$1
src=$2
probe=$3
probe_static=$4
unset LD_LIBRARY_PATH
n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); fail=1; echo "not ok $n - $1"; }
tmp=$(mktemp -d /tmp/sb-fperr.XXXXXX)
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
g=$tmp/g
mkdir "$g"
echo data >"$g/f"
ln -s f "$g/ln"
python3 -c "import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])" "$g/sock" ||
	{ echo "1..0 # SKIP cannot bind a unix socket in $g"; exit 77; }
cp "$probe" "$tmp/probe"
cp "$probe_static" "$tmp/probe-static"
chmod -R a+rX "$tmp"
cat >"$tmp/p.policy" <<P
sysbroker-policy 1
include $src/examples/policies/runtime.policy
default syscall allow
default path deny errno EACCES log
path /usr/** read list stat exec
path /etc/** read list stat
path $tmp stat
path $tmp/probe read exec
path $tmp/probe-static read exec
path $g read list stat
path $g/** read list stat
P
if out=$("$tmp/probe" "$g" 2>&1); then ok "natively every call keeps errno"; else not_ok "natively: $out"; fi
"$sb" run --log "$tmp/kg.log" -p "$tmp/p.policy" -- "$tmp/probe" "$g" >/dev/null 2>&1
case $(grep -o '"kernel":"[^"]*"' "$tmp/kg.log") in
*'kernel grants: '[0-9]*) ;;
*) echo "1..0 # SKIP no kernel grants here: $(grep -o '"kernel":"[^"]*"' "$tmp/kg.log")"; exit 77 ;;
esac
for user in "" nobody; do
	for prog in probe probe-static; do
		what="$prog${user:+ as $user}"
		out=$("$sb" run ${user:+--user "$user"} -p "$tmp/p.policy" -- "$tmp/$prog" "$g" 2>&1)
		rc=$?
		if [ $rc -eq 0 ]; then
			ok "$what: every successful call kept errno"
		else
			not_ok "$what (exit $rc): $(echo "$out" | grep -v '^ok' | tr '\n' ';')"
		fi
	done
done
echo "1..$n"
exit $fail
