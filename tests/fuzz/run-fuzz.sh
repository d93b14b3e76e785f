#!/bin/sh
# Build the libFuzzer targets with clang (ASan + UBSan) in build-fuzz/ and run each for SECONDS
# (default 30) on a copy of its seed corpus. A crash fails the run and leaves its input in
# build-fuzz/; add it to tests/fuzz/corpus/TARGET/ so that every later run replays it.
#     tests/fuzz/run-fuzz.sh [SECONDS]
set -eu
cd "$(dirname "$0")/../.."
secs=${1:-30}
command -v clang >/dev/null || {
	echo "run-fuzz: clang is needed (apt-get install clang)" >&2
	exit 1
}
dir=build-fuzz
if [ ! -f "$dir/build.ninja" ]; then
	CC=clang meson setup "$dir" -Dfuzz=true -Dtests=false \
		-Db_sanitize=address,undefined -Db_lundef=false >/dev/null
fi
ninja -C "$dir" >/dev/null
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
for t in policy decode audit; do
	work=$(mktemp -d)
	cp tests/fuzz/corpus/$t/* "$work/"
	echo "== fuzz-$t for ${secs}s"
	(cd "$dir" && "./tests/fuzz/fuzz-$t" -max_total_time="$secs" -print_final_stats=1 \
		-max_len=16384 "$work" 2>&1 | grep -E "stat::number_of_executed_units|stat::peak_rss|ERROR|SUMMARY|Done" || true)
	# libFuzzer exits non-zero on a crash; check for its artifact. (ls fails when any one of
	# the patterns matches nothing, so look at what it printed, not at its status.)
	found=$(ls "$dir"/crash-* "$dir"/leak-* "$dir"/timeout-* 2>/dev/null || true)
	if [ -n "$found" ]; then
		echo "run-fuzz: fuzz-$t found a failing input: $found" >&2
		rm -rf "$work"
		exit 1
	fi
	rm -rf "$work"
done
