#!/bin/sh
# A program under `sysbroker run` cannot raise a `limit` back, nor touch its broker's limits:
# setrlimit above the hard limit, prlimit64 on itself by pid or on its own child (EPERM: raising a
# hard limit takes CAP_SYS_RESOURCE, never held in the sandbox), and prlimit64 on the broker
# (EPERM from the launcher filter: the sandbox may share the broker's uid, and a `cpu 1` set on
# the broker would have the kernel kill it). The policy does not include runtime.policy (whose
# prlimit64 rule would stand in the way): only the kernel and sysbroker's own filters answer.
# python3 dynamically linked = trap; behind `env -u SYSBROKER_FD` = notify; root and nobody. The
# control runs the broker probe natively against a process of the same uid: there it works.
#     test-rlimit-escapes.sh SYSBROKER SOURCE_ROOT
set -u
sb=$1
src=$2
unset LD_LIBRARY_PATH
. "$src/tests/tap.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root (sysbroker run --user nobody; the broker as root)"
	exit 0
fi
if [ ! -x /usr/bin/python3 ]; then
	echo "1..0 # SKIP /usr/bin/python3 is not installed"
	exit 0
fi
py=/usr/bin/python3
tmp=$(mktemp -d /tmp/sb-rlesc.XXXXXX)
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/p.policy" <<EOF
sysbroker-policy 1
default syscall allow
default path deny errno EACCES log
path /usr/** read exec list
path /etc/** read
path /dev/null read write
path $tmp/** read list
limit nofile 32
EOF
cat >"$tmp/probe.py" <<'EOF'
import os, resource, sys, time
R = resource.RLIMIT_NOFILE
def attempt(name, f):
    try:
        f()
        print(name, "ok")
    except (OSError, ValueError) as e:
        # resource.setrlimit says EPERM as ValueError ("not allowed to raise maximum limit")
        print(name, "EPERM" if isinstance(e, ValueError) or e.errno == 1 else e.errno)
    sys.stdout.flush()
target = int(sys.argv[1]) if len(sys.argv) > 1 else os.getppid()
attempt("setrlimit-raise", lambda: resource.setrlimit(R, (4096, 4096)))
attempt("setrlimit-soft-above-hard", lambda: resource.setrlimit(R, (4096, 32)))
attempt("prlimit-self-pid-raise", lambda: resource.prlimit(os.getpid(), R, (4096, 4096)))
pid = os.fork()
if pid == 0:
    time.sleep(2)
    os._exit(0)
attempt("prlimit-child-raise", lambda: resource.prlimit(pid, R, (4096, 4096)))
os.waitpid(pid, 0)
for name, res, val in (("nofile", R, 4), ("cpu", resource.RLIMIT_CPU, 1),
                       ("as", resource.RLIMIT_AS, 1 << 20)):
    attempt("prlimit-broker-" + name, lambda: resource.prlimit(target, res, (val, val)))
attempt("prlimit-broker-read", lambda: resource.prlimit(target, R))
print("limit", *resource.getrlimit(R))
print(open("/dev/null").read() or "still-served")
EOF

# The control: natively, a process may lower the limits of another of its uid.
sleep 30 &
victim=$!
out=$($py "$tmp/probe.py" $victim 2>&1)
kill $victim 2>/dev/null
wait $victim 2>/dev/null
check "control: natively, prlimit64 sets another same-uid process's cpu limit" \
	sh -c 'printf "%s\n" "$1" | grep -qx "prlimit-broker-cpu ok"' - "$out"

for transport in trap notify; do
	pre=
	[ $transport = notify ] && pre="/usr/bin/env -u SYSBROKER_FD"
	for user in root nobody; do
		uopt=
		[ $user = nobody ] && uopt="--user nobody"
		t="($transport, $user)"
		# shellcheck disable=SC2086
		out=$("$sb" run -p "$tmp/p.policy" $uopt -- $pre $py "$tmp/probe.py" 2>&1)
		for a in setrlimit-raise setrlimit-soft-above-hard prlimit-self-pid-raise \
			prlimit-child-raise prlimit-broker-nofile prlimit-broker-cpu prlimit-broker-as \
			prlimit-broker-read; do
			check "$a is refused with EPERM $t" \
				sh -c 'printf "%s\n" "$1" | grep -qx "$2 EPERM"' - "$out" "$a"
		done
		check "the limit is still 32:32 $t" sh -c 'printf "%s\n" "$1" | grep -qx "limit 32 32"' \
			- "$out"
		check "the broker still serves $t" sh -c 'printf "%s\n" "$1" | grep -qx still-served' \
			- "$out"
	done
done
echo "1..$n"
exit $fail
