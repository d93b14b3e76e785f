#!/bin/sh
# Escapes through the extended attribute and watch calls: each call tried on a secret outside
# the granted tree (by its name, through `..`, through a symlink in the tree), once dynamically
# linked (trap) and once static (notify). Each must fail with EACCES and leave a record, and
# the secret's attributes must neither change nor reach the program.
#     test-xattr-attacks.sh SYSBROKER SOURCE_ROOT PROBE STATIC_PROBE
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
tmp=$(mktemp -d /tmp/sb-xatk.XXXXXX)
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
if ! python3 -c "import os, sys; os.setxattr(sys.argv[1], 'user.t', b'1')" "$tmp" 2>/dev/null; then
	echo "1..0 # SKIP the file system of $tmp has no user.* extended attributes"
	exit 0
fi
cp "$probe" "$tmp/probe"
cp "$sprobe" "$tmp/probe-static"
s=$tmp/s
root=$s/root
secret=$s/secret
secret_text="XATTR-SECRET-$$"
mkdir -p "$root/ro"
echo secret >"$secret"
echo ro >"$root/ro/file.txt"
echo own >"$root/own"
ln -s ../secret "$root/link"
ln -s .. "$root/dlink"
# xattrs OF: the attributes of a file, name=value, as root sees them outside the sandbox.
xattrs() {
	python3 -c 'import os, sys
print(" ".join(n + "=" + os.getxattr(sys.argv[1], n).decode() for n in sorted(os.listxattr(sys.argv[1]))))' "$1"
}
python3 -c "import os, sys; os.setxattr(sys.argv[1], 'user.secret', sys.argv[2].encode())" \
	"$secret" "$secret_text"
before=$(xattrs "$secret")

cat >"$tmp/x.policy" <<P
sysbroker-policy 1
include $src/examples/policies/runtime.policy
default syscall deny errno ENOSYS log
default path deny errno EACCES log
allow inotify_init1 fanotify_init
path $tmp/probe read exec
path $tmp/probe-static read exec
path $root/** read write create delete list stat
path $root stat list
path $root/ro/** read list stat
P
log=$tmp/audit.log

for p in probe:trap probe-static:notify; do
	prog=$tmp/${p%%:*}
	tr=${p##*:}
	# try SYSCALL ERRNO ARGS...: the probe's call fails with ERRNO and a denial is logged.
	try() {
		sc=$1
		want=$2
		shift 2
		: >"$log"
		out=$(cd "$root" && "$sb" run --log "$log" -p "$tmp/x.policy" -- "$prog" "$@" 2>&1)
		check "$tr: $* is refused with $want${out:+ ($out)}" [ "$out" = "$want" ]
		check "$tr: ... and a denial of $sc is logged" \
			$logmatch "$log" syscall="$sc" decision=deny errno="$want" transport="$tr"
	}
	for path in "$secret" "$root/../secret" link "dlink/secret"; do
		try getxattr EACCES get "$path" user.secret
		try getxattr EACCES get0 "$path" user.secret
		try listxattr EACCES list "$path"
		try setxattr EACCES set "$path" user.new x
		try removexattr EACCES remove "$path" user.secret
		try getxattrat EACCES getat "$path" user.secret
		try listxattrat EACCES listat "$path"
		try setxattrat EACCES setat "$path" user.new x
		try removexattrat EACCES removeat "$path" user.secret
		try inotify_add_watch EACCES inotify "$path"
		try fanotify_mark EACCES fanotify "$path"
	done
	try lgetxattr EACCES lget "$secret" user.secret
	try llistxattr EACCES llist "$secret"
	try lsetxattr EACCES lset "$secret" user.new x
	try lremovexattr EACCES lremove "$secret" user.secret
	# The directory holding the secret: a watch there would see the secret's changes.
	try inotify_add_watch EACCES inotify "$s"
	try inotify_add_watch EACCES inotify dlink
	try fanotify_mark EACCES fanotify dlink
	# A read-only part of the tree: reading is granted, changing is not.
	try setxattr EACCES set ro/file.txt user.new x
	try removexattr EACCES remove ro/file.txt user.new
	# Marks that reach beyond every grant, even from inside the tree.
	try fanotify_mark EPERM fanotify-mount ro
	try fanotify_mark EPERM fanotify-fs ro
	# Privileged namespaces the sandboxee could not use itself, in its own tree.
	try setxattr EPERM set own trusted.x x
	try setxattr EPERM set own security.capability x
	try removexattrat EPERM removeat own security.selinux
	check "$tr: the secret's attributes are unchanged ($(xattrs "$secret"))" \
		[ "$(xattrs "$secret")" = "$before" ]
	check "$tr: nothing appeared beside the secret" \
		[ "$(ls -A "$s" | tr '\n' ' ')" = "root secret " ]
	check "$tr: no privileged attribute was set in the tree ($(xattrs "$root/own"))" \
		[ -z "$(xattrs "$root/own")" ]
done

echo "1..$n"
exit $fail
