#!/bin/sh
# Extended attributes and watches under `sysbroker run`: python3's os calls (trap) and a probe
# dynamically linked (trap) and static (notify) setting, reading, listing and removing
# attributes, and adding inotify and fanotify watches, in a granted tree; the records say so.
#     test-xattr.sh SYSBROKER SOURCE_ROOT PROBE STATIC_PROBE
set -u
sb=$1
src=$2
probe=$3
sprobe=$4
unset LD_LIBRARY_PATH
logmatch="python3 $src/tests/integration/logmatch.py"

. "$src/tests/tap.sh"

if [ "$(id -u)" -ne 0 ] || ! command -v python3 >/dev/null; then
	echo "1..0 # SKIP needs root and python3"
	exit 0
fi
tmp=$(mktemp -d /tmp/sb-xattr.XXXXXX)
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
if ! python3 -c "import os, sys; os.setxattr(sys.argv[1], 'user.t', b'1')" "$tmp" 2>/dev/null; then
	echo "1..0 # SKIP the file system of $tmp has no user.* extended attributes"
	exit 0
fi
mkdir -p "$tmp/work/d"
echo data >"$tmp/work/f"
cp "$probe" "$tmp/probe"
cp "$sprobe" "$tmp/probe-static"
cat >"$tmp/xattr.policy" <<POL
sysbroker-policy 1
include $src/examples/policies/python3.policy
allow inotify_init1 fanotify_init
path $tmp/probe exec read
path $tmp/probe-static exec read
path $tmp/work/** read write create delete list log
path $tmp/work stat list log
POL
log=$tmp/audit.log
run() { (cd "$tmp/work" && "$sb" run --log "$log" -p "$tmp/xattr.policy" -- "$@" 2>&1); }

# --- python3's os calls (trap) ---------------------------------------------------------------
: >"$log"
out=$(run /usr/bin/python3 -c '
import os
os.setxattr("f", "user.py", b"snake")
print(os.getxattr("f", "user.py").decode(), sorted(os.listxattr("f")))
os.setxattr("d", "user.dir", b"", os.XATTR_CREATE)
try:
    os.setxattr("d", "user.dir", b"again", os.XATTR_CREATE)
except FileExistsError:
    print("EEXIST")
os.removexattr("f", "user.py")
print(os.listxattr("f"), os.listxattr("d"))
')
check "python3 sets, reads, lists and removes attributes${out:+: $out}" [ "$out" = "snake ['user.py']
EEXIST
[] ['user.dir']" ]
check "python3's setxattr was served over trap, write decided" \
	$logmatch "$log" syscall=setxattr decision=allow path="$tmp/work/f" perm=write transport=trap
check "python3's getxattr: stat decided" \
	$logmatch "$log" syscall=getxattr decision=allow path="$tmp/work/f" perm=stat transport=trap
check "python3's removexattr: write decided" \
	$logmatch "$log" syscall=removexattr decision=allow perm=write transport=trap

# --- the probe, over both transports ---------------------------------------------------------
for p in probe:trap probe-static:notify; do
	prog=$tmp/${p%%:*}
	tr=${p##*:}
	: >"$log"
	check "$tr: setxattr" [ "$(run "$prog" set f user.a value)" = "ok 0" ]
	check "$tr: getxattr returns the value" [ "$(run "$prog" get f user.a)" = "ok 5 value" ]
	check "$tr: getxattr with size 0 returns the size" [ "$(run "$prog" get0 f user.a)" = "ok 5" ]
	check "$tr: getxattr into 1 byte is ERANGE" [ "$(run "$prog" get1 f user.a)" = "ERANGE" ]
	check "$tr: XATTR_CREATE on an existing name is EEXIST" \
		[ "$(run "$prog" create f user.a x)" = "EEXIST" ]
	check "$tr: listxattr" [ "$(run "$prog" list f)" = "ok 7 user.a," ]
	check "$tr: listxattr with size 0" [ "$(run "$prog" list0 f)" = "ok 7" ]
	check "$tr: setxattrat" [ "$(run "$prog" setat f user.b bee)" = "ok 0" ]
	check "$tr: getxattrat" [ "$(run "$prog" getat f user.b)" = "ok 3 bee" ]
	check "$tr: listxattrat" [ "$(run "$prog" listat f)" = "ok 14 user.a,user.b," ]
	check "$tr: removexattrat" [ "$(run "$prog" removeat f user.b)" = "ok 0" ]
	check "$tr: removexattr" [ "$(run "$prog" remove f user.a)" = "ok 0" ]
	check "$tr: removexattr of a missing name is ENODATA" \
		[ "$(run "$prog" remove f user.a)" = "ENODATA" ]
	check "$tr: trusted.* is refused (EPERM), as for a caller without capabilities" \
		[ "$(run "$prog" set f trusted.a x)" = "EPERM" ]
	check "$tr: ... and logged" $logmatch "$log" syscall=setxattr decision=deny errno=EPERM \
		rule=builtin transport=$tr
	check "$tr: the records name the calls and the transport" \
		$logmatch "$log" syscall=getxattrat decision=allow perm=stat transport=$tr
	check "$tr: inotify_add_watch on a granted directory" \
		[ "$(run "$prog" inotify d)" = "ok 1" ]
	check "$tr: ... list decided" $logmatch "$log" syscall=inotify_add_watch decision=allow \
		path="$tmp/work/d" perm=list transport=$tr
	check "$tr: inotify_add_watch on a file: read" [ "$(run "$prog" inotify f)" = "ok 1" ]
	check "$tr: inotify_add_watch on an fd that is not inotify's is EINVAL" \
		[ "$(run "$prog" inotify-notfd d)" = "EINVAL" ]
	check "$tr: fanotify_mark on a granted directory" [ "$(run "$prog" fanotify d)" = "ok 0" ]
	check "$tr: fanotify_mark of a mount is refused with EPERM" \
		[ "$(run "$prog" fanotify-mount d)" = "EPERM" ]
	check "$tr: fanotify_mark of a file system is refused with EPERM" \
		[ "$(run "$prog" fanotify-fs d)" = "EPERM" ]
	check "$tr: ... and logged" $logmatch "$log" syscall=fanotify_mark decision=deny \
		errno=EPERM rule=builtin transport=$tr
done

# A watch is on the object, not on the broker's /proc/self/fd link to it: an event arrives.
out=$(run /usr/bin/python3 -c '
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
fd = libc.inotify_init1(0)
wd = libc.inotify_add_watch(fd, b"d", 0x100)
open("d/new", "w").close()
ev = os.read(fd, 64)
print(wd, ev[16:].rstrip(b"\0").decode())
')
check "an inotify watch added through the broker reports a create in the directory${out:+: $out}" \
	[ "$out" = "1 new" ]

echo "1..$n"
exit $fail
