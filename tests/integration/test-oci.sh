#!/bin/sh
# `sysbroker oci-seccomp` and `sysbroker import-seccomp`: the policy's plan as an OCI runtime's
# linux.seccomp section (checked against `check --explain`, and loaded by runc where it can run),
# and a Docker/OCI profile as a starting policy that passes `check`.
#     test-oci.sh SYSBROKER SOURCE_ROOT
set -u
sb=$1
src=$2
unset LD_LIBRARY_PATH
. "$src/tests/tap.sh"

if ! command -v python3 >/dev/null; then
	echo "1..0 # SKIP python3 is not installed"
	exit 0
fi
tmp=$(mktemp -d /tmp/sb-oci.XXXXXX)
agent_pid=
cleanup() {
	[ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null
	command -v runc >/dev/null && runc delete -f "sbtest-$$" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
tab=$(printf '\t')
# oci-check.py's lines, numbered here.
report() {
	while IFS=$tab read -r st d; do
		if [ "$st" = ok ]; then ok "$1: $d"; else not_ok "$1: $d"; fi
	done
}

# --- oci-seccomp ----------------------------------------------------------------------------
cat >"$tmp/t.policy" <<'EOF'
sysbroker-policy 1
default syscall deny errno ENOSYS nolog
allow read write exit_group brk mmap munmap rt_sigreturn
deny getpid errno EACCES nolog
kill ptrace
deny uname errno EPERM
allow personality if arg0 == 0
allow getuid log
allow fcntl if arg1 == 1 and arg2 & 0x3 == 0x1
path /tmp/** read
net tcp:127.0.0.1:80 connect
EOF
for p in "$tmp/t.policy" "$src/examples/policies/python3.policy" \
	"$src/examples/policies/http-client.policy"; do
	name=$(basename "$p")
	"$sb" oci-seccomp "$p" --listener-path /run/test.sock >"$tmp/o.json" 2>"$tmp/err"
	check "oci-seccomp $name: exit 0 ($(cat "$tmp/err"))" [ $? -eq 0 ]
	"$sb" check --explain "$p" >"$tmp/explain"
	python3 "$src/tests/integration/oci-check.py" "$tmp/o.json" "$tmp/explain" >"$tmp/checks"
	report "$name" <"$tmp/checks"
done
"$sb" oci-seccomp "$tmp/t.policy" >"$tmp/t.json"
python3 - "$tmp/t.json" >"$tmp/checks" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
def find(name, args=False):
    return [e for e in d["syscalls"] if name in e["names"] and bool(e.get("args")) == args]
def tap(good, what):
    print(("ok" if good else "not ok") + "\t" + what)
tap(d["defaultAction"] == "SCMP_ACT_ERRNO" and d["defaultErrnoRet"] == 38, "default: errno ENOSYS")
tap(d["listenerPath"] == "/run/sysbroker/agent.sock" and "listenerMetadata" not in d,
    "default listenerPath, no metadata")
tap(d["architectures"] == ["SCMP_ARCH_X86_64"] or d["architectures"] == ["SCMP_ARCH_AARCH64"],
    "the native architecture only")
for name, act, err in [("read", "SCMP_ACT_ALLOW", None), ("getpid", "SCMP_ACT_ERRNO", 13),
                       ("ptrace", "SCMP_ACT_KILL_PROCESS", None), ("uname", "SCMP_ACT_NOTIFY", None),
                       ("getuid", "SCMP_ACT_NOTIFY", None), ("openat", "SCMP_ACT_NOTIFY", None),
                       ("connect", "SCMP_ACT_NOTIFY", None), ("execve", "SCMP_ACT_NOTIFY", None),
                       ("setsockopt", "SCMP_ACT_NOTIFY", None), ("kexec_load", "SCMP_ACT_NOTIFY", None),
                       ("mount", "SCMP_ACT_NOTIFY", None)]:
    e = find(name)
    tap(len(e) == 1 and e[0]["action"] == act and e[0].get("errnoRet") == err,
        "%s: %s %s" % (name, act, err or ""))
p = find("personality", True)
tap([e["action"] for e in p] == ["SCMP_ACT_ALLOW", "SCMP_ACT_NOTIFY"] and
    p[0]["args"] == [{"index": 0, "value": 0, "valueTwo": 0, "op": "SCMP_CMP_EQ"}] and
    p[1]["args"] == [{"index": 0, "value": 0, "valueTwo": 0, "op": "SCMP_CMP_NE"}],
    "personality: allowed if arg0 == 0, else the built-in denial at the agent (%s)" % p)
f = find("fcntl", True)
tap(len(f) == 1 and f[0]["action"] == "SCMP_ACT_ALLOW" and
    sorted(f[0]["args"], key=lambda a: a["index"]) ==
    [{"index": 1, "value": 1, "valueTwo": 0, "op": "SCMP_CMP_EQ"},
     {"index": 2, "value": 3, "valueTwo": 1, "op": "SCMP_CMP_MASKED_EQ"}],
    "fcntl: two conditions, the mask in value and the datum in valueTwo (%s)" % f)
EOF
report t.policy <"$tmp/checks"
"$sb" oci-seccomp --listener-metadata 'org.sysbroker.policy=t' "$tmp/t.policy" \
	--listener-path /run/x.sock >"$tmp/m.json"
check "options before and after the policy" python3 -c "
import json, sys
d = json.load(open('$tmp/m.json'))
sys.exit(not (d['listenerPath'] == '/run/x.sock' and d['listenerMetadata'] == 'org.sysbroker.policy=t'))"
# A logged default cannot be the JSON's default: every named syscall it covers goes to the agent.
printf 'sysbroker-policy 1\nallow read exit_group\n' >"$tmp/logged.policy"
"$sb" oci-seccomp "$tmp/logged.policy" >"$tmp/l.json" 2>"$tmp/err"
check "a logged default: defaultAction errno ENOSYS, the rest to the agent, write said on stderr" \
	python3 -c "
import json, sys
d = json.load(open('$tmp/l.json'))
act = {n: e['action'] for e in d['syscalls'] for n in e['names'] if not e.get('args')}
sys.exit(not (d['defaultAction'] == 'SCMP_ACT_ERRNO' and d['defaultErrnoRet'] == 38
              and act.get('getpid') == 'SCMP_ACT_NOTIFY' and act.get('read') == 'SCMP_ACT_ALLOW'
              and 'write' not in act and 'write(2)' in open('$tmp/err').read()))"
for args in "" "a b" "--listener-path rel.sock $tmp/t.policy" "--bogus $tmp/t.policy"; do
	# shellcheck disable=SC2086
	"$sb" oci-seccomp $args >/dev/null 2>&1
	check "oci-seccomp $args: exit 2" [ $? -eq 2 ]
done
printf 'sysbroker-policy 1\nallow nosuchcall\n' >"$tmp/bad.policy"
out=$("$sb" oci-seccomp "$tmp/bad.policy" 2>&1)
check "oci-seccomp: an invalid policy is FILE:LINE:COL, exit 2 ($out)" \
	[ $? -eq 2 ] && [ "${out#"$tmp/bad.policy:2:7: error"}" != "$out" ]

# runc loads it: a container whose every call goes past a permissive agent (oci-agent.py).
runc_skip=
b=$tmp/bundle
if [ "$(id -u)" -ne 0 ]; then
	runc_skip="needs root"
elif ! command -v runc >/dev/null; then
	runc_skip="runc is not installed"
elif [ ! -x /bin/busybox ] || ldd /bin/busybox >/dev/null 2>&1; then
	runc_skip="no static /bin/busybox (busybox-static) for the container's root"
else
	mkdir -p "$b/rootfs/bin"
	cp /bin/busybox "$b/rootfs/bin/"
	ln -s busybox "$b/rootfs/bin/echo"
	(cd "$b" && runc spec && python3 - <<'EOF'
import json
c = json.load(open("config.json"))
c["process"]["args"] = ["/bin/echo", "hello from the container"]
c["process"]["terminal"] = False
json.dump(c, open("config.json", "w"))
EOF
	)
	# The same container without the section first: where runc itself cannot run, skip.
	out=$(cd "$b" && timeout 120 runc run "sbprobe-$$" </dev/null 2>&1)
	[ "$out" = "hello from the container" ] || runc_skip="runc cannot run a container here: $out"
	runc delete -f "sbprobe-$$" >/dev/null 2>&1
fi
if [ -n "$runc_skip" ]; then
	n=$((n + 1))
	echo "ok $n # SKIP runc run: $(printf '%s' "$runc_skip" | tr '\n' ' ')"
else
	cat >"$tmp/c.policy" <<EOF
sysbroker-policy 1
include $src/examples/policies/runtime.policy
default syscall allow
path /** read exec list stat
EOF
	"$sb" oci-seccomp "$tmp/c.policy" --listener-path "$tmp/agent.sock" \
		--listener-metadata "org.sysbroker.policy=c-$$" >"$tmp/c.json"
	python3 "$src/tests/integration/oci-agent.py" "$tmp/agent.sock" "org.sysbroker.policy=c-$$" \
		>"$tmp/agent.out" 2>&1 &
	agent_pid=$!
	for _ in 1 2 3 4 5 6 7 8 9 10; do [ -S "$tmp/agent.sock" ] && break; sleep 0.5; done
	(cd "$b" && python3 - "$tmp/c.json" <<'EOF'
import json, sys
c = json.load(open("config.json"))
c["linux"]["seccomp"] = json.load(open(sys.argv[1]))
json.dump(c, open("config.json", "w"))
EOF
	)
	out=$(cd "$b" && timeout 120 runc run "sbtest-$$" </dev/null 2>&1)
	rc=$?
	wait "$agent_pid"
	agent_pid=
	agent=$(cat "$tmp/agent.out")
	case "$rc:$out:$agent" in
	"0:hello from the container:listening"*"metadata True"*"served "[1-9]*)
		ok "runc runs a container under the section; its agent got the listener and calls" ;;
	*) not_ok "runc run: status $rc, $out; agent: $agent" ;;
	esac
fi

# --- import-seccomp -------------------------------------------------------------------------
cat >"$tmp/profile.json" <<'EOF'
{
  "defaultAction": "SCMP_ACT_ERRNO",
  "defaultErrnoRet": 1,
  "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_AARCH64"],
  "syscalls": [
    {"names": ["read", "write", "exit_group", "openat", "connect", "chown32"], "action": "SCMP_ACT_ALLOW"},
    {"names": ["getpid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
    {"names": ["ptrace"], "action": "SCMP_ACT_KILL_PROCESS"},
    {"name": "getuid", "action": "SCMP_ACT_LOG"},
    {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
     "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]},
    {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
     "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}],
     "excludes": {"caps": ["CAP_SYS_ADMIN"]}, "comment": "no new namespaces"},
    {"names": ["mount"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
    {"names": ["sync_file_range2"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["ppc64le"]}},
    {"names": ["uname"], "action": "SCMP_ACT_ALLOW", "excludes": {"arches": ["amd64", "arm64"]}},
    {"names": ["getppid"], "action": "SCMP_ACT_TRACE"},
    {"names": ["getegid"], "action": "SCMP_ACT_ALLOW",
     "args": [{"index": 7, "value": 1, "op": "SCMP_CMP_EQ"}]}
  ]
}
EOF
"$sb" import-seccomp "$tmp/profile.json" >"$tmp/imported.policy" 2>"$tmp/err"
check "import-seccomp: exit 0 ($(cat "$tmp/err"))" [ $? -eq 0 ]
out=$("$sb" check "$tmp/imported.policy" 2>&1)
check "import-seccomp: the policy passes check ($out)" [ "$out" = "$tmp/imported.policy: ok" ]
for want in "default syscall deny errno EPERM" "allow read write exit_group" \
	"#   openat connect" "#   chown32" "deny getpid errno EACCES" "kill ptrace" \
	"allow getuid log" "# no new namespaces" "allow clone if arg0 & 0x7e020000 == 0" \
	"# not imported (only for processes holding CAP_SYS_ADMIN (a sandbox holds none)): SCMP_ACT_ALLOW" \
	"#   mount" "# not imported (excluded on this architecture): SCMP_ACT_ALLOW" "#   uname" \
	"# not imported (an action a policy has no verb for): SCMP_ACT_TRACE" "#   getppid" \
	"# not imported (argument conditions a policy cannot say): SCMP_ACT_ALLOW" "#   getegid" \
	"# allow personality if arg0 == 0x8"; do
	if grep -qxF -- "$want" "$tmp/imported.policy"; then
		ok "import-seccomp writes: $want"
	else
		not_ok "import-seccomp lacks the line: $want"
	fi
done
check "import-seccomp: an entry for other architectures is not a rule" \
	sh -c "! grep -q '^allow.*sync_file_range2' '$tmp/imported.policy'"
# The round trip: a policy's section read back is a policy check accepts.
"$sb" oci-seccomp "$src/examples/policies/python3.policy" >"$tmp/py.json"
"$sb" import-seccomp "$tmp/py.json" >"$tmp/py.policy"
out=$("$sb" check "$tmp/py.policy" 2>&1)
check "oci-seccomp then import-seccomp: check accepts it ($out)" [ "$out" = "$tmp/py.policy: ok" ]
# A whole config.json is read for its linux.seccomp.
python3 -c "
import json; json.dump({'ociVersion': '1.0.2', 'linux': {'seccomp': json.load(open('$tmp/py.json'))}},
                       open('$tmp/config.json', 'w'))"
"$sb" import-seccomp "$tmp/config.json" 2>&1 | grep -v "^# Imported from" >"$tmp/cfg.policy"
grep -v "^# Imported from" "$tmp/py.policy" >"$tmp/py2.policy"
check "import-seccomp reads a config.json's linux.seccomp" cmp -s "$tmp/cfg.policy" "$tmp/py2.policy"

echo '{"syscalls": []}' >"$tmp/nodefault.json"
echo 'not json' >"$tmp/garbage.json"
for f in nodefault.json garbage.json; do
	out=$("$sb" import-seccomp "$tmp/$f" 2>&1)
	check "import-seccomp $f: exit 2, one line ($out)" [ $? -eq 2 ] && [ "$(echo "$out" | wc -l)" -eq 1 ]
done
"$sb" import-seccomp "$tmp/nonexistent.json" >/dev/null 2>&1
check "import-seccomp of a missing file: exit 1" [ $? -eq 1 ]

# A real Docker default profile, where this machine has one (SB_DOCKER_PROFILE, or a package's).
docker_profile=
for f in "${SB_DOCKER_PROFILE:-}" /usr/share/containers/seccomp.json /etc/containers/seccomp.json \
	/etc/docker/seccomp.json; do
	[ -n "$f" ] && [ -f "$f" ] && docker_profile=$f && break
done
if [ -z "$docker_profile" ]; then
	n=$((n + 1))
	echo "ok $n # SKIP no Docker/Podman default seccomp profile on this machine (set SB_DOCKER_PROFILE)"
else
	"$sb" import-seccomp "$docker_profile" >"$tmp/docker.policy"
	out=$("$sb" check "$tmp/docker.policy" 2>&1)
	check "import-seccomp $docker_profile: check accepts it ($out)" \
		[ "$out" = "$tmp/docker.policy: ok" ]
	check "import-seccomp $docker_profile: file calls are left to path rules" \
		grep -q "^# decided by path and net rules" "$tmp/docker.policy"
fi

echo "1..$n"
exit $fail
