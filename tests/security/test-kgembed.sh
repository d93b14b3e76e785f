#!/bin/sh
# sb_sandbox_enter with kernel grants, attacked from the program's own signal handler while the
# call works (tests/security/kgembed.c).
#     test-kgembed.sh KGEMBED
set -u
if [ "$(uname -m)" != x86_64 ]; then
	echo "1..0 # SKIP the direct call is made with x86_64 registers"
	exit 0
fi
tmp=$(mktemp -d /tmp/sb-kge.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
mkdir "$tmp/g"
echo granted >"$tmp/g/file.txt"
echo "KGE-SECRET" >"$tmp/secret"
"$1" "$tmp" "${ROUNDS:-60}"
