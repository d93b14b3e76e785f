#!/bin/sh
# Job control through a real terminal, as without the sandbox: an interactive bash in a pty runs
# `sysbroker run -- cat`; ^Z stops it and gives the prompt back, `fg` resumes it with the
# terminal (cat echoes again), ^C then ends it; `bg` resumes it in the background, where a read
# from the terminal stops it again, and `fg` brings it back.
#     test-jobs.sh SYSBROKER SOURCE_ROOT
set -u
sb=$1
src=$(cd "$2" && pwd)
bash=$(command -v bash) || {
	echo "1..0 # SKIP no bash (the job-control shell of this test)"
	exit 0
}
tmp=$(mktemp -d /tmp/sb-jobs.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/cat.policy" <<EOF
sysbroker-policy 1
include $src/examples/policies/coreutils.policy
EOF
exec python3 - "$sb" "$tmp/cat.policy" "$bash" <<'PY'
import os, pty, select, sys, time

sb, policy, bash = sys.argv[1:4]
n = 0
failed = 0


def result(good, what, detail=""):
    global n, failed
    n += 1
    if not good:
        failed += 1
    print("%s %d - %s%s" % ("ok" if good else "not ok", n, what,
                             "" if good else ": " + detail.replace("\n", "\\n")[-400:]))


pid, fd = pty.fork()
if pid == 0:
    os.environ.update(PS1="PROMPT$ ", TERM="dumb")
    os.execv(bash, [bash, "--norc", "--noprofile", "-i"])

buf = b""


def expect(pattern, timeout=10.0):
    """Read until pattern appears after what was already consumed; True if it did."""
    global buf
    end = time.monotonic() + timeout
    while pattern.encode() not in buf:
        left = end - time.monotonic()
        if left <= 0:
            return False
        r, _, _ = select.select([fd], [], [], left)
        if r:
            try:
                data = os.read(fd, 4096)
            except OSError:
                return False
            if not data:
                return False
            buf += data
    i = buf.index(pattern.encode()) + len(pattern)
    buf = buf[i:]
    return True


def send(s):
    os.write(fd, s.encode())


result(expect("PROMPT$ "), "bash is interactive in a pty")
send("%s run -p %s -- cat\n" % (sb, policy))
time.sleep(1.0)
send("hello-1\n")
result(expect("hello-1\r\nhello-1"), "cat under sysbroker has the terminal", buf.decode(errors="replace"))
send("\x1a")  # ^Z
ok = expect("Stopped") and expect("PROMPT$ ")
result(ok, "^Z stops the job and the shell's prompt comes back", buf.decode(errors="replace"))
send("fg\n")
time.sleep(1.0)
send("hello-2\n")
result(expect("hello-2\r\nhello-2"), "fg resumes it with the terminal", buf.decode(errors="replace"))
send("\x1a")
ok = expect("Stopped") and expect("PROMPT$ ")
result(ok, "a second ^Z stops it again", buf.decode(errors="replace"))
send("bg\n")
# In the background, cat's read of the terminal stops it (SIGTTIN): the job shows as stopped.
time.sleep(1.0)
send("jobs\n")
ok = expect("Stopped") and expect("PROMPT$ ")
result(ok, "bg: reading the terminal in the background stops it again", buf.decode(errors="replace"))
send("fg\n")
time.sleep(1.0)
send("hello-3\n")
result(expect("hello-3\r\nhello-3"), "fg after bg brings it back", buf.decode(errors="replace"))
send("\x03")  # ^C
ok = expect("PROMPT$ ")
send("echo status=$?\n")
ok = ok and expect("status=130")
result(ok, "^C ends it; the shell sees status 130", buf.decode(errors="replace"))
send("exit\n")
try:
    os.waitpid(pid, 0)
except ChildProcessError:
    pass
print("1..%d" % n)
sys.exit(1 if failed else 0)
PY
