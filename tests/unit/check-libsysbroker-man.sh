#!/bin/sh
# libsysbroker(3) documents the whole public header: every function, every field of the option
# and error structs, every SB_ macro, and every errno the header's comments promise.
# shellcheck disable=SC2013 # the header's names are words
set -u
src=$1
hdr=$src/include/sysbroker.h
man=$src/docs/libsysbroker.3
n=0
fail=0
rendered=$(MANWIDTH=200 man -l "$man" 2>/dev/null)
has() { printf '%s\n' "$rendered" | grep -qw -- "$1" || grep -qw -- "$1" "$man"; }
check() {
	n=$((n + 1))
	if has "$2"; then echo "ok $n - $1 '$2' documented"; else echo "not ok $n - $1 '$2' missing from libsysbroker(3)"; fail=1; fi
}

for f in $(grep -oE '\bsb_[a-z_]+\(' "$hdr" | tr -d '(' | sort -u); do
	check function "$f"
done
for s in sb_enter_opts sb_policy_error; do
	for fld in $(sed -n "/^struct $s {/,/^};/p" "$hdr" | sed 's|/\*.*||' | grep -oE '[a-z_]+(\[[0-9]+\])?;' |
		sed -E 's/(\[[0-9]+\])?;//'); do
		check "field of $s" "$fld"
	done
done
for m in $(grep -oE '^#define SB_[A-Z0-9_]+' "$hdr" | awk '{print $2}'); do
	check macro "$m"
done
for e in $(grep -oE '\bE[A-Z0-9]{2,}\b' "$hdr" | sort -u); do
	check errno "$e"
done
echo "1..$n"
exit $fail
