#!/bin/sh
# Everything that runs in SIGSYS context (files marked "async-signal-safe" in sandboxee/) may
# only call what is async-signal-safe: check the undefined symbols of their objects against an
# allow-list. A new dependency of the handler must be added here on purpose, with a reason.
set -u
lib=$1
src=$2
# syscall(2) is a thin wrapper; __errno_location reads the thread's errno slot (the handler
# saves and restores errno); __stack_chk_fail is the stack protector's abort path;
# _GLOBAL_OFFSET_TABLE_ is a linker symbol, not a call; __rseq_offset and __rseq_size are
# glibc's constants that locate the thread's rseq area, whose cpu_id the handler reads (data,
# not calls).
allowed="syscall __errno_location __stack_chk_fail _GLOBAL_OFFSET_TABLE_ __rseq_offset __rseq_size"
n=0
fail=0
for f in "$src"/sandboxee/*.c; do
	head -n 1 "$f" | grep -q 'async-signal-safe' || continue
	obj=$(basename "$f").o
	syms=$(nm -u "$lib" 2>/dev/null | awk -v o="$obj" '/:$/ { cur = ($0 ~ o ":$") } cur && $1 == "U" { print $2 }')
	n=$((n + 1))
	if [ -z "$(nm "$lib" 2>/dev/null | grep -F "$obj:")" ]; then
		echo "not ok $n - $obj not found in $lib"
		fail=1
		continue
	fi
	bad=""
	for s in $syms; do
		case " $allowed " in *" $s "*) ;; *) bad="$bad $s" ;; esac
	done
	if [ -z "$bad" ]; then
		echo "ok $n - $obj calls only async-signal-safe symbols"
	else
		echo "not ok $n - $obj calls:$bad"
		fail=1
	fi
done
echo "1..$n"
exit $fail
