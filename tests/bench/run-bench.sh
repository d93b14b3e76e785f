#!/bin/sh
# The side-by-side benchmark (issues 7 and 18), in two parts run in one go: the micro part, what
# one system call costs natively, under the kernel filter, over the trap transport (embedded
# broker), over seccomp notify (`sysbroker run` of a static program) and under strace, in three
# CPU placements; and the macro part, whole programs natively, under `sysbroker run`, under
# `strace -f` and under bwrap.
#
#     tests/bench/run-bench.sh [--quick] [--micro | --macro] [--macro-cpus LIST]
#                              [--macro-rounds N] [--out DIR] [--no-build]
#
#   --quick          tiny sizes, 1 round of each part (16-32 s here under load; what CI runs:
#                    does every scenario and workload still run?); its numbers mean nothing
#   --micro          only the micro part (5 min here at load average 10); with --macro, both
#   --macro          only the macro part (16 min here at load average 10; --quick: 3-10 s)
#   --macro-cpus L   the CPUs of every macro run, e.g. 0 or 0-1 (default: every CPU this process
#                    may use)
#   --macro-rounds N paired rounds of the macro part (default 5; --quick: 1)
#
# Installs missing Debian packages (.ci/install-deps; bubblewrap and libpython3.11-testsuite too
# for a full run) and builds what it needs with meson/ninja in $BUILD_DIR (default: build/ at
# the top of the tree; --no-build skips both).
#
# MICRO. bench.py starts one long-lived worker (sbbench.c) per scenario and drives them over
# pipes:
#
#   native         plain process: getppid, newfstatat, openat+close, pread of 4 KiB
#   seccomp-floor  own filter of one instruction, RET_ALLOW: getppid, read 4 KiB -- what having
#                  any filter costs a syscall (the kernel's slow path), before a rule runs
#   filter         sb_sandbox_enter() under bench.policy (python3.policy + the bench file):
#                  getppid, read 4 KiB -- allowed by the kernel filter, so the filter's cost
#   trap-floor     own one-rule filter, getppid -> SECCOMP_RET_TRAP, a SIGSYS handler writes the
#                  return register: trap + handler + sigreturn, no broker (the mechanism's floor)
#   trap-broker    the same process as filter: newfstatat, openat+close of a file a static
#                  `read` grant allows, over whatever path the tree serves them by
#   notify-broker  the static worker under `sysbroker run -p bench.policy`: getppid (kernel),
#                  newfstatat, openat+close
#   run-broker     the dynamic worker under `sysbroker run -p bench.policy`: getppid, and the C
#                  library's fstatat and openat of a file in a tree the policy grants whole
#                  (which the kernel enforces), which the preloaded runtime answers without a
#                  trap (the fast path)
#   run-deep       the same worker started by /bin/sh -c 'exec /bin/sh -c "exec WORKER ..."':
#                  three images, each with its trap filters on the stack; getppid and fstatat
#   strace         the native worker under `strace -f -e trace=openat,newfstatat -o /dev/null`
#                  (it stops every syscall: -e trace= only filters what it prints)
#   strace-seccomp the same with --seccomp-bpf, which stops only the traced calls (ptrace at
#                  its best)
#   threads        a second trap-broker process, with a pool of 4 threads (the others stay
#                  single-threaded): 1, 2 and 4 threads making newfstatat together
#
# Each is measured in three placements (column "place"), set with sched_setaffinity on every
# task (threads included) of every process of the scenario's session before each batch:
#   one-cpu    every task on CPU 0
#   cross-cpu  the worker's tasks on CPU 0; everything else (the broker, `sysbroker run`,
#              strace, their threads) on CPU 1 -- every hand-off crosses CPUs. For a scenario of
#              one process (native, seccomp-floor, trap-floor) it is the same as one-cpu.
#   unpinned   every task free on all CPUs: wherever the scheduler puts them
# R rounds (7; --quick: 1); in each round every (scenario, op, placement) runs one batch, in a
# shuffled order, so that drift hits all alike. The first round warms each batch up with untimed
# calls. Every call is checked in the worker (a failure ends the run), and each sandboxed worker
# first checks that stating an existing, ungranted file fails with the policy's EACCES (so its
# calls really are confined).
#
# MACRO (macro.py; policies in tests/bench/macro/, built on examples/policies):
#   stat      /usr/bin/python3: 100k os.stat over 1,000 files of a tree a static grant allows
#   make      make -j2 of 31 generated C files, examples/policies/build.policy
#   git       git init, add -A and commit of 2,000 generated files
#   tar       tar c of /usr/share/doc into the work tree, then tar x of it there
#   unittest  python3 -m unittest of test_stat, test_fnmatch, test_glob, test_genericpath,
#             test_posixpath, test_shutil (libpython3.11-testsuite; the row says why if missing)
# Each runs as native, `sysbroker run -p POLICY`, `strace -f -o /dev/null` and `bwrap --ro-bind
# / / --bind WORK WORK --dev /dev --proc /proc --unshare-all` (a peer that cannot run here is
# reported unavailable, with the reason). One untimed native run first, then N paired rounds: in
# each, the four peers of a workload run back to back in a shuffled order (workloads shuffled
# too), every process of every run on --macro-cpus (set before exec, inherited by all). Each run
# must exit 0 and leave the expected result (objects, commit, extracted files); before the
# rounds, each policy must refuse, with a denial record in its log, a file it does not grant
# that the same program reads natively (so the sysbroker row really is confined).
#
# Output: the tables on stdout, DIR/bench.json and DIR/bench.png (gnuplot; skipped with a
# warning when gnuplot is missing). DIR defaults to $BUILD_DIR/bench. Micro columns:
#   p50, mean, p99  per-call latency over every sample of every round, in microseconds, from
#              CLOCK_MONOTONIC in the worker (one clock read per call); the mean time of the
#              empty timing loop (same worker, same placement: "clock" in the JSON) is
#              subtracted from every sample
#   cpu/call   CPU time per call, in microseconds: the growth of the first field of
#              /proc/PID/task/TID/schedstat (ns on CPU), summed over every task of every process
#              in the scenario's session (worker, its broker or strace, their threads), over a
#              batch, divided by its calls, minus the same clock overhead. It counts the broker's
#              and strace's work, which latency alone hides.
#   calls/s    calls / wall time of the back-to-back timed loops (clock overhead subtracted);
#              1/p50 beside it is what the median latency alone predicts (they part when the
#              tail is long). threads: total calls / wall time from release to the last thread
#              done, beside T/p50 (T callers at 1/p50 of trap-broker newfstatat, nothing shared)
#   xnat       p50 / native's p50 of the same call in the same placement
#   ratios     a / b of p50 (threads: of calls/s), of the mean and of cpu/call, with the
#              issues' targets; "met" is informational: a number never fails the run.
# Macro columns: native's median wall time; per peer the wall-time ratio to native of the same
# round, median (min-max) over the rounds, with the target (<= 1.3); strace/sb overhead = (strace
# ratio - 1) / (sysbroker ratio - 1) per round, median (min-max), target >= 5.
# bench.json (schema "sysbroker-bench/2"): meta {date, kernel, machine, cpus, pin_cpu, quick,
# part, seconds, loadavg_at_end}; micro {sizes, rounds, placements: {name: what it pins},
# processes: the tasks counted per scenario, clock_overhead {worker: {PLACEMENT_ns}}, rows
# [{scenario, op, placement, calls, batch, p50_ns, mean_ns, p99_ns, cpu_ns_per_call, calls_per_s,
# inv_p50_per_s, p50_ratio_to_native, batch_p50_ns: the p50 of each round's batch, to see
# drift}], threads [{threads, placement, calls, calls_per_s, t_over_p50_per_s, cpu_ns_per_call}],
# ratios [{name, placement (or "-"), p50_ratio, mean_ratio, cpu_ratio, target, met}]} or null;
# macro {rounds, cpus, peers, peer_unavailable {peer: reason}, targets, workloads [{workload,
# label, native_s {median, min, max, q1, q3}, native_seconds [per round], peers {PEER: {seconds
# [per round], ratio {median, min, max, q1, q3}, target, met}}, strace_overhead_over_sysbroker
# {median, ...}, vs_strace_target, vs_strace_met, kernel_grants: the log's kernel-grants line
# (whether the kernel enforced grants, and whether the system's audit recorded its refusals,
# which narrows what the runtime tries)} or {workload, label, unavailable: reason}]} or null.
# Chart: ratios to native on a linear axis, one group per call (bars: placements) and per
# workload (bars: peers, with min-max), each target a dashed line over its groups.
# Exit status: 0 when everything ran; non-zero with one line on stderr when a scenario or a
# workload could not (a worker failed a call, a sandbox did not start, a policy did not confine,
# a run exited non-zero, strace is missing, ...). A peer that cannot run on this machine (bwrap
# without namespaces) or a missing test suite makes a row "unavailable", not a failure.
set -eu
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$src/build}
case $build in /*) ;; *) build=$(pwd)/$build ;; esac
out=""
quick=""
nobuild=""
part=all
macro_opts=""
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=--quick ;;
	--no-build) nobuild=1 ;;
	--micro) if [ "$part" = macro ]; then part=all; else part=micro; fi ;;
	--macro) if [ "$part" = micro ]; then part=all; else part=macro; fi ;;
	--macro-cpus | --macro-rounds)
		[ $# -ge 2 ] || { echo "run-bench: $1 needs a value" >&2; exit 2; }
		macro_opts="$macro_opts $1 $2"
		shift
		;;
	--out)
		[ $# -ge 2 ] || { echo "run-bench: --out needs a directory" >&2; exit 2; }
		out=$2
		shift
		;;
	--out=*) out=${1#--out=} ;;
	-h | --help)
		sed -n '2,/^set -eu/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
		exit 0
		;;
	*) echo "run-bench: unknown argument: $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done
[ -n "$out" ] || out=$build/bench

if [ -z "$nobuild" ]; then
	# A fresh machine: the build's and the benchmark's packages (strace, gnuplot) from Debian.
	"$src/.ci/install-deps"
	# The namespace peer of the macro part and Python's test suite (the unittest workload), for
	# a full run only (CI's --quick reports those rows unavailable without them).
	if [ -z "$quick" ] && [ "$part" != micro ]; then
		as_root=""
		[ "$(id -u)" -eq 0 ] || as_root="sudo"
		for p in bubblewrap libpython3.11-testsuite; do
			dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" &&
				continue
			echo "installing: $p" >&2
			$as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
				--no-install-recommends "$p" >/dev/null ||
				echo "run-bench: could not install $p: its row is unavailable" >&2
		done
	fi
	mkdir -p "$out"
	log=$out/build.log
	if [ ! -f "$build/build.ninja" ] && ! meson setup "$build" "$src" >"$log" 2>&1; then
		echo "run-bench: meson setup $build failed (see $log)" >&2
		exit 1
	fi
	if ! ninja -C "$build" tests/bench/sbbench tests/bench/sbbench-static cli/sysbroker \
		sandboxee/libsysbroker-preload.so >"$log" 2>&1; then
		echo "run-bench: building in $build failed (see $log)" >&2
		exit 1
	fi
fi
# shellcheck disable=SC2086
exec python3 "$src/tests/bench/bench.py" --src "$src" --build "$build" --out "$out" $quick \
	--part "$part" $macro_opts
