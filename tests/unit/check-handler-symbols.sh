#!/bin/sh
# Everything that runs in SIGSYS context (the files marked "async-signal-safe" in sandboxee/ and
# common/) may only call what is async-signal-safe: check the undefined symbols of their objects
# against an allow-list. A new dependency of the handler must be added here on purpose, with a
# reason. Headers so marked are covered through the objects that include them.
#     check-handler-symbols.sh SOURCE_ROOT LIB...   (the static libraries holding those objects)
set -u
src=$1
shift
# syscall(2) is a thin wrapper; __errno_location reads the thread's errno slot (the handler
# saves and restores errno); __stack_chk_fail is the stack protector's abort path;
# _GLOBAL_OFFSET_TABLE_ is a linker symbol, not a call; __rseq_offset and __rseq_size are
# glibc's constants that locate the thread's rseq area, whose cpu_id the handler reads (data,
# not calls). Besides these, an object may use what another checked object defines.
allowed="syscall __errno_location __stack_chk_fail _GLOBAL_OFFSET_TABLE_ __rseq_offset __rseq_size"
# The objects to check: one per marked .c file.
objs=""
for f in "$src"/sandboxee/*.c "$src"/common/*.c; do
	head -n 1 "$f" | grep -q 'async-signal-safe' || continue
	objs="$objs $(basename "$f").o"
done
# Symbols of one object (by name) in whichever library holds it: "nm -u" or "nm --defined-only".
syms() {
	for lib in $libs; do
		nm $1 "$lib" 2>/dev/null | awk -v o="$2" '/:$/ { cur = ($0 ~ "/" o ":$" || $0 == o ":") }
			cur && NF >= 2 { print $NF }'
	done
}
libs="$*"
for o in $objs; do
	allowed="$allowed $(syms "-g --defined-only" "$o" | tr '\n' ' ')"
done
n=0
fail=0
for o in $objs; do
	n=$((n + 1))
	found=""
	for lib in $libs; do
		nm "$lib" 2>/dev/null | grep -qE "(/|^)$o:\$" && found=1
	done
	if [ -z "$found" ]; then
		echo "not ok $n - $o not found in$(printf ' %s' $libs)"
		fail=1
		continue
	fi
	bad=""
	for s in $(syms -u "$o"); do
		case " $allowed " in *" $s "*) ;; *) bad="$bad $s" ;; esac
	done
	if [ -z "$bad" ]; then
		echo "ok $n - $o calls only async-signal-safe symbols"
	else
		echo "not ok $n - $o calls:$bad"
		fail=1
	fi
done
echo "1..$n"
exit $fail
