#!/bin/sh
# examples/embed: tarinfo lists a harmless archive in its sandbox, and a hostile archive's tricks
# (a symlink to /etc/shadow that it follows, a member that makes it connect out) are refused and
# logged. Without the sandbox (--no-sandbox) the same archive does reach them: the control.
#   test-embed-example.sh TARINFO [LABEL]
# shellcheck disable=SC2016 # each check is a string that check() evaluates
set -u
tarinfo=$1
label=${2:+$2: }
n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $label$1"; }
not_ok() { n=$((n + 1)); fail=1; echo "not ok $n - $label$1"; }
check() { if eval "$2"; then ok "$1"; else not_ok "$1"; fi; }

tmp=$(mktemp -d /tmp/sb-embed-example-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
# LeakSanitizer reads /proc/self/maps at exit, which the sandbox refuses by design.
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0"

mkdir "$tmp/good" "$tmp/evil"
printf 'hello\n' >"$tmp/good/hello.txt"
printf 'some notes\n' >"$tmp/good/notes.txt"
ln -s hello.txt "$tmp/good/link"
ln -s /etc/shadow "$tmp/evil/shadow-link"
printf '127.0.0.1:9' >"$tmp/evil/SBDEMO-PHONE-HOME"
tar -C "$tmp/good" -cf "$tmp/good.tar" hello.txt notes.txt link
tar -C "$tmp/evil" -cf "$tmp/hostile.tar" shadow-link SBDEMO-PHONE-HOME
cp "$tmp/good/hello.txt" "$tmp/hello.txt" # a link target next to the archive

"$tarinfo" --log "$tmp/good.log" "$tmp/good.tar" >"$tmp/good.out" 2>"$tmp/good.err"
st=$?
check "a harmless archive is listed in the sandbox (exit $st)" \
	'[ $st -eq 0 ] && grep -q "^file  *6  hello.txt$" "$tmp/good.out" && grep -q "^3 members$" "$tmp/good.out"'
check "a link inside the archive's directory may be looked at" \
	'grep -q "link -> hello.txt" "$tmp/good.out" && grep -q "(target: 6 bytes on this system)" "$tmp/good.out"'
check "nothing was refused, nothing logged" '[ ! -s "$tmp/good.log" ] && [ ! -s "$tmp/good.err" ]'

"$tarinfo" --log "$tmp/hostile.log" "$tmp/hostile.tar" >"$tmp/hostile.out" 2>"$tmp/hostile.err"
st=$?
check "a hostile archive is listed too (exit $st)" '[ $st -eq 0 ] && grep -q "^2 members$" "$tmp/hostile.out"'
check "following the link to /etc/shadow is refused" \
	'grep -q "shadow-link -> /etc/shadow" "$tmp/hostile.out" && grep -q "(target: Permission denied)" "$tmp/hostile.out"'
check "connecting out is refused" \
	'grep -q "phoning home to 127.0.0.1:9: Permission denied" "$tmp/hostile.err"'
check "both denials are in the log" \
	'grep "\"decision\":\"deny\"" "$tmp/hostile.log" | grep -q "shadow" &&
	 grep "\"decision\":\"deny\"" "$tmp/hostile.log" | grep -q "\"syscall\":\"connect\""'

if [ "$(id -u)" -eq 0 ] && [ -r /etc/shadow ]; then
	"$tarinfo" --no-sandbox "$tmp/hostile.tar" >"$tmp/bare.out" 2>"$tmp/bare.err"
	check "control: without the sandbox the same archive reads /etc/shadow and tries to connect" \
		'grep -q "bytes on this system" "$tmp/bare.out" && ! grep -q "Permission denied" "$tmp/bare.err" && grep -q "phon" "$tmp/bare.err"'
else
	n=$((n + 1))
	echo "ok $n - $label# SKIP the control needs root to read /etc/shadow"
fi
echo "1..$n"
exit $fail
