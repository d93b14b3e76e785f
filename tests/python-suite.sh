#!/bin/sh
# Python's own tests of the file system calls, natively and under `sysbroker run`, and the tests
# that fail only under the sandbox. Not run by CI (minutes, and it installs a Debian package);
# run it by hand, as root, from a built tree:
#
#     sudo tests/python-suite.sh [BUILD_DIR] [TEST...]
#
# BUILD_DIR defaults to ./build; the tests default to
# test_os test_shutil test_posix test_stat test_tarfile test_pathlib
# (libpython3.11-testsuite, installed with apt-get when missing). Both runs are as the user
# nobody, each in a fresh work tree that is HOME, TMPDIR and the current directory; the sandbox
# runs tests/python-suite.policy (the system read-only, the work tree read-write). The output
# ends with the list of tests that fail (FAIL or ERROR) under the sandbox but not natively; the
# sandbox's audit log, with its denials, is kept for them (its path is printed).
set -u
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
[ $# -gt 0 ] && shift
tests=${*:-test_os test_shutil test_posix test_stat test_tarfile test_pathlib}
sb=$(cd "$build" && pwd)/cli/sysbroker
py=/usr/bin/python3.11
user=nobody

if [ "$(id -u)" -ne 0 ]; then
	echo "python-suite.sh: run as root (sysbroker run --user $user)" >&2
	exit 2
fi
[ -x "$sb" ] || {
	echo "python-suite.sh: no $sb: build first (meson setup build && ninja -C build)" >&2
	exit 2
}
if [ ! -f /usr/lib/python3.11/test/test_os.py ]; then
	apt-get install -y libpython3.11-testsuite >/dev/null || exit 2
fi

tmp=$(mktemp -d /tmp/sb-pysuite.XXXXXX)
chmod 755 "$tmp"
echo "work: $tmp"

# run NAME [SANDBOX-ARGS...]: the suite in $tmp/NAME, its output in $tmp/NAME.out, the failing
# tests (one "FAIL|ERROR test (id)" a line) in $tmp/NAME.failed.
run() {
	name=$1
	shift
	w=$tmp/$name
	mkdir -p "$w/tmp"
	chown -R "$user" "$w"
	start=$(date +%s)
	# shellcheck disable=SC2086 # $tests is a list
	(cd "$w" && env -i PATH=/usr/bin:/bin HOME="$w" TMPDIR="$w/tmp" LANG=C.UTF-8 "$@" \
		"$py" -m test -v $tests) >"$tmp/$name.out" 2>&1
	echo "$name: exit $?, $(($(date +%s) - start)) s, $(tail -1 "$tmp/$name.out")"
	sed -n 's/^\(FAIL\|ERROR\): \(.*\)$/\1 \2/p' "$tmp/$name.out" | sort -u >"$tmp/$name.failed"
}

run native setpriv --reuid="$user" --regid="$(id -g "$user")" --clear-groups

sed -e "s|@WORK@|$tmp/sandbox|g" -e "s|^include \.\./|include $src/|" \
	"$src/tests/python-suite.policy" >"$tmp/python-suite.policy"
run sandbox "$sb" run -u "$user" --log "$tmp/audit.log" -p "$tmp/python-suite.policy" \
	--cwd "$tmp/sandbox" --

echo "native failures: $(wc -l <"$tmp/native.failed"), under the sandbox: $(wc -l <"$tmp/sandbox.failed")"
echo "audit log: $tmp/audit.log ($(grep -c '"decision":"deny"' "$tmp/audit.log") denials)"
echo "failing under the sandbox only:"
comm -13 "$tmp/native.failed" "$tmp/sandbox.failed"
