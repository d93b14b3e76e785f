#!/bin/sh
# A signal to the broker through the terminal (tests/security/ttysig.c): in a terminal of its own
# (script(1)), with job control, the sandboxed program hands the terminal's foreground to the
# broker's process group and sets O_ASYNC on it; then a line of input arrives, as a user typing.
# The broker must survive (SIGIO's default action would end it), keep the run to its end and
# exit with the program's status; on both transports, with and without --user nobody.
#     test-tty-signal.sh SYSBROKER SOURCE_ROOT TTYSIG TTYSIG_STATIC
set -u
sb=$1
src=$2
unset LD_LIBRARY_PATH

. "$src/tests/tap.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root (sysbroker run --user)"
	exit 0
fi
if ! command -v script >/dev/null; then
	echo "1..0 # SKIP needs script(1) (a terminal for the run)"
	exit 0
fi
tmp=$(mktemp -d /tmp/sb-tty.XXXXXX)
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
cp "$3" "$tmp/ttysig"
cp "$4" "$tmp/ttysig-static"

cat >"$tmp/tty.policy" <<P
sysbroker-policy 1
include $src/examples/policies/runtime.policy
default syscall deny errno ENOSYS log
default path deny errno EACCES log
allow @process @signal @time @memory @file-read
allow ioctl
path $tmp/ttysig read exec
path $tmp/ttysig-static read exec
P

for v in dynamic static; do
	for user in "" nobody; do
		if [ $v = dynamic ]; then
			bin=$tmp/ttysig transport=trap
		else
			bin=$tmp/ttysig-static transport=notify
		fi
		T="$v ($transport)${user:+ --user $user}"
		out=$tmp/out
		rm -f "$out"
		# sh -m: sysbroker gets a process group of its own, as from an interactive shell.
		cmd="$sb run -p $tmp/tty.policy ${user:+--user $user} -- $bin 2>$out; echo rc=\$? >>$out"
		{
			i=0
			while ! grep -q armed "$out" 2>/dev/null && [ $i -lt 100 ]; do
				sleep 0.1
				i=$((i + 1))
			done
			echo typed
			sleep 7
		} | timeout 30 script -qec "sh -mc '$cmd'" /dev/null >/dev/null 2>&1
		for _ in $(seq 50); do grep -q '^rc=' "$out" 2>/dev/null && break; sleep 0.1; done
		res=$(tr '\n' ' ' <"$out" 2>/dev/null)
		check "$T: the program could arm the terminal (the control): $res" \
			grep -q '^async ret=0' "$out"
		check "$T: the broker outlives the input (SIGIO did not end it): $res" \
			grep -q '^broker alive' "$out"
		check "$T: sysbroker exits with the program's status 0: $res" grep -q '^rc=0$' "$out"
	done
done
echo "1..$n"
exit $fail
