#!/bin/sh
# `sysbroker audit` on a large log: the text summary, --json and --suggest, each timed (median
# and spread of RUNS runs) with its peak memory. Not part of a test run (minutes, and a log of
# SIZE MiB in TMPDIR); run it by hand from a built tree:
#
#     tests/bench/bench-audit.sh [BUILD_DIR] [SIZE_MIB] [DISTINCT_PATHS] [RUNS]
#
# Defaults: ./build, 1024 MiB, 700000 distinct paths, 3 runs. The log is made of real record
# shapes (denials of openat/newfstatat/connect, suppressed counts) over DISTINCT_PATHS paths in
# directories of 1 to 60 names, so that grouping and --suggest's globbing both have work to do.
set -eu
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
size=${2:-1024}
distinct=${3:-700000}
runs=${4:-3}
sb=$build/cli/sysbroker
[ -x "$sb" ] || {
	echo "bench-audit.sh: no $sb: build first" >&2
	exit 2
}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sb-bench-audit.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
log=$tmp/audit.log

python3 - "$log" "$size" "$distinct" <<'PY'
import random, sys
log, size, distinct = sys.argv[1], int(sys.argv[2]) << 20, int(sys.argv[3])
rnd = random.Random(7)
paths = []
d = 0
while len(paths) < distinct:
    n = rnd.randint(1, 60)
    paths += ["/srv/data/d%06d/sub/f%03d.txt" % (d, i) for i in range(n)]
    d += 1
paths = paths[:distinct]
exes = ["/usr/bin/python3.11", "/usr/bin/make", "/usr/bin/cc", "/usr/bin/tar"]
calls = [("openat", "read", "O_RDONLY|O_CLOEXEC"), ("newfstatat", "stat", None),
         ("openat", "write create", "O_WRONLY|O_CREAT|O_TRUNC")]
out = open(log, "w", buffering=1 << 20)
written, i = 0, 0
while written < size:
    i += 1
    t = "2026-12-03T12:%02d:%02d.%03dZ" % (i // 60000 % 60, i // 1000 % 60, i % 1000)
    if i % 997 == 0:
        line = '{"v":2,"time":"%s","sandbox":"5d2bfa05d41e7d37","decision":"suppressed","count":%d}\n' % (t, rnd.randint(1, 5000))
    elif i % 13 == 0:
        line = ('{"v":2,"time":"%s","sandbox":"5d2bfa05d41e7d37","pid":%d,"exe":"%s","argv0":"x",'
                '"syscall":"connect","nr":42,"addr":"tcp:10.0.%d.%d:443","decision":"deny",'
                '"errno":"EACCES","rule":"default","transport":"trap"}\n'
                % (t, 1000 + i % 50, exes[i % 4], i % 7, i % 200))
    else:
        c = calls[i % 3]
        flags = ',"flags":"%s"' % c[2] if c[2] else ""
        line = ('{"v":2,"time":"%s","sandbox":"5d2bfa05d41e7d37","pid":%d,"exe":"%s","argv0":"x",'
                '"syscall":"%s","nr":257,"path":"%s"%s,"perm":"%s","perms":"%s","decision":"deny",'
                '"errno":"EACCES","rule":"/etc/sysbroker/build.policy:22","transport":"trap"}\n'
                % (t, 1000 + i % 50, exes[i % 4], c[0], paths[rnd.randrange(distinct)], flags,
                   c[1].split()[0], c[1]))
    out.write(line)
    written += len(line)
out.close()
print("log: %d MiB, %d records, %d distinct paths" % (written >> 20, i, distinct))
PY

# run MODE...: RUNS timings of `sysbroker audit MODE log`, then median, min, max and peak RSS.
measure() {
	python3 - "$runs" "$sb" audit "$@" "$log" <<'PY'
import resource, statistics, subprocess, sys, time
runs, cmd = int(sys.argv[1]), sys.argv[2:]
secs, rss = [], 0
for _ in range(runs):
    t = time.monotonic()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL)
    secs.append(time.monotonic() - t)
    if r.returncode != 0:
        sys.exit("exit %d: %s" % (r.returncode, " ".join(cmd)))
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss >> 10
mode = " ".join(cmd[2:-1]) or "(text)"
print("%-10s median %6.1f s  min %6.1f  max %6.1f  peak RSS %5d MiB"
      % (mode, statistics.median(secs), min(secs), max(secs), rss))
PY
}
measure
measure --json
measure --suggest
