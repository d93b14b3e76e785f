#!/bin/sh
# `sysbroker check`'s warnings, one policy per warning (the line, the column and the words that
# say what wins), --strict, and the command-line convention every command shares.
set -u
sb=$1
src=$2
n=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); fail=1; echo "not ok $n - $1"; }
# has NAME PATTERN: the last check's stderr has a line matching the grep -E PATTERN.
has() { if grep -Eq -- "$2" err; then ok "$1"; else not_ok "$1: $(cat err)"; fi; }
hasnt() { if grep -Eq -- "$2" err; then not_ok "$1: $(cat err)"; else ok "$1"; fi; }
# lint NAME LINES...: a policy of these lines (after the header), checked; rc in $rc.
lint() {
	name=$1
	shift
	printf 'sysbroker-policy 1\n' >"$name.policy"
	printf '%s\n' "$@" >>"$name.policy"
	"$sb" check "$name.policy" >out 2>err
	rc=$?
}
rc_is() { if [ "$rc" -eq "$1" ]; then ok "$2"; else not_ok "$2 (exit $rc, want $1): $(cat err)"; fi; }

# --- warnings ---------------------------------------------------------------------------------
lint lift 'allow read' 'allow ptrace bpf seccomp clone3 unshare'
rc_is 0 "warnings alone exit 0"
grep -q '^lift.policy: ok$' out && ok "... and the file is ok" || not_ok "... and the file is ok"
has "allow ptrace lifts a built-in protection, at its column" \
	"^lift.policy:3:7: warning: 'allow ptrace' lifts a built-in protection"
for w in bpf:14 seccomp:18 clone3:26 unshare:33; do
	has "allow ${w%:*} lifts a built-in protection (column ${w#*:})" \
		"^lift.policy:3:${w#*:}: warning: 'allow ${w%:*}' lifts"
done
has "seccomp: the condition that would keep the protection is named" "add 'if arg1 & 0x8 == 0'"
[ "$(wc -l <err)" -eq 5 ] && ok "one line per warning" || not_ok "one line per warning: $(cat err)"
"$sb" check --strict lift.policy >out 2>err
rc=$?
rc_is 1 "--strict: a warning exits 1"
has "--strict: reported as an error" "^lift.policy:3:7: error: 'allow ptrace'"
[ ! -s out ] && ok "--strict: no 'ok' for a file with warnings" || not_ok "--strict: ok printed"

lint clone 'allow clone' 'allow clone if arg0 & CLONE_NEWUSER|CLONE_NEWNS|CLONE_NEWPID|CLONE_NEWNET|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWCGROUP == 0'
has "allow clone lifts the namespace ban" "^clone.policy:2:7: warning: 'allow clone' lifts a built-in protection: clone with arg0"
hasnt "clone with the namespace flags excluded is fine" "^clone.policy:3:"

lint wide 'allow ioctl socket' 'allow ioctl if arg1 == TCGETS' 'allow socket if arg0 == AF_UNIX'
has "unconditional ioctl" "^wide.policy:2:7: warning: 'allow ioctl' without conditions"
has "unconditional socket" "^wide.policy:2:13: warning: 'allow socket' without conditions"
hasnt "conditional ioctl and socket are fine" "^wide.policy:[34]:"

lint missing 'path /usr/lbi/** read' 'path /usr/lib/** read' "path $tmp/out/new.txt write create"
has "a misspelt prefix" "^missing.policy:2:6: warning: 'path /usr/lbi/\*\*': /usr/lbi does not exist"
has "... with the name it probably meant" "/usr/lbi does not exist, so the rule matches nothing \(did you mean /usr/lib\?\)$"
hasnt "an existing prefix is fine" "^missing.policy:3:"
hasnt "a file a rule may create: its directory's parent is enough" "^missing.policy:4:"
lint probe 'path /usr/gnu/** deny errno ENOENT nolog'
hasnt "a deny with ENOENT (a probe of an absent path) is fine" "warning"

mkdir -p inc
printf 'sysbroker-policy 1\npath /usr/lib/x86_64-linux-gnu/** read\npath /usr/lib/llvm-*/** read\n' \
	>inc/bundled.policy
lint shadow 'include inc/bundled.policy' 'path /usr/lib/** read list'
has "an allow outranked for list names the winning rule and its paths (x86_64-linux-gnu)" \
	"^shadow.policy:3:6: warning: 'path /usr/lib/\*\*' grants list, but under /usr/lib/x86_64-linux-gnu/\*\* the more specific rule at inc/bundled.policy:2 decides and grants only read"
has "... and the llvm-* one" \
	"^shadow.policy:3:6: warning: 'path /usr/lib/\*\*' grants list, but under /usr/lib/llvm-\*/\*\* the more specific rule at inc/bundled.policy:3"
lint same 'path /etc/** read' 'path /etc/** write'
has "an equal pattern later: the earlier rule's read is refused everywhere" \
	"^same.policy:2:6: warning: 'path /etc/\*\*' grants read, but for every path it matches the more specific rule at same.policy:3"
lint carve 'path /etc/** read' 'path /etc/ssl/private/** deny' 'path /etc/ssl/** read list'
hasnt "a deny carved out of an allow, and a wider inner allow, are fine" "warning"

lint later 'deny getpid' 'allow getpid'
has "an unconditional rule the later one overrides" \
	"^later.policy:2:6: warning: 'deny getpid' never decides: the later rule at later.policy:3"
lint deflt 'default syscall deny errno EPERM log' 'deny getpid errno EPERM' 'deny getppid errno EACCES'
has "a syscall deny equal to the default" "^deflt.policy:3:6: warning: 'deny getpid' changes nothing"
hasnt "a deny that differs from the default is fine" "^deflt.policy:4:"
lint group 'allow @default-runtime' 'deny getpid errno ENOSYS'
hasnt "a deny that overrides a group's allow is fine" "warning"
lint unreach 'path /usr/** read' 'path /home/*/.ssh/** deny' 'path /usr/share/secret deny'
has "a path deny under no allow, equal to the default" \
	"^unreach.policy:3:6: warning: 'path /home/\*/.ssh/\*\* deny' changes nothing"
hasnt "a deny inside an allowed tree is fine" "^unreach.policy:4:"
lint quiet 'path /home/*/.cache/** deny nolog'
hasnt "a nolog deny changes the logging: fine" "warning"

lint order 'path /usr/lbi/** read' 'allow ioctl'
[ "$(cut -d: -f2 err | tr '\n' ' ')" = "2 3 " ] && ok "warnings in line order" ||
	not_ok "warnings in line order: $(cat err)"
printf 'sysbroker-policy 1\ninclude lift.policy\ninclude lift.policy\n' >twice.policy
"$sb" check twice.policy >out 2>err
[ "$(wc -l <err)" -eq 5 ] && ok "a file included twice: its warnings once" ||
	not_ok "a file included twice: $(cat err)"

# The bundled policies are clean, even under --strict.
"$sb" check --strict "$src"/examples/policies/*.policy >out 2>err
rc=$?
rc_is 0 "the bundled policies pass --strict"

# --- the command line -------------------------------------------------------------------------
"$sb" check --help >out 2>err
rc=$?
rc_is 0 "check --help exits 0"
grep -q '^Usage: sysbroker check ' out && ok "check --help is check's" || not_ok "check --help: $(head -1 out)"
"$sb" help check | grep -q '^Usage: sysbroker check ' && ok "help check is check's --help" ||
	not_ok "help check"
for c in run audit reload; do
	"$sb" $c --help | grep -q "^Usage: sysbroker $c " && ok "$c --help is $c's" || not_ok "$c --help"
done
"$sb" run -p -- true >out 2>err
rc=$?
rc_is 125 "run -p -- true is a usage error of run"
has "... naming the option that lacks its argument" "^sysbroker run: option '-p' needs an argument$"
for args in "check --frobnicate lift.policy" "audit --frobnicate" "reload --frobnicate" \
	"audit -I 1" "check -e lift.policy" "reload -s 0123456789abcdef"; do
	"$sb" $args </dev/null >out 2>err
	rc=$?
	cmd=${args%% *}
	rc_is 2 "'$args' exits 2"
	has "'$args': one prefix and the command's --help" "^sysbroker $cmd: unknown option '"
	has "'$args': hint" "^Try 'sysbroker $cmd --help'.$"
done
"$sb" audit --since 2026-02-31 </dev/null >out 2>err
rc=$?
rc_is 2 "audit --since 2026-02-31 is refused"
"$sb" audit --since 2026-02-01T10:00:00+01:00 </dev/null >out 2>err
rc=$?
rc_is 0 "audit --since with an offset is taken"
"$sb" check -E "$src"/examples/policies/minimal.policy >out 2>err
grep -q '^files: ' out && ok "-E is --explain" || not_ok "-E is --explain"
"$sb" check >out 2>err
rc=$?
rc_is 2 "check without a file exits 2"
has "... with check's prefix" "^sysbroker check: no policy file given$"
echo "1..$n"
exit $fail
