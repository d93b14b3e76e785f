#!/bin/sh
# The side-by-side benchmark (issue 7): what a system call costs natively, under the kernel filter,
# over the trap transport (embedded broker), over seccomp notify (`sysbroker run` of a static
# program) and under strace, all in one run.
#
#     tests/bench/run-bench.sh [--quick] [--out DIR] [--no-build]
#
# Installs missing Debian packages (.ci/install-deps) and builds what it needs with meson/ninja in
# $BUILD_DIR (default: build/ at the top of the tree; --no-build skips both), then bench.py starts one long-lived worker (sbbench.c) per scenario and
# drives them over pipes:
#
#   native         plain process: getppid, newfstatat, openat+close, pread of 4 KiB
#   seccomp-floor  own filter of one instruction, RET_ALLOW: getppid, read 4 KiB -- what having
#                  any filter costs a syscall (the kernel's slow path), before a rule runs
#   filter         sb_sandbox_enter() under bench.policy (python3.policy + the bench file):
#                  getppid, read 4 KiB -- allowed by the kernel filter, so the filter's cost
#   trap-floor     own one-rule filter, getppid -> SECCOMP_RET_TRAP, a SIGSYS handler writes the
#                  return register: trap + handler + sigreturn, no broker (the mechanism's floor)
#   trap-broker    the same process as filter: newfstatat, openat+close brokered over the trap
#   notify-broker  the static worker under `sysbroker run -p bench.policy`: getppid (kernel),
#                  newfstatat, openat+close (SECCOMP_RET_USER_NOTIF, the fd by ADDFD)
#   strace         the native worker under `strace -f -e trace=openat,newfstatat -o /dev/null`
#                  (it stops every syscall: -e trace= only filters what it prints)
#   strace-seccomp the same with --seccomp-bpf, which stops only the traced calls (ptrace at
#                  its best)
#   threads        a second trap-broker process, with a pool of 4 threads (the others stay
#                  single-threaded): 1, 2 and 4 threads making newfstatat together
#
# Each is measured pinned (every task of every process of the scenario -- worker, broker, strace
# -- on CPU 0) and unpinned (all CPUs). R rounds (7; --quick: 1); in each round every (scenario,
# op, pinning) runs one batch, in a shuffled order, so that drift hits all alike. The first round
# warms each batch up with untimed calls. Every call is checked in the worker (a failure ends the
# run), and each sandboxed worker first checks that stating an existing, ungranted file fails
# with the policy's EACCES (so its calls really are brokered).
#
# Output: a table on stdout, DIR/bench.json and DIR/bench.png (gnuplot; skipped with a warning
# when gnuplot is missing). DIR defaults to $BUILD_DIR/bench. Columns and fields:
#   p50, p99   per-call latency percentiles over every sample of every round, in microseconds,
#              from CLOCK_MONOTONIC in the worker (one clock read per call); the median time of
#              the empty timing loop (clock_gettime + loop, measured in the same worker, same
#              pinning: "clock" in the JSON) is subtracted from every sample
#   cpu/call   CPU time per call, in microseconds: the growth of the first field of
#              /proc/PID/task/TID/schedstat (ns on CPU), summed over every task of every process
#              in the scenario's session (worker, its broker or strace, their threads), over a
#              batch, divided by its calls, minus the same clock overhead. It counts the broker's
#              and strace's work, which latency alone hides.
#   calls/s    threads: total calls / total wall time from release to the last thread done
#   ratios     a / b of p50 (threads: of calls/s), and the same ratio of cpu/call, with the
#              issue's target; "met" is informational: a number never fails the run.
# bench.json (schema "sysbroker-bench/1"): meta {date, kernel, machine, cpus, pin_cpu, quick,
# rounds, seconds, processes: the tasks counted per scenario}; sizes {rounds, calls per batch:
# cheap, broker, strace, threads (per thread), warm}; clock_overhead {worker: {pinned_ns,
# unpinned_ns}}; results [{scenario, op, pinned, calls, batch, p50_ns, p99_ns, mean_ns,
# cpu_ns_per_call, batch_p50_ns: the p50 of each round's batch, to see drift}]; threads
# [{threads, pinned, calls, calls_per_s, cpu_ns_per_call (no clock overhead to subtract)}];
# ratios [{name, pinning: pinned|unpinned|-, p50_ratio, cpu_ratio, target: "<= 1.15" or null,
# met: true|false|null}].
# Exit status: 0 when every scenario ran; non-zero with one line on stderr when one could not
# (a worker failed a call, a sandbox did not start, strace is missing, ...).
set -eu
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$src/build}
case $build in /*) ;; *) build=$(pwd)/$build ;; esac
out=""
quick=""
nobuild=""
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=--quick ;;
	--no-build) nobuild=1 ;;
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
	mkdir -p "$out"
	log=$out/build.log
	if [ ! -f "$build/build.ninja" ] && ! meson setup "$build" "$src" >"$log" 2>&1; then
		echo "run-bench: meson setup $build failed (see $log)" >&2
		exit 1
	fi
	if ! ninja -C "$build" tests/bench/sbbench tests/bench/sbbench-static cli/sysbroker \
		>"$log" 2>&1; then
		echo "run-bench: building in $build failed (see $log)" >&2
		exit 1
	fi
fi
exec python3 "$src/tests/bench/bench.py" --src "$src" --build "$build" --out "$out" $quick
