#!/bin/sh
# Kernel grants leave one way to be refused without the broker: a program that makes the
# runtime's direct call itself (the cookie openat) on a file outside its grants gets EACCES from
# Landlock alone. Where the system's audit is on, the broker copies the kernel's record of it into
# its log (rule "kernel"); where it is off, the log's kernel-grants line says such refusals have no
# record.
# The test turns the system's audit on for its runs and restores it after.
#     test-kernel-records.sh SYSBROKER SOURCE_ROOT KGRANT
set -u
sb=$1
src=$2
kg=$3
here=$(dirname "$0")
unset LD_LIBRARY_PATH

n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); fail=1; echo "not ok $n - $1"; }

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root (the system's audit status, CAP_AUDIT_READ)"
	exit 0
fi
if [ "$(uname -m)" != x86_64 ]; then
	echo "1..0 # SKIP the direct call is made with x86_64 registers"
	exit 0
fi
was=$(python3 "$here/audit-status.py") || {
	echo "1..0 # SKIP the audit netlink socket cannot be used here"
	exit 0
}
tmp=$(mktemp -d /tmp/sb-krec.XXXXXX)
chmod 755 "$tmp"
trap 'python3 "$here/audit-status.py" "$was"; [ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
cp "$kg" "$tmp/kg"
mkdir "$tmp/g"
echo granted >"$tmp/g/file.txt"
echo "KREC-SECRET-$$" >"$tmp/secret"
chmod -R a+rX "$tmp"
cat >"$tmp/p.policy" <<P
sysbroker-policy 1
include $src/examples/policies/runtime.policy
default syscall allow
default path deny errno EACCES log
path $tmp/kg read exec
path $tmp stat
path $tmp/g/** read list stat
P
log=$tmp/audit.log

# run AUDIT: the program's own cookie openat of the secret, then an ordinary open of it.
run() {
	python3 "$here/audit-status.py" "$1" || exit 1
	: >"$log"
	out=$("$sb" run --log "$log" -p "$tmp/p.policy" -- "$tmp/kg" \
		asm cookie-secret "$tmp/secret" r 1 open open-secret "$tmp/secret" 2>&1)
}

run 1
if ! grep -q '"kernel grants: [0-9]* (Landlock ABI' "$log"; then
	echo "1..0 # SKIP no kernel grants on this machine: $(grep kernel-grants "$log")"
	exit 0
fi
case $out in
*"cookie-secret ret=-1 errno=EACCES"*) ok "audit on: the direct call is refused by the kernel" ;;
*) not_ok "audit on: the direct call is refused by the kernel: $out" ;;
esac
case $out in
*KREC-SECRET*) not_ok "audit on: nothing of the secret is read" ;;
*) ok "audit on: nothing of the secret is read" ;;
esac
grep -q '"decision":"kernel-grants","kernel":"kernel grants: .*without the broker: recorded from the kernel' "$log" &&
	ok "audit on: the log says the kernel's records are read" ||
	not_ok "audit on: the log says the kernel's records are read: $(grep kernel-grants "$log")"
rec=$(grep '"rule":"kernel"' "$log" | grep "\"path\":\"$tmp/secret\"")
case $rec in
*'"decision":"deny"'*'"errno":"EACCES"'*) ok "audit on: the kernel's refusal has its record" ;;
*) not_ok "audit on: the kernel's refusal has its record: $(cat "$log")" ;;
esac
case $rec in
*'"syscall":"openat"'*'"blockers":"fs.read_file"'*) ok "audit on: ... naming openat and what blocked it" ;;
*) not_ok "audit on: ... naming openat and what blocked it: $rec" ;;
esac
[ "$(printf '%s\n' "$rec" | grep -c .)" -eq 1 ] &&
	ok "audit on: one record for one refusal" || not_ok "audit on: one record for one refusal: $rec"
grep '"syscall":"openat"' "$log" | grep "\"path\":\"$tmp/secret\"" | grep -v '"rule":"kernel"' |
	grep -q '"decision":"deny"' && ok "audit on: the ordinary open is the broker's, with its record" ||
	not_ok "audit on: the ordinary open is the broker's, with its record"

# Names the sandbox chooses end up in the kernel's record: a space, a quote, '=', " domain=",
# a newline, a byte that is not UTF-8 (the kernel writes such a name as hex), and a path of 4 KiB
# of them (its hex is past 8 KiB). Each refusal keeps its record, under its own name.
python3 - "$tmp" >"$tmp/names" <<'PY'
import os, sys
t = sys.argv[1].encode()
odd = [b"sp ace", b'qu"ote', b"eq=ual", b"x domain=1 blockers=fs.x path=", b"new\nline",
       b"bad\xff\xfe", b"plain=domain=2"]
out = []
for i, n in enumerate(odd):
    d = t + b"/odd" + str(i).encode()
    os.makedirs(d, exist_ok=True)
    open(d + b"/" + n, "w").write("KREC-ODD")
    out.append(d + b"/" + n)
p = t + b"/long"
while len(p) < 3880:
    p += b"/" + (b'a b"=domain=1 ' * 15)[:200]
p += b"/" + b"z" * (4090 - len(p) - 1)
os.makedirs(p, exist_ok=True)
open(p + b"/L", "w").write("KREC-ODD")
out.append(p + b"/L")
sys.stdout.buffer.write(b"\0".join(out))
PY
chmod -R a+rX "$tmp"
python3 "$here/audit-status.py" 1 || exit 1
: >"$log"
SB=$sb LOG=$log POL=$tmp/p.policy KG=$tmp/kg xargs -0 sh -c '
	n=$#; for p; do set -- "$@" asm odd "$p" r 1; done; shift "$n"
	exec "$SB" run --log "$LOG" -p "$POL" -- "$KG" "$@"' sh <"$tmp/names" >"$tmp/odd.out" 2>&1
sleep 1
out=$(cat "$tmp/odd.out")
case $out in
*KREC-ODD*) not_ok "odd names: nothing is read: $out" ;;
*) ok "odd names: nothing is read" ;;
esac
got=$(grep -a '"rule":"kernel"' "$log" | grep -a -c '"decision":"deny"')
[ "$got" -eq 8 ] && ok "odd and long names: each kernel refusal has its record" ||
	not_ok "odd and long names: each kernel refusal has its record ($got of 8): $(cut -c1-200 "$log")"
python3 - "$log" "$tmp" <<'PY' && ok "odd and long names: the records name the paths the program used" ||
import json, sys
paths = sorted(json.loads(l)["path"] for l in open(sys.argv[1], errors="surrogateescape")
               if '"rule":"kernel"' in l)
want = sorted(p for p in paths if p.startswith(sys.argv[2] + "/odd") or p.startswith(sys.argv[2] + "/long/"))
sys.exit(0 if len(paths) == 8 and paths == want and any(len(p) > 4000 for p in paths) else 1)
PY
	not_ok "odd and long names: the records name the paths the program used"

# A domain the program makes itself (same pid as the first process, after exec) and its
# refusals are the program's, not the policy's: no "kernel" record names a granted file.
python3 "$here/audit-status.py" 1 || exit 1
: >"$log"
out=$("$sb" run --log "$log" -p "$tmp/p.policy" -- "$tmp/kg" nest nest - \
	asm own-refusal "$tmp/g/file.txt" r 1 asm cookie-secret "$tmp/secret" r 1 2>&1)
sleep 1
case $out in
*"nest ret=0"*"own-refusal ret=-1 errno=EACCES"*) ok "nested domain: the program refuses itself" ;;
*) not_ok "nested domain: the program refuses itself: $out" ;;
esac
grep -a '"rule":"kernel"' "$log" | grep -q "\"path\":\"$tmp/g/" &&
	not_ok "nested domain: its refusals are not recorded as the policy's: $(cat "$log")" ||
	ok "nested domain: its refusals are not recorded as the policy's"

# The runtime's own tries must not leave kernel records of denials the broker then overrules:
# while audit is on it makes no try the plan's prefixes do not vouch for. Relative names in an
# allowed tree the kernel does not grant (its rule logs, so the broker decides it), a missing
# name and a readlink there, and a missing name under a grant whose parent is out of it.
mkdir -p "$tmp/w" "$tmp/lo"
echo w >"$tmp/w/file"
echo lo >"$tmp/lo/f"
chmod -R a+rX "$tmp/w" "$tmp/lo"
cat >"$tmp/w.policy" <<P
sysbroker-policy 1
include $tmp/p.policy
path $tmp/w/** read list stat log
path $tmp/lo/** list stat
P
# A tree the kernel grants for listing only: a stat or readlink of a file in it would be refused
# by the kernel's try (it cannot know it meets a file) and allowed by the broker.
"$sb" check --explain "$tmp/w.policy" | grep -q "^  $tmp/lo  *tree list " &&
	ok "audit on: the list-only tree is a kernel grant" ||
	not_ok "audit on: the list-only tree is a kernel grant"
python3 "$here/audit-status.py" 1 || exit 1
: >"$log"
out=$("$sb" run --log "$log" --cwd "$tmp/w" -p "$tmp/w.policy" -- "$tmp/kg" \
	stat rel-stat file readlink rel-readlink file stat rel-missing missing open rel-open file \
	stat abs-missing "$tmp/g/no/such/dir/x" stat lo-stat "$tmp/lo/f" \
	readlink lo-readlink "$tmp/lo/f" 2>&1)
sleep 1
case $out in
*"rel-stat ret=0"*"rel-readlink ret=-1 errno=EINVAL"*"rel-missing ret=-1 errno=ENOENT"*"rel-open ret="[0-9]*"abs-missing ret=-1 errno=ENOENT"*"lo-stat ret=0"*"lo-readlink ret=-1 errno=EINVAL"*)
	ok "audit on: relative calls in a brokered tree are answered" ;;
*) not_ok "audit on: relative calls in a brokered tree are answered: $out" ;;
esac
grep -q '"rule":"kernel"' "$log" &&
	not_ok "audit on: the runtime's own tries leave no kernel record: $(grep '"rule":"kernel"' "$log")" ||
	ok "audit on: the runtime's own tries leave no kernel record"
grep '"path":"'"$tmp/w/file"'"' "$log" | grep -q '"decision":"allow"' &&
	ok "audit on: the broker decided them (its logged allows)" ||
	not_ok "audit on: the broker decided them (its logged allows)"

# An ordinary call by a relative name, or with "..", that the broker allows outside every kernel
# grant: the runtime does not try it directly (the kernel would record a denial of a call the
# broker then allows), so the log has no "kernel" record of it.
mkdir -p "$tmp/w2"
echo w-content >"$tmp/w2/f"
chmod -R a+rwX "$tmp/w2"
cat >"$tmp/w2.policy" <<P
sysbroker-policy 1
include $tmp/p.policy
path $tmp/w2/** read write create delete list stat
path $tmp/w2 read write create delete list stat
P
python3 "$here/audit-status.py" 1 || exit 1
: >"$log"
out=$("$sb" run --log "$log" -p "$tmp/w2.policy" -- "$tmp/kg" chdir cd "$tmp/w2" \
	open rel-open f stat rel-stat f readlink rel-readlink f open dotdot "$tmp/g/../w2/f" 2>&1)
sleep 1
case $out in
*"rel-open data=w-content"*"rel-stat ret=0"*"rel-readlink ret=-1 errno=EINVAL"*"dotdot data=w-content"*)
	ok "relative names: the broker allows them" ;;
*) not_ok "relative names: the broker allows them: $out" ;;
esac
grep -a '"rule":"kernel"' "$log" | grep -q "\"path\":\"$tmp/w2" &&
	not_ok "relative names: no kernel record of a denial the broker does not make: $(grep -a '"rule":"kernel"' "$log")" ||
	ok "relative names: no kernel record of a denial the broker does not make"

# A missing name in a tree granted for read alone (runtime.policy's
# /usr/lib/x86_64-linux-gnu/** read: the loader and the compiler probe there for names that do
# not exist): the proof that the name is missing opens its parent, which Landlock refuses
# without READ_DIR. While audit is on that refusal would be a kernel record of a denial of a
# call the broker answers ENOENT without one.
mkdir -p "$tmp/ro/d"
echo ro >"$tmp/ro/f"
chmod -R a+rX "$tmp/ro"
cat >"$tmp/ro.policy" <<P
sysbroker-policy 1
include $tmp/p.policy
path $tmp/ro/** read stat
path $tmp/ro stat
P
python3 "$here/audit-status.py" 1 || exit 1
: >"$log"
out=$("$sb" run --log "$log" -p "$tmp/ro.policy" -- "$tmp/kg" \
	stat ro-stat "$tmp/ro/f" stat ro-missing "$tmp/ro/none" open ro-open-missing "$tmp/ro/none" \
	stat ro-missing-deep "$tmp/ro/d/none/x" readlink ro-readlink-missing "$tmp/ro/none" 2>&1)
sleep 1
case $out in
*"ro-stat ret=0"*"ro-missing ret=-1 errno=ENOENT"*"ro-open-missing ret=-1 errno=ENOENT"*"ro-missing-deep ret=-1 errno=ENOENT"*"ro-readlink-missing ret=-1 errno=ENOENT"*)
	ok "read-only grant: missing names are ENOENT" ;;
*) not_ok "read-only grant: missing names are ENOENT: $out" ;;
esac
grep -a '"rule":"kernel"' "$log" | grep -q "\"path\":\"$tmp/ro" &&
	not_ok "read-only grant: a missing name leaves no kernel record: $(grep -a '"rule":"kernel"' "$log")" ||
	ok "read-only grant: a missing name leaves no kernel record"

# A symlink in a granted tree that leads out of every grant: the broker refuses a stat or an
# open through it, with its record; the runtime's try must not add a kernel record of the same
# refusal.
ln -s ../secret "$tmp/g/out"
python3 "$here/audit-status.py" 1 || exit 1
: >"$log"
out=$("$sb" run --log "$log" -p "$tmp/p.policy" -- "$tmp/kg" \
	stat sym-stat "$tmp/g/out" open sym-open "$tmp/g/out" 2>&1)
sleep 1
case $out in
*"sym-stat ret=-1 errno=EACCES"*"sym-open ret=-1 errno=EACCES"*)
	ok "symlink out of the grants: refused" ;;
*) not_ok "symlink out of the grants: refused: $out" ;;
esac
[ "$(grep -c "\"path\":\"$tmp/secret\".*\"decision\":\"deny\"" "$log")" -eq 2 ] &&
	! grep -q '"rule":"kernel"' "$log" &&
	ok "symlink out of the grants: one record per refusal, the broker's" ||
	not_ok "symlink out of the grants: one record per refusal, the broker's: $(grep -v kernel-grants "$log")"
rm "$tmp/g/out"

run 0
case $out in
*"cookie-secret ret=-1 errno=EACCES"*) ok "audit off: the direct call is refused by the kernel" ;;
*) not_ok "audit off: the direct call is refused by the kernel: $out" ;;
esac
grep -q '"decision":"kernel-grants","kernel":"kernel grants: .*without the broker: not recorded, the system'"'"'s audit is off' "$log" &&
	ok "audit off: the log says such refusals have no record" ||
	not_ok "audit off: the log says such refusals have no record: $(grep kernel-grants "$log")"
grep -q '"rule":"kernel"' "$log" && not_ok "audit off: no kernel record" || ok "audit off: no kernel record"

echo "1..$n"
exit $fail
