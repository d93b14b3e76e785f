#!/bin/sh
# `tar x` under a work-tree policy restores the modes of the directories it extracts (755, 750,
# 700), as it does natively: tar creates each directory, fills it, then sets its mode and times
# (mkdirat, then fchmodat/utimensat on the path, or on an fd to it). Run as nobody, natively
# first (the control), then under `sysbroker run` (a dynamically linked tar: the trap).
#     test-tar-modes.sh SYSBROKER SOURCE_ROOT
set -u
sb=$1
src=$(cd "$2" && pwd)
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; }

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root (sysbroker run --user nobody)"
	exit 0
fi
tar=$(command -v tar) || {
	echo "1..0 # SKIP no tar"
	exit 0
}
tmp=$(mktemp -d /tmp/sb-tar.XXXXXX)
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/src/d755/in" "$tmp/src/d750" "$tmp/src/d700"
for d in d755 d750 d700; do
	echo "$d" >"$tmp/src/$d/file"
done
chmod 755 "$tmp/src/d755" "$tmp/src/d755/in"
chmod 750 "$tmp/src/d750"
chmod 700 "$tmp/src/d700"
(cd "$tmp/src" && "$tar" cf "$tmp/archive.tar" d755 d750 d700)
chmod 644 "$tmp/archive.tar"
want="d700=700 d750=750 d755=755 d755/in=755"
modes() {
	(cd "$1" && for d in d700 d750 d755 d755/in; do printf '%s=%s ' "$d" "$(stat -c %a "$d" 2>/dev/null)"; done) | sed 's/ $//'
}
fresh() {
	rm -rf "$1"
	mkdir "$1"
	chown "$2" "$1"
}

cat >"$tmp/work.policy" <<P
sysbroker-policy 1
include $src/examples/policies/runtime.policy
default syscall allow
default path deny errno EACCES log
# The system read-only, the archive readable, the work tree read-write.
path /** read list exec
path /dev/null read write
path $tmp/work-*/** read write create delete list
P

# As nobody (tar applies the umask, 022 here) and as root (tar restores modes and owners as they
# are in the archive: fchownat, and fchmodat with AT_SYMLINK_NOFOLLOW).
umask 022
for u in nobody root; do
	fresh "$tmp/native-$u" $u
	(cd "$tmp/native-$u" && setpriv --reuid=$u --regid="$(id -g $u)" --clear-groups \
		"$tar" xf "$tmp/archive.tar")
	got=$(modes "$tmp/native-$u")
	if [ "$got" = "$want" ]; then
		ok "control: as $u, natively, tar x restores $want"
	else
		not_ok "control: as $u, natively, tar x restores $want (got $got)"
	fi

	fresh "$tmp/work-$u" $u
	: >"$tmp/audit.log"
	out=$("$sb" run -u $u --log "$tmp/audit.log" -p "$tmp/work.policy" --cwd "$tmp/work-$u" -- \
		"$tar" xf "$tmp/archive.tar" 2>&1)
	rc=$?
	got=$(modes "$tmp/work-$u")
	if [ "$got" = "$want" ]; then
		ok "as $u, under sysbroker run, tar x restores $want"
	else
		not_ok "as $u, under sysbroker run, tar x restores $want (got $got)"
	fi
	if [ $rc = 0 ]; then
		ok "as $u, under sysbroker run, tar x succeeds"
	else
		not_ok "as $u, under sysbroker run, tar x succeeds (exit $rc: $(echo "$out" | tr '\n' ' '); denials: $(grep '"decision":"deny"' "$tmp/audit.log" | grep -v '"addr"' | sed 's/.*"syscall":"\([^"]*\)".*"path":"\([^"]*\)".*/\1 \2/' | tr '\n' ';'))"
	fi
done
echo "1..$n"
