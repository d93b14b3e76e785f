#!/bin/sh
# Static analysis: clang-tidy with the checked-in .clang-tidy (bugprone-*, clang-analyzer-*, the
# exclusions and their reasons are there) on every C file of the policy layer, the broker and
# the runtime. Any finding fails.
#     check-clang-tidy.sh SOURCE_ROOT BUILD_DIR
set -u
src=$1
build=$2
if ! command -v clang-tidy >/dev/null; then
	echo "1..0 # SKIP clang-tidy is not installed (apt-get install clang-tidy; CI installs it)"
	exit 0
fi
if [ ! -f "$build/compile_commands.json" ]; then
	echo "1..0 # SKIP no compile_commands.json in $build"
	exit 0
fi
n=0
fail=0
for f in "$src"/common/*.c "$src"/policy/*.c "$src"/broker/*.c "$src"/sandboxee/*.c "$src"/lib/*.c "$src"/cli/*.c; do
	n=$((n + 1))
	out=$(clang-tidy -p "$build" --quiet "$f" 2>/dev/null | grep -E "(warning|error):")
	if [ -z "$out" ]; then
		echo "ok $n - ${f#"$src"/}"
	else
		fail=1
		echo "not ok $n - ${f#"$src"/}"
		printf '%s\n' "$out" | sed 's/^/# /'
	fi
done
echo "1..$n"
exit $fail
