#!/bin/sh
# The shell under the bundled build.policy, as make recipes use it: background jobs and `wait`
# (which blocks in rt_sigsuspend), `wait $!`, pipelines, $(...), here-documents, traps and
# `sh -c 'prog & wait'`. Each finishes with the status it has natively and leaves no denial in
# the log. Over trap (dash is dynamic) and notify (`env -u SYSBROKER_FD`), as root and nobody.
#     test-shell-jobs.sh SYSBROKER SOURCE_ROOT
set -u
sb=$1
# meson sets LD_LIBRARY_PATH for the build tree; the policies grant no such directory.
unset LD_LIBRARY_PATH
src=$(cd "$2" && pwd)
. "$src/tests/tap.sh"

tmp=$(mktemp -d /tmp/sb-shell.XXXXXX)
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
script='sleep 0.2 & wait
sleep 0.1 & wait $!; s=$?
echo a | tr a b | cat >/dev/null
x=$(echo sub)
cat <<X >/dev/null
$x
X
trap "echo trapped" USR1
for i in 1 2 3; do sleep 0.05 & done; wait
true | false || exit $((s + 7))'
for t in trap notify; do
	[ $t = trap ] && pre= || pre="/usr/bin/env -u SYSBROKER_FD"
	for u in "" "--user nobody"; do
		T="$t ${u:-as root}"
		: >"$tmp/log"
		"$sb" run $u --timeout 60 --cwd / --log "$tmp/log" -p "$src/examples/policies/build.policy" \
			-e PATH=/usr/bin:/bin -e PWD=/ -- $pre /bin/sh -c 'sleep 0.2 & wait'
		rc=$?
		check "$T: sh -c 'sleep 0.2 & wait' finishes under build.policy (exit $rc)" [ $rc -eq 0 ]
		"$sb" run $u --timeout 60 --cwd / --log "$tmp/log" -p "$src/examples/policies/build.policy" \
			-e PATH=/usr/bin:/bin -e PWD=/ -- $pre /bin/sh -c "$script"
		rc=$?
		check "$T: jobs, wait \$!, pipes, \$(...), here-documents, traps (exit $rc, natively 7)" \
			[ $rc -eq 7 ]
		# Only the note a run starts its log with (kernel-grants).
		check "$T: nothing refused ($(grep -v '"decision":"kernel-' "$tmp/log" | head -c 300))" \
			sh -c "! grep -v '\"decision\":\"kernel-' '$tmp/log' | grep -q ."
	done
done
# The same script natively, so that the expected status is the shell's own.
/bin/sh -c "$script"
check "natively the script exits 7 too" [ $? -eq 7 ]
echo "1..$n"
exit $fail
