#!/bin/sh
# `sysbroker agent` as the seccomp agent of runc: two containers on a busybox root file system,
# each with the seccomp section `sysbroker oci-seccomp POLICY --listener-path SOCK
# --listener-metadata NAME` writes: every call the broker decides goes to the agent's socket
# (SCMP_ACT_NOTIFY), the built-in denials stay in the kernel, listenerMetadata names the policy.
#  - container A reads a granted file, is refused a secret file (EACCES) and a connect; the
#    records carry A's container id and the container's own paths (/data/secret, not the host's);
#  - an absolute path in the container names the container's file, never the host's;
#  - a process of A that chroots inside the container is refused (the section's built-in
#    denial; a caller in another root meets the agent's root check, see fake-runtime.py);
#  - container B runs at the same time under another policy, which grants the secret: A waits
#    (polling a file B creates) while B is served, and is served again after;
#  - a container whose broker is stopped (SIGSTOP) does not keep another from being served;
#  - the policy named by the annotation org.sysbroker.policy when listenerMetadata is empty;
#  - a runtime that sends no JSON, a pipe for the listener, or no fd, is refused;
#  - a runtime that names the wrong pid (the host's pid 1, the agent, another root, an exited
#    pid) gets no call served in the wrong root; a container flooding its broker does not stall
#    another; states too big, too slow, with tricky policy names or non-listener fds are refused
#    with a record (fake-runtime.py);
#  - a container whose policy does not exist, is bad, or whose name leaves the policy directory
#    is refused with a record naming why; its notified calls then fail with ENOSYS (the kernel's
#    answer once the listener is closed), so runc's init cannot open its exec FIFO and the
#    container does not start.
# The seccomp sections are written by `sysbroker oci-seccomp` from the containers' policies.
#     test-agent.sh SYSBROKER SOURCE_ROOT
set -u
sb=$1
src=$2
unset LD_LIBRARY_PATH
logmatch="python3 $src/tests/integration/logmatch.py"

. "$src/tests/tap.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root (runc as root)"
	exit 77
fi
for p in runc /bin/busybox python3; do
	if ! command -v "$p" >/dev/null 2>&1; then
		echo "1..0 # SKIP $p is not installed (.ci/install-deps installs it)"
		exit 77
	fi
done

tmp=$(mktemp -d /tmp/sb-agent.XXXXXX)
chmod 755 "$tmp"
agent=
ids=
cleanup() {
	for id in $ids; do
		runc --root "$tmp/state" delete -f "$id" >/dev/null 2>&1
	done
	[ -n "$agent" ] && kill "$agent" 2>/dev/null && wait "$agent" 2>/dev/null
	rm -rf "$tmp" "$tmp.host"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# The root file system: busybox-static and its applets as symlinks.
root=$tmp/rootfs
mkdir -p "$root/bin" "$root/proc" "$root/dev" "$root/sys" "$root/data" "$root/shared" \
	"$root/tmp"
cp /bin/busybox "$root/bin/busybox"
for a in sh cat nc echo touch sleep test ls; do ln -s busybox "$root/bin/$a"; done
echo granted-text >"$root/data/granted"
echo secret-text >"$root/data/secret"
chmod 777 "$root/shared"
# A root inside the root: a caller chrooted there is not resolved for in the container's root.
mkdir -p "$root/jail/bin" "$root/jail/data"
ln "$root/bin/busybox" "$root/jail/bin/busybox"
ln -s busybox "$root/jail/bin/cat"
echo jail-text >"$root/jail/data/granted"
# A file of the same name on the host: an absolute path in the container must not reach it.
hostdir=$tmp.host
mkdir -p "$hostdir"
echo host-text >"$hostdir/only-on-host"
hostfile=$hostdir/only-on-host

mkdir "$tmp/policies"
cat >"$tmp/policies/a.policy" <<'EOF'
sysbroker-policy 1
default syscall allow
default path deny errno EACCES log
default net deny errno EACCES log
path /bin/** read stat exec
path /proc/self/** read list stat
path /data/granted read stat log
path /data/secret deny errno EACCES log
path /shared/** read write create stat log
EOF
cat >"$tmp/policies/b.policy" <<'EOF'
sysbroker-policy 1
default syscall allow
default path deny errno EACCES log
default net deny errno EACCES log
path /bin/** read stat exec
path /proc/self/** read list stat
path /data/** read stat log
path /shared/** read write create stat log
EOF
# runc's init opens its exec FIFO (in runc's state directory, on the host) after the filter.
for p in a b; do echo "path $tmp/state/*/exec.fifo write" >>"$tmp/policies/$p.policy"; done
# A may read the host's file by its name: in the container that name does not exist.
echo "path $hostdir/** read stat log" >>"$tmp/policies/a.policy"
printf 'sysbroker-policy 1\nthis is not a policy\n' >"$tmp/policies/bad.policy"

sock=$tmp/agent.sock
log=$tmp/audit.log
"$sb" agent --listen "$sock" --policy-dir "$tmp/policies" --log "$log" 2>"$tmp/agent.err" &
agent=$!
i=0
while ! [ -S "$sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check "the agent listens on its socket" test -S "$sock"

# bundle NAME METADATA ARGS...: a bundle whose process runs ARGS under a seccomp section that
# notifies the agent for the brokered calls.
bundle() {
	b=$tmp/$1
	meta=$2
	shift 2
	mkdir -p "$b"
	(cd "$b" && runc spec) || return 1
	# The section is sysbroker's own (oci-seccomp), from the container's policy, or from A's
	# where that one is missing or bad (the refusal cases: the agent refuses them).
	sp=$tmp/policies/$meta.policy
	"$sb" check "$sp" >/dev/null 2>&1 || sp=$tmp/policies/a.policy
	"$sb" oci-seccomp "$sp" --listener-path "$sock" ${meta:+--listener-metadata "$meta"} \
		>"$b/seccomp.json" || return 1
	python3 - "$b/config.json" "$root" "$b/seccomp.json" "$@" <<'EOF'
import json, sys
path, root, section, args = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
c = json.load(open(path))
c["root"] = {"path": root, "readonly": False}
c["process"]["terminal"] = False
c["process"]["args"] = args
for k in ("bounding", "effective", "permitted"):
    c["process"]["capabilities"][k].append("CAP_SYS_CHROOT")
c["linux"]["seccomp"] = json.load(open(section))
json.dump(c, open(path, "w"), indent=1)
EOF
}
run_bg() { # ID OUT: runc run in the background
	ids="$ids $1"
	(cd "$tmp/$1" && runc --root "$tmp/state" run "$1" >"$2" 2>&1)
}

# A: granted, secret, the host's file by its absolute path, a connect; then wait for B.
bundle ctr-a a sh -c '
cat /data/granted; echo "granted=$?"
cat /data/secret; echo "secret=$?"
cat '"$hostfile"'; echo "host=$?"
echo x | nc 127.0.0.1 9; echo "connect=$?"
chroot /jail /bin/cat /data/granted; echo "jail=$?"
x=$(cat /proc/1/environ); echo "proc1=$?"
x=$(cat /proc/self/status); echo "procself=$?"
touch /shared/a-waiting
i=0; while ! test -e /shared/b-done && test $i -lt 300; do sleep 0.1; i=$((i+1)); done
cat /data/granted; echo "again=$?"' || not_ok "bundle A"
# B: wait until A waits, read the secret its policy grants, then let A go on.
bundle ctr-b b sh -c '
i=0; while ! test -e /shared/a-waiting && test $i -lt 300; do sleep 0.1; i=$((i+1)); done
cat /data/secret; echo "secret=$?"
touch /shared/b-done' || not_ok "bundle B"

run_bg ctr-a "$tmp/out-a" &
pa=$!
run_bg ctr-b "$tmp/out-b" &
pb=$!
wait $pa
wait $pb
out_a=$(cat "$tmp/out-a")
out_b=$(cat "$tmp/out-b")
case $out_a in
*"operation not permitted"* | *"seccomp"*"not supported"*)
	echo "# runc: $out_a"
	echo "1..0 # SKIP runc cannot run a container with a seccomp listener here"
	exit 77
	;;
esac
printf '%s\n' "$out_a" | sed 's/^/# A: /'
printf '%s\n' "$out_b" | sed 's/^/# B: /'

check "A reads the granted file" sh -c 'printf "%s\n" "$1" | grep -q "^granted-text$" &&
	printf "%s\n" "$1" | grep -q "^granted=0$"' - "$out_a"
check "A is refused the secret file" sh -c 'printf "%s\n" "$1" | grep -q "^secret=1$" &&
	! printf "%s\n" "$1" | grep -q secret-text' - "$out_a"
check "A's absolute path does not name the host's file" sh -c '
	printf "%s\n" "$1" | grep -q "^host=1$" && ! printf "%s\n" "$1" | grep -q host-text' - "$out_a"
check "A is refused the connect" sh -c 'printf "%s\n" "$1" | grep -q "^connect=1$"' - "$out_a"
check "A's chrooted process reads nothing" sh -c '
	printf "%s\n" "$1" | grep -q "^jail=1$" && ! printf "%s\n" "$1" | grep -q jail-text' - "$out_a"
# /proc is the host's in the agent: /proc/1 is the host's init, which /proc/self/** does not
# grant; /proc/self is the caller's own directory.
check "A's /proc/1 (the host's pid 1 for the agent) is refused" sh -c '
	printf "%s\n" "$1" | grep -q "^proc1=1$"' - "$out_a"
check "A's /proc/self is its own and granted" sh -c '
	printf "%s\n" "$1" | grep -q "^procself=0$"' - "$out_a"
check "B reads the secret under its own policy" sh -c '
	printf "%s\n" "$1" | grep -q "^secret-text$" && printf "%s\n" "$1" | grep -q "^secret=0$"' \
	- "$out_b"
check "A waited while B was served, and was served again after" sh -c '
	printf "%s\n" "$1" | grep -q "^again=0$"' - "$out_a"

check "the agent served A with policy a" $logmatch "$log" container=ctr-a \
	decision=agent-serve policy=a
check "the agent served B with policy b" $logmatch "$log" container=ctr-b \
	decision=agent-serve policy=b
check "A's granted read is recorded with its container id" $logmatch "$log" container=ctr-a \
	syscall=open* path=/data/granted decision=allow
check "A's denied read is recorded with its container id" $logmatch "$log" container=ctr-a \
	path=/data/secret decision=deny
check "A's denied connect is recorded with its container id" $logmatch "$log" \
	container=ctr-a syscall=connect decision=deny
check "B's read of the secret is recorded with B's id" $logmatch "$log" container=ctr-b \
	path=/data/secret decision=allow
check "A's absolute path was resolved in the container (ENOENT there)" $logmatch "$log" \
	container=ctr-a path~=.host errno=ENOENT
# oci-seccomp's section carries the built-in denials: chroot is refused in the kernel (EPERM),
# so no caller of A gets another root; fake-runtime.py's chrooted callers below meet the agent's
# own check of the caller's root.
check "A's chroot is refused by the section's built-in denial" sh -c '
	printf "%s\n" "$1" | grep -q "chroot: .*Operation not permitted"' - "$out_a"
check "no record names the host file as allowed" sh -c '! grep -q "only-on-host.*\"allow\"" "$1"' \
	- "$log"

# A container whose broker is wedged (its serving process stopped) does not stall another's.
bundle ctr-s b sh -c 'echo started; sleep 60' || not_ok "bundle S"
run_bg ctr-s "$tmp/out-s" &
ps_=$!
i=0
while ! $logmatch "$log" container=ctr-s decision=agent-serve >/dev/null 2>&1 && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
server=$(pgrep -P "$agent" | head -n 1)
if [ -n "$server" ] && kill -STOP "$server"; then
	bundle ctr-d a sh -c 'cat /data/granted; echo "granted=$?"' || not_ok "bundle D"
	run_bg ctr-d "$tmp/out-d"
	check "a container is served while another container's broker is stopped" \
		grep -q "^granted=0$" "$tmp/out-d"
	kill -CONT "$server"
else
	not_ok "the first container's serving process was found and stopped"
fi
runc --root "$tmp/state" kill ctr-s KILL 2>/dev/null
wait $ps_

# Refusals: a policy that does not exist, a bad one, a name with '/'.
for m in missing bad ../policies/a; do
	id=ctr-ref-$(echo "$m" | tr -c 'a-z\n' x)
	bundle "$id" "$m" sh -c 'cat /data/granted; echo "granted=$?"' || not_ok "bundle $id"
	run_bg "$id" "$tmp/out-$id"
	sed "s/^/# $id: /" "$tmp/out-$id"
	check "policy '$m': the connection is refused with a record" $logmatch "$log" \
		container="$id" decision=agent-refused
	# The listener closed, the kernel answers every notified call ENOSYS: runc's init cannot
	# open its exec FIFO and the container never starts.
	check "policy '$m': the container does not start (ENOSYS)" sh -c '
		! grep -q "^granted" "$1" && grep -q "function not implemented" "$1"' - "$tmp/out-$id"
done
# The policy named by the annotation when the metadata is empty.
bundle ctr-e "" sh -c 'cat /data/secret; echo "secret=$?"' || not_ok "bundle E"
python3 - "$tmp/ctr-e/config.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["annotations"] = {"org.sysbroker.policy": "b"}
json.dump(c, open(sys.argv[1], "w"))
EOF
run_bg ctr-e "$tmp/out-e"
check "the annotation org.sysbroker.policy names the policy" sh -c '
	grep -q "^secret=0$" "$1"' - "$tmp/out-e"
check "the annotation's policy is in the agent-serve record" $logmatch "$log" container=ctr-e \
	decision=agent-serve policy=b

# A runtime that lies: no JSON, a pipe for the listener, no fd at all.
python3 - "$sock" <<'EOF'
import json, os, socket, sys
def send(body, fds):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    socket.send_fds(s, [body], fds)
    s.close()
def state(i):
    return json.dumps({"ociVersion": "1.0.2", "fds": ["seccompFd"], "pid": os.getpid(),
                       "metadata": "a",
                       "state": {"id": i, "pid": os.getpid(), "status": "creating"}}).encode()
r, w = os.pipe()
send(b"{not json", [r])
send(state("fake-pipe"), [r])
send(state("fake-nofd"), [])
EOF
wait_rec() {
	i=0
	while ! $logmatch "$log" "$@" >/dev/null 2>&1 && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	$logmatch "$log" "$@"
}
check "a state that is not JSON is refused" wait_rec decision=agent-refused \
	"reason~=not a JSON object"
check "a pipe sent as the listener is refused" wait_rec container=fake-pipe \
	decision=agent-refused "reason~=not a seccomp listener"
check "a state without the listener is refused" wait_rec container=fake-nofd \
	decision=agent-refused "reason~=names no seccompFd"
# A runtime that lies about the pid (tests/integration/fake-runtime.py: a real listener, a
# process chrooted into the container's jail): the host's pid 1, the agent itself, another
# "container's" process, a pid that has exited. The call is never served in the wrong root.
fake="python3 $src/tests/integration/fake-runtime.py"
for k in host1 agent other dead; do
	out=$(timeout 60 $fake call "$sock" $k "$root/jail" "$hostdir" "$agent" /data/granted 2>&1)
	case $out in
	"open EPERM" | "open ENOSYS") ok "a state naming pid '$k': the jailed caller is not served ($out)" ;;
	*) not_ok "a state naming pid '$k': the jailed caller is not served: $out" ;;
	esac
done
check "the caller in another root than the state's pid is recorded" wait_rec container=fake-agent \
	decision=agent-refused caller=*
check "a pid that has exited is refused with a record" wait_rec container=fake-dead \
	decision=agent-refused "reason~=No such process"
# One "container" floods its broker with opens; another is served meanwhile.
$fake call "$sock" flood - - "$agent" "$hostfile" >"$tmp/out-flood" 2>&1 &
flood=$!
sleep 1
out=$(timeout 60 $fake call "$sock" self - - "$agent" "$hostfile" 2>&1)
check "a container is served while another floods its broker ($out)" [ "$out" = "open ok host-text" ]
check "the flood was still running then" sh -c '! grep -q "^flood" "$1"' - "$tmp/out-flood"
wait $flood
check "the flooding container was served too ($(cat "$tmp/out-flood"))" grep -q "^flood [1-9]" \
	"$tmp/out-flood"
# States the agent must refuse, sent at once: over 64 KiB, silent, trickled (the whole state in
# 10 s), a NUL in the policy name, a 300-byte name, an eventfd and a directory as the fds.
fakes=
for k in big slow trickle nul long notlistener; do
	timeout 60 $fake state "$sock" $k >/dev/null 2>&1 &
	fakes="$fakes $!"
done
wait $fakes
check "a state over 64 KiB is refused" wait_rec decision=agent-refused \
	"reason~=Argument list too long"
check "a silent and a trickling runtime are refused with a record (2)" sh -c '
	[ "$(grep -c "state: Resource temporarily unavailable" "$1")" -eq 2 ]' - "$log"
check "a policy name with a NUL is refused" wait_rec container=fake-nul decision=agent-refused \
	"reason~=not a plain file name"
check "a 300-byte policy name is refused" wait_rec container=fake-long decision=agent-refused \
	"reason~=not a plain file name"
check "a directory as the seccompFd is refused" wait_rec container=fake-notlistener \
	decision=agent-refused "reason~=not a seccomp listener"
check "the bad policy's record names FILE:LINE" $logmatch "$log" container=ctr-ref-bad \
	decision=agent-refused reason~=bad.policy:2
check "the agent is still running" kill -0 "$agent"

echo "1..$n"
exit $fail
