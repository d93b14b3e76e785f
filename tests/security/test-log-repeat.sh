#!/bin/sh
# A refused call retried in a loop cannot turn into a flood of log records (promise 4): identical
# records beyond SB_AUDIT_REPEAT (10) a second are counted, not written, and every refusal is
# written or counted. On both transports (escape-dyn: trap, escape: notify), as root and as
# nobody; then the case that found it: dash retrying a refused rt_sigsuspend forever.
#     test-log-repeat.sh SYSBROKER SOURCE_ROOT ESCAPE_STATIC ESCAPE_DYNAMIC
set -u
sb=$1
src=$2
unset LD_LIBRARY_PATH
. "$src/tests/tap.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root (--user nobody)"
	exit 0
fi
tmp=$(mktemp -d /tmp/sb-repeat.XXXXXX)
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
cp "$3" "$tmp/escape"
cp "$4" "$tmp/escape-dyn"
cat >"$tmp/p.policy" <<P
sysbroker-policy 1
include $src/examples/policies/runtime.policy
default syscall deny errno ENOSYS log
default path deny errno EACCES log
path $tmp/escape* read exec
P

# sum FILE PATTERN: the counts of the suppressed records that match PATTERN.
sum() {
	grep '"decision":"suppressed"' "$1" | grep -F -- "$2" | sed 's/.*"count":\([0-9]*\).*/\1/' |
		awk '{ s += $1 } END { print s + 0 }'
}

N=100000
for prog in escape-dyn escape; do
	[ $prog = escape ] && t=notify || t=trap
	for u in "" "--user nobody"; do
		T="$t ${u:-as root}"
		log=$tmp/$prog.log
		: >"$log"
		t0=$(date +%s)
		out=$("$sb" run $u --log "$log" -p "$tmp/p.policy" -- "$tmp/$prog" opens $N "$tmp/secret" 2>&1)
		secs=$(($(date +%s) - t0 + 2))
		check "$T: $N opens of a path no rule grants are all refused ($out)" \
			sh -c 'case "$1" in *"opens denied=$2"*) exit 0;; esac; exit 1' - "$out" $N
		written=$(grep '"decision":"deny"' "$log" | grep -c "\"path\":\"$tmp/secret\"")
		counted=$(sum "$log" "\"path\":\"$tmp/secret\"")
		check "$T: the log wrote $written records of them in ${secs}s (at most $((11 * secs)))" \
			[ "$written" -ge 10 -a "$written" -le $((11 * secs)) ]
		check "$T: every refusal is written or counted ($written + $counted = $N)" \
			[ $((written + counted)) -eq $N ]
		check "$T: the counts say what they stand for (pid, syscall, rule)" \
			sh -c 'grep "\"decision\":\"suppressed\"" "$1" | grep -F "\"path\":\"$2\"" |
				grep -q "\"pid\":[0-9]*,\"syscall\":\"openat\",\"nr\":[0-9]*,.*\"rule\":\"$3:4\""' \
			- "$log" "$tmp/secret" "$tmp/p.policy"
		check "$T: the log stays small ($(wc -l <"$log") lines)" [ "$(wc -l <"$log")" -le $((11 * secs + 50)) ]
	done
done

# dash retrying a refused rt_sigsuspend (the call `wait` blocks in) forever, as under the
# build.policy of before: the log stays bounded while it spins, until --timeout ends it.
cat >"$tmp/sh.policy" <<P
sysbroker-policy 1
include $src/examples/policies/build.policy
deny rt_sigsuspend errno ENOSYS
P
t0=$(date +%s)
"$sb" run --timeout 3 --log "$tmp/sh.log" -p "$tmp/sh.policy" -e PATH=/usr/bin:/bin -- \
	/bin/sh -c 'sleep 30 & wait' >/dev/null 2>&1
rc=$?
secs=$(($(date +%s) - t0 + 2))
check "a shell spinning on a refused rt_sigsuspend is ended by --timeout (exit $rc)" [ $rc -eq 124 ]
spins=$(grep -c '"syscall":"rt_sigsuspend","nr":[0-9]*,"decision":"deny"' "$tmp/sh.log")
counted=$(sum "$tmp/sh.log" '"syscall":"rt_sigsuspend"')
check "... its $spins + $counted refusals left $(wc -l <"$tmp/sh.log") records (at most $((11 * secs + 20)))" \
	[ "$(wc -l <"$tmp/sh.log")" -le $((11 * secs + 20)) -a "$counted" -gt 0 ]
echo "1..$n"
exit $fail
