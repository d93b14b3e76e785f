#!/bin/sh
# The man page documents every keyword the parser accepts: every word the parser compares a
# token against (tok_is / strcmp on a statement word) must appear in sysbroker.policy(5).
set -u
src=$1
man=$src/docs/sysbroker.policy.5
n=0
fail=0
words=$(grep -oE 'tok_is\(p, [^,]+, "[^"]+"\)|strcmp\(w, "[^"]+"\)' "$src/policy/parse.c" |
	sed -E 's/.*"([^"]+)"\)$/\1/' | sort -u)
for w in $words; do
	n=$((n + 1))
	# roff escapes a leading dash and some operators; compare on the rendered text.
	if man -l "$man" 2>/dev/null | grep -qF -- "$w" || grep -qF -- "$w" "$man"; then
		echo "ok $n - keyword '$w' documented"
	else
		echo "not ok $n - keyword '$w' missing from sysbroker.policy(5)"
		fail=1
	fi
done
# Every group and every constant, too.
for w in $(grep -oE '\{"@[a-z-]+"' "$src/policy/names.c" | tr -d '{"') \
	$(grep -oE '\bCS?\([A-Z_0-9]+\)' "$src/policy/names.c" | sed -E 's/CS?\((.*)\)/\1/'); do
	n=$((n + 1))
	if grep -qF -- "$w" "$man"; then
		echo "ok $n - '$w' documented"
	else
		echo "not ok $n - '$w' missing from sysbroker.policy(5)"
		fail=1
	fi
done
echo "1..$n"
exit $fail
