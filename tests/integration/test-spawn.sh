#!/bin/sh
# Path calls where the SIGSYS handler used not to run: glibc's posix_spawn blocks every signal and
# runs its file actions (open, chdir) in a vfork child, and system() and popen() spawn the same
# way. Under `sysbroker run` each must be served like any other call -- the granted file read,
# the other refused with EACCES and a record -- and the child never killed by SIGSYS. Both
# transports: the dynamic probe runs over the trap, the static one over notify.
#     test-spawn.sh SYSBROKER SOURCE_ROOT PROBE STATIC_PROBE
set -u
sb=$1
src=$2
probe=$3
static=$4
unset LD_LIBRARY_PATH

n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $(printf '%s' "$1" | tr '\n' ' ')"; }
not_ok() { n=$((n + 1)); fail=1; echo "not ok $n - $(printf '%s' "$1" | tr '\n' ' ')"; }

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root (the example policies' trees)"
	exit 0
fi
tmp=$(mktemp -d /tmp/sb-spawn.XXXXXX)
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/work"
echo "granted words" >"$tmp/work/granted.txt"
echo "top secret" >"$tmp/secret.txt"
cp "$probe" "$tmp/work/probe"
cp "$static" "$tmp/work/probe-static"
cat >"$tmp/spawn.policy" <<EOF
sysbroker-policy 1
include $src/examples/policies/build.policy
path $tmp/work/** read exec list
path $tmp/work stat list
EOF

for bin in probe probe-static; do
	for mode in addopen addchdir system popen; do
		log=$tmp/$bin-$mode.log
		out=$("$sb" run -p "$tmp/spawn.policy" --log "$log" -- "$tmp/work/$bin" $mode \
			"$tmp/work/granted.txt" 2>&1)
		case $out in
		*"granted words"*"status=exit 0"*) ok "$bin $mode: the child reads the granted file" ;;
		*) not_ok "$bin $mode: the child reads the granted file: $out" ;;
		esac
		out=$("$sb" run -p "$tmp/spawn.policy" --log "$log" -- "$tmp/work/$bin" $mode \
			"$tmp/secret.txt" 2>&1)
		case $out in
		*"top secret"* | *"signal"*) not_ok "$bin $mode: the other file is refused: $out" ;;
		*"spawn=EACCES"* | *"Permission denied"*)
			ok "$bin $mode: the other file is refused with EACCES, no SIGSYS" ;;
		*) not_ok "$bin $mode: the other file is refused with EACCES: $out" ;;
		esac
		# addchdir is refused at its chdir, into the secret's directory.
		if grep -Eq "\"path\":\"$tmp(/secret.txt)?\".*\"decision\":\"deny\"" "$log"; then
			ok "$bin $mode: the refusal is on the record"
		else
			not_ok "$bin $mode: the refusal is on the record: $(cat "$log")"
		fi
		if grep -q '"decision":"killed"' "$log"; then
			not_ok "$bin $mode: nothing was killed: $(grep killed "$log")"
		fi
	done
done
# The dynamic probe's calls, its vfork child's file actions included, went over the trap.
if grep -q "\"transport\":\"trap\"" "$tmp/probe-addopen.log"; then
	ok "probe addopen: served over the trap"
else
	not_ok "probe addopen: served over the trap: $(cat "$tmp/probe-addopen.log")"
fi
echo "1..$n"
exit $fail
