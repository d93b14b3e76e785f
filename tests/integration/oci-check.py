#!/usr/bin/env python3
"""Compare `sysbroker oci-seccomp` output (argv[1]) with `sysbroker check --explain` (argv[2]):
every syscall the plan decides unconditionally has that action in the JSON, every conditional one
appears with argument conditions or as SCMP_ACT_NOTIFY, every other one gets the default. Prints
"ok<TAB>what" or "not ok<TAB>what" per check, for the calling script's TAP numbering."""
import errno
import json
import re
import sys

oci = json.load(open(sys.argv[1]))
explain = open(sys.argv[2]).read().splitlines()


def tap(good, what):
    print(("ok" if good else "not ok") + "\t" + what)


def action(decision):
    """The JSON action an explain decision becomes."""
    if decision == "allow":
        return ("SCMP_ACT_ALLOW", None)
    if decision == "kill":
        return ("SCMP_ACT_KILL_PROCESS", None)
    if "broker" in decision:
        return ("SCMP_ACT_NOTIFY", None)
    m = re.fullmatch(r"deny (E[A-Z0-9]+)", decision)
    return ("SCMP_ACT_ERRNO", getattr(errno, m.group(1))) if m else ("?", None)


uncond, cond = {}, {}
for e in oci["syscalls"]:
    for name in e["names"]:
        if e.get("args"):
            cond.setdefault(name, []).append(e)
        else:
            if name in uncond:
                tap(False, "%s has two unconditional entries" % name)
            uncond[name] = (e["action"], e.get("errnoRet"))
default = (oci["defaultAction"], oci.get("defaultErrnoRet"))
tap(oci["architectures"] and oci["listenerPath"].startswith("/"), "architectures, listenerPath")

simple, chained = {}, set()
last = None
for line in explain:
    if line.startswith("path rules"):
        break
    m = re.match(r"  (\S+)\s+if .*: (.*?)   \[", line)
    if m:
        chained.add(m.group(1))
        last = m.group(1)
        continue
    m = re.match(r"  (\S+)\s+(allow|kill|broker|deny [A-Z0-9]+(?: via broker \(logged\))?)   \[", line)
    if m:
        simple[m.group(1)] = action(m.group(2))
bad = []
for name, want in simple.items():
    got = uncond.get(name, default)
    if name == "setsockopt":
        want = ("SCMP_ACT_NOTIFY", None)  # the route options go to the broker
    if name == "write" and want[0] == "SCMP_ACT_NOTIFY":
        continue  # runtimes refuse NOTIFY for write; said on stderr
    if got != want:
        bad.append("%s: %s, want %s" % (name, got, want))
tap(not bad and len(simple) > 10,
    "%d unconditional decisions of the plan have their action%s" % (len(simple), "; ".join(bad)))
missing = [c for c in chained if c not in cond and uncond.get(c, ("",))[0] != "SCMP_ACT_NOTIFY"]
tap(not missing, "%d conditional ones have conditions or go to the agent %s" % (len(chained), missing))
ops = {a["op"] for es in cond.values() for e in es for a in e["args"]}
tap(ops <= {"SCMP_CMP_EQ", "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_GT",
            "SCMP_CMP_GE", "SCMP_CMP_MASKED_EQ"}, "operators are SCMP_CMP_* (%s)" % sorted(ops))
