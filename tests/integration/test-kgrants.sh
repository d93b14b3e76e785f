#!/bin/sh
# Kernel grants change speed, never results: the same granted opens, stats and listings (coreutils
# over the trap, a static program over notify) give the same output natively, under `sysbroker
# run` with the kernel enforcing the static grants, and with `kernel-grants off`; and the log says
# once which of the two it was.
# The C library's stat family is answered without a trap where the kernel decides (the fast path).
# And another preloaded library that wraps stat still has the last word.
#     test-kgrants.sh SYSBROKER SOURCE_ROOT KGRANT_STATIC FASTPATH_PROBE FAKE_STAT_SO LOCK_PROBE
set -u
sb=$1
src=$2
kg_static=$3
fp_probe=$4
fake_stat=$5
lock_probe=$6
unset LD_LIBRARY_PATH
n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); fail=1; echo "not ok $n - $1"; }
check() {
	d=$1
	shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}
tmp=$(mktemp -d /tmp/sb-kgi.XXXXXX)
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
g=$tmp/g
mkdir -p "$g/a/b" "$g/c" "$g/p"
echo probe >"$g/p/f"
for i in 1 2 3; do echo "line $i" >"$g/a/f$i"; done
echo deep >"$g/a/b/deep"
ln -s a/f1 "$g/rel"
ln -s ../../secret "$g/c/out"
echo secret >"$tmp/secret"
chmod 600 "$g/a/f3"
chmod -R a+rX "$g"
cp "$kg_static" "$tmp/kg-static"
cp "$fp_probe" "$tmp/fp-probe"
cp "$fake_stat" "$tmp/fake-stat.so"
cp "$lock_probe" "$tmp/lock-probe"
cat >"$tmp/on.policy" <<P
sysbroker-policy 1
include $src/examples/policies/runtime.policy
default syscall allow
default path deny errno EACCES log
path /usr/** read list stat exec
path /etc/** read list stat
path /tmp stat
path $tmp stat
path $tmp/kg-static read exec
path $tmp/fp-probe read exec
path $tmp/lock-probe read exec
path $tmp/fake-stat.so read
path $tmp/work.sh read
path $tmp/work.py read
path $g read list stat
path $g/** read list stat
path $g/a/b/deep deny
P
printf 'sysbroker-policy 1\ninclude %s\nkernel-grants off\n' "$tmp/on.policy" >"$tmp/off.policy"

# The same reads and stats, output made comparable.
cat >"$tmp/work.sh" <<W
cd "$g" || exit 1
stat -c '%n|%s|%a|%i|%F|%h|%u' . a a/b a/f1 a/f2 a/f3 rel c c/out a/b/deep 2>&1 | sed 's/^stat: //'
stat -L -c '%n|%s|%i' rel c/out 2>&1 | sed 's/^stat: //'
cat a/f1 a/f2 "$g/a/f3" a/b/deep c/out 2>&1 | sed 's/^cat: //'
find "$g" -printf '%p %y %s\\n' 2>&1 | sort
head -c 3 "$g/rel"; echo
"$tmp/kg-static" open o1 "$g/a/f1" stat s1 "$g/a/f2" open o2 "$g/c/out" stat s2 "$g/a/b/deep" \\
	open o3 "$g/a/b/deep" stat s3 "$g/a"
python3 "$tmp/work.py"
# realpath: the C library's readlink of each prefix, which the fast path answers for it.
"$tmp/fp-probe" -r "$g/a/f1" "$g/a//f1" "$g/a/./f1" "$g/a/../a/f2" "$g/rel" "$g/c/out" \
	"$g/a/none" "$g/a/none/x/y" "$g/p/f" "$g/p/none" "$g/p/none/x/y" "$g/p/f/x" "$g/a/f1/x" \
	"$g/a/" "$g/a/b" "$g/a/b/deep" "$g/a/b/deep/x" \
	a/f1 rel "$g" /usr/lib /usr/lib/ / "" 2>&1 | sed "s|$tmp|TMP|g"
W
# The calls the C library makes for Python, each by every form the direct try serves: relative to
# the cwd and to a dirfd, readlink of files, directories, symlinks and missing names, the C
# library's fstat (newfstatat with AT_EMPTY_PATH) of open fds, a closed one and the cwd.
cat >"$tmp/work.py" <<'Y'
import errno, os
G = os.getcwd()
def t(what, f):
    try:
        r = f()
        if isinstance(r, os.stat_result):
            r = f"{r.st_ino}|{r.st_size}|{oct(r.st_mode)}|{r.st_nlink}"
        print(what, "ok", r)
    except OSError as e:
        print(what, errno.errorcode.get(e.errno, e.errno))
for p in ("a/f1", "a/f3", "rel", "c/out", "a/b/deep", "missing", "a/f1/x", "a/../a/f2", "a//f1", "./a"):
    t("stat " + p, lambda: os.stat(p))
    t("lstat " + p, lambda: os.lstat(p))
    t("readlink " + p, lambda: os.readlink(p))
    t("open " + p, lambda: len(os.read(os.open(p, os.O_RDONLY), 64)))
    for m, mn in ((os.F_OK, "F"), (os.R_OK, "R"), (os.W_OK, "W"), (os.X_OK, "X")):
        t("access %s %s" % (mn, p), lambda: os.access(p, m))
        t("access nofollow %s %s" % (mn, p), lambda: os.access(p, m, follow_symlinks=False))
for p in ("/usr", "/usr/lib", "/etc", "a/", "rel/", "", "/proc/self/exe", "/proc/self/cwd",
          os.getcwd(), os.path.dirname(os.getcwd())):
    t("readlink " + p.replace(os.path.dirname(os.getcwd()), "TMP"), lambda: os.readlink(p))
# Absolute names with "..", which stay in the tree, climb out of it (to the secret, into /proc),
# or name the denied file: the broker's, with or without kernel grants.
for p in (G + "/a/../a/f2", G + "/a/b/../f1", G + "/a/b/../../p/f", G + "/a/b/../b/deep",
          G + "/a/../../secret", G + "/../g/a/f1", "/usr/../usr/bin/env", "/../../usr/bin/env",
          "/usr/bin/../../proc/self/exe", G + "/rel/../a/f1", G + "/c/out/../f", G + "/a/..",
          G + "/a/none/../f1", G + "/a/../none", G + "/a/../none/x/y", G + "/a/f1/.."):
    w = p.replace(G, "G")
    t("dotdot stat " + w, lambda: os.stat(p))
    t("dotdot lstat " + w, lambda: os.lstat(p))
    t("dotdot open " + w, lambda: len(os.read(os.open(p, os.O_RDONLY), 64)))
    t("dotdot access " + w, lambda: os.access(p, os.R_OK))
    t("dotdot readlink " + w, lambda: os.readlink(p))
# Missing names, one to five components deep, by absolute and relative names.
for p in ("a/none", "a/none/x/y/z", "a/none/w/x/y/z", "c/out/none", "rel/none"):
    for q in (p, os.path.join(os.getcwd(), p)):
        w = q.replace(os.getcwd(), "G")
        t("missing stat " + w, lambda: os.stat(q))
        t("missing readlink " + w, lambda: os.readlink(q))
        t("missing open " + w, lambda: os.open(q, os.O_RDONLY) and "fd")
        t("missing access " + w, lambda: os.access(q, os.F_OK))
# Read-only but appending, by relative and absolute names in the whole tree: the broker asks
# "write" for it, which the policy does not grant.
for p in ("a/f1", "p/f", os.path.join(os.getcwd(), "p/f"), "p/none",
          os.path.join(os.getcwd(), "p/none")):
    t("open append " + p.replace(os.getcwd(), "G"),
      lambda: len(os.read(os.open(p, os.O_RDONLY | os.O_APPEND), 64)))
d = os.open("a", os.O_RDONLY | os.O_DIRECTORY)
for p in ("f1", "f3", "b", "b/deep", "../rel", "../c/out", "../../secret", "missing"):
    t("at stat " + p, lambda: os.stat(p, dir_fd=d))
    t("at lstat " + p, lambda: os.stat(p, dir_fd=d, follow_symlinks=False))
    t("at readlink " + p, lambda: os.readlink(p, dir_fd=d))
    t("at open " + p, lambda: len(os.read(os.open(p, os.O_RDONLY, dir_fd=d), 64)))
    t("at access " + p, lambda: os.access(p, os.R_OK, dir_fd=d))
    t("at access eff " + p, lambda: os.access(p, os.F_OK, dir_fd=d, effective_ids=True))
for p in ("a/f1", "c", "rel"):
    fd = os.open(p, os.O_RDONLY)
    t("fstat " + p, lambda: os.fstat(fd))
    os.close(fd)
    t("fstat closed " + p, lambda: os.fstat(fd))
t("fstat dir", lambda: os.fstat(d))
t("stat cwd", lambda: os.stat("."))
Y
native=$(sh "$tmp/work.sh")
for p in on off; do
	: >"$tmp/$p.log"
	out=$("$sb" run --log "$tmp/$p.log" -p "$tmp/$p.policy" -- /bin/sh "$tmp/work.sh" 2>&1)
	eval "out_$p=\$out"
done
case $(grep -o '"kernel":"[^"]*"' "$tmp/on.log") in
*'kernel grants: '[0-9]*' (Landlock ABI'*) ok "on: the log says the kernel enforces the grants" ;;
*) echo "1..0 # SKIP no kernel grants here: $(grep kernel-grants "$tmp/on.log")"; exit 77 ;;
esac
check "off: the log says there are none ($(grep -o '"kernel":"[^"]*"' "$tmp/off.log"))" \
	grep -q '"kernel":"no kernel grants: the policy says kernel-grants off"' "$tmp/off.log"
check "kernel grants on and off give the same output" [ "$out_on" = "$out_off" ]
[ "$out_on" = "$out_off" ] || { echo "# on:"; echo "$out_on" | sed 's/^/# /'; echo "# off:"; echo "$out_off" | sed 's/^/# /'; }
# Natively the denied file and the symlink out are readable: they differ there, and only there.
diff_native=$(printf '%s\n' "$native" >"$tmp/n"; printf '%s\n' "$out_on" >"$tmp/o"; diff "$tmp/n" "$tmp/o" | grep '^[<>]' | grep -v -e deep -e 'c/out' -e '^> o2 ' -e '^< o2 ' -e '^. secret$' -e 'o3 ' -e 's2 ' -e '\.\./\.\./secret' -e 'readlink /proc/self/' -e 'dotdot [a-z]* /usr/bin/../../proc/self/exe' -e 'access [WX] ' -e 'access nofollow [WX] ' -e 'open append ')
check "the sandbox differs from native only where the policy denies${diff_native:+: $diff_native}" [ -z "$diff_native" ]
for p in on off; do
	for f in "$g/a/b/deep" "$tmp/secret"; do
		check "$p: the denial of $f has its record" grep -q "\"path\":\"$f\".*\"decision\":\"deny\"" "$tmp/$p.log"
	done
done
# The fast path: with SIGSYS blocked for real, a call that traps kills the probe. With the kernel's
# grants every call it makes (in $g/p, a whole tree of the plan) is answered without one, as
# natively; without them the first one traps.
fp_native=$("$tmp/fp-probe" "$g/p/f" "$g/p" "$g/p/none" </dev/null 2>&1)
fp_on=$("$sb" run --log "$tmp/fp.log" -p "$tmp/on.policy" -- "$tmp/fp-probe" "$g/p/f" "$g/p" \
	"$g/p/none" </dev/null 2>&1)
# While the system's audit is on (another test may turn it on), only the handler tries.
if grep -q 'without the broker: recorded from the kernel' "$tmp/fp.log"; then
	check "fast path: off while the system's audit is on (the probe's first call traps)" \
		[ -z "$fp_on" ]
else
	check "fast path: the stat family made no trap, and answered as natively${fp_on:+ ($(echo "$fp_on" | tr '\n' ';'))}" \
		[ -n "$fp_on" ] && [ "$fp_on" = "$fp_native" ]
fi
# A blocking open that a signal interrupts (a FIFO without a writer, a handler without
# SA_RESTART) gets EINTR, as natively: the try must not hand it on to the handler, where it would
# wait again with every signal blocked (until the writer below comes, 5 s later: it opens
# read-write, which never waits, and the probe then says it opened the FIFO).
mkfifo "$tmp/fifo-native" "$g/p/fifo"
chmod a+r "$g/p/fifo"
fifo_native=$("$tmp/fp-probe" -f "$tmp/fifo-native" 2>&1)
(
	sleep 5
	exec 3<>"$g/p/fifo"
	sleep 1
) </dev/null >/dev/null 2>&1 &
writer=$!
fifo_on=$("$sb" run --log "$tmp/fifo.log" -p "$tmp/on.policy" -- "$tmp/fp-probe" -f "$g/p/fifo" \
	</dev/null 2>&1)
kill $writer 2>/dev/null
wait $writer 2>/dev/null
if grep -q 'without the broker: recorded from the kernel' "$tmp/fifo.log"; then
	check "fifo: the fast path is off while the system's audit is on, nothing to check" true
else
	check "fast path: an interrupted FIFO open gets EINTR ($fifo_on; natively $fifo_native)" \
		[ "$fifo_on" = "$fifo_native" ] && [ "$fifo_native" = "open fifo: -1 Interrupted system call" ]
fi
rm -f "$g/p/fifo"
"$sb" run --log "$tmp/fp-off.log" -p "$tmp/off.policy" -- "$tmp/fp-probe" "$g/p/f" "$g/p" \
	"$g/p/none" </dev/null >"$tmp/fp-off.out" 2>&1
rc=$?
check "without kernel grants the same calls trap: the probe dies (exit $rc, no output)" \
	[ "$rc" -ne 0 ] && [ ! -s "$tmp/fp-off.out" ]
# A library preloaded after the runtime that wraps stat (fakeroot's kind) sees every call.
fake_py="import os; print(os.stat('$g/p/f').st_size, os.lstat('$g/p/f').st_size)"
fake_native=$(LD_PRELOAD="$tmp/fake-stat.so" /usr/bin/python3 -c "$fake_py" 2>&1)
for p in on off; do
	# Added inside the sandbox, after the runtime: sysbroker itself runs without it (a
	# sanitizer build refuses a preloaded library ahead of its runtime).
	fake_out=$(FAKE="$tmp/fake-stat.so" PY="$fake_py" "$sb" run --log "$tmp/fake-$p.log" \
		-p "$tmp/$p.policy" -- /bin/sh -c \
		'LD_PRELOAD="$LD_PRELOAD:$FAKE" exec /usr/bin/python3 -c "$PY"' 2>&1)
	check "$p: a preloaded stat wrapper still answers ($fake_out; natively $fake_native)" \
		[ "$fake_out" = "$fake_native" ] && [ "$fake_native" = "4242 6" ]
done
# Closing any fd of a file drops every POSIX record lock the process holds on it (fcntl(2)), and
# the try answers a stat, an access or a readlink by an open and a close: once the program takes
# such a lock, the try opens directories only. A stat, access and readlink of a file the program
# has locked leave the lock in place, as natively; a second process sees it.
lock_py='
import fcntl, os, struct, sys
f = sys.argv[1]
fd = os.open(f, os.O_RDONLY)
def held():
    pid = os.fork()
    if pid == 0:
        c = os.open(f, os.O_RDONLY)
        r = fcntl.fcntl(c, fcntl.F_GETLK, struct.pack("hhqqi", fcntl.F_WRLCK, 0, 0, 0, 0))
        os._exit(0 if struct.unpack("hhqqi", r)[0] != fcntl.F_UNLCK else 1)
    return os.waitpid(pid, 0)[1] == 0
os.stat(f)
for what, call in (("stat", lambda: os.stat(f)), ("access", lambda: os.access(f, os.R_OK)),
                   ("readlink", lambda: os.readlink(f)), ("realpath", lambda: os.path.realpath(f))):
    fcntl.lockf(fd, fcntl.LOCK_SH)
    try:
        call()
    except OSError:
        pass
    print("after", what, "locked" if held() else "unlocked")
    fcntl.lockf(fd, fcntl.LOCK_UN)'
lock_native=$(/usr/bin/python3 -c "$lock_py" "$g/p/f" 2>&1)
for p in on off; do
	lock_out=$("$sb" run --log "$tmp/lock-$p.log" -p "$tmp/$p.policy" -- /usr/bin/python3 -c "$lock_py" "$g/p/f" 2>&1)
	check "$p: a POSIX lock outlives a stat, access, readlink and realpath of its file ($(echo "$lock_out" | tr '\n' ' '))" \
		[ "$lock_out" = "$lock_native" ] && [ "$(echo "$lock_native" | grep -c ' locked$')" = 4 ]
done
# What that means to SQLite: a writer in the sandbox holds a write transaction (its RESERVED
# lock, a POSIX lock); a second writer outside must be told "database is locked". In a tree the
# sandbox may write, which is still a kernel grant (its directory stays).
w=$tmp/w
mkdir "$w"
chmod 777 "$w"
cat >"$tmp/w.policy" <<P
sysbroker-policy 1
include $tmp/on.policy
path $w read list stat
path $w/** read list stat write create delete
P
printf 'sysbroker-policy 1\ninclude %s\nkernel-grants off\n' "$tmp/w.policy" >"$tmp/w-off.policy"
wait_for() { # wait_for FILE: up to 30 s
	i=0
	while [ ! -e "$1" ] && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}
sql() { # sql RUNNER...: writer A under RUNNER, writer B outside once A holds its lock
	rm -f "$w/db" "$w/db-journal" "$w/a-locked" "$w/b-done"
	/usr/bin/python3 -c "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute('create table t(x)'); c.commit()" "$w/db"
	chmod 666 "$w/db"
	"$@" /usr/bin/python3 -c '
import os, sqlite3, sys, time
c = sqlite3.connect(sys.argv[1] + "/db", isolation_level=None, timeout=0)
c.execute("begin immediate")
c.execute("insert into t values (1)")
os.stat(sys.argv[1] + "/db")
open(sys.argv[1] + "/a-locked", "w").close()
for i in range(300):
    if os.path.exists(sys.argv[1] + "/b-done"):
        break
    time.sleep(0.1)
try:
    c.execute("commit")
    print("A: committed")
except sqlite3.Error as e:
    print("A:", e)' "$w" 2>&1 &
	a=$!
	wait_for "$w/a-locked"
	/usr/bin/python3 -c '
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=0)
try:
    c.execute("begin immediate")
    print("B: got the write lock too")
    c.execute("rollback")
except sqlite3.Error as e:
    print("B:", e)' "$w/db" 2>&1
	touch "$w/b-done"
	wait $a
	/usr/bin/python3 -c "import sqlite3, sys; print('rows', sqlite3.connect(sys.argv[1]).execute('select count(*) from t').fetchone()[0])" "$w/db"
}
if /usr/bin/python3 -c 'import sqlite3' 2>/dev/null; then
	sql_native=$(sql)
	for p in w w-off; do
		sql_out=$(sql "$sb" run --log "$tmp/sql-$p.log" -p "$tmp/$p.policy" --)
		check "$p: SQLite's write lock holds against a second writer ($(echo "$sql_out" | tr '\n' ' '); natively $(echo "$sql_native" | tr '\n' ' '))" \
			[ "$sql_out" = "$sql_native" ]
	done
fi
# The wait for other threads' tries before a first lock (sb_kg_no_files()) must not hang. A child
# forked while another thread is inside a try inherits the count of tries under way, whose thread
# it does not have. A thread whose try is a blocking open (a FIFO without a writer) must not hold
# a lock in another thread, which was to open the writer after its lock. A try left by a
# siglongjmp (an open of a FIFO given up after alarm(1)) never lowers the count. Each of these
# waited forever before the wait was bounded and blocking opens were left uncounted. (A signal
# handler's first lock on the file its own thread is stat'ing, in the instructions between the
# try's last look and its close, can still be lost: `lock-probe -s FILE RUNS` counts it,
# docs/threat-model.md.)
: >"$w/lf"
mkfifo "$w/lfifo"
chmod a+r "$w/lf" "$w/lfifo"
lp_native_F=$("$tmp/lock-probe" -F "$w/lf" 2>&1)
lp_native_p=$(timeout 10 "$tmp/lock-probe" -p "$w/lf" "$w/lfifo" 2>&1)
lp_native_j=$(timeout 10 "$tmp/lock-probe" -j "$w/lf" "$w/lfifo" 2>&1)
for p in w w-off; do
	lp_F=$(timeout 150 "$sb" run --log "$tmp/lp-$p.log" -p "$tmp/$p.policy" -- "$tmp/lock-probe" -F "$w/lf" 2>&1)
	check "$p: a child forked while another thread stats takes its lock ($lp_F; natively $lp_native_F)" \
		[ "$lp_F" = "$lp_native_F" ] && [ "$lp_native_F" = "children stuck in their lock: 0" ]
	lp_p=$(timeout 10 "$sb" run --log "$tmp/lp-$p.log" -p "$tmp/$p.policy" -- "$tmp/lock-probe" -p "$w/lf" "$w/lfifo" 2>&1)
	check "$p: a lock while another thread waits in a FIFO's open ($(echo "$lp_p" | tr '\n' ' '); natively $(echo "$lp_native_p" | tr '\n' ' '))" \
		[ "$lp_p" = "$lp_native_p" ] && [ -n "$lp_native_p" ]
	lp_j=$(timeout 10 "$sb" run --log "$tmp/lp-$p.log" -p "$tmp/$p.policy" -- "$tmp/lock-probe" -j "$w/lf" "$w/lfifo" 2>&1)
	check "$p: a lock after another thread's try was left by a siglongjmp ($(echo "$lp_j" | tr '\n' ' '); natively $(echo "$lp_native_j" | tr '\n' ' '))" \
		[ "$lp_j" = "$lp_native_j" ] && [ "$(echo "$lp_native_j" | tail -n 1)" = "lock: ok" ]
done
echo "1..$n"
exit $fail
