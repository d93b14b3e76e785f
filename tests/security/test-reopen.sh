#!/bin/sh
# open("/proc/self/fd/N") under `sysbroker run` reopens the caller's own fd N (runc's init opens
# its exec FIFO so). The kernel reopens with whatever access the file's mode allows, whatever
# fd N's own; the broker must decide the reopen on the object's canonical path with the access
# asked for, and never give more than the policy gives that path (tests/security/reopen.c).
# Both transports (dynamic: trap; static: notify), as root and with --user nobody; natively as
# nobody first (the control: there the reopens the policy refuses succeed, so the test can fail).
#     test-reopen.sh SYSBROKER SOURCE_ROOT REOPEN REOPEN_STATIC
set -u
sb=$1
src=$(cd "$2" && pwd)
n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); fail=1; echo "not ok $n - $1"; }
# expect OUTPUT NAME ERRNO|ok TAG
expect() {
	if [ "$3" = ok ]; then want="$2 ret=0"; else want="$2 ret=-1 errno=$3"; fi
	if printf '%s\n' "$1" | grep -qx "$want"; then
		ok "$4: $2 -> $3"
	else
		not_ok "$4: $2 -> $3, got: $(printf '%s\n' "$1" | grep "^$2 ")"
	fi
}

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root (sysbroker run --user nobody, a root-owned 0444 file)"
	exit 0
fi
tmp=$(mktemp -d /tmp/sb-reopen.XXXXXX)
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
cp "$3" "$tmp/reopen"
cp "$4" "$tmp/reopen-static"
t=$tmp/t
root=$t/root
secret_text="SECRET-$$"
mktree() {
	rm -rf "$t"
	mkdir -p "$root/ro" "$root/rw" "$root/drop" "$root/dir"
	echo ro-content >"$root/ro/file.txt"
	echo locked-content >"$root/rw/locked"
	echo "$secret_text" >"$t/secret"
	chmod -R a+rwX "$t"
	chmod 644 "$root/ro/file.txt" "$t/secret"
	chmod 444 "$root/rw/locked"
	chmod 755 "$t" "$root"
}
log=$tmp/audit.log
cat >"$tmp/p.policy" <<P
sysbroker-policy 1
include $src/examples/policies/runtime.policy
default syscall deny errno ENOSYS log
default path deny errno EACCES log
allow @process @signal @time @ipc @memory @file-read @file-write
allow dup dup2 dup3 socketpair pipe2 memfd_create eventfd2 pidfd_open
path $tmp/reopen read exec
path $tmp/reopen-static read exec
path $root/ro/** read list
path $root/rw/** read write create delete list
path $root/drop/** write create
path $root/dir list
P

# The control: natively, as nobody, the reopens below that the policy refuses succeed.
mktree
out=$(setpriv --reuid nobody --regid nogroup --clear-groups "$tmp/reopen" "$root" <"$t/secret" 2>&1)
for a in secret-reopen-rdonly secret-reopen-path moved-reopen-rdonly deleted-reopen-rdwr \
	pipe-read-end-rdwr memfd-rdwr; do
	expect "$out" $a ok "control (native, nobody)"
done
expect "$out" locked-reopen-rdwr EACCES "control (native, nobody)"

for user in root nobody; do
	for v in dynamic static; do
		T="$v${user:+, $user}"
		bin=$tmp/reopen
		[ $v = static ] && bin=$tmp/reopen-static
		set --
		[ $user = nobody ] && set -- --user nobody
		mktree
		rm -f "$log"
		out=$("$sb" run --log "$log" -p "$tmp/p.policy" "$@" -- "$bin" "$root" <"$t/secret" 2>&1)
		for a in open-ro open-locked open-dir open-moving rename-moving open-gone unlink-gone \
			ro-reopen-rdonly moved-reopen-wronly; do
			expect "$out" $a ok "$T"
		done
		# More access than the path's grant, from an fd that had less.
		for a in ro-reopen-rdwr ro-reopen-wronly-trunc ro-reopen-append ro-reopen-creat \
			secret-reopen-rdonly secret-reopen-rdwr secret-reopen-nofollow \
			secret-reopen-path dir-reopen-creat dir-reopen-creat-excl dir-reopen-rdwr \
			moved-reopen-rdonly; do
			expect "$out" $a EACCES "$T"
		done
		# The policy grants rw/locked; the file's mode does not grant nobody a write.
		if [ $user = nobody ]; then
			expect "$out" locked-reopen-rdwr EACCES "$T (the kernel's own check, as nobody)"
		else
			expect "$out" locked-reopen-rdwr ok "$T (root's DAC override, policy grants)"
		fi
		# Nothing with a name: refused, and recorded.
		for a in deleted-reopen-rdwr pipe-read-end-rdwr pipe-write-end-rdonly socket-rdwr \
			memfd-rdwr eventfd-rdwr pidfd-rdonly; do
			expect "$out" $a ENXIO "$T"
		done
		nx=$(grep -c '"errno":"ENXIO","rule":"builtin"' "$log")
		if [ "$nx" -eq 7 ]; then
			ok "$T: each nameless reopen has a builtin record"
		else
			not_ok "$T: each nameless reopen has a builtin record ($nx of 7)"
		fi
		if grep -q "\"path\":\"$t/secret\",\"flags\":\"O_RDONLY\",\"perm\":\"read\".*\"decision\":\"deny\"" "$log" &&
			grep -q "\"path\":\"$root/drop/moved\",\"flags\":\"O_RDONLY\",\"perm\":\"read\".*\"decision\":\"deny\"" "$log"; then
			ok "$T: the refusals are recorded on the objects' canonical paths"
		else
			not_ok "$T: the refusals are recorded on the objects' canonical paths"
		fi
		if [ "$(cat "$root/ro/file.txt")" = ro-content ] && [ -z "$(ls -A "$root/dir")" ] &&
			[ "$(cat "$t/secret")" = "$secret_text" ]; then
			ok "$T: the read-only file and the secret are unchanged, nothing made in dir/"
		else
			not_ok "$T: the read-only file and the secret are unchanged, nothing made in dir/"
		fi
		case $out in
		*"$secret_text"*) not_ok "$T: the secret's content never reached the program" ;;
		*) ok "$T: the secret's content never reached the program" ;;
		esac
	done
done
echo "1..$n"
exit $fail
