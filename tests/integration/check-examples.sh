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
