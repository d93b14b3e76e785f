# SPDX-License-Identifier: LGPL-2.1-or-later
"""The benchmark's chart (run-bench.sh): OUT/bench.png, drawn by gnuplot. Every bar is a ratio to
native on a LINEAR axis, one group per call (micro) or workload (macro), and every target of the
issue is a dashed line over the groups it applies to. A bar taller than the axis is cut at its
top and keeps its value as a label."""

import os
import shutil
import subprocess

COLOURS = {"one-cpu": "#d62728", "cross-cpu": "#ff7f0e", "unpinned": "#1f77b4",
           "sysbroker": "#2ca02c", "strace": "#9467bd", "bwrap": "#8c564b"}
# Micro: (scenario, op) -> the target of the ratio to native, if the issues set one.
MICRO_TARGETS = {("filter", "getppid"): 1.15, ("filter", "read 4KiB"): 1.15,
                 ("trap-broker", "newfstatat"): 2.0, ("trap-broker", "openat+close"): 2.0,
                 ("notify-broker", "newfstatat"): 2.0, ("notify-broker", "openat+close"): 2.0,
                 ("run-broker", "newfstatat"): 2.0, ("run-broker", "openat+close"): 2.0}
MICRO_CAP = 25.0
# How each kind of target line is drawn, and its key.
TARGET_STYLE = {"target": ("lc rgb 'black' lw 2 dt 2", "target"),
                "strace": ("lc rgb '#54278f' lw 3 dt 3",
                           "target: overhead 5x below that of strace, 1 + (strace - 1) / 5")}
MACRO_CAP = 12.0


def gnuplot_term(gnuplot):
    terms = subprocess.run([gnuplot, "-e", "set terminal"], capture_output=True, text=True)
    return "pngcairo" if "pngcairo" in terms.stdout + terms.stderr else "png"


def micro_groups(micro):
    """[(label, [(series, value, lo, hi)], target)] of the micro rows, natives left out."""
    if not micro:
        return []
    groups = []
    for row in micro["rows"]:
        if row["scenario"] == "native":
            continue
        label = f"{row['scenario']}\\n{row['op']}"
        if not groups or groups[-1][0] != label:
            t = MICRO_TARGETS.get((row["scenario"], row["op"]))
            groups.append((label, [], [(t, "target")] if t else []))
        v = row["p50_ratio_to_native"]
        if v is not None:
            groups[-1][1].append((row["placement"], v, None, None))
    return groups


def macro_groups(macro):
    groups = []
    for w in (macro or {}).get("workloads", []):
        if "unavailable" in w:
            continue
        bars = []
        for peer in ("sysbroker", "strace", "bwrap"):
            x = w["peers"].get(peer)
            if x:
                r = x["ratio"]
                bars.append((peer, r["median"], r["min"], r["max"]))
        # Two targets: <= 1.3x, and an overhead 5x below strace's (1 + (strace - 1) / 5).
        st = w["peers"].get("strace")
        targets = [(1.3, "target")]
        if st and st["ratio"]["median"] > 1:
            targets.append((round(1 + (st["ratio"]["median"] - 1) / 5, 3), "strace"))
        groups.append((w["workload"], bars, targets))
    return groups


def panel(groups, cap, datafile, series_order, title):
    """The gnuplot commands of one panel, and the data they read."""
    lines, xtics, arrows = [], [], []
    x = 0.0
    width = 0.8
    series_seen = []
    for label, bars, targets in groups:
        n = max(1, len(bars))
        w = width / n
        x0 = x - width / 2
        for i, (series, v, lo, hi) in enumerate(bars):
            bx = x0 + w * (i + 0.5)
            col = series_order.index(series)
            if series not in series_seen:
                series_seen.append(series)
            shown = min(v, cap)
            lo_s = min(lo, cap) if lo is not None else shown
            hi_s = min(hi, cap) if hi is not None else shown
            text = f"{v:.0f}" if v >= 100 else f"{v:.3g}"
            lines.append(f"{bx:.3f} {shown:.4f} {lo_s:.4f} {hi_s:.4f} {col + 1} {w * 0.9:.3f} "
                         f"\"{text}\"")
        for t, kind in targets:
            style = TARGET_STYLE[kind][0]
            arrows.append(f"set arrow from {x0:.3f},{t} to {x0 + width:.3f},{t} nohead "
                          f"{style} front")
        xtics.append(f'"{label}" {x:.3f}')
        x += 1.0
    with open(datafile, "w") as f:
        f.write("# x shown lo hi series width label\n" + "\n".join(lines) + "\n")
    colours = "\n".join(f"set linetype {i + 1} lc rgb '{COLOURS[s]}'"
                        for i, s in enumerate(series_order))
    keys = ", ".join(f"NaN with boxes fs solid lc rgb '{COLOURS[s]}' title '{s}'"
                     for s in series_order if s in series_seen)
    kinds = sorted({k for _, _, ts in groups for _, k in ts}, reverse=True)
    tkeys = "".join(f"NaN with lines {TARGET_STYLE[k][0]} title '{TARGET_STYLE[k][1]}', "
                    for k in kinds)
    cmd = f"""
set title "{title}"
unset arrow
{chr(10).join(arrows)}
set arrow from -0.6,1 to {x - 0.4:.3f},1 nohead lc rgb '#444444' lw 1 front
set xrange [-0.6:{x - 0.4:.3f}]
set yrange [0:{cap}]
set xtics ({", ".join(xtics)}) rotate by 0 font ",8"
set ytics nomirror
set grid ytics
set ylabel "ratio to native (linear)"
{colours}
plot '{datafile}' using 1:2:6:5 with boxes fill solid 0.85 noborder lc variable notitle, \\
  '{datafile}' using 1:2:3:4 with yerrorbars lc rgb 'black' pt 0 notitle, \\
  '{datafile}' using 1:4:7 with labels offset 0,0.6 font ",7" notitle, \\
  {tkeys}{keys}
"""
    return cmd


def draw(out, meta, micro, macro, warn):
    gnuplot = shutil.which("gnuplot")
    if not gnuplot:
        warn("gnuplot is not installed: no chart (apt-get install gnuplot-nox)")
        return None
    term = gnuplot_term(gnuplot)
    png = os.path.join(out, "bench.png")
    mg, Mg = micro_groups(micro), macro_groups(macro)
    parts = []
    if mg:
        parts.append(panel(mg, MICRO_CAP, os.path.join(out, "bench-micro.dat"),
                           ["one-cpu", "cross-cpu", "unpinned"],
                           f"one call: p50 latency / native's, per placement; axis cut at "
                           f"{MICRO_CAP:g}x (the label keeps the value); targets: <= 2x "
                           f"(static grant), <= 1.15x (kernel-allowed)"))
    if Mg:
        cpus = ",".join(str(c) for c in macro["cpus"])
        parts.append(panel(Mg, MACRO_CAP, os.path.join(out, "bench-macro.dat"),
                           ["sysbroker", "strace", "bwrap"],
                           f"whole programs: wall time / native's, median and min-max of "
                           f"{macro['rounds']} paired round(s), CPUs {cpus}; targets: <= 1.3x, "
                           f"and overhead 5x below strace's"))
    if not parts:
        return None
    title = (f"sysbroker bench  {meta['date']}  kernel {meta['kernel']}, {meta['cpus']} CPUs"
             f"{'  (quick: sizes too small to mean anything)' if meta['quick'] else ''}")
    font = 'font "sans,10"' if term == "pngcairo" else ""
    script = f"""
set terminal {term} size 1700,{520 * len(parts) + 80} {font}
set output '{png}'
set multiplot layout {len(parts)},1 title "{title}"
set key top right
set bmargin 4
{"".join(parts)}
unset multiplot
"""
    gp = os.path.join(out, "bench.gp")
    with open(gp, "w") as f:
        f.write(script)
    r = subprocess.run([gnuplot, gp], capture_output=True, text=True)
    if r.returncode != 0:
        err = r.stderr.strip().splitlines()
        warn(f"gnuplot failed: {err[-1] if err else r.returncode}")
        return None
    return png
