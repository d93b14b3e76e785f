#!/bin/sh
# `sysbroker run` end to end: real Debian programs under the example policies, checking both
# what the program printed and what the broker logged (transport "trap" for dynamically linked
# programs, which load the preloaded runtime; "notify" for a static one, which cannot).
#     test-run.sh SYSBROKER SOURCE_ROOT STATIC_PROBE
set -u
sb=$1
src=$2
static=$3
pol=$src/examples/policies
# meson points LD_LIBRARY_PATH at the build tree; the sandboxed loader would search it (and the
# policies rightly deny that). A user's environment has no such thing.
unset LD_LIBRARY_PATH
logmatch="python3 $src/tests/integration/logmatch.py"

# Descriptions may carry a program's output: tap.sh keeps each result on one TAP line.
. "$src/tests/tap.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root (sysbroker run --user and the example trees)"
	exit 0
fi
for p in python3 cc make find; do
	if ! command -v $p >/dev/null; then
		echo "1..0 # SKIP $p is not installed"
		exit 0
	fi
done

tmp=$(mktemp -d /tmp/sb-run.XXXXXX)
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
data=$tmp/examples/data
mkdir -p "$data/sub" "$tmp/work"
cp "$src"/examples/data/* "$data/"
echo "deep file" >"$data/sub/deep.txt"
echo "top secret" >"$tmp/secret.txt"
echo "granted words" >"$tmp/work/granted.txt"

# The example policies, plus this test's own tree where they grant a fixed one (/srv/work,
# /work): the same file with one path line added.
cat >"$tmp/build.policy" <<EOF
sysbroker-policy 1
include $pol/build.policy
path $tmp/work/** read write create delete list exec log
path $tmp/work stat list
path $tmp/examples/data/** read list
EOF
# The same coreutils policy with the data tree's allows logged, so that a successful run leaves
# records too (allows are not logged by default).
cat >"$tmp/coreutils-logged.policy" <<EOF
sysbroker-policy 1
include $pol/coreutils.policy
path /**/examples/data/** read list log
EOF
cat >"$tmp/python3.policy" <<EOF
sysbroker-policy 1
include $pol/python3.policy
path $tmp/work/** read write create delete list
path $tmp/work stat list
EOF
cat >"$tmp/static.policy" <<EOF
sysbroker-policy 1
include $pol/runtime.policy
default syscall deny errno ENOSYS log
default path deny errno EACCES log
path $static exec read
path $data/** read
EOF

log=$tmp/audit.log
run() { "$sb" run --log "$log" "$@"; }

# --- coreutils ------------------------------------------------------------------------------
: >"$log"
out=$(run -p "$pol/coreutils.policy" -- ls -la "$data" 2>&1)
case $out in
*numbers.txt*README.txt* | *README.txt*numbers.txt*) ok "ls -la lists the granted tree" ;;
*) not_ok "ls -la lists the granted tree: $out" ;;
esac
check "ls -la: stat of the ungranted parent is denied over trap" \
	$logmatch "$log" decision=deny path="$tmp/examples" transport=trap

: >"$log"
out=$(run -p "$pol/coreutils.policy" -- cat "$data/numbers.txt" "$tmp/secret.txt" 2>&1)
rc=$?
expected=$(cat "$data/numbers.txt")
case $out in
"$expected"*"$tmp/secret.txt: Permission denied"*) ok "cat prints the granted file, EACCES for the other" ;;
*) not_ok "cat prints the granted file, EACCES for the other: $out" ;;
esac
check "cat exits 1 as cat does" [ "$rc" -eq 1 ]
check "cat: the denied open is logged with its rule, over trap" \
	$logmatch "$log" syscall=openat decision=deny errno=EACCES path="$tmp/secret.txt" \
	transport=trap rule="$pol/coreutils.policy:26"
case $(cat "$log") in
*"top secret"*) not_ok "the secret's content is nowhere in the log" ;;
*) ok "the secret's content is nowhere in the log" ;;
esac

: >"$log"
out=$(run -p "$tmp/coreutils-logged.policy" -- sort -n "$data/numbers.txt" 2>&1)
check "sort -n sorts like sort outside" [ "$out" = "$(sort -n "$data/numbers.txt")" ]
check "sort: its read of the data file was served over trap (logged allow)" \
	$logmatch "$log" syscall=openat decision=allow path="$data/numbers.txt" perm=read \
	transport=trap

: >"$log"
out=$(run -p "$tmp/coreutils-logged.policy" -- sha256sum "$data/README.txt" 2>&1)
check "sha256sum gives the same digest as outside" \
	[ "$out" = "$(sha256sum "$data/README.txt")" ]
check "sha256sum: its read was served over trap" \
	$logmatch "$log" syscall=openat decision=allow path="$data/README.txt" transport=trap

: >"$log"
# find opens its starting directory to come back to it: start inside the tree (--cwd).
out=$(run -p "$pol/coreutils.policy" --cwd "$data" -- find "$data" -name '*.txt' 2>&1 | sort)
check "find walks the granted tree" [ "$out" = "$(find "$data" -name '*.txt' | sort)" ]
run -p "$pol/coreutils.policy" --cwd "$data" -- find "$tmp" -name secret.txt >/dev/null 2>&1
check "find: listing the ungranted tree is denied and logged" \
	$logmatch "$log" decision=deny path="$tmp" transport=trap

# --- a shell pipeline: several execve, each new image on notify until its runtime arms -------
: >"$log"
out=$(run -p "$tmp/build.policy" -- sh -c "cat '$data/numbers.txt' | sort -n | head -n 3 | wc -l; cat /etc/hostname" 2>&1)
case $out in
3*"/etc/hostname: Permission denied"*) ok "sh -c pipeline of cat, sort, head, wc" ;;
*) not_ok "sh -c pipeline of cat, sort, head, wc: $out" ;;
esac
check "the pipeline's denied read is logged over trap" \
	$logmatch "$log" decision=deny path=/etc/hostname transport=trap
check "exec of a program the policy does not list is refused" \
	sh -c "! '$sb' run --log '$log' -p '$tmp/build.policy' -- sh -c 'exec /usr/bin/id' 2>/dev/null"
check "... and logged with its permission" \
	$logmatch "$log" decision=deny path=/usr/bin/id perm=exec

# --- python3 -----------------------------------------------------------------------------------
: >"$log"
out=$(cd "$tmp/work" && run -p "$tmp/python3.policy" -- /usr/bin/python3 -c '
print(open("granted.txt").read().strip())
try:
    open("/etc/hostname")
except PermissionError as e:
    print("PermissionError", e.errno)
' 2>&1)
case $out in
"granted words"*"PermissionError 13"*) ok "python3 reads a granted file, PermissionError on another" ;;
*) not_ok "python3 reads a granted file, PermissionError on another: $out" ;;
esac
check "python3's denied open is logged over trap" \
	$logmatch "$log" syscall=openat decision=deny path=/etc/hostname transport=trap

# A program that blocks every signal, and a thread started with that mask: a trap with SIGSYS
# blocked would kill them, so the runtime keeps SIGSYS out of the masks the C library sets.
out=$(cd "$tmp/work" && run -p "$tmp/python3.policy" -- /usr/bin/python3 -c '
import signal, threading
signal.pthread_sigmask(signal.SIG_BLOCK, set(signal.Signals))
print(open("granted.txt").read().strip())
t = threading.Thread(target=lambda: print(open("granted.txt").read().strip()))
t.start(); t.join()
' 2>&1)
check "python3 with every signal blocked, and its thread, still reach the broker${out:+: $out}" \
	[ "$out" = "granted words
granted words" ]

# --- --user: the program runs as the user, and the broker acts with the user's file rights ------
: >"$log"
out=$(SYSBROKER_RUNDIR=$tmp/rundir run -p "$tmp/python3.policy" --user nobody --cwd "$tmp/work" -- /usr/bin/python3 -c '
import os
print(os.getuid(), os.getgid(), open("granted.txt").read().strip())
try:
    open("by-nobody.txt", "w")
except PermissionError as e:
    print("create", e.errno)
' 2>&1)
check "--user nobody: uid and gid are nobody's, granted file read${out:+: $out}" \
	[ "$(printf '%s\n' "$out" | head -n 1)" = "65534 65534 granted words" ]
check "--user nobody: the broker removed its reload registry entry at exit" \
	[ -d "$tmp/rundir" -a -z "$(ls -A "$tmp/rundir")" ]
check "--user nobody: a create the policy allows is refused by the file system (root's dir)" \
	[ "$(printf '%s\n' "$out" | tail -n 1)" = "create 13" -a ! -e "$tmp/work/by-nobody.txt" ]
# access(2) answers with the user's rights too: W_OK on a granted file nobody owns, not on one
# only root may write (the broker's own real uid is root's).
cp "$tmp/work/granted.txt" "$tmp/work/nobodys.txt"
chown nobody "$tmp/work/nobodys.txt"
out=$(run -p "$tmp/python3.policy" --user nobody --cwd "$tmp/work" -- /usr/bin/python3 -c '
import os
print(os.access("nobodys.txt", os.W_OK), os.access("granted.txt", os.W_OK), os.access("granted.txt", os.R_OK))
' 2>&1)
check "--user nobody: access(W_OK) is the user's answer${out:+: $out}" [ "$out" = "True False True" ]

# --- cc and make in a granted work tree ------------------------------------------------------
cat >"$tmp/work/hello.c" <<'EOF'
#include <stdio.h>
int main(void) { puts("hello from the sandbox"); return 0; }
EOF
printf 'hello: hello.c\n\tcc -O2 -o hello hello.c\n\nclean:\n\trm -f hello\n' >"$tmp/work/Makefile"
: >"$log"
out=$(cd "$tmp/work" && run -p "$tmp/build.policy" -- cc -o hello-cc hello.c 2>&1)
check "cc compiles and links in the work tree${out:+: $out}" [ -x "$tmp/work/hello-cc" ]
check "the program cc built runs" [ "$("$tmp/work/hello-cc")" = "hello from the sandbox" ]
check "cc: the compiler read the source over trap" \
	$logmatch "$log" decision=allow path="$tmp/work/hello.c" perm=read transport=trap
check "cc: the linker created the output over trap" \
	$logmatch "$log" decision=allow path="$tmp/work/hello-cc" transport=trap
: >"$log"
out=$(cd "$tmp/work" && run -p "$tmp/build.policy" -- make 2>&1)
check "make runs the build${out:+: $out}" [ -x "$tmp/work/hello" ]
check "what make built runs" [ "$("$tmp/work/hello")" = "hello from the sandbox" ]
check "make: the Makefile was read over trap" \
	$logmatch "$log" decision=allow path="$tmp/work/Makefile" perm=read transport=trap
check "make: cc, started by make, read the source over trap" \
	$logmatch "$log" decision=allow path="$tmp/work/hello.c" perm=read transport=trap
check "make: the program it built was created over trap" \
	$logmatch "$log" decision=allow path="$tmp/work/hello" transport=trap
out=$(cd "$tmp/work" && run -p "$tmp/build.policy" -- cc -o /tmp/escaped-hello hello.c 2>&1)
check "cc cannot write its output outside the granted tree" [ ! -e /tmp/escaped-hello ]

# --- a static binary: notify only ---------------------------------------------------------
: >"$log"
out=$(run -p "$tmp/static.policy" -- "$static" "$data/README.txt" "$tmp/secret.txt" 2>&1)
case $out in
"$(cat "$data/README.txt")"*"$tmp/secret.txt: EACCES"*) ok "static binary reads the granted file, EACCES for the other" ;;
*) not_ok "static binary reads the granted file, EACCES for the other: $out" ;;
esac
check "the static binary's denial is logged over notify" \
	$logmatch "$log" syscall=openat decision=deny path="$tmp/secret.txt" transport=notify

# --- /proc/self in a policy: the caller's own /proc directory, no other process's ---------
cat >"$tmp/procself.policy" <<EOF
sysbroker-policy 1
include $tmp/build.policy
path $static exec read
path /proc/self/** read
EOF
for v in trap notify; do
	if [ $v = trap ]; then prog=cat name=cat; else prog=$static name=static-probe; fi
	: >"$log"
	# The program's parent is the sandboxed sh: another process, whose status it must not read.
	out=$(run -p "$tmp/procself.policy" -- sh -c 'echo "sh=$$"; "$0" /proc/self/status "/proc/$$/status"' "$prog" 2>&1)
	sh_pid=$(printf '%s\n' "$out" | sed -n 's/^sh=//p')
	case $out in
	*"Name:	$name"*"/proc/$sh_pid/status"*) ok "$v: $name reads /proc/self/status and not /proc/<its parent>/status" ;;
	*) not_ok "$v: $name reads /proc/self/status and not /proc/<its parent>/status: $out" ;;
	esac
	case $out in
	*"Name:	sh"*) not_ok "$v: the parent's status never reaches $name" ;;
	*) ok "$v: the parent's status never reaches $name" ;;
	esac
	check "$v: the denial of /proc/<its parent>/status is on the record" \
		$logmatch "$log" syscall=openat decision=deny path="/proc/$sh_pid/status" transport=$v
done

# --- exit statuses, signals, the whole tree ------------------------------------------------
run -p "$tmp/build.policy" -- sh -c 'exit 7' 2>/dev/null
check "the program's exit status is sysbroker's" [ $? -eq 7 ]
(cd "$tmp/work" && run -p "$tmp/python3.policy" -- /usr/bin/python3 -c 'import ctypes; ctypes.string_at(0)' 2>/dev/null)
rc=$?
check "a program killed by SIGSEGV gives 139 (got $rc)" [ "$rc" -eq 139 ]
start=$(date +%s)
run -p "$tmp/build.policy" --timeout 1 -- sh -c 'sh -c "while :; do :; done" & while :; do :; done' 2>/dev/null
rc=$?
check "--timeout kills the tree and exits 124 (got $rc)" [ "$rc" -eq 124 ]
check "--timeout took about a second" [ $(($(date +%s) - start)) -lt 10 ]
run -p "$tmp/build.policy" -- sh -c "(i=0; while [ \$i -lt 20000 ]; do i=\$((i+1)); done; echo late >'$tmp/work/daemon.txt') & exit 0" 2>/dev/null
check "the broker waits for a background process that outlives the program" \
	[ "$(cat "$tmp/work/daemon.txt" 2>/dev/null)" = late ]
"$sb" run -p "$tmp/build.policy" -- sh -c 'while :; do :; done' 2>/dev/null &
pid=$!
sleep 0.5
kill -TERM $pid
wait $pid
rc=$?
check "SIGTERM is forwarded to the program (exit 143, got $rc)" [ "$rc" -eq 143 ]
leftover=$(ps -eo pid,args | grep -c '[w]hile :; do :; done')
check "nothing is left running" [ "$leftover" -eq 0 ]

# --- bad input: one line, the documented status, nothing started ------------------------------
expect() { # DESCRIPTION STATUS PATTERN COMMAND...
	d=$1 want=$2 pat=$3
	shift 3
	out=$("$@" 2>&1 >/dev/null)
	rc=$?
	lines=$(printf '%s\n' "$out" | grep -c .)
	case $out in
	$pat) [ "$rc" -eq "$want" ] && [ "$lines" -le 2 ] && ok "$d" || not_ok "$d: status $rc: $out" ;;
	*) not_ok "$d: status $rc: $out" ;;
	esac
}
rm -f "$tmp/never.log"
expect "missing policy: 125" 125 "*missing.policy*" \
	"$sb" run --log "$tmp/never.log" -p "$tmp/missing.policy" -- true
printf 'sysbroker-policy 1\npath /etc raed\n' >"$tmp/broken.policy"
expect "invalid policy: 125 with FILE:LINE:COL" 125 "$tmp/broken.policy:2:*: error: *" \
	"$sb" run --log "$tmp/never.log" -p "$tmp/broken.policy" -- true
expect "PROG the policy may not exec: 126" 126 "*/usr/bin/id*does not allow exec*" \
	"$sb" run --log "$tmp/never.log" -p "$pol/coreutils.policy" -- id
expect "PROG that does not exist: 127" 127 "*no-such-program*" \
	"$sb" run --log "$tmp/never.log" -p "$pol/coreutils.policy" -- no-such-program
expect "unknown flag: 125" 125 "*unknown option*--frobnicate*" \
	"$sb" run --frobnicate -p "$pol/coreutils.policy" -- true
expect "no program: 125" 125 "*no program*" "$sb" run -p "$pol/coreutils.policy"
# An exec the broker allowed that the kernel then refuses (here ENOEXEC; near ARG_MAX, E2BIG
# because the sandbox adds its variables): 126 and one line, as for any exec failure.
printf '\177ELFnot-a-program' >"$tmp/garbage"
chmod 755 "$tmp/garbage"
printf 'sysbroker-policy 1\ninclude %s\npath %s read exec\n' "$pol/coreutils.policy" \
	"$tmp/garbage" >"$tmp/garbage.policy"
expect "an exec the kernel refuses after setup: 126 and the reason" 126 \
	"*cannot execute $tmp/garbage: Exec format error*" "$sb" run -p "$tmp/garbage.policy" -- \
	"$tmp/garbage"
expect "-p without its argument: 125, and says so" 125 "*option '-p' needs an argument*" \
	"$sb" run -p
expect "-p twice: 125, and says a run takes one policy" 125 "*-p given twice*one policy*" \
	"$sb" run -p "$tmp/garbage.policy" -p "$tmp/garbage.policy" -- /bin/true
expect "audit --since without its argument: 2, and says so" 2 \
	"*option '--since' needs an argument*" "$sb" audit --since
check "nothing was started for bad input (no log written)" [ ! -e "$tmp/never.log" ]
# --- tar, chmod, chown, touch, mkfifo, stat -f: the calls that change metadata ------------------
mkdir -p "$tmp/tarsrc/d755/d750" "$tmp/meta"
chmod 755 "$tmp/tarsrc/d755"
chmod 750 "$tmp/tarsrc/d755/d750"
echo x >"$tmp/tarsrc/d755/f"
tar -C "$tmp/tarsrc" -cf "$tmp/dirs.tar" d755
secret_stamp=$(stat -c %a:%u:%Y "$tmp/secret.txt")
cat >"$tmp/meta-py.policy" <<EOF
sysbroker-policy 1
include $tmp/python3.policy
path /usr/bin/env read exec
EOF
cat >"$tmp/meta.policy" <<EOF
sysbroker-policy 1
include $pol/build.policy
path $tmp/meta/** read write create delete list exec
path $tmp/meta stat list
path $tmp/dirs.tar read
path /usr/bin/** read exec
EOF
# Both transports: sh and the coreutils over the trap, and again behind env -u SYSBROKER_FD (no
# runtime: every call over notify).
for transport in trap notify; do
	pre=
	[ $transport = notify ] && pre="/usr/bin/env -u SYSBROKER_FD"
	rm -rf "$tmp/meta" && mkdir "$tmp/meta"
	: >"$log"
	# shellcheck disable=SC2086 # $pre is a command prefix
	out=$(cd "$tmp/meta" && run -p "$tmp/meta.policy" -- $pre sh -c 'tar xf '"$tmp"'/dirs.tar &&
		stat -c "%a" d755 d755/d750 && mkfifo ff && stat -c %F ff &&
		touch -d @1000000000 d755/f && stat -c %Y d755/f && chown 0:0 d755/f &&
		stat -c %u:%g d755/f && stat -f -c %t . >/dev/null && chmod 711 d755 &&
		stat -c %a d755 && { chown 1 d755/f 2>/dev/null || echo refused; } &&
		{ mknod dev c 1 3 2>/dev/null || echo no-device; }' 2>&1)
	# The sandbox is uid 0 without capabilities: it may not give its file away, through the
	# broker either (which acts with the caller's identity). Device nodes are never made.
	check "$transport: tar x restores directory modes; mkfifo, touch, chown, stat -f, chmod work; a device node is refused${out:+: $out}" \
		[ "$(printf '%s' "$out" | tr '\n' ' ')" = "755 750 fifo 1000000000 0:0 711 refused no-device" ]
	check "$transport: the device node's refusal has its record" \
		$logmatch "$log" syscall=mknodat decision=deny errno=EPERM rule=builtin \
		"path=$tmp/meta/dev" transport=$transport
	# Outside the grant, by the calls themselves (the coreutils would stop at their stat).
	: >"$log"
	# shellcheck disable=SC2086
	out=$(run -p "$tmp/meta-py.policy" -- $pre /usr/bin/python3 -c 'import os, sys
t = sys.argv[1]
for name, f in (("chmod", lambda: os.chmod(t, 0o600)), ("chown", lambda: os.chown(t, 1, 1)),
                ("lchown", lambda: os.lchown(t, 1, 1)), ("utime", lambda: os.utime(t)),
                ("mkfifo", lambda: os.mkfifo(t + ".fifo")), ("statvfs", lambda: os.statvfs(t))):
    try:
        f()
        print(name, "ok")
    except OSError as e:
        print(name, e.errno)' "$tmp/secret.txt" 2>&1)
	check "$transport: chmod, chown, lchown, utime, mkfifo, statvfs outside the grant are refused${out:+: $out}" \
		[ "$(printf '%s' "$out" | tr '\n' ' ')" = "chmod 13 chown 13 lchown 13 utime 13 mkfifo 13 statvfs 13" ]
	check "$transport: ... and changed nothing" \
		[ "$(stat -c %a:%u:%Y "$tmp/secret.txt")" = "$secret_stamp" -a ! -e "$tmp/secret.txt.fifo" ]
	# By the C library's choice of call (chmod or fchmodat, ...) and the permission asked.
	for c in chmod:write chown:write lchown:write utimensat:write mknodat:create statfs:stat; do
		check "$transport: the refused ${c%:*} has its record" \
			$logmatch "$log" "syscall~=${c%:*}" perm=${c#*:} decision=deny errno=EACCES \
			transport=$transport "path=$tmp/secret.txt*"
	done
done

# The signals as the invoker left them: an ignored SIGHUP (nohup) reaches the program ignored,
# and an ignored SIGCHLD neither hangs sysbroker (it reaps its children) nor is lost for the
# program.
out=$(timeout 20 python3 -c 'import os, signal, sys
signal.signal(signal.SIGHUP, signal.SIG_IGN)
signal.signal(signal.SIGCHLD, signal.SIG_IGN)
os.execv(sys.argv[1], sys.argv[1:])' "$sb" run -p "$tmp/python3.policy" -- /usr/bin/python3 -c '
import signal
print(signal.getsignal(signal.SIGHUP) == signal.SIG_IGN,
      signal.getsignal(signal.SIGCHLD) == signal.SIG_IGN)
raise SystemExit(7)' 2>&1)
rc=$?
check "ignored SIGHUP and SIGCHLD pass to the program, and its status comes back (7, got $rc: $out)" \
	[ $rc -eq 7 -a "$out" = "True True" ]

# A program that stops itself without a terminal stops only itself: --timeout still ends it
# (the broker follows a terminal's stops, ^Z, only when there is a terminal: test-jobs.sh).
printf 'sysbroker-policy 1\ninclude %s\nallow kill tgkill getpid\n' "$tmp/python3.policy" \
	>"$tmp/stopself.policy"
for sig in SIGTSTP SIGSTOP; do
	start=$(date +%s)
	run -p "$tmp/stopself.policy" --timeout 2 -- /usr/bin/python3 -c "import os, signal
os.kill(os.getpid(), signal.$sig)" </dev/null >/dev/null 2>&1
	rc=$?
	took=$(($(date +%s) - start))
	check "a program that stops itself with $sig: --timeout still fires (124 in ${took} s, got $rc)" \
		[ $rc -eq 124 -a $took -lt 15 ]
done

# A program started with fd 0 (or 1, 2) closed finds it closed: the runtime's channels keep out
# of the low numbers (posix_spawn's POSIX_SPAWN_CLOSE, `cmd <&-`).
out=$(run -p "$tmp/python3.policy" -- /usr/bin/python3 -c 'import os
for fd in (0, 2):
    try:
        os.fstat(fd)
        print(fd, "open")
    except OSError as e:
        print(fd, e.errno)' <&- 2>&-)
check "stdin and stderr closed before the sandbox stay closed in it${out:+: $out}" \
	[ "$(printf '%s' "$out" | tr '\n' ' ')" = "0 9 2 9" ]
out=$("$sb" run --help)
case $out in
*--policy*--log*--user*--cwd*--env*--clearenv*--timeout*) ok "run --help lists every flag" ;;
*) not_ok "run --help lists every flag" ;;
esac

echo "1..$n"
exit $fail
