#!/bin/sh
# Install the dependencies, build sysbroker, and run real programs under a bundled policy:
#     ./run-example.sh
# cat, sort and sha256sum run under examples/policies/coreutils.policy; a read outside the
# granted tree is refused with EACCES, and the audit log (JSON Lines, on stderr here) says which
# rule refused it. Then the same for python3, and how a broken policy is reported.
set -eu
cd "$(dirname "$0")"
./.ci/install-deps
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null
sb=$PWD/build/cli/sysbroker
if [ "$(id -u)" -ne 0 ]; then
	echo "note: not root; sysbroker run works unprivileged too, as here" >&2
fi

echo "== sysbroker run -p examples/policies/coreutils.policy -- sort -n examples/data/numbers.txt"
$sb run -p examples/policies/coreutils.policy -- sort -n examples/data/numbers.txt

echo
echo "== the same policy, reading a file it does not grant (audit log on stderr: --log -)"
echo "\$ sysbroker run -p examples/policies/coreutils.policy --log - -- cat examples/data/README.txt /etc/hostname"
set +e
$sb run -p examples/policies/coreutils.policy --log - -- cat examples/data/README.txt /etc/hostname
echo "exit status: $? (cat's own)"
set -e

echo
echo "== python3 in a work directory: examples/policies/python3.policy plus one line for the directory"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
mkdir "$tmp/work"
echo "hello from a granted file" >"$tmp/work/input.txt"
printf 'sysbroker-policy 1\ninclude %s/examples/policies/python3.policy\npath %s/work/** read write create delete list\npath %s/work stat list\n' \
	"$PWD" "$tmp" "$tmp" >"$tmp/my.policy"
cat "$tmp/my.policy"
cat >"$tmp/work/script.py" <<'PY'
print(open("input.txt").read().strip())
try:
    open("/etc/passwd")
except PermissionError as e:
    print("denied:", e)
PY
(cd "$tmp/work" && $sb run -p "$tmp/my.policy" --log "$tmp/audit.log" -- /usr/bin/python3 script.py)
echo "-- the audit log:"
cat "$tmp/audit.log"

echo
echo "== a broken policy is rejected with its position (exit status 2 from check, 125 from run)"
printf 'sysbroker-policy 1\ninclude %s/examples/policies/runtime.policy\npath /srv/data/** raed list\n' \
	"$PWD" >"$tmp/broken.policy"
cat -n "$tmp/broken.policy"
set +e
$sb check "$tmp/broken.policy"
echo "exit status: $?"
