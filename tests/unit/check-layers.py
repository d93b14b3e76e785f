#!/usr/bin/env python3
# The parts include each other in one direction only (docs/design.md, "Parts"): a file may include
# the headers of its own folder and of the folders listed before its own here, never after. A
# header name found in two folders is ambiguous and refused too. TAP output.
#     check-layers.py SOURCE_ROOT
import os
import re
import sys

LAYERS = ["include", "common", "policy", "sandboxee", "broker", "lib", "cli"]
src = sys.argv[1]
owner = {}
n = fail = 0


def report(ok, what):
    global n, fail
    n += 1
    fail += not ok
    print(("ok" if ok else "not ok") + " %d - %s" % (n, what))


for layer in LAYERS:
    for name in sorted(os.listdir(os.path.join(src, layer))):
        if name.endswith(".h"):
            report(name not in owner, "%s/%s: one folder has this header name" % (layer, name))
            owner.setdefault(name, layer)

for rank, layer in enumerate(LAYERS):
    for name in sorted(os.listdir(os.path.join(src, layer))):
        if not name.endswith((".c", ".h")):
            continue
        with open(os.path.join(src, layer, name)) as f:
            text = f.read()
        wrong = [h for h in re.findall(r'#include "([^"]+)"', text)
                 if LAYERS.index(owner.get(os.path.basename(h), layer)) > rank]
        report(not wrong, "%s/%s includes no later part%s" %
               (layer, name, ": " + ", ".join(wrong) if wrong else ""))
print("1..%d" % n)
sys.exit(1 if fail else 0)
