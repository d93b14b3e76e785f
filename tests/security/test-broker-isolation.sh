#!/bin/sh
# The broker's isolation (issue 16), tried for real by tests/security/isolate.c under
# `sysbroker run`, dynamic (trap) and static (notify), with and without --user nobody:
#   a. a blocking connect to an address that never answers: the broker has no thread besides its
#      main one (none to SIGSTOP or SIGKILL by TID), keeps serving, and --timeout still ends the
#      run;
#   b. /proc/<every broker TID>/{environ,maps,fd}: refused, with a record;
#   c. a lease on a granted file, then an open for writing and a truncate of it: another process's
#      stat is answered meanwhile (within seconds, not lease-break-time), and both complete once
#      the holder gives the lease up.
#     test-broker-isolation.sh SYSBROKER SOURCE_ROOT ISOLATE ISOLATE_STATIC
set -u
sb=$1
src=$2
unset LD_LIBRARY_PATH

. "$src/tests/tap.sh"
# line OUTPUT NAME: the attempt's line
line() { printf '%s\n' "$1" | grep "^$2 " | head -n 1; }
# held OUTPUT NAME ERRNO TAG
held() {
	case "$(line "$1" "$2")" in
	"$2 ret=-1 errno=$3"*) ok "$4: $2 is refused with $3" ;;
	*) not_ok "$4: $2 is refused with $3: $(line "$1" "$2")" ;;
	esac
}
# within MS LO HI: LO <= MS < HI (MS empty: false)
within() { [ -n "$1" ] && [ "$1" -ge "$2" ] && [ "$1" -lt "$3" ]; }
# ms OUTPUT NAME: the attempt's elapsed milliseconds
ms() { line "$1" "$2" | sed -n 's/.* ms=\([0-9]*\).*/\1/p'; }

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root (sysbroker run --user)"
	exit 0
fi
if ! command -v python3 >/dev/null; then
	echo "1..0 # SKIP needs python3 (the listener that never answers)"
	exit 0
fi
tmp=$(mktemp -d /tmp/sb-iso.XXXXXX)
chmod 755 "$tmp"
cp "$3" "$tmp/isolate"
cp "$4" "$tmp/isolate-static"
root=$tmp/root
mkdir "$root"
chmod 777 "$root"
echo granted >"$root/granted.txt"
listener=
cleanup() {
	[ -n "$listener" ] && kill "$listener" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# A TCP port on loopback that never answers: a listener whose accept queue (backlog 0) is full,
# so the kernel drops every further SYN and a blocking connect waits for minutes.
python3 - "$tmp/port" <<'PY' &
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(0)
fill = socket.create_connection(s.getsockname())
time.sleep(0.2)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(600)
PY
listener=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
port=$(cat "$tmp/port")

cat >"$tmp/iso.policy" <<P
sysbroker-policy 1
include $src/examples/policies/runtime.policy
default syscall deny errno ENOSYS log
default path deny errno EACCES log
allow @process @signal @time @ipc @memory @file-read @file-write
allow socket if arg0 == AF_INET
path $tmp/isolate read exec
path $tmp/isolate-static read exec
path $root/** read write create delete list
path /proc/** read list
net tcp:127.0.0.1:$port connect
P
log=$tmp/audit.log

for v in dynamic static; do
	for user in "" nobody; do
		if [ $v = dynamic ]; then
			bin=$tmp/isolate transport=trap
		else
			bin=$tmp/isolate-static transport=notify
		fi
		T="$v ($transport)${user:+ --user $user}"
		rm -f "$root/go" "$root/tids"
		: >"$log"

		# --- a, b: the broker's threads and /proc while a connect waits ---------------
		start=$(date +%s)
		"$sb" run --log "$log" -p "$tmp/iso.policy" --timeout 6 ${user:+--user $user} -- \
			"$bin" threads "$root" 127.0.0.1 "$port" >"$tmp/out" 2>&1 &
		run=$!
		# The broker is `sysbroker run` itself: the program's parent. Its pid is the run's.
		for _ in $(seq 100); do grep -q waiting-for-go "$tmp/out" && break; sleep 0.05; done
		sleep 0.3
		out=$(cat "$tmp/out")
		case $out in
		*"connect ret="*) not_ok "$T: the connect to a port that never answers still waits ($out)" ;;
		*) ok "$T: the connect to a port that never answers still waits" ;;
		esac
		ls "/proc/$run/task" >"$root/tids"
		check "$T: the broker has exactly one thread while the connect waits ($(tr '\n' ' ' <"$root/tids"))" \
			[ "$(cat "$root/tids")" = "$run" ]
		check "$T: a brokered stat was served while the connect waited" \
			grep -q "^stat-while-connecting ret=0 " "$tmp/out"
		touch "$root/go"
		wait $run
		end=$(date +%s)
		out=$(cat "$tmp/out")
		check "$T: the program's parent is the broker ($(line "$out" broker))" \
			[ "$(line "$out" broker)" = "broker $run" ]
		check "$T: no TID of the broker but its pid to stop or kill ($(line "$out" tids))" \
			[ "$(line "$out" tids)" = "tids 1" ]
		case $out in
		*kill-*) not_ok "$T: no kill of a broker thread was tried: $(printf '%s\n' "$out" | grep kill-)" ;;
		*) ok "$T: no kill of a broker thread was even possible" ;;
		esac
		for a in environ maps fd; do
			held "$out" open-proc-tid-$a EACCES "$T"
			held "$out" open-proc-task-tid-$a EACCES "$T"
		done
		check "$T: the broker's /proc refusals are on the record" \
			grep -q "\"path\":\"/proc/$run/task/$run/environ\".*\"decision\":\"deny\"" "$log"
		check "$T: a brokered open after the attacks succeeds" \
			grep -q "^open-after ret=[0-9]" "$tmp/out"
		check "$T: --timeout 6 ended the run, the connect still waiting, within 20 s (took $((end - start)) s)" \
			[ $((end - start)) -le 20 ]
		if [ -d "/proc/$run" ]; then
			not_ok "$T: the broker is gone after the run"
		else
			ok "$T: the broker is gone after the run"
		fi

		# --- a': waiting calls whose caller died are dropped, not kept to the cap ----------
		out=$(timeout 60 "$sb" run -p "$tmp/iso.policy" ${user:+--user $user} -- \
			"$bin" churn 127.0.0.1 "$port" 70 2>&1)
		case $out in
		*"churn-done 70"*"connect ret="*) not_ok "$T: 70 waiting connects whose callers died leave room for one more: $(line "$out" connect)" ;;
		*"churn-done 70"*) ok "$T: 70 waiting connects whose callers died leave room for one more (dropped with their callers)" ;;
		*) not_ok "$T: 70 waiting connects whose callers died leave room for one more: $out" ;;
		esac

		# --- c: a lease on a granted file -----------------------------------------------
		rm -f "$root/leased"
		echo "leased-content" >"$root/leased"
		[ -n "$user" ] && chown "$user" "$root/leased"
		: >"$log"
		start=$(date +%s)
		out=$(timeout 120 "$sb" run --log "$log" -p "$tmp/iso.policy" ${user:+--user $user} -- \
			"$bin" lease "$root/leased" 2>&1)
		end=$(date +%s)
		case "$(line "$out" set-lease)" in
		"set-lease ret=0 "*) ok "$T: the program holds a read lease on a granted file" ;;
		*) not_ok "$T: the program holds a read lease on a granted file: $out" ;;
		esac
		s_ms=$(ms "$out" stat-during-lease)
		check "$T: the stat during the lease succeeds ($(line "$out" stat-during-lease))" \
			sh -c "printf '%s\n' \"\$1\" | grep -q '^stat-during-lease ret=0 '" _ "$out"
		check "$T: a stat from a third process is answered while the lease holds an open (${s_ms:-?} ms < 10000)" \
			within "$s_ms" 0 10000
		check "$T: the open for writing completes once the lease is given up ($(line "$out" open-write-leased))" \
			sh -c "printf '%s\n' \"\$1\" | grep -q '^open-write-leased ret=[0-9]* errno=0 '" _ "$out"
		check "$T: a thread of the holder's own process opens for writing once the lease is given up ($(line "$out" open-write-leased-thread))" \
			sh -c "printf '%s\n' \"\$1\" | grep -q '^open-write-leased-thread ret=[0-9]* errno=0 '" _ "$out"
		check "$T: the truncate completes once the lease is given up ($(line "$out" truncate-leased))" \
			sh -c "printf '%s\n' \"\$1\" | grep -q '^truncate-leased ret=0 errno=0 '" _ "$out"
		t_ms=$(ms "$out" open-write-leased-thread)
		check "$T: the holder's thread waited for the lease too (${t_ms:-?} ms >= 400)" \
			within "$t_ms" 400 30000
		w_ms=$(ms "$out" open-write-leased)
		check "$T: the writer waited for the lease (${w_ms:-?} ms >= 400), not EWOULDBLOCK" \
			within "$w_ms" 400 30000
		check "$T: the truncate took effect" [ "$(cat "$root/leased")" = "lea" ]
		check "$T: the run took well under lease-break-time ($((end - start)) s < 30)" \
			[ $((end - start)) -lt 30 ]
	done
done
echo "1..$n"
exit $fail
