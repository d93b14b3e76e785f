#!/bin/sh
# Build sysbroker and run every test suite: ./run-tests.sh
# With --sanitize, build with AddressSanitizer and UBSan (in build-asan/) and run the unit,
# integration and security suites there. Extra arguments go to `meson test` (e.g. --suite unit).
set -eu
cd "$(dirname "$0")"
./.ci/install-deps

dir=build
setup_args=""
suites=""
if [ "${1:-}" = "--sanitize" ]; then
	shift
	dir=build-asan
	setup_args="-Db_sanitize=address,undefined -Db_lundef=false"
	suites="--suite unit --suite integration --suite security"
	export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
	export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
fi
if [ ! -f "$dir/build.ninja" ]; then
	# shellcheck disable=SC2086
	meson setup "$dir" $setup_args
fi
ninja -C "$dir"
# shellcheck disable=SC2086
meson test -C "$dir" --print-errorlogs $suites "$@"
