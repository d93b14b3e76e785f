#!/bin/sh
# Every man page renders at 80 columns without a warning from man or groff (all warnings on):
# "table text block will not fit on one page", "can't break line", unknown macros or escapes.
# A page made to warn proves first that the check sees warnings.
#     check-man-render.sh SOURCE_ROOT
set -u
src=$1
. "$src/tests/tap.sh"
command -v groff >/dev/null || {
	echo "1..0 # SKIP groff is not installed"
	exit 0
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# render FILE: the warnings of both renderers, on standard output.
render() {
	# The pages that hold tables start with '\" t: tbl runs for them, as man runs it.
	groff -t -man -Tutf8 -ww -rLL=80n -z "$1" 2>&1
	if command -v man >/dev/null; then
		MANWIDTH=80 man --warnings=w -l "$1" 2>&1 >/dev/null
	fi
}
cat >"$tmp/bad.5" <<'P'
'\" t
.TH BAD 5
.SH NAME
bad \- a page made to warn
.SH DESCRIPTION
.TS
l l.
a	T{
.nf
a line far too long to fit into the eighty columns of a terminal, which it is made to overflow
T}
.TE
P
out=$(render "$tmp/bad.5")
check "a page made to warn does warn ($(printf '%s' "$out" | head -n 1))" [ -n "$out" ]
for f in "$src"/docs/*.[1-9]; do
	out=$(render "$f")
	if [ -z "$out" ]; then
		ok "$(basename "$f") renders at 80 columns without a warning"
	else
		not_ok "$(basename "$f") renders at 80 columns without a warning"
		printf '%s\n' "$out" | head -n 20 | sed 's/^/# /'
	fi
done
echo "1..$n"
exit $fail
