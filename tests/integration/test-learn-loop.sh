#!/bin/sh
# The learn -> suggest -> enforce loop, as a new user runs it, from a runtime-only start policy
# (learn-start.policy) for three jobs: python3 reading one directory and writing another, make
# and gcc on a small C project, and sh with a background job and a pipe. For each:
#  - at most two rounds of `run --learn --log`, `audit --suggest --policy`, append reach a policy
#    under which the job succeeds enforcing, with nothing denied but by the built-in set;
#  - every policy on the way passes `sysbroker check` (--strict where check has it);
#  - no suggested line lifts a built-in protection: no unconditional clone/ioctl/socket, nothing
#    of the built-in dangerous set, no glob that writes, creates, deletes or executes (except the
#    temporaries' patterns gcc needs, which say so);
#  - an attempt on a secret file in the same directory as a granted file is still refused, with
#    its deny record.
# The sh job and the namespace probe run over both transports (trap; notify with
# `env -u SYSBROKER_FD`). Then the built-in set through the loop: a namespace clone and `unshare -U true` fail before
# and after; a suggestion an included rule outranks (mprotect vs W^X) is a comment that says so;
# `run --learn` without `--log` is refused.
#     test-learn-loop.sh SYSBROKER SOURCE_ROOT
set -u
sb=$1
src=$2
unset LD_LIBRARY_PATH
logmatch="python3 $src/tests/integration/logmatch.py"
py=/usr/bin/python3
start=$src/tests/integration/learn-start.policy

. "$src/tests/tap.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root (the jobs run in /tmp trees the broker must reach)"
	exit 0
fi
for p in $py /usr/bin/make /usr/bin/gcc /usr/bin/unshare; do
	if ! [ -x $p ]; then
		echo "1..0 # SKIP $p is not installed"
		exit 0
	fi
done

tmp=$(mktemp -d /tmp/sb-loop.XXXXXX)
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
export SYSBROKER_RUNDIR=$tmp/run
mkdir -m 700 "$SYSBROKER_RUNDIR"

strict=
if "$sb" check --help 2>&1 | grep -q -- --strict; then
	strict=--strict
fi

# The lines of a suggestion file that would weaken the sandbox, on stdout.
weakening() {
	grep -v '^#' "$1" | grep -E \
		'^allow (clone|clone3|ioctl|socket|socketpair|seccomp)( *#|$)|^allow (ptrace|bpf|unshare|setns|mount|umount2|pivot_root|chroot|process_vm_readv|process_vm_writev|kexec_load|init_module|finit_module|userfaultfd|perf_event_open|io_uring_setup|keyctl|personality|open_by_handle_at)( |$)|^allow @'
	grep -E '^path [^ ]*[*?][^ ]* .*(write|create|delete|exec)' "$1" |
		grep -v 'generalised: [0-9]* temporary name'
}

# Whether LOG has a deny record other than the built-in set's (which must stay).
denied() {
	grep '"decision":"deny"' "$1" 2>/dev/null | grep -qv '"rule":"builtin"'
}

# learn NAME DIR EXPECT CMD...: the loop, in DIR, until CMD prints EXPECT and exits 0 enforcing
# with nothing denied, at most two rounds. Leaves the final policy in $tmp/NAME.policy.
learn() {
	name=$1 dir=$2 expect=$3
	shift 3
	pol=$tmp/$name.policy
	printf 'sysbroker-policy 1\ninclude %s\n' "$start" >"$pol"
	done_in=
	for round in 1 2; do
		(cd "$dir" && "$sb" run --learn -p "$pol" --log "$tmp/$name.learn$round.log" -- "$@" \
			>"$tmp/$name.learn$round.out" 2>&1)
		"$sb" audit --suggest --policy "$pol" "$tmp/$name.learn$round.log" \
			>"$tmp/$name.suggest$round" 2>"$tmp/$name.suggest$round.err"
		check "$name round $round: audit --suggest --policy exits 0 ($(head -c 300 \
			"$tmp/$name.suggest$round.err"))" [ $? -eq 0 ]
		bad=$(weakening "$tmp/$name.suggest$round")
		check "$name round $round: no suggested line lifts a built-in protection or widens a \
write ($bad)" [ -z "$bad" ]
		cat "$tmp/$name.suggest$round" >>"$pol"
		out=$("$sb" check $strict "$pol" 2>&1)
		check "$name round $round: the policy with the suggestions passes check $strict \
($out)" [ $? -eq 0 ]
		rm -f "$tmp/$name.enforce.log"
		got=$(cd "$dir" && "$sb" run -p "$pol" --log "$tmp/$name.enforce.log" -- "$@" 2>&1)
		rc=$?
		if [ $rc -eq 0 ] && [ "$got" = "$expect" ] && ! denied "$tmp/$name.enforce.log"; then
			done_in=$round
			break
		fi
	done
	check "$name: the job succeeds enforcing after ${done_in:-more than 2} learn round(s) \
(last: $rc, '$got', $(grep -m2 '"deny"' "$tmp/$name.enforce.log" 2>/dev/null))" [ -n "$done_in" ]
}

# refused NAME DIR PATH CMD...: CMD, in the job's policy, fails on PATH with a deny record.
refused() {
	name=$1 dir=$2 path=$3
	shift 3
	log=$tmp/$name.secret.log
	rm -f "$log"
	out=$(cd "$dir" && "$sb" run -p "$tmp/$name.policy" --log "$log" -- "$@" 2>&1)
	rc=$?
	check "$name: the secret $path beside granted files is refused ($rc)" [ $rc -ne 0 ]
	check "$name: ... with its deny record" $logmatch "$log" decision=deny path="$path"
}

# --- 1: python3 reads in/, writes out/ --------------------------------------------------------
w=$tmp/py
mkdir -p "$w/in" "$w/out"
for i in 1 2 3 4; do echo "line $i" >"$w/in/f$i.txt"; done
cat >"$w/job.py" <<'EOF'
import os, sys
base = os.path.dirname(os.path.abspath(__file__))
extra = sys.argv[1:]
names = sorted(os.listdir(os.path.join(base, "in")))
lines = [open(os.path.join(base, "in", n)).read().strip() for n in names]
lines += [open(p).read() for p in extra]
for i, t in enumerate(lines):
    with open(os.path.join(base, "out", "r%d.txt" % i), "w") as f:
        f.write(t.upper())
print("done", len(lines))
EOF
learn python3 "$w" "done 4" $py job.py
echo "top secret" >"$w/out/secret.txt"
echo "top secret" >"$w/secret.txt"
refused python3 "$w" "$w/out/secret.txt" $py job.py "$w/out/secret.txt"
refused python3 "$w" "$w/secret.txt" $py job.py "$w/secret.txt"
check "python3: the outputs are granted by name, not by a glob" \
	grep -qE "^path $w/out/r0.txt write create( |$)" "$tmp/python3.policy"

# --- 2: make and gcc on a small C project ---------------------------------------------------
c=$tmp/proj
mkdir -p "$c"
cat >"$c/main.c" <<'EOF'
#include <stdio.h>
int add(int, int);
int main(void) { printf("%d\n", add(2, 3)); return 0; }
EOF
echo 'int add(int a, int b) { return a + b; }' >"$c/add.c"
printf 'prog: main.o add.o\n\tgcc -o prog main.o add.o\n%%.o: %%.c\n\tgcc -c -o $@ $<\n' \
	>"$c/Makefile"
printf 'gcc -c -o main.o main.c\ngcc -c -o add.o add.c\ngcc -o prog main.o add.o' >"$tmp/make.out"
# Each round builds from scratch, as the enforcing run does.
make_job() { rm -f "$c/prog" "$c"/*.o; }
# The loop of learn(), with the outputs removed before each run: every run builds from scratch.
printf 'sysbroker-policy 1\ninclude %s\n' "$start" >"$tmp/make.policy"
make_rounds=
for round in 1 2; do
	make_job
	(cd "$c" && "$sb" run --learn -p "$tmp/make.policy" --log "$tmp/make.learn$round.log" -- \
		/usr/bin/make >/dev/null 2>&1)
	"$sb" audit --suggest --policy "$tmp/make.policy" "$tmp/make.learn$round.log" \
		>"$tmp/make.suggest$round"
	check "make round $round: audit --suggest --policy exits 0" [ $? -eq 0 ]
	bad=$(weakening "$tmp/make.suggest$round")
	check "make round $round: no suggested line lifts a built-in protection or widens a write \
($bad)" [ -z "$bad" ]
	cat "$tmp/make.suggest$round" >>"$tmp/make.policy"
	out=$("$sb" check $strict "$tmp/make.policy" 2>&1)
	check "make round $round: the policy with the suggestions passes check $strict ($out)" \
		[ $? -eq 0 ]
	make_job
	rm -f "$tmp/make.enforce.log"
	got=$(cd "$c" && "$sb" run -p "$tmp/make.policy" --log "$tmp/make.enforce.log" -- \
		/usr/bin/make 2>&1 && ./prog)
	rc=$?
	if [ $rc -eq 0 ] && [ "$got" = "$(cat "$tmp/make.out")
5" ] && ! denied "$tmp/make.enforce.log"; then
		make_rounds=$round
		break
	fi
done
check "make: the build succeeds enforcing after ${make_rounds:-more than 2} learn round(s) \
(last: $rc, $(grep -m2 '"deny"' "$tmp/make.enforce.log" 2>/dev/null))" [ -n "$make_rounds" ]
check "make: gcc's temporaries became one stable pattern" \
	grep -qE '^path /tmp/cc\* .*generalised: [0-9]+ temporary name' "$tmp/make.policy"
if grep -qE '^path /tmp/cc[A-Za-z0-9]{6}' "$tmp/make.policy"; then
	not_ok "make: no temporary is suggested by its random name"
else
	ok "make: no temporary is suggested by its random name"
fi
check "make: names the build probed and did not find are refused as missing, not granted" \
	grep -qE '^path [^ ]+ deny errno ENOENT nolog +# .*no such file now' "$tmp/make.policy"
echo "top secret" >"$c/secret.mk"
refused make "$c" "$c/secret.mk" /usr/bin/make -f secret.mk

# --- 3: sh with a background job, wait and a pipe -------------------------------------------
s=$tmp/sh
mkdir -p "$s"
printf 'a\nb\nc\n' >"$s/a"
learn sh "$s" 3 /bin/sh -c 'sleep 0.1 & wait; cat a | wc -l'
check "sh: fork's clone is allowed with its flags only" \
	grep -qE '^allow clone if arg0 == 0x[0-9a-f]+ ' "$tmp/sh.policy"
echo "top secret" >"$s/secret.txt"
refused sh "$s" "$s/secret.txt" /bin/sh -c 'sleep 0.1 & wait; cat secret.txt | wc -l; cat a secret.txt'

# The same job over the notify transport (no runtime in the program: every call reaches the
# broker through the kernel's notification), whose records carry the arguments too.
learn sh-notify "$s" 3 /usr/bin/env -u SYSBROKER_FD /bin/sh -c 'sleep 0.1 & wait; cat a | wc -l'
check "sh over notify: the records say notify, and fork's clone has its flags" \
	$logmatch "$tmp/sh-notify.learn1.log" syscall=clone transport=notify args~=0x
check "sh over notify: fork's clone is allowed with its flags only" \
	grep -qE '^allow clone if arg0 == 0x[0-9a-f]+ ' "$tmp/sh-notify.policy"
refused sh-notify "$s" "$s/secret.txt" /usr/bin/env -u SYSBROKER_FD /bin/sh -c \
	'sleep 0.1 & wait; cat secret.txt | wc -l; cat a secret.txt'

# --- the built-in set through the loop ------------------------------------------------------
# A namespace clone: refused when learning, not suggested (a comment says why), and still
# refused by the policy with the suggestions.
nsd=$tmp/ns
mkdir -p "$nsd"
cat >"$nsd/ns.py" <<'EOF'
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
pid = libc.syscall(56, 0x10000000 | 17, 0, 0, 0, 0)  # clone(CLONE_NEWUSER | SIGCHLD)
if pid == 0:
    os._exit(0)
if pid > 0:
    os.waitpid(pid, 0)
    print("ns-clone ran")
else:
    print("ns-clone", os.strerror(ctypes.get_errno()))
EOF
learn ns "$nsd" "ns-clone Operation not permitted" $py ns.py
check "ns: the namespace clone is logged as denied by the built-in set" \
	$logmatch "$tmp/ns.learn1.log" syscall=clone decision=deny rule=builtin args~=0x10000011
check "ns: ... and the suggestion says why it is not suggested" \
	grep -qE '^# not suggested: clone if arg0 == 0x10000011 .*built-in' "$tmp/ns.suggest1"
learn ns-notify "$nsd" "ns-clone Operation not permitted" /usr/bin/env -u SYSBROKER_FD $py ns.py
check "ns over notify: the namespace clone is denied by the built-in set, not suggested" \
	grep -qE '^# not suggested: clone if arg0 == 0x10000011 .*built-in' "$tmp/ns-notify.suggest1"
printf 'sysbroker-policy 1\ninclude %s\n' "$start" >"$tmp/unshare.policy"
"$sb" run --learn -p "$tmp/unshare.policy" --log "$tmp/unshare.log" -- /usr/bin/unshare -U true \
	>/dev/null 2>&1
"$sb" audit --suggest --policy "$tmp/unshare.policy" "$tmp/unshare.log" >"$tmp/unshare.suggest"
check "unshare: not suggested, with the reason" \
	grep -qE '^# not suggested: unshare .*built-in' "$tmp/unshare.suggest"
cat "$tmp/unshare.suggest" >>"$tmp/unshare.policy"
out=$("$sb" run -p "$tmp/unshare.policy" -- /usr/bin/unshare -U true 2>&1)
rc=$?
check "unshare -U true still fails under the policy with the suggestions ($rc: $out)" \
	[ $rc -ne 0 ]
case $out in
*"Operation not permitted"*) ok "... refused by the built-in set (EPERM)" ;;
*) not_ok "... refused by the built-in set (EPERM): $out" ;;
esac

# A line an included rule outranks is a comment saying so, never a line that changes nothing.
wx=$(grep -n '^deny mmap mprotect' "$src/examples/policies/runtime.policy" | cut -d: -f1)
cat >"$tmp/wx.log" <<EOF
{"v":2,"time":"2026-01-01T00:00:00.000Z","pid":4242,"exe":"/usr/bin/node","syscall":"mprotect","nr":10,"args":["0x7f0000000000","0x1000","0x7","0x0","0x0","0x0"],"decision":"would-deny","errno":"EACCES","rule":"$src/examples/policies/runtime.policy:$wx","transport":"trap"}
EOF
"$sb" audit --suggest --policy "$start" "$tmp/wx.log" >"$tmp/wx.suggest"
check "mprotect vs W^X: the outranked line is a comment naming the rule" \
	grep -qE "^# not suggested, it would change nothing: allow mprotect is outranked by .*runtime.policy:$wx" \
	"$tmp/wx.suggest"
if grep -q '^allow mprotect' "$tmp/wx.suggest"; then
	not_ok "mprotect vs W^X: no allow mprotect line"
else
	ok "mprotect vs W^X: no allow mprotect line"
fi

# --- learn mode without a log ---------------------------------------------------------------
out=$("$sb" run --learn -p "$start" -- /bin/true 2>&1)
rc=$?
check "run --learn without --log is refused ($rc)" [ $rc -eq 125 ] || [ $rc -eq 2 ]
case $out in
*"--learn needs --log"*) ok "... with the reason ($out)" ;;
*) not_ok "... with the reason ($out)" ;;
esac

echo "1..$n"
exit $fail
