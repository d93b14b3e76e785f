# SPDX-License-Identifier: LGPL-2.1-or-later
"""The macro part of the side-by-side benchmark (run-bench.sh, bench.py): whole programs, run
natively, under `sysbroker run`, under `strace -f` and under bwrap, as paired interleaved
repetitions. See the header of run-bench.sh for what each workload does and what is reported."""

import json
import os
import random
import shutil
import subprocess
import tarfile
import tempfile
import statistics
import time

PEERS = ("native", "sysbroker", "strace", "bwrap")
# The issue's targets: a workload at <= 1.3x native; >= 5x less overhead than strace.
TARGET_RATIO = 1.3
TARGET_VS_STRACE = 5.0
PY = "/usr/bin/python3"
# Modules of Python's own test suite that exercise the file system and run in about a second.
UNITTEST_MODULES = ("test_stat", "test_fnmatch", "test_glob", "test_genericpath",
                    "test_posixpath", "test_shutil")

STAT_SCRIPT = r"""
import os, sys
n, top = int(sys.argv[1]), sys.argv[2]
names = [os.path.join(d, f) for d, _, fs in os.walk(top) for f in fs]
for i in range(n):
    os.stat(names[i % len(names)])
print(len(names))
"""


class MacroError(Exception):
    pass


def scale(quick):
    """Sizes of the workloads: the issue's, or tiny ones for --quick (does it still run?)."""
    if quick:
        return dict(rounds=1, stats=2000, stat_files=100, c_files=4, git_files=50,
                    tar_dir="/usr/share/doc/bash", unittest=("test_stat",))
    return dict(rounds=5, stats=100000, stat_files=1000, c_files=31, git_files=2000,
                tar_dir="/usr/share/doc", unittest=UNITTEST_MODULES)


# --- the workloads ------------------------------------------------------------------------------

def gen_stat(work, sz):
    top = os.path.join(work, "stat")
    for i in range(sz["stat_files"]):
        d = os.path.join(top, f"d{i % 10}")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, f"f{i}"), "w") as f:
            f.write("x")


def gen_make(work, sz):
    top = os.path.join(work, "make")
    os.makedirs(top, exist_ok=True)
    n = sz["c_files"] - 1
    for i in range(n):
        with open(os.path.join(top, f"m{i}.c"), "w") as f:
            f.write("#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n"
                    f"int f{i}(const char *s)\n{{\n\tchar b[64];\n\tint r = 0;\n"
                    "\tsnprintf(b, sizeof(b), \"%s\", s);\n"
                    "\tfor (size_t k = 0; k < strlen(b); k++)\n\t\tr += b[k] * (int)k;\n"
                    f"\treturn r + {i};\n}}\n")
    with open(os.path.join(top, "main.c"), "w") as f:
        f.write("#include <stdio.h>\n" + "".join(f"int f{i}(const char *);\n" for i in range(n)) +
                "int main(void)\n{\n\tint r = 0;\n" +
                "".join(f"\tr += f{i}(\"x\");\n" for i in range(n)) +
                "\tprintf(\"%d\\n\", r);\n\treturn 0;\n}\n")
    objs = " ".join([f"m{i}.o" for i in range(n)] + ["main.o"])
    with open(os.path.join(top, "Makefile"), "w") as f:
        f.write(f"CC = cc\nCFLAGS = -O2 -Wall\nprog: {objs}\n\t$(CC) -o $@ $^\n")


def prep_make(work):
    top = os.path.join(work, "make")
    for name in os.listdir(top):
        if name.endswith(".o") or name == "prog":
            os.unlink(os.path.join(top, name))


def check_make(work, sz):
    objs = [n for n in os.listdir(os.path.join(work, "make")) if n.endswith(".o")]
    if len(objs) != sz["c_files"] or not os.access(os.path.join(work, "make", "prog"), os.X_OK):
        return f"{len(objs)} objects of {sz['c_files']}, or no prog"
    return None


def gen_git(work, sz):
    top = os.path.join(work, "git", "repo")
    for i in range(sz["git_files"]):
        d = os.path.join(top, f"dir{i % 40}")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, f"file{i}.txt"), "w") as f:
            f.write(f"file {i}\n" * (1 + i % 20))


def prep_git(work):
    shutil.rmtree(os.path.join(work, "git", "repo", ".git"), ignore_errors=True)


def check_git(work, sz):
    r = subprocess.run(["git", "-C", os.path.join(work, "git", "repo"), "ls-files"],
                       capture_output=True, text=True, env=git_env(work))
    n = len(r.stdout.splitlines())
    return None if r.returncode == 0 and n == sz["git_files"] else f"{n} files committed"


def git_env(work):
    home = os.path.join(work, "git", "home")
    return {"HOME": home, "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CEILING_DIRECTORIES": os.path.join(work, "git"), "GIT_AUTHOR_NAME": "bench",
            "GIT_AUTHOR_EMAIL": "bench@example.org", "GIT_COMMITTER_NAME": "bench",
            "GIT_COMMITTER_EMAIL": "bench@example.org", "PATH": "/usr/bin:/bin", "LC_ALL": "C"}


def gen_tar(work, sz):
    os.makedirs(os.path.join(work, "tar", "x"), exist_ok=True)


def prep_tar(work):
    top = os.path.join(work, "tar")
    shutil.rmtree(os.path.join(top, "x"), ignore_errors=True)
    os.makedirs(os.path.join(top, "x"))
    try:
        os.unlink(os.path.join(top, "doc.tar"))
    except FileNotFoundError:
        pass


def check_tar(work, sz):
    """Every member of the archive was extracted (the tree itself may change between runs: a
    package installed meanwhile)."""
    top = os.path.join(work, "tar")
    with tarfile.open(os.path.join(top, "doc.tar")) as t:
        want = len(t.getnames())
    got = 0
    for d, dirs, files in os.walk(os.path.join(top, "x")):
        got += len(dirs) + len(files)
    return None if got == want else f"{got} entries extracted of {want} archived"


def gen_unittest(work, sz):
    os.makedirs(os.path.join(work, "unittest", "tmp"), exist_ok=True)


def prep_unittest(work):
    top = os.path.join(work, "unittest")
    for name in os.listdir(top):
        if name != "tmp":
            p = os.path.join(top, name)
            shutil.rmtree(p, ignore_errors=True) if os.path.isdir(p) else os.unlink(p)


def workloads(sz):
    """(name, label, generate, prepare before each run, argv(work), env(work), cwd(work),
    check(work) -> None or what is wrong, probe(work, denied): an argv that reads `denied`, an
    existing file no policy grants, and must fail under sysbroker)."""
    tar_parent, tar_base = os.path.split(sz["tar_dir"])

    def env(work, **kw):
        e = {"HOME": work, "PATH": "/usr/bin:/bin", "LC_ALL": "C"}
        e.update(kw)
        return e

    return [
        dict(name="stat", label=f"python: {sz['stats'] // 1000}k os.stat in a granted tree",
             gen=gen_stat, prep=None,
             argv=lambda w: [PY, "-c", STAT_SCRIPT, str(sz["stats"]), os.path.join(w, "stat")],
             env=env, cwd=lambda w: w, check=None,
             probe=lambda w, d: [PY, "-c", f"import os; os.stat({d!r})"]),
        dict(name="make", label=f"make -j2, {sz['c_files']} C files, build.policy",
             gen=gen_make, prep=prep_make, argv=lambda w: ["make", "-s", "-j2"],
             env=lambda w: env(w, TMPDIR=os.path.join(w, "make")),
             cwd=lambda w: os.path.join(w, "make"), check=check_make,
             probe=lambda w, d: ["make", "-s", "-f", d]),
        dict(name="git", label=f"git init/add/commit, {sz['git_files']} files",
             gen=gen_git, prep=prep_git,
             argv=lambda w: ["/bin/sh", "-c",
                             "git init -q && git add -A && git commit -q -m bench"],
             env=lambda w: dict(git_env(w), TMPDIR=os.path.join(w, "git")),
             cwd=lambda w: os.path.join(w, "git", "repo"), check=check_git,
             probe=lambda w, d: ["git", "hash-object", d]),
        dict(name="tar", label=f"tar c then tar x of {sz['tar_dir']}",
             gen=gen_tar, prep=prep_tar,
             argv=lambda w: ["/bin/sh", "-c",
                             f"tar cf {w}/tar/doc.tar -C {tar_parent} {tar_base} && "
                             f"tar xf {w}/tar/doc.tar -C {w}/tar/x"],
             env=env, cwd=lambda w: os.path.join(w, "tar"), check=check_tar,
             probe=lambda w, d: ["tar", "cf", "/dev/null", d]),
        dict(name="unittest",
             label=f"python unittest, {len(sz['unittest'])} file-system module(s)",
             gen=gen_unittest, prep=prep_unittest,
             argv=lambda w: [PY, "-m", "unittest", "-q"] + [f"test.{m}" for m in sz["unittest"]],
             env=lambda w: env(w, TMPDIR=os.path.join(w, "unittest", "tmp")),
             cwd=lambda w: os.path.join(w, "unittest"), check=None,
             probe=lambda w, d: [PY, "-c", f"open({d!r}).read()"]),
    ]


def unavailable(wl, sz):
    """Why a workload cannot run on this machine, or None."""
    need = {"stat": [PY], "make": ["make", "cc"], "git": ["git"], "tar": ["tar"],
            "unittest": [PY]}[wl["name"]]
    for prog in need:
        if not shutil.which(prog):
            return f"{prog} is not installed"
    if wl["name"] == "unittest":
        for m in sz["unittest"]:
            if not os.path.exists(f"/usr/lib/python3.11/test/{m}.py"):
                return f"test.{m} is missing (apt-get install libpython3.11-testsuite)"
    return None


# --- the peers ----------------------------------------------------------------------------------

def peer_argv(peer, argv, work, cwd, policy, log, tools):
    if peer == "native":
        return argv
    if peer == "sysbroker":
        return [tools["sysbroker"], "run", "-p", policy, "--log", log, "--"] + argv
    if peer == "strace":
        return [tools["strace"], "-f", "-o", "/dev/null"] + argv
    # A namespace sandbox that exposes about what the policies do: the whole file system read-only,
    # the work tree writable, a fresh /dev and /proc, every namespace new.
    return [tools["bwrap"], "--ro-bind", "/", "/", "--bind", work, work, "--dev", "/dev",
            "--proc", "/proc", "--unshare-all", "--die-with-parent", "--chdir", cwd] + argv


def bwrap_works(bwrap, cpus):
    """None if bwrap can make its namespaces here, else the reason."""
    r = subprocess.run([bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
                        "--unshare-all", "--die-with-parent", "/bin/true"],
                       capture_output=True, text=True,
                       preexec_fn=lambda: os.sched_setaffinity(0, cpus))
    if r.returncode != 0:
        err = r.stderr.strip().splitlines()
        return f"bwrap cannot start a sandbox here: {err[-1] if err else r.returncode}"
    return None


def run_once(argv, env, cwd, cpus, errlog):
    """Wall time in ns of one run, and its exit status. The CPU set is set before exec and is
    inherited by everything the run starts: the program, its children, the broker, strace."""
    with open(errlog, "ab") as err:
        t0 = time.monotonic_ns()
        p = subprocess.run(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=err,
                           preexec_fn=lambda: os.sched_setaffinity(0, cpus))
        t1 = time.monotonic_ns()
    return t1 - t0, p.returncode


def last_line(path):
    try:
        with open(path, errors="replace") as f:
            lines = [x.strip() for x in f if x.strip()]
        return lines[-1] if lines else ""
    except OSError:
        return ""


def denial_recorded(log, path):
    """Whether the audit log holds a denial naming `path`, whoever refused it (the broker, or the
    kernel where it enforces a grant itself)."""
    try:
        with open(log, errors="replace") as f:
            for line in f:
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue
                if isinstance(rec, dict) and path in rec.values() and \
                        "deny" in str(rec.get("decision", "")):
                    return True
    except OSError:
        pass
    return False


def kernel_grants_line(log):
    """The log's kernel-grants note: whether the kernel enforced grants in the run, and whether
    its refusals were recorded (the system's audit on changes what the runtime tries)."""
    try:
        with open(log, errors="replace") as f:
            for line in f:
                if '"kernel-grants"' in line:
                    return json.loads(line).get("kernel", "")
    except (OSError, ValueError):
        pass
    return "(no kernel-grants record)"


def probe(wl, work, denied, policy, tools, cpus, out):
    """The sysbroker row counts only if the policy really confines the program: reading an
    existing file it does not grant must fail (natively it works). Returns the log's
    kernel-grants line."""
    argv = wl["probe"](work, denied)
    env, cwd = wl["env"](work), wl["cwd"](work)
    errlog = os.path.join(out, f"macro-{wl['name']}-probe.stderr")
    _, rc = run_once(argv, env, cwd, cpus, errlog)
    if rc != 0:
        raise MacroError(f"{wl['name']}: the probe fails natively (see {errlog})")
    log = os.path.join(out, f"macro-{wl['name']}-probe-audit.log")
    if os.path.exists(log):
        os.unlink(log)
    _, rc = run_once(peer_argv("sysbroker", argv, work, cwd, policy, log, tools), env, cwd, cpus,
                     errlog)
    if rc == 0:
        raise MacroError(f"{wl['name']}: an ungranted file was readable under sysbroker run")
    # The refusal must be the policy's, with its record: not sysbroker run failing to start.
    if not denial_recorded(log, denied):
        raise MacroError(f"{wl['name']}: no denial of {denied} in {log} (exit status {rc}: "
                         f"{last_line(errlog)})")
    return kernel_grants_line(log)


# --- the run ------------------------------------------------------------------------------------

def fill_policy(src, name, work, out):
    with open(os.path.join(src, "tests", "bench", "macro", f"{name}.policy")) as f:
        text = f.read().replace("@SRC@", src).replace("@WORK@", work)
    path = os.path.join(out, f"macro-{name}.policy")
    with open(path, "w") as f:
        f.write(text)
    return path


def summary(values):
    s = sorted(values)
    if not s:
        return None
    q = statistics.quantiles(s, n=4, method="inclusive") if len(s) > 1 else [s[0]] * 3
    return {"median": round(statistics.median(s), 3), "min": round(s[0], 3),
            "max": round(s[-1], 3), "q1": round(q[0], 3), "q3": round(q[2], 3)}


def run(src, build, out, quick, cpus, warn, rounds=None):
    """Runs every workload; returns the JSON section "macro"."""
    sz = scale(quick)
    if rounds:
        sz["rounds"] = rounds
    tools = {"sysbroker": os.path.join(build, "cli", "sysbroker"),
             "strace": shutil.which("strace"), "bwrap": shutil.which("bwrap")}
    peer_skip = {}
    if not tools["strace"]:
        peer_skip["strace"] = "strace is not installed (apt-get install strace)"
    if not tools["bwrap"]:
        peer_skip["bwrap"] = "bwrap is not installed (apt-get install bubblewrap)"
    else:
        why = bwrap_works(tools["bwrap"], cpus)
        if why:
            peer_skip["bwrap"] = why
    for peer, why in peer_skip.items():
        warn(f"macro: no {peer} row: {why}")
    peers = [p for p in PEERS if p not in peer_skip]
    # The logs of an earlier run (they are appended to).
    for name in os.listdir(out):
        if name.startswith("macro-") and name.endswith((".log", ".stderr")):
            os.unlink(os.path.join(out, name))
    # Under /var/tmp, not /tmp: build.policy grants /tmp/cc*, which must not decide the work tree.
    work = os.path.realpath(tempfile.mkdtemp(prefix="sysbroker-macro-", dir="/var/tmp"))
    results = []
    try:
        denied = os.path.join(work, "denied.dat")
        with open(denied, "w") as f:
            f.write("all:\n\t@true\n")
        active = []
        for wl in workloads(sz):
            why = unavailable(wl, sz)
            if why:
                results.append({"workload": wl["name"], "label": wl["label"],
                                "unavailable": why})
                continue
            wl["gen"](work, sz)
            wl["policy"] = fill_policy(src, wl["name"], work, out)
            wl["kernel_grants"] = probe(wl, work, denied, wl["policy"], tools, cpus, out)
            active.append(wl)
        # One untimed native run of each first: the page cache, and the byte code python writes
        # for its test modules the first time, are then the same for every peer.
        for wl in active:
            one(wl, "native", work, out, tools, cpus, sz)
        times = {(wl["name"], p): [] for wl in active for p in peers}
        for r in range(sz["rounds"]):
            # A round: the workloads in a shuffled order, and each workload's peers back to
            # back in a shuffled order, so that the runs of a pair share the machine's state.
            rnd = random.Random(1000 + r)
            for wl in rnd.sample(active, len(active)):
                for peer in rnd.sample(peers, len(peers)):
                    times[(wl["name"], peer)].append(one(wl, peer, work, out, tools, cpus, sz))
        for wl in active:
            results.append(result(wl, peers, times, sz))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {"rounds": sz["rounds"], "cpus": sorted(cpus), "peers": peers,
            "peer_unavailable": peer_skip, "targets": {"ratio_le": TARGET_RATIO,
                                                       "vs_strace_overhead_ge": TARGET_VS_STRACE},
            "workloads": results}


def one(wl, peer, work, out, tools, cpus, sz):
    if wl["prep"]:
        wl["prep"](work)
    cwd = wl["cwd"](work)
    log = os.path.join(out, f"macro-{wl['name']}-audit.log")
    argv = peer_argv(peer, wl["argv"](work), work, cwd, wl["policy"], log, tools)
    errlog = os.path.join(out, f"macro-{wl['name']}-{peer}.stderr")
    ns, rc = run_once(argv, wl["env"](work), cwd, cpus, errlog)
    if rc != 0:
        raise MacroError(f"{wl['name']} under {peer}: exit status {rc}: {last_line(errlog)} "
                         f"(see {errlog})")
    if wl["check"]:
        wrong = wl["check"](work, sz)
        if wrong:
            raise MacroError(f"{wl['name']} under {peer}: wrong result: {wrong}")
    return ns


def result(wl, peers, times, sz):
    native = times[(wl["name"], "native")]
    res = {"workload": wl["name"], "label": wl["label"],
           "native_s": summary([t / 1e9 for t in native]), "peers": {},
           "kernel_grants": wl.get("kernel_grants", "")}
    for p in peers:
        if p == "native":
            continue
        ratios = [t / n for t, n in zip(times[(wl["name"], p)], native)]
        res["peers"][p] = {"seconds": [round(t / 1e9, 3) for t in times[(wl["name"], p)]],
                           "ratio": summary(ratios)}
    res["native_seconds"] = [round(t / 1e9, 3) for t in native]
    sb = res["peers"].get("sysbroker")
    if sb:
        sb["target"] = f"<= {TARGET_RATIO:g}"
        sb["met"] = sb["ratio"]["median"] <= TARGET_RATIO
    st = res["peers"].get("strace")
    if sb and st:
        # Overhead = ratio - 1, paired per round; an overhead at or below 0 counts as "infinitely
        # less" (the ratio is then reported as null).
        so = [t / n - 1 for t, n in zip(times[(wl["name"], "strace")], native)]
        bo = [t / n - 1 for t, n in zip(times[(wl["name"], "sysbroker")], native)]
        per = [s / b for s, b in zip(so, bo) if b > 0]
        med = summary(per)
        res["strace_overhead_over_sysbroker"] = med
        res["vs_strace_target"] = f">= {TARGET_VS_STRACE:g}"
        res["vs_strace_met"] = (len(per) < len(so)) if med is None else \
            med["median"] >= TARGET_VS_STRACE
    return res


def spread(s):
    return f"{s['median']:.2f} ({s['min']:.2f}-{s['max']:.2f})"


def print_table(m, p=print):
    p(f"macro workloads: wall-time ratio to native, median (min-max) over {m['rounds']} paired "
      f"round(s); peers of a workload run back to back in a shuffled order each round")
    p(f"placement: every process of every run (the program, its children, the broker or strace "
      f"or bwrap) on CPU(s) {','.join(str(c) for c in m['cpus'])}, scheduled freely among them")
    for peer, why in m["peer_unavailable"].items():
        p(f"  {peer}: unavailable: {why}")
    hdr = (f"{'workload':<44} {'native s':>8} | {'sysbroker':>17} {'<=1.3':>5} | "
           f"{'strace -f':>17} | {'bwrap':>17} | {'strace/sb overhead':>18} {'>=5':>4}")
    p(hdr)
    p("-" * len(hdr))
    for w in m["workloads"]:
        if "unavailable" in w:
            p(f"{w['label']:<44} unavailable: {w['unavailable']}")
            continue
        cells = []
        for peer in ("sysbroker", "strace", "bwrap"):
            x = w["peers"].get(peer)
            cells.append(spread(x["ratio"]) if x else "-")
        sb = w["peers"].get("sysbroker", {})
        met = "-" if "met" not in sb else ("yes" if sb["met"] else "NO")
        vs = w.get("strace_overhead_over_sysbroker")
        vs_s = spread(vs) if vs else ("-" if "vs_strace_met" not in w else "inf")
        vs_m = "-" if "vs_strace_met" not in w else ("yes" if w["vs_strace_met"] else "NO")
        p(f"{w['label']:<44} {w['native_s']['median']:>8.2f} | {cells[0]:>17} {met:>5} | "
          f"{cells[1]:>17} | {cells[2]:>17} | {vs_s:>18} {vs_m:>4}")
    for w in m["workloads"]:
        if w.get("kernel_grants"):
            p(f"  {w['workload']}: {w['kernel_grants']}")
