#!/bin/sh
# The syscall walk: tests/security/walk.c calls every syscall number from 0 to 64 past the
# highest number the table classifies (walk-classes prints it: never hard-coded), each in a fresh
# child, with its arguments pointing at a victim outside every grant in several layouts (path
# first, dirfd + path, AT_FDCWD + path, two paths, the *xattrat and file_setattr layouts, and
# through a symlink inside the grant). Twice per transport (dynamic: trap; static: notify), under
# `default syscall allow` and `default syscall deny`, each granting only a scratch work tree.
# One TAP line per (transport, policy, class of failure), the failing numbers in the message:
#   - the walk finished;
#   - no call changed the victim (the walker pins a change on the call that made it);
#   - the victim's content, mode, owner, times and xattrs, and its directory, are unchanged, and
#     nothing appeared outside the work tree;
#   - unknown numbers are answered ENOSYS;
#   - every refusal of a path-taking call (EACCES, ENOSYS) has a deny record naming the call;
#   - every unknown number's refusal has a record carrying the number.
# The walker runs as nobody, in its own session and IPC namespace: a kill(2) with a stray pid
# cannot reach the test runner, and the queues and segments it creates do not outlive it.
#     test-walk.sh SYSBROKER SOURCE_ROOT WALK WALK_STATIC WALK_CLASSES
# WALK_TRANSPORTS=dynamic (or static) walks one build only; WALK_KEEP=1 keeps the walker's output
# and the logs (the directory is named in the output).
set -u
sb=$1
src=$(cd "$2" && pwd)
walk_dyn=$3
walk_static=$4
classes=$5
unset LD_LIBRARY_PATH

n=0
ok() { n=$((n + 1)); echo "ok $n - $(printf '%s' "$1" | tr '\n' ' ')"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $(printf '%s' "$1" | tr '\n' ' ')"; }
# verdict DESC LIST: ok when LIST is empty, else not ok with the list.
verdict() {
	if [ -z "$2" ]; then ok "$1"; else not_ok "$1: $2"; fi
}

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root (sysbroker run --user nobody, a victim owned by nobody)"
	exit 0
fi
if ! unshare --ipc true 2>/dev/null; then
	echo "1..0 # SKIP cannot make an IPC namespace"
	exit 0
fi
if ! id nobody >/dev/null 2>&1; then
	echo "1..0 # SKIP no user nobody"
	exit 0
fi
tmp=$(mktemp -d /tmp/sb-walk.XXXXXX)
chmod 755 "$tmp"
trap '[ -n "${WALK_KEEP:-}" ] || rm -rf "$tmp"' EXIT
cp "$walk_dyn" "$tmp/walk"
cp "$walk_static" "$tmp/walk-static"
chmod 755 "$tmp/walk" "$tmp/walk-static"
"$classes" >"$tmp/classes"
highest=$(sed -n 's/^highest //p' "$tmp/classes")
hi=$((highest + 64))
echo "# the table's highest number: $highest; walking 0..$hi in $tmp"

out=$tmp/out   # the victim's directory: root's, 0777 (nobody could write there but for sysbroker)
victim=$out/victim
work=$tmp/work # the only grant
text="VICTIM-$$-$(date +%s%N)"
nobody=$(id -u nobody)
# Can this mount's atime show a read? (noatime cannot: then atime is not compared.)
echo x >"$tmp/atime-probe"
touch -a -d '2 days ago' "$tmp/atime-probe"
a0=$(stat -c %X "$tmp/atime-probe")
cat "$tmp/atime-probe" >/dev/null
atime_kept=0
[ "$(stat -c %X "$tmp/atime-probe")" != "$a0" ] && atime_kept=1
rm -f "$tmp/atime-probe"
rdir=$tmp/results # the walker's output and the logs: not part of the watched tree
mkdir "$rdir"
mkvictim() {
	rm -rf "$out" "$work"
	mkdir -m 0777 "$out"
	chmod 0777 "$out"
	printf '%s\n' "$text" >"$victim"
	chown nobody "$victim"
	chmod 0666 "$victim"
	/usr/bin/python3 -c 'import os, sys; os.setxattr(sys.argv[1], "user.walk", b"orig")' "$victim"
	touch -m -d '1 day ago' "$victim"
	touch -a -d '2 days ago' "$victim"
	mkdir "$work"
	chown nobody "$work"
	ln -s "$victim" "$work/link"
	state0=$(state)
}
state() { # the victim as root sees it: stat, and a read with O_NOATIME (atime stays)
	stat -c 'mode=%a uid=%u gid=%g size=%s mtime=%Y.%y ctime=%Z.%z nlink=%h' "$victim"
	[ $atime_kept = 1 ] && stat -c 'atime=%X' "$victim"
	/usr/bin/python3 -c 'import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NOATIME)
print("content=%r" % os.read(fd, 4096))
for x in sorted(os.listxattr(fd)):
    print("xattr %s=%r" % (x, os.getxattr(fd, x)))' "$victim" 2>&1
	echo "dir=$(ls -A "$out" | tr '\n' ' ')"
	echo "tmp=$(ls -A "$tmp" | tr '\n' ' ')"
}

for p in allow deny; do
	cat >"$tmp/$p.policy" <<P
sysbroker-policy 1
include $src/examples/policies/runtime.policy
default syscall $p errno ENOSYS log
default path deny errno EACCES log
# What the walker itself does between calls.
allow clone fork wait4 kill setpgid rt_sigtimedwait rt_sigprocmask clock_gettime
allow fstat getdents64 lseek write
path $tmp/walk read exec
path $tmp/walk-static read exec
path $work/** read write create delete list
P
done
sed -i 's/^default syscall allow errno ENOSYS log/default syscall allow/' "$tmp/allow.policy"

# names NUMBERS...: "nr(name)" for each, from the table.
names() {
	for x in "$@"; do
		printf '%s(%s) ' "$x" "$(awk -v n="$x" '$1 == n { print $3 }' "$tmp/classes")"
	done
}
# ranges: a sorted list of numbers on stdin, runs folded to lo-hi.
ranges() {
	awk 'NR == 1 { lo = $1; prev = $1; next }
	     $1 == prev + 1 { prev = $1; next }
	     { printf "%s ", (lo == prev ? lo : lo "-" prev); lo = $1; prev = $1 }
	     END { if (NR) printf "%s", (lo == prev ? lo : lo "-" prev) }'
}

# The control: natively (as nobody, no sandbox) the walker's layouts do reach the victim, so the
# walk can see a hole.
nr_of() { awk -v x="$1" '$3 == x { print $1 }' "$tmp/classes"; }
missed=""
for x in unlink chmod truncate rename setxattr utimensat fchmodat unlinkat renameat2 linkat; do
	mkvictim
	nr=$(nr_of $x)
	(cd "$work" && /usr/bin/python3 -c 'import os, sys
for i, (path, flags) in enumerate([(sys.argv[1], os.O_PATH), (sys.argv[2], os.O_RDONLY)]):
    fd = os.open(path, flags)
    os.dup2(fd, 2 * i)
    os.close(fd)
os.execv(sys.argv[3], sys.argv[3:])' "$victim" "$out" "$(command -v setpriv)" --reuid=nobody \
		--regid="$(id -g nobody)" --clear-groups "$tmp/walk" walk "$nr" "$nr" "$victim" "$out/new" \
		>"$rdir/control") 2>/dev/null
	grep -q " changed " "$rdir/control" || missed="$missed$x "
done
verdict "control: natively, the walk's layouts change the victim with each of unlink chmod truncate rename setxattr utimensat fchmodat unlinkat renameat2 linkat" "$missed"

for v in ${WALK_TRANSPORTS:-dynamic static}; do
	if [ $v = dynamic ]; then
		bin=$tmp/walk transport=trap
	else
		bin=$tmp/walk-static transport=notify
	fi
	for p in allow deny; do
		T="$v ($transport), default syscall $p"
		mkvictim
		log=$rdir/$v-$p.log
		res=$rdir/$v-$p.out
		: >"$log"
		start=$(date +%s)
		# Its own IPC namespace: msgget, shmget and mq_open succeed under `default syscall
		# allow`, and their objects go with the namespace.
		# fd 0: the victim, O_PATH (the walker fstats it; no call can read or map it); fd 2: the
		# victim's directory (the dirfd of the "dirfd" layouts). The broker's own stderr goes
		# there too: lost.
		/usr/bin/python3 -c 'import os, sys
for i, (path, flags) in enumerate([(sys.argv[1], os.O_PATH), (sys.argv[2], os.O_RDONLY)]):
    fd = os.open(path, flags)
    os.dup2(fd, 2 * i)
    os.close(fd)
os.execv(sys.argv[3], sys.argv[3:])' "$victim" "$out" "$(command -v setsid)" \
			unshare --ipc "$sb" run -u nobody --log "$log" -p "$tmp/$p.policy" --cwd "$work" \
			--timeout 170 -- "$bin" walk 0 "$hi" "$victim" "$out/new" \
			>"$res"
		rc=$?
		echo "# $T: $(($(date +%s) - start)) s, exit $rc, $(wc -l <"$res") results, $(wc -l <"$log") records"
		if tail -1 "$res" | grep -qx done; then
			ok "$T: the walk finished"
		else
			not_ok "$T: the walk finished (exit $rc; last: $(tail -1 "$res"))"
		fi

		# Changes pinned on a call.
		verdict "$T: no call changed the victim or its directory" \
			"$(awk '$3 == "changed" { printf "%s/%s:%s ", $1, $2, $4 }' "$res")"
		now=$(state)
		verdict "$T: the victim (content, mode, owner, times, xattrs), its directory and the tree outside the grant are unchanged" \
			"$(printf '%s\n' "$state0" "$now" | sort | uniq -u | tr '\n' ' ')"

		# Unknown numbers answer ENOSYS.
		bad=$(awk 'FNR == NR { c[$1] = $2; next }
			   c[$1] == "unknown" && $3 != "errno=38" && $3 != "timeout" { print $1 }' \
			"$tmp/classes" "$res" | sort -un | ranges)
		verdict "$T: unknown numbers are refused with ENOSYS" "$bad"

		# Every refusal of a path-taking call is on the record, by name.
		missing=""
		for x in $(awk 'FNR == NR { c[$1] = $2; nm[$1] = $3; next }
			       (c[$1] == "brokered" || c[$1] == "refused") &&
			       ($3 == "errno=13" || $3 == "errno=38") { print nm[$1] }' \
			"$tmp/classes" "$res" | sort -u); do
			grep -q "\"syscall\":\"$x\".*\"decision\":\"deny\"" "$log" || missing="$missing$x "
		done
		verdict "$T: every EACCES/ENOSYS of a path-taking call has a deny record naming the call" \
			"$missing"

		# Every unknown number's refusal is on the record, with the number.
		missing=$(awk 'FNR == NR { c[$1] = $2; next }
			       c[$1] == "unknown" && $3 == "errno=38" { print $1 }' \
			"$tmp/classes" "$res" | sort -un | while read -r x; do
			grep -Eq "\"(syscall|nr)\":\"?$x\"?[,}].*\"decision\":\"deny\"|\"decision\":\"deny\".*\"(syscall|nr)\":\"?$x\"?[,}]" "$log" ||
				echo "$x"
		done | ranges)
		verdict "$T: every refused unknown number has a deny record carrying the number" "$missing"
		shown=$(grep '"syscall":"?"' "$log" | head -1)
		[ -n "$shown" ] && echo "# $T: records of unknown numbers look like: $shown"

		# The walker's calls came over the transport under test.
		if grep '"decision":"deny"' "$log" | grep -v '"syscall":"?"' |
			grep -q "\"transport\":\"$transport\""; then
			ok "$T: the refusals came over $transport"
		else
			not_ok "$T: the refusals came over $transport"
		fi

		# Diagnostics, not verdicts: path-free calls that succeeded with the victim's path in
		# the first argument, and calls that outlived their time.
		echo "# $T: path-free calls that succeeded with a path first: $(names $(awk 'FNR == NR { c[$1] = $2; next }
			c[$1] == "path-free" && ($2 ~ /^path/ || $2 ~ /^link/) && $3 ~ /^ret=/ { print $1 }' \
			"$tmp/classes" "$res" | sort -un))"
		echo "# $T: timed out: $(awk '$3 == "timeout" { print $1 }' "$res" | sort -un | tr '\n' ' ')"
	done
done
echo "1..$n"
