#!/bin/sh
# Every bundled example policy passes `sysbroker check`, and a broken one is rejected at the
# right position with exit status 2.
set -u
sysbroker=$1
src=$2
n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); fail=1; echo "not ok $n - $1"; }

for f in "$src"/examples/policies/*.policy; do
	if out=$("$sysbroker" check "$f" 2>&1); then ok "check $(basename "$f")"; else not_ok "check $(basename "$f"): $out"; fi
	if "$sysbroker" check --explain "$f" >/dev/null 2>&1; then ok "explain $(basename "$f")"; else not_ok "explain $(basename "$f")"; fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'sysbroker-policy 1\nallow read\npath /etc/passwd raed\n' >"$tmp/broken.policy"
out=$("$sysbroker" check "$tmp/broken.policy" 2>&1)
rc=$?
[ "$rc" -eq 2 ] && ok "broken policy exits 2" || not_ok "broken policy exits 2 (got $rc)"
case $out in
"$tmp/broken.policy:3:18: error: expected a permission"*) ok "error names FILE:LINE:COL" ;;
*) not_ok "error names FILE:LINE:COL (got: $out)" ;;
esac
# --explain prints the kernel grant plan: a deny exception is decomposed into its siblings.
mkdir -p "$tmp/tree/a/x" "$tmp/tree/b" "$tmp/tree/logged"
: >"$tmp/tree/a/secret"
printf 'sysbroker-policy 1\npath %s/tree/** read list\npath %s/tree/a/secret deny\npath %s/tree/logged/** read log\npath %s/tree/logged/** list\n' \
	"$tmp" "$tmp" "$tmp" "$tmp" >"$tmp/kg.policy"
out=$("$sysbroker" check --explain "$tmp/kg.policy" 2>&1 | sed -n '/^kernel grants/,$p')
line() { printf '%s\n' "$out" | grep -Eq "^  $1 +$2   \[$tmp/kg.policy:$3\]\$"; }
line "$tmp/tree/b" "tree read list" 2 && ok "explain: a sibling of the exception is granted" ||
	not_ok "explain: a sibling of the exception is granted (got: $out)"
line "$tmp/tree/a/x" "tree read list" 2 && ok "explain: the exception's siblings below too" ||
	not_ok "explain: the exception's siblings below too (got: $out)"
line "$tmp/tree/logged" "tree list" 2 && ok "explain: a logged read leaves the list grant" ||
	not_ok "explain: a logged read leaves the list grant (got: $out)"
printf '%s\n' "$out" | grep -Eq "^  $tmp/tree(/a)? " && not_ok "explain: the exception is beneath a grant ($out)" ||
	ok "explain: no grant holds the exception"
printf '%s\n' "$out" | grep -q '^grant rules left to the broker: 0$' && ok "explain: count left to the broker" ||
	not_ok "explain: count left to the broker (got: $out)"
printf 'sysbroker-policy 1\nkernel-grants off\npath %s/tree/** read list\n' "$tmp" >"$tmp/off.policy"
"$sysbroker" check --explain "$tmp/off.policy" | grep -q '^  (none: the policy says kernel-grants off)$' &&
	ok "explain: kernel-grants off" || not_ok "explain: kernel-grants off"
printf 'sysbroker-policy 1\nkernel-grants maybe\n' >"$tmp/kgbad.policy"
out=$("$sysbroker" check "$tmp/kgbad.policy" 2>&1)
case $out in
"$tmp/kgbad.policy:2:15: error: expected 'on' or 'off' after 'kernel-grants'"*) ok "kernel-grants: a bad value names FILE:LINE" ;;
*) not_ok "kernel-grants: a bad value names FILE:LINE (got: $out)" ;;
esac
"$sysbroker" check "$tmp/missing.policy" >/dev/null 2>&1
rc=$?
[ "$rc" -eq 1 ] && ok "unreadable file exits 1" || not_ok "unreadable file exits 1 (got $rc)"
"$sysbroker" check >/dev/null 2>&1
rc=$?
[ "$rc" -eq 2 ] && ok "no file is a usage error" || not_ok "no file is a usage error (got $rc)"
"$sysbroker" frobnicate >/dev/null 2>&1
rc=$?
[ "$rc" -eq 2 ] && ok "unknown command exits 2" || not_ok "unknown command exits 2 (got $rc)"
"$sysbroker" --help | grep -q '^Usage: sysbroker' && ok "--help" || not_ok "--help"
"$sysbroker" --version | grep -Eq '^sysbroker [0-9]+\.[0-9]+\.[0-9]+$' && ok "--version" || not_ok "--version"
echo "1..$n"
exit $fail
