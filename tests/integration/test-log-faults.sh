#!/bin/sh
# The audit log under faults (docs/sysbroker-audit.5, "When the log cannot be written"):
#  - a full file system: every record in the file is whole (never cut), the failure is said on
#    stderr, and run exits 125; with log-failure stop (the default) the sandbox is stopped at the
#    first record it cannot write, with continue it runs on, and when space returns a
#    "log-error" record counts what was lost before the next record;
#  - /dev/full: the same, with nothing written;
#  - a denial flood: control records (reload-error) are never rate-limited away.
#     test-log-faults.sh SYSBROKER SOURCE_ROOT
set -u
sb=$1
src=$(cd "$2" && pwd)
. "$src/tests/tap.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root (mounts a small tmpfs to fill)"
	exit 0
fi
tmp=$(mktemp -d /tmp/sb-logfault.XXXXXX)
chmod 755 "$tmp"
mnt=$tmp/full
mkdir "$mnt"
if ! mount -t tmpfs -o size=256k tmpfs "$mnt" 2>/dev/null; then
	rmdir "$mnt"
	rm -rf "$tmp"
	echo "1..0 # SKIP cannot mount a tmpfs here"
	exit 0
fi
trap 'umount "$mnt" 2>/dev/null; rm -rf "$tmp"' EXIT
mkdir "$tmp/work"
chmod 777 "$tmp/work"

cat >"$tmp/p.policy" <<EOF
sysbroker-policy 1
include $src/examples/policies/python3.policy
path $tmp/work/** read write create delete list
path $tmp/work stat list
EOF
# The program: PHASE1 denied opens, then $tmp/work/phase1, then wait for $tmp/work/phase2,
# then PHASE2 more denied opens.
cat >"$tmp/work/deny.py" <<'EOF'
import os, sys, time
work, n1, n2 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def deny(k, tag):
    for i in range(k):
        try:
            open("/etc/sysbroker-denied-%s-%d" % (tag, i))
        except OSError:
            pass
deny(n1, "a")
open(work + "/phase1", "w").close()
end = time.time() + 20
while n2 and not os.path.exists(work + "/phase2") and time.time() < end:
    time.sleep(0.02)
deny(n2, "b")
print("done")
EOF

# fill: leave FREE bytes on the tmpfs (the log's records are a few hundred bytes each).
fill() {
	rm -f "$mnt/fill"
	dd if=/dev/zero of="$mnt/fill" bs=1k 2>/dev/null
	size=$(stat -c %s "$mnt/fill")
	truncate -s $((size - $1)) "$mnt/fill"
}
whole() { # LOG: every line is one JSON object
	python3 - "$1" <<'EOF'
import json, sys
bad = 0
for i, line in enumerate(open(sys.argv[1], "rb")):
    try:
        json.loads(line)
    except ValueError:
        bad += 1
        print("line %d: %r" % (i + 1, line[:120]))
sys.exit(1 if bad else 0)
EOF
}

# 1. log-failure stop (the default): the program is stopped at the first lost record.
: >"$mnt/stop.log"
fill 6000
rm -f "$tmp/work/phase1" "$tmp/work/phase2"
out=$("$sb" run -p "$tmp/p.policy" --log "$mnt/stop.log" -- /usr/bin/python3 "$tmp/work/deny.py" \
	"$tmp/work" 200 0 2>&1)
rc=$?
check "stop: exit 125 when the log fills (got $rc)" [ $rc -eq 125 ]
case $out in
*"cannot write the audit log $mnt/stop.log: No space left on device; stopping the sandbox"*)
	ok "stop: the failure is said on stderr" ;;
*) not_ok "stop: the failure is said on stderr: $out" ;;
esac
check "stop: the program did not run on (no phase1 file)" [ ! -e "$tmp/work/phase1" ]
check "stop: every record in the log is whole" whole "$mnt/stop.log"
check "stop: some records fit before the file system was full" [ -s "$mnt/stop.log" ]

# 2. log-failure continue: the program runs on; when space returns, a log-error record counts
# what was lost, then the records go on.
: >"$mnt/go.log"
fill 6000
rm -f "$tmp/work/phase1" "$tmp/work/phase2"
"$sb" run -p "$tmp/p.policy" --log "$mnt/go.log" --log-failure continue -- /usr/bin/python3 \
	"$tmp/work/deny.py" "$tmp/work" 200 5 >"$tmp/go.out" 2>&1 &
pid=$!
i=0
while [ ! -e "$tmp/work/phase1" ] && [ $i -lt 500 ]; do sleep 0.02; i=$((i + 1)); done
rm -f "$mnt/fill"
touch "$tmp/work/phase2"
wait $pid
rc=$?
check "continue: exit 125 after lost records (got $rc)" [ $rc -eq 125 ]
check "continue: the program ran to its end" grep -q '^done$' "$tmp/go.out"
check "continue: stderr says how many were lost and the program's status" \
	grep -q "audit records could not be written to $mnt/go.log (No space left on device); the program's status was 0" "$tmp/go.out"
check "continue: every record in the log is whole" whole "$mnt/go.log"
lost=$(python3 -c '
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
i = [k for k, r in enumerate(recs) if r["decision"] == "log-error"]
after = [r for r in recs[i[0] + 1:] if "sysbroker-denied-b" in r.get("path", "")] if i else []
print(recs[i[0]]["lost"] if i else 0, recs[i[0]]["error"] if i else "-", len(after))' "$mnt/go.log")
set -- $lost
check "continue: a log-error record counts the lost records ($1, $2), and the 5 later denials follow it ($3)" \
	[ "$1" -gt 0 -a "$2" = ENOSPC -a "$3" -eq 5 ]

# 3. /dev/full: nothing can be written.
out=$("$sb" run -p "$tmp/p.policy" --log /dev/full -- /usr/bin/python3 "$tmp/work/deny.py" \
	"$tmp/work" 3 0 2>&1)
rc=$?
check "/dev/full: exit 125 and the reason ($rc)" [ $rc -eq 125 ]
case $out in
*"could not be written to /dev/full (No space left on device); the sandbox was stopped"*)
	ok "/dev/full: stderr says what was lost" ;;
*) not_ok "/dev/full: stderr says what was lost: $out" ;;
esac

# 3b. A call the broker makes itself (a logged mkdir) has been made when its record fails: the
# program never gets the answer, and nothing after it happens (docs/sysbroker.policy.5).
cat >"$tmp/m.policy" <<EOF
sysbroker-policy 1
include $tmp/p.policy
path $tmp/work/made/** create log
EOF
rm -rf "$tmp/work/made"
mkdir "$tmp/work/made"
chmod 777 "$tmp/work/made"
env -u LD_LIBRARY_PATH "$sb" run -p "$tmp/m.policy" --log /dev/full -- /usr/bin/python3 -I -S -c '
import os, sys
os.mkdir(sys.argv[1] + "/a")
os.mkdir(sys.argv[1] + "/b")' "$tmp/work/made" 2>/dev/null
rc=$?
check "/dev/full: a logged mkdir whose record is lost ends the sandbox (125, got $rc)" [ $rc -eq 125 ]
check "/dev/full: the broker had made that call; nothing after it happened (a, no b: $(ls "$tmp/work/made" | tr "\n" " "))" \
	[ -d "$tmp/work/made/a" -a ! -e "$tmp/work/made/b" ]

# 3c. A log pipe whose reader goes away: EPIPE is a log failure like the others, never a SIGPIPE
# that ends sysbroker without a word (started with SIGPIPE at its default, as a shell does).
rm -f "$tmp/pipe"
mkfifo "$tmp/pipe"
head -n 1 "$tmp/pipe" >"$tmp/pipe.first" &
out=$(python3 -c 'import os, signal, sys
signal.signal(signal.SIGPIPE, signal.SIG_DFL)
os.execv(sys.argv[1], sys.argv[1:])' "$sb" run -p "$tmp/p.policy" --log "$tmp/pipe" -- \
	/usr/bin/python3 "$tmp/work/deny.py" "$tmp/work" 3000 0 2>&1)
rc=$?
wait
check "closed pipe: exit 125, not killed by SIGPIPE (got $rc)" [ $rc -eq 125 ]
case $out in
*"cannot write the audit log $tmp/pipe: Broken pipe; stopping the sandbox"*)
	ok "closed pipe: the failure is said on stderr" ;;
*) not_ok "closed pipe: the failure is said on stderr: $out" ;;
esac

# 4. A denial flood does not rate-limit control records away: a refused reload in the middle of
# 60,000 denials still has its reload-error record.
rm -f "$mnt/fill"
cp "$tmp/p.policy" "$tmp/r.policy"
rm -f "$tmp/work/phase1" "$tmp/work/phase2"
"$sb" run -p "$tmp/r.policy" --log "$tmp/flood.log" -- /usr/bin/python3 "$tmp/work/deny.py" \
	"$tmp/work" 40000 20000 >"$tmp/flood.out" 2>&1 &
pid=$!
i=0
while [ ! -e "$tmp/work/phase1" ] && [ $i -lt 1500 ]; do sleep 0.02; i=$((i + 1)); done
echo "this is not a policy" >"$tmp/r.policy"
kill -s RTMIN+2 $pid
sleep 0.3
touch "$tmp/work/phase2"
wait $pid
check "flood: the run ends normally" grep -q '^done$' "$tmp/flood.out"
check "flood: the refused reload has its record among the suppressed denials" \
	grep -q '"decision":"reload-error"' "$tmp/flood.log"
check "flood: the rate limit did leave denials out (a suppressed record)" \
	grep -q '"decision":"suppressed"' "$tmp/flood.log"

echo "1..$n"
exit $fail
