#!/bin/sh
# What the broker reads from a caller's /proc status (the umask it applies to a create) is the
# caller's as it is now: after the caller changed it, and after a finished caller's pid went to a
# new process (caller-status.c). The credentials a chown acts with come from the same file, but a
# sandboxee holds no capability to change its own. Dynamically linked (trap) and
# static (notify), as root and as nobody. The pid comes back within a few hundred forks in a pid
# namespace of its own with a small pid_max (per namespace since Linux 6.14). And a process whose
# main thread has exited creates from another thread: over the trap its status is the zombie
# leader's, which has no umask.
#     test-caller-status.sh SYSBROKER SOURCE_ROOT HELPER HELPER_STATIC
set -u
sb=$1
src=$(cd "$2" && pwd)
dyn=$3
static=$4
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root (sysbroker run --user nobody, a pid namespace)"
	exit 0
fi
tmp=$(mktemp -d /tmp/sb-status.XXXXXX)
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/p.policy" <<P
sysbroker-policy 1
include $src/examples/policies/runtime.policy
default syscall allow
default path deny errno EACCES log
path /** read list exec
path $tmp/w-*/** read write create delete list
P
pidns=yes
unshare -pf --mount-proc sh -c 'echo 400 >/proc/sys/kernel/pid_max' 2>/dev/null || pidns=no

run() { # USER HELPER MODE DIR
	d=$4
	rm -rf "$d"
	mkdir "$d"
	chown "$1" "$d"
	if [ "$3" = reuse ]; then
		unshare -pf --mount-proc sh -c 'echo 400 >/proc/sys/kernel/pid_max && exec "$@"' sh \
			"$sb" run -u "$1" -p "$tmp/p.policy" --log "$tmp/audit.log" -- "$2" "$d" "$3"
	else
		"$sb" run -u "$1" -p "$tmp/p.policy" --log "$tmp/audit.log" -- "$2" "$d" "$3"
	fi
}

for t in trap notify; do
	h=$dyn
	[ $t = notify ] && h=$static
	for u in root nobody; do
		for mode in same reuse leader-gone; do
			what="$t, as $u, $mode"
			if [ $mode = reuse ] && [ $pidns = no ]; then
				skip "$what" "no pid namespace with its own pid_max"
				continue
			fi
			err=$(run $u "$h" $mode "$tmp/w-$t-$u-$mode" 2>&1)
			rc=$?
			if [ $rc = 0 ]; then
				ok "$what: each create gets the umask its caller has"
			elif [ $rc = 77 ]; then
				skip "$what" "the pid did not come back"
			else
				not_ok "$what (exit $rc: $err)"
			fi
		done
	done
done
echo "1..$n"
