#!/bin/sh
# Install the dependencies, build sysbroker, and run it on a bundled example:
#     ./run-example.sh
# Today's main job is `sysbroker check`: validate the example policies, print the compiled plan
# of one of them, and show how a broken policy is reported.
set -eu
cd "$(dirname "$0")"
./.ci/install-deps
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null
sb=build/broker/sysbroker

echo "== sysbroker check examples/policies/*.policy"
$sb check examples/policies/*.policy

echo
echo "== sysbroker check --explain examples/policies/minimal.policy"
$sb check --explain examples/policies/minimal.policy

echo
echo "== a broken policy is rejected with its position (exit status 2)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'sysbroker-policy 1\ninclude %s/examples/policies/runtime.policy\npath /srv/data/** raed list\n' \
	"$PWD" >"$tmp/broken.policy"
cat -n "$tmp/broken.policy"
set +e
$sb check "$tmp/broken.policy"
echo "exit status: $?"
