#!/bin/sh
# Escapes from `sysbroker run`, tried for real by tests/security/escape.c under a policy that
# allows the syscalls involved: each must fail, and the broker must survive to report the
# program's exit status. escape is static, so only the kernel filters of the launcher answer
# (no preloaded runtime, no trap filter): with the launcher's filter left out, 19 of these fail.
#     test-run-escapes.sh SYSBROKER SOURCE_ROOT ESCAPE
set -u
sb=$1
src=$2
escape=$3
unset LD_LIBRARY_PATH

. "$src/tests/tap.sh"
# held OUTPUT NAME ERRNO: the attempt NAME failed with ERRNO.
held() {
	case $1 in
	*"$2 ret=-1 errno=$3"*) ok "$2 is refused with $3" ;;
	*) not_ok "$2 is refused with $3: $(printf '%s\n' "$1" | grep "^$2 ")" ;;
	esac
}

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root"
	exit 0
fi
tmp=$(mktemp -d /tmp/sb-esc.XXXXXX)
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
cp "$escape" "$tmp/escape"
cat >"$tmp/escape.policy" <<P
sysbroker-policy 1
include $src/examples/policies/runtime.policy
default syscall deny errno ENOSYS log
default path deny errno EACCES log
# Everything the attempts need, so that only sysbroker's own rules stand in the way.
allow kill tkill tgkill rt_sigqueueinfo pidfd_open pidfd_send_signal setpgid getpgid
allow fcntl ioctl nanosleep clock_nanosleep
allow @network
path $tmp/escape read exec
P

# Signals to the broker, in every form the kernel offers, and joining its process group.
# The broker is the sh that execs sysbroker: its pid and process group are known before.
out=$(setsid -w sh -c 'exec "$0" run -p "$1" -- "$2" signals $$ $(ps -o pgid= $$)' \
	"$sb" "$tmp/escape.policy" "$tmp/escape" 2>&1)
rc=$?
check "the broker survived and reported the program's status (got $rc)" [ "$rc" -eq 0 ]
for a in kill-broker kill-broker-high-bits kill-broker-group kill-everyone tkill-broker \
	tgkill-broker sigqueue-broker pidfd-open-broker pidfd-send-signal join-broker-group; do
	held "$out" "$a" EPERM
done

# SIGIO ownership: F_SETOWN and friends would let the kernel signal the broker for us.
out=$(sh -c 'exec "$0" run -p "$1" -- "$2" setown $$' "$sb" "$tmp/escape.policy" \
	"$tmp/escape" 2>&1)
rc=$?
check "the broker survived SIGIO games (got $rc)" [ "$rc" -eq 0 ]
for a in f-setown f-setown-ex f-setsig fiosetown siocspgrp; do
	held "$out" "$a" EPERM
done

# Fds sysbroker inherited do not reach the program.
exec 7>"$tmp/leak7" 8<"$tmp/escape"
out=$("$sb" run -p "$tmp/escape.policy" -- "$tmp/escape" fds 7 8 2>&1)
exec 7>&- 8<&-
held "$out" fd-7 EBADF
held "$out" fd-8 EBADF

# The terminal it shares with the user's shell: no input injection.
out=$("$sb" run -p "$tmp/escape.policy" -- "$tmp/escape" tiocsti 2>&1)
held "$out" tiocsti EPERM
held "$out" tioclinux EPERM

# listen on an unbound socket would bind every address to a free port: the broker decides it as
# bind to tcp:0.0.0.0:0, which no net rule here grants.
cat >"$tmp/listen.policy" <<P
sysbroker-policy 1
include $src/examples/policies/runtime.policy
default syscall deny errno ENOSYS log
default path deny errno EACCES log
allow @network
path $tmp/escape read exec
P
out=$("$sb" run -p "$tmp/listen.policy" -- "$tmp/escape" listen 2>&1)
held "$out" listen-unbound EACCES

# A flood of channels: refused past the per-process limit, and --timeout still kills the tree.
start=$(date +%s)
out=$("$sb" run --timeout 2 -p "$tmp/escape.policy" -- "$tmp/escape" flood 2>&1)
rc=$?
# 512 channels per process (escape is static: no runtime holds one already).
check "a channel flood is cut off per process with EMFILE (${out})" \
	sh -c 'case "$1" in *"flood channels=512 last=-24"*) exit 0;; esac; exit 1' - "$out"
check "--timeout still ends a flooding program (exit 124, got $rc)" [ "$rc" -eq 124 ]
check "... within seconds" [ $(($(date +%s) - start)) -lt 15 ]
check "nothing of it is left running" sh -c '! pgrep -f "$0 flood" >/dev/null' "$tmp/escape"

# A log flood: 50000 denied opens. The broker writes at most 10 identical records a second (and
# at most a burst of 20000 records plus 2000 a second in all), and counts the rest in
# "suppressed" records: every denial is accounted for (test-log-repeat.sh: the bound).
"$sb" run --log "$tmp/flood.log" -p "$tmp/escape.policy" -- "$tmp/escape" opens 50000 \
	"$tmp/not-granted" >"$tmp/opens.out" 2>&1
check "the denied opens were denied ($(cat "$tmp/opens.out"))" grep -q "opens denied=50000" "$tmp/opens.out"
lines=$(grep '"decision":"deny"' "$tmp/flood.log" | grep -c "\"path\":\"$tmp/not-granted\"")
others=$(grep '"decision":"deny"' "$tmp/flood.log" | grep -vc "\"path\":\"$tmp/not-granted\"")
dropped=$(grep '"decision":"suppressed"' "$tmp/flood.log" | sed 's/.*"count":\([0-9]*\).*/\1/' |
	awk '{ s += $1 } END { print s + 0 }')
# Every denial is either written or counted (the program's other denials, from its loader,
# may be among the counted ones).
check "the log kept $lines of 50000 records and counted $dropped as suppressed" \
	[ "$lines" -lt 50000 -a $((lines + dropped)) -ge 50000 -a \
	$((lines + dropped)) -le $((50000 + others + 100)) ]

echo "1..$n"
exit $fail
