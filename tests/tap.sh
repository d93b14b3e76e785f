# TAP helpers for the test scripts (sourced): a numbered line per check; the caller prints the
# plan ("1..$n") and exits with $fail at the end.
#     ok DESCRIPTION | not_ok DESCRIPTION | check DESCRIPTION COMMAND...
# shellcheck shell=sh
n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $(printf '%s' "$1" | tr '\n' ' ')"; }
not_ok() { n=$((n + 1)); fail=1; echo "not ok $n - $(printf '%s' "$1" | tr '\n' ' ')"; }
check() {
	d=$1
	shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}
