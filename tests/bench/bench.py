#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Driver of the side-by-side benchmark: see the header of run-bench.sh for what it measures and
what every column means. Starts one sbbench worker per scenario, runs interleaved batches, and
writes the table (stdout), OUT/bench.json and OUT/bench.png."""

import argparse
import array
import datetime
import json
import math
import os
import platform
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

PIN_CPU = 0
SCHEMA = "sysbroker-bench/1"

# Display names of the worker's ops.
OPS = {"getppid": "getppid", "stat": "newfstatat", "open": "openat+close", "read4k": "read 4KiB"}

# (scenario, worker, op), grouped by op so that the table and the chart put alternatives side by
# side.
ROWS = [
    ("native", "native", "getppid"),
    ("seccomp-floor", "allowall", "getppid"),
    ("filter", "embed", "getppid"),
    ("trap-floor", "trapfloor", "getppid"),
    ("notify-broker", "notify", "getppid"),
    ("strace", "strace", "getppid"),
    ("native", "native", "stat"),
    ("trap-broker", "embed", "stat"),
    ("notify-broker", "notify", "stat"),
    ("strace", "strace", "stat"),
    ("strace-seccomp", "strace-bpf", "stat"),
    ("native", "native", "open"),
    ("trap-broker", "embed", "open"),
    ("notify-broker", "notify", "open"),
    ("strace", "strace", "open"),
    ("strace-seccomp", "strace-bpf", "open"),
    ("native", "native", "read4k"),
    ("seccomp-floor", "allowall", "read4k"),
    ("filter", "embed", "read4k"),
]
THREADS = (1, 2, 4)

# (name, numerator row, denominator row, comparison, target). Rows are (scenario, op); each
# ratio is taken pinned and unpinned.
RATIOS = [
    ("filter/native getppid", ("filter", "getppid"), ("native", "getppid"), "<=", 1.15),
    ("filter/native read4k", ("filter", "read4k"), ("native", "read4k"), "<=", 1.15),
    # What the policy's filters add over the kernel's floor for having any filter at all.
    ("filter/seccomp-floor getppid", ("filter", "getppid"), ("seccomp-floor", "getppid"), None,
     None),
    ("filter/seccomp-floor read4k", ("filter", "read4k"), ("seccomp-floor", "read4k"), None,
     None),
    ("trap-broker/notify-broker newfstatat", ("trap-broker", "stat"), ("notify-broker", "stat"),
     "<=", 1.0),
    ("trap-broker/native openat+close", ("trap-broker", "open"), ("native", "open"), "<=", 4.0),
    ("strace/trap-broker newfstatat", ("strace", "stat"), ("trap-broker", "stat"), ">=", 10.0),
    ("strace/trap-broker openat+close", ("strace", "open"), ("trap-broker", "open"), ">=", 10.0),
    # strace at its best: with --seccomp-bpf it stops only the traced calls.
    ("strace-seccomp/trap-broker newfstatat", ("strace-seccomp", "stat"), ("trap-broker", "stat"),
     None, None),
    ("strace-seccomp/trap-broker openat+close", ("strace-seccomp", "open"),
     ("trap-broker", "open"), None, None),
]
# unpinned / pinned of one row.
PIN_RATIOS = [
    ("trap-broker newfstatat unpinned/pinned", ("trap-broker", "stat"), "<=", 3.0),
    ("trap-broker openat+close unpinned/pinned", ("trap-broker", "open"), "<=", 3.0),
]
THREAD_RATIOS = [("threads 2T/1T", 2, ">=", 1.6), ("threads 4T/1T", 4, None, None)]


class ScenarioError(Exception):
    pass


def sizes(quick):
    """Rounds, calls per batch by (worker, op), calls per thread, warm-up calls."""
    if quick:
        return dict(rounds=1, cheap=5000, broker=1500, strace=500, threads=1000, warm=100)
    return dict(rounds=7, cheap=40000, broker=12000, strace=4000, threads=6000, warm=300)


def batch_size(sz, worker, op):
    # strace stops every system call (getppid too: -e trace= only filters what it prints).
    if worker == "strace" and op != "none":
        return sz["strace"]
    if worker == "strace-bpf" and op in ("stat", "open"):
        return sz["strace"]
    if op in ("stat", "open") and worker in ("embed", "notify"):
        return sz["broker"]
    return sz["cheap"]


# --- processes ----------------------------------------------------------------------------------

def proc_stat(pid):
    """(ppid, pgrp, session) of a process, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read()
    except OSError:
        return None
    fields = s[s.rindex(")") + 2:].split()
    return int(fields[1]), int(fields[2]), int(fields[3])


def session_pids(sid):
    """Every process of the session the driver started the scenario in: the worker, the broker
    sb_sandbox_enter forked (reparented away from the worker, but still in its session),
    sysbroker run and its child, strace and its tracee."""
    pids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = proc_stat(d)
            if st and st[2] == sid:
                pids.append(int(d))
    return pids


def tasks_of(pids):
    tids = []
    for pid in pids:
        try:
            tids += [int(t) for t in os.listdir(f"/proc/{pid}/task")]
        except OSError:
            pass
    return tids


class Worker:
    def __init__(self, name, argv, errlog):
        self.name = name
        self.errlog = errlog
        self.err = open(errlog, "wb")
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.err, start_new_session=True)
        self.sid = self.proc.pid
        self.pids = []
        self.pinned = None
        self.last = ""

    def fail(self, what):
        detail = what
        if self.proc.poll() is not None:
            detail += f" (exit status {self.proc.returncode})"
            try:
                with open(self.errlog, errors="replace") as f:
                    last = [line.strip() for line in f if line.strip()]
                if last:
                    detail += f": {last[-1]}"
            except OSError:
                pass
        raise ScenarioError(f"{self.name}: {detail}")

    def send(self, line):
        try:
            self.proc.stdin.write(line.encode() + b"\n")
            self.proc.stdin.flush()
        except OSError:
            self.fail(f"worker gone before '{line}'")

    def reply(self, line):
        line = line.strip()
        if not line:
            self.fail(f"no answer to '{self.last}'")
        text = line.decode(errors="replace")
        if not text.startswith("OK"):
            self.fail(text[4:] if text.startswith("ERR ") else f"unexpected answer: {text}")
        return text.split()

    def cmd(self, line):
        self.last = line
        self.send(line)
        return self.reply(self.proc.stdout.readline())

    def samples(self, n):
        data = self.proc.stdout.read(4 * n)
        if len(data) != 4 * n:
            self.fail("short sample data")
        a = array.array("I")
        a.frombytes(data)
        if sys.byteorder != "little":
            a.byteswap()
        return a

    def discover(self):
        self.pids = session_pids(self.sid)

    def cpu_ns(self):
        total = 0
        for tid_pid in self.pids:
            try:
                tids = os.listdir(f"/proc/{tid_pid}/task")
            except OSError:
                continue
            for t in tids:
                try:
                    with open(f"/proc/{tid_pid}/task/{t}/schedstat") as f:
                        total += int(f.read().split()[0])
                except (OSError, ValueError, IndexError):
                    pass
        return total

    def processes(self):
        names = []
        for pid in self.pids:
            try:
                with open(f"/proc/{pid}/comm") as f:
                    comm = f.read().strip()
                names.append(f"{comm}[{pid}] {len(os.listdir(f'/proc/{pid}/task'))} task(s)")
            except OSError:
                pass
        return names

    def pin(self, pinned, all_cpus):
        cpus = {PIN_CPU} if pinned else all_cpus
        for tid in tasks_of(self.pids):
            try:
                os.sched_setaffinity(tid, cpus)
            except ProcessLookupError:
                pass
            except OSError as e:
                self.fail(f"cannot set the CPU affinity of task {tid}: {e.strerror}")
        self.pinned = pinned

    def stop(self):
        try:
            self.proc.stdin.write(b"quit\n")
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            pass
        # What is left of the session we started (a broker that did not notice, a tracee).
        for pid in [self.proc.pid] + session_pids(self.sid):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            self.proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            pass
        deadline = time.monotonic() + 3
        while session_pids(self.sid) and time.monotonic() < deadline:
            time.sleep(0.01)
        self.err.close()


# --- measurement --------------------------------------------------------------------------------

def clock_overhead(values):
    """Mean of the empty timing loop without its top 1% (preemptions). Not the median: clocks
    often tick in steps (10 ns here), and the median would jump a whole step."""
    s = sorted(values)[: max(1, len(values) * 99 // 100)]
    return round(sum(s) / len(s), 1) if values else 0


def percentile(sorted_values, q):
    if not sorted_values:
        return 0
    return sorted_values[min(len(sorted_values) - 1, int(q * (len(sorted_values) - 1) + 0.5))]


class Acc:
    """Everything measured for one (worker, op, pinning)."""

    def __init__(self):
        self.samples = array.array("I")
        self.cpu = 0
        self.calls = 0
        self.wall = 0
        self.batch_p50 = []


def run_batch(w, op, n, warm, acc, all_cpus, pinned):
    w.pin(pinned, all_cpus)
    if warm:
        w.cmd(f"warm {op} {warm}")
    c0 = w.cpu_ns()
    w.cmd(f"run {op} {n}")
    c1 = w.cpu_ns()
    w.cmd("send")
    batch = w.samples(n)
    acc.samples.extend(batch)
    acc.batch_p50.append(percentile(sorted(batch), 0.5))
    acc.cpu += c1 - c0
    acc.calls += n


def run_threads(w, t, n, warm, acc, all_cpus, pinned):
    w.pin(pinned, all_cpus)
    if warm:
        w.cmd(f"threads {t} {warm}")
    c0 = w.cpu_ns()
    r = w.cmd(f"threads {t} {n}")
    c1 = w.cpu_ns()
    acc.wall += int(r[1])
    acc.cpu += c1 - c0
    acc.calls += t * n


def start_workers(a, data, policy, out):
    worker = os.path.join(a.build, "tests", "bench", "sbbench")
    static = os.path.join(a.build, "tests", "bench", "sbbench-static")
    sysbroker = os.path.join(a.build, "cli", "sysbroker")
    for p in (worker, static, sysbroker):
        if not os.access(p, os.X_OK):
            raise ScenarioError(f"setup: {p} is missing (build {a.build} first)")
    strace = shutil.which("strace")
    if not strace:
        raise ScenarioError("strace: strace is not installed (apt-get install strace)")
    argvs = {
        "native": [worker, "native", data],
        "trapfloor": [worker, "trapfloor", data],
        "allowall": [worker, "allowall", data],
        "embed": [worker, "embed", data, policy, os.path.join(out, "embed-audit.log")],
        "embed-threads": [worker, "embed-threads", data, policy,
                          os.path.join(out, "embed-threads-audit.log")],
        "notify": [sysbroker, "run", "-p", policy, "--log", os.path.join(out, "notify-audit.log"),
                   "--", static, "sandboxed", data],
        "strace": [strace, "-f", "-e", "trace=openat,newfstatat", "-o", "/dev/null",
                   worker, "native", data],
        "strace-bpf": [strace, "-f", "--seccomp-bpf", "-e", "trace=openat,newfstatat", "-o",
                       "/dev/null", worker, "native", data],
    }
    names = {"native": "native", "trapfloor": "trap-floor", "allowall": "seccomp-floor",
             "embed": "filter/trap-broker", "embed-threads": "threads",
             "notify": "notify-broker", "strace": "strace",
             "strace-bpf": "strace-seccomp"}
    workers = {}
    for key, argv in argvs.items():
        workers[key] = Worker(names[key], argv, os.path.join(out, f"{key}.stderr"))
    return workers


def measure(a, workers, all_cpus):
    sz = sizes(a.quick)
    jobs = []
    for key in workers:
        jobs.append((key, "none", sz["cheap"]))
    for _, key, op in ROWS:
        jobs.append((key, op, batch_size(sz, key, op)))
    jobs += [("threads", t, sz["threads"]) for t in THREADS]
    accs = {}
    for r in range(sz["rounds"]):
        order = [(j, p) for j in jobs for p in (True, False)]
        random.Random(r).shuffle(order)
        for w in workers.values():
            w.discover()
        for (key, op, n), pinned in order:
            if key == "threads":
                acc = accs.setdefault(("threads", op, pinned), Acc())
                run_threads(workers["embed-threads"], op, n, sz["warm"] if r == 0 else 0, acc, all_cpus,
                            pinned)
            else:
                acc = accs.setdefault((key, op, pinned), Acc())
                warm = 0
                if r == 0:
                    warm = min(sz["warm"], n // 4) if key.startswith("strace") else sz["warm"]
                run_batch(workers[key], op, n, warm, acc, all_cpus, pinned)
    return sz, accs


# --- results ------------------------------------------------------------------------------------

def summarize(sz, accs, workers):
    clock = {}
    for key in workers:
        for pinned in (True, False):
            clock[(key, pinned)] = clock_overhead(accs[(key, "none", pinned)].samples)
    rows = []
    for scen, key, op in ROWS:
        for pinned in (True, False):
            acc = accs[(key, op, pinned)]
            s = sorted(acc.samples)
            ov = clock[(key, pinned)]
            rows.append({
                "scenario": scen, "op": OPS[op], "pinned": pinned, "calls": acc.calls,
                "batch": acc.calls // sz["rounds"],
                "p50_ns": round(max(0.0, percentile(s, 0.50) - ov), 1),
                "p99_ns": round(max(0.0, percentile(s, 0.99) - ov), 1),
                "mean_ns": round(max(0.0, sum(s) / len(s) - ov), 1),
                "cpu_ns_per_call": round(max(0.0, acc.cpu / acc.calls - ov), 1),
                "batch_p50_ns": [round(max(0.0, x - ov), 1) for x in acc.batch_p50],
            })
    threads = []
    for t in THREADS:
        for pinned in (True, False):
            acc = accs[("threads", t, pinned)]
            threads.append({
                "threads": t, "pinned": pinned, "calls": acc.calls,
                "calls_per_s": round(acc.calls / (acc.wall / 1e9), 1) if acc.wall else 0,
                "cpu_ns_per_call": round(acc.cpu / acc.calls, 1),
            })
    clock_json = {workers[k].name: {"pinned_ns": clock[(k, True)], "unpinned_ns": clock[(k, False)]}
                  for k in workers}
    return rows, threads, clock_json


def find(rows, scen, op, pinned):
    for r in rows:
        if r["scenario"] == scen and r["op"] == OPS[op] and r["pinned"] == pinned:
            return r
    raise KeyError((scen, op, pinned))


def div(x, y):
    return round(x / y, 3) if y else None


def met(value, cmp, target):
    if value is None or cmp is None:
        return None
    return value <= target if cmp == "<=" else value >= target


def ratios(rows, threads):
    out = []
    for name, num, den, cmp, target in RATIOS:
        for pinned in (True, False):
            n, d = find(rows, *num, pinned), find(rows, *den, pinned)
            v = div(n["p50_ns"], d["p50_ns"])
            out.append({"name": name, "pinning": "pinned" if pinned else "unpinned",
                        "p50_ratio": v,
                        "cpu_ratio": div(n["cpu_ns_per_call"], d["cpu_ns_per_call"]),
                        "target": f"{cmp} {target:g}" if cmp else None,
                        "met": met(v, cmp, target)})
    for name, row, cmp, target in PIN_RATIOS:
        n, d = find(rows, *row, False), find(rows, *row, True)
        v = div(n["p50_ns"], d["p50_ns"])
        out.append({"name": name, "pinning": "-", "p50_ratio": v,
                    "cpu_ratio": div(n["cpu_ns_per_call"], d["cpu_ns_per_call"]),
                    "target": f"{cmp} {target:g}", "met": met(v, cmp, target)})
    for name, t, cmp, target in THREAD_RATIOS:
        for pinned in (True, False):
            tn = next(x for x in threads if x["threads"] == t and x["pinned"] == pinned)
            t1 = next(x for x in threads if x["threads"] == 1 and x["pinned"] == pinned)
            v = div(tn["calls_per_s"], t1["calls_per_s"])
            # One CPU cannot scale: the target is for the unpinned run.
            c = cmp if not pinned else None
            out.append({"name": name + " throughput", "pinning": "pinned" if pinned else "unpinned",
                        "p50_ratio": v,
                        "cpu_ratio": div(tn["cpu_ns_per_call"], t1["cpu_ns_per_call"]),
                        "target": f"{c} {target:g}" if c else None, "met": met(v, c, target)})
    return out


def us(ns):
    v = ns / 1000.0
    if v < 1:
        return f"{v:.3f}"
    if v < 10:
        return f"{v:.2f}"
    if v < 100:
        return f"{v:.1f}"
    return f"{v:.0f}"


def print_table(meta, rows, threads, rats):
    p = print
    p(f"sysbroker bench: {meta['rounds']} round(s), kernel {meta['kernel']}, {meta['cpus']} CPUs, "
      f"pinned = every task of the scenario on CPU {PIN_CPU}")
    p("latency p50/p99 and CPU time per call in microseconds; clock overhead (mean of the "
      "empty timing loop, same worker) subtracted")
    p("cpu/call = CPU of every process of the scenario (worker + broker / strace) per call")
    p("clock overhead (ns, pinned/unpinned): " + ", ".join(
        f"{k} {v['pinned_ns']:g}/{v['unpinned_ns']:g}" for k, v in meta["clock"].items()))
    for name, procs in meta["processes"].items():
        p(f"  {name}: " + ", ".join(procs))
    p("")
    hdr = (f"{'scenario':<14} {'op':<13} {'calls':>7} | {'p50':>8} {'p99':>8} {'cpu/call':>8} |"
           f" {'p50':>8} {'p99':>8} {'cpu/call':>8}")
    p(f"{'':<36} | {'--------- pinned ---------':^26} | {'-------- unpinned --------':^26}")
    p(hdr)
    p("-" * len(hdr))
    last_op = None
    for scen, _, op in ROWS:
        if last_op and op != last_op:
            p("")
        last_op = op
        a, b = find(rows, scen, op, True), find(rows, scen, op, False)
        p(f"{scen:<14} {OPS[op]:<13} {a['calls']:>7} | {us(a['p50_ns']):>8} {us(a['p99_ns']):>8} "
          f"{us(a['cpu_ns_per_call']):>8} | {us(b['p50_ns']):>8} {us(b['p99_ns']):>8} "
          f"{us(b['cpu_ns_per_call']):>8}")
    p("")
    p("threads: brokered newfstatat (trap-broker process), aggregate throughput")
    p(f"{'threads':>7} {'calls':>7} | {'calls/s':>10} {'cpu/call':>8} | "
      f"{'calls/s':>10} {'cpu/call':>8}")
    for t in THREADS:
        a = next(x for x in threads if x["threads"] == t and x["pinned"])
        b = next(x for x in threads if x["threads"] == t and not x["pinned"])
        p(f"{t:>7} {a['calls']:>7} | {a['calls_per_s']:>10.0f} {us(a['cpu_ns_per_call']):>8} | "
          f"{b['calls_per_s']:>10.0f} {us(b['cpu_ns_per_call']):>8}")
    p("")
    p("ratios (of p50; threads: of calls/s; cpu = the same ratio of cpu/call) -- informational")
    p(f"{'ratio':<42} {'pinning':<9} {'value':>7} {'cpu':>7}  {'target':<7} met")
    for r in rats:
        m = "-" if r["met"] is None else ("yes" if r["met"] else "NO")
        v = "-" if r["p50_ratio"] is None else f"{r['p50_ratio']:.2f}"
        c = "-" if r["cpu_ratio"] is None else f"{r['cpu_ratio']:.2f}"
        p(f"{r['name']:<42} {r['pinning']:<9} {v:>7} {c:>7}  {r['target'] or '-':<7} {m}")


def chart(out, meta, rows, threads, warn):
    gnuplot = shutil.which("gnuplot")
    if not gnuplot:
        warn("gnuplot is not installed: no chart (apt-get install gnuplot-nox)")
        return None
    terms = subprocess.run([gnuplot, "-e", "set terminal"], capture_output=True, text=True)
    term = "pngcairo" if "pngcairo" in terms.stdout + terms.stderr else "png"
    labels = [f"{scen} {OPS[op]}" for scen, _, op in ROWS]
    n = len(ROWS)
    datafile = os.path.join(out, "bench.dat")
    vals = []
    with open(datafile, "w") as f:
        f.write("# y p50_pinned_us p50_unpinned_us cpu_pinned_us cpu_unpinned_us\n")
        for i, (scen, _, op) in enumerate(ROWS):
            a, b = find(rows, scen, op, True), find(rows, scen, op, False)
            v = [max(x / 1000.0, 0.001) for x in
                 (a["p50_ns"], b["p50_ns"], a["cpu_ns_per_call"], b["cpu_ns_per_call"])]
            vals += v
            f.write(f"{n - 1 - i} " + " ".join(f"{x:.4f}" for x in v) + "\n")
    lo = 10 ** int(math.floor(math.log10(min(vals))))
    hi = 10 ** int(math.ceil(math.log10(max(vals) * 3)))
    ytics = ", ".join(f'"{lab}" {n - 1 - i}' for i, lab in enumerate(labels))
    png = os.path.join(out, "bench.png")
    title = (f"sysbroker bench  {meta['date']}  kernel {meta['kernel']}, {meta['cpus']} CPUs, "
             f"{meta['rounds']} round(s); clock overhead subtracted; log scale")
    seps = "\n".join(
        f"set arrow from graph 0, first {n - 1 - i + 0.5} to graph 1, first {n - 1 - i + 0.5} "
        f"nohead lc rgb '#999999' dt 2"
        for i in range(1, n) if ROWS[i][2] != ROWS[i - 1][2])

    def panel(col_p, col_u, xlabel):
        bar = ("'{f}' using (sqrt({lo}*${c})):($1{s}0.19):({lo}):(${c}):($1{s}0.02):($1{s}0.36) "
               "with boxxyerror lc rgb '{rgb}' title '{t}'")
        lab = ("'{f}' using (${c}):($1{s}0.19):(sprintf(' %.3g', ${c})) "
               "with labels left font ',8' notitle")
        parts = [bar.format(f=datafile, lo=lo, c=col_p, s="+", rgb="#d62728",
                            t=f"pinned (CPU {PIN_CPU})"),
                 bar.format(f=datafile, lo=lo, c=col_u, s="-", rgb="#1f77b4", t="unpinned"),
                 lab.format(f=datafile, c=col_p, s="+"), lab.format(f=datafile, c=col_u, s="-")]
        return f"set xlabel '{xlabel}'\nplot " + ", \\\n  ".join(parts) + "\n"

    tput = "   ".join(
        f"{t}T " + " / ".join(f"{x['calls_per_s'] / 1000:.1f}k" for x in threads
                             if x["threads"] == t)
        for t in THREADS)
    note = (f"threads, brokered newfstatat, calls/s pinned / unpinned:   {tput}.   "
            f"Table and ratios: run-bench.sh's output and bench.json")
    script = f"""
set terminal {term} size 1500,850 {'font "sans,10"' if term == 'pngcairo' else ''}
set output '{png}'
set label 1 "{note}" at screen 0.5, screen 0.015 center
set bmargin 5
set multiplot layout 1,2 title "{title}"
set logscale x
set xrange [{lo}:{hi}]
set yrange [-0.6:{n - 0.4}]
set ytics ({ytics}) nomirror
set grid xtics mxtics
set style fill solid 0.85 noborder
set key top right
{seps}
set title 'latency per call, p50 (us)'
{panel(2, 3, 'microseconds per call')}
set title 'CPU time per call, every process of the scenario (us)'
{panel(4, 5, 'microseconds of CPU per call')}
unset multiplot
"""
    with open(os.path.join(out, "bench.gp"), "w") as f:
        f.write(script)
    r = subprocess.run([gnuplot, os.path.join(out, "bench.gp")], capture_output=True, text=True)
    if r.returncode != 0:
        err = r.stderr.strip().splitlines()
        warn(f"gnuplot failed: {err[-1] if err else r.returncode}")
        return None
    return png


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", required=True)
    ap.add_argument("--build", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    out = os.path.abspath(a.out)
    t0 = time.monotonic()

    def warn(msg):
        print(f"run-bench: warning: {msg}", file=sys.stderr)

    all_cpus = os.sched_getaffinity(0)
    if PIN_CPU not in all_cpus:
        print(f"run-bench: CPU {PIN_CPU} is not available to this process", file=sys.stderr)
        return 1
    data = tempfile.mkdtemp(prefix="sysbroker-bench-")
    workers = {}
    try:
        with open(os.path.join(data, "bench.dat"), "wb") as f:
            f.write(os.urandom(8192))
        with open(os.path.join(data, "denied.dat"), "wb") as f:
            f.write(b"not granted by bench.policy\n")
        with open(os.path.join(a.src, "tests", "bench", "bench.policy")) as f:
            text = f.read()
        static = os.path.realpath(os.path.join(a.build, "tests", "bench", "sbbench-static"))
        text = (text.replace("@SRC@", a.src).replace("@DATA@", os.path.realpath(data))
                .replace("@STATIC_WORKER@", static))
        policy = os.path.join(out, "bench.policy")
        with open(policy, "w") as f:
            f.write(text)
        for log in ("embed-audit.log", "notify-audit.log"):
            try:
                os.unlink(os.path.join(out, log))
            except OSError:
                pass

        workers = start_workers(a, os.path.realpath(data), policy, out)
        for w in workers.values():
            w.cmd("hello")
        processes = {}
        for w in workers.values():
            w.discover()
            processes[w.name] = w.processes()
        sz, accs = measure(a, workers, all_cpus)
    except ScenarioError as e:
        print(f"run-bench: scenario {e} (logs in {out})", file=sys.stderr)
        return 1
    finally:
        for w in workers.values():
            w.stop()
        shutil.rmtree(data, ignore_errors=True)

    rows, threads, clock = summarize(sz, accs, workers)
    rats = ratios(rows, threads)
    meta = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "kernel": platform.release(), "machine": platform.machine(),
        "cpus": len(all_cpus), "pin_cpu": PIN_CPU, "quick": a.quick, "rounds": sz["rounds"],
        "seconds": round(time.monotonic() - t0, 1), "clock": clock, "processes": processes,
    }
    print_table(meta, rows, threads, rats)
    del meta["clock"]
    doc = {"schema": SCHEMA, "meta": meta, "sizes": sz, "clock_overhead": clock,
           "results": rows, "threads": threads, "ratios": rats}
    with open(os.path.join(out, "bench.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    png = chart(out, meta, rows, threads, warn)
    print("")
    print(f"wrote {os.path.join(out, 'bench.json')}" + (f" and {png}" if png else "") +
          f" ({meta['seconds']:.1f} s of measurement)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
