#!/usr/bin/env python3
"""logmatch.py LOG KEY=VALUE... -- exit 0 if some record of the JSON Lines audit log LOG has
every KEY equal to VALUE (a VALUE ending in '*' matches as a prefix, a KEY ending in '~' is
a substring test); print the records otherwise, for the test's log."""
import json
import sys


def matches(rec, conds):
    for key, want in conds:
        sub = key.endswith("~")
        key = key.rstrip("~")
        got = rec.get(key)
        if got is None:
            return False
        got = str(got)
        if sub:
            if want not in got:
                return False
        elif want.endswith("*"):
            if not got.startswith(want[:-1]):
                return False
        elif got != want:
            return False
    return True


def main():
    log = sys.argv[1]
    conds = [a.split("=", 1) for a in sys.argv[2:]]
    recs = []
    with open(log, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                recs.append(json.loads(line))
    if any(matches(r, conds) for r in recs):
        return 0
    sys.stderr.write("# no record with %s among %d:\n" % (" ".join(sys.argv[2:]), len(recs)))
    for r in recs[-20:]:
        sys.stderr.write("#   %s\n" % json.dumps(r))
    return 1


sys.exit(main())
