#!/bin/sh
# `sysbroker run` as root holding only some capabilities, as in a container: the full set without
# CAP_SETPCAP, a container runtime's default set (with and without CAP_SETPCAP), and that set
# with CAP_SYS_PTRACE for --user. In each: the program runs, the policy is enforced (a denied read
# is refused and recorded), and the sandboxee holds no capability and has no_new_privs, on both
# transports (cat = trap, the static probe = notify). A run that needs a capability it lacks
# fails with 125 and one line naming it. A file with file capabilities, or setuid root, gives
# nothing back under no_new_privs even where the bounding set could not be shrunk.
#     test-caps.sh SYSBROKER SOURCE_ROOT STATIC_PROBE
set -u
sb=$1
src=$2
static=$(realpath "$3")
unset LD_LIBRARY_PATH

n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); fail=1; echo "not ok $n - $1"; }

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root (capability sets are taken away from root's)"
	exit 0
fi
for p in capsh setcap; do
	if ! command -v $p >/dev/null; then
		echo "1..0 # SKIP $p is not installed (Debian package libcap2-bin)"
		exit 0
	fi
done
if ! grep -q '^CapBnd:.*[1-9a-f]' /proc/self/status ||
	! capsh --has-p=cap_setpcap 2>/dev/null; then
	echo "1..0 # SKIP this process cannot shrink its bounding set (no CAP_SETPCAP)"
	exit 0
fi

tmp=$(mktemp -d /tmp/sb-caps.XXXXXX)
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
echo "granted words" >"$tmp/granted.txt"
echo "top secret" >"$tmp/secret.txt"
chmod 644 "$tmp/granted.txt" "$tmp/secret.txt"
# The static probe again, with file capabilities, and setuid root.
cp "$static" "$tmp/fcaps"
cp "$static" "$tmp/suid"
chmod 755 "$tmp/fcaps"
chmod 4755 "$tmp/suid"
setcap cap_dac_override,cap_kill+eip "$tmp/fcaps" || not_ok "setcap on $tmp/fcaps"
cat >"$tmp/caps.policy" <<EOF
sysbroker-policy 1
include $src/examples/policies/coreutils.policy
path /proc/self/status read
path $tmp/granted.txt read
path $tmp/secret.txt deny errno EACCES log
path $static exec read
path $tmp/fcaps exec read
path $tmp/suid exec read
net tcp:127.0.0.1:80 bind
EOF
# The same without the bind rule (kept for its own refusal case).
grep -v '^net ' "$tmp/caps.policy" >"$tmp/nobind.policy"

# Every capability the kernel knows but those named: capsh --drop=LIST.
drop_all_but() {
	keep=$(echo "$*" | tr -s ' \t\n' '   ')
	last=$(cat /proc/sys/kernel/cap_last_cap)
	list=""
	i=0
	while [ "$i" -le "$last" ]; do
		name=$(capsh --decode="$(printf '%x' $((1 << i)))" | sed 's/.*=//')
		case " $keep " in
		*" ${name#cap_} "*) ;;
		*) list="$list,$name" ;;
		esac
		i=$((i + 1))
	done
	echo "${list#,}"
}
# What a container runtime keeps by default.
docker="chown dac_override fowner fsetid kill setgid setuid setpcap net_bind_service net_raw
	sys_chroot mknod audit_write setfcap"
docker_nopcap=$(echo "$docker" | sed 's/setpcap//')
set_full_nopcap=cap_setpcap
set_docker=$(drop_all_but "$docker")
set_docker_nopcap=$(drop_all_but "$docker_nopcap")
set_docker_ptrace=$(drop_all_but "$docker sys_ptrace")
set_docker_ptrace_nopcap=$(drop_all_but "$docker_nopcap sys_ptrace")

# under SET COMMAND...: COMMAND as root with the bounding set (and so every set) limited.
under() {
	drop=$1
	shift
	capsh --drop="$drop" -- -c '"$@"' sh "$@"
}
status_of() { sed -n "s/^$2:[[:space:]]*//p" "$1"; }

# holds_nothing DESCRIPTION FILE: a /proc/self/status as the sandboxee saw it.
holds_nothing() {
	bad=""
	for f in CapEff CapPrm CapInh CapAmb; do
		[ "$(status_of "$2" $f)" = 0000000000000000 ] || bad="$bad $f=$(status_of "$2" $f)"
	done
	[ "$(status_of "$2" NoNewPrivs)" = 1 ] || bad="$bad NoNewPrivs=$(status_of "$2" NoNewPrivs)"
	if [ -z "$bad" ]; then ok "$1: no capability, no_new_privs"; else not_ok "$1:$bad"; fi
}

# enforced NAME SET USEROPTS...: both transports, the granted file read, the secret refused with
# a record, the sandboxee's status clean.
enforced() {
	name=$1
	set=$2
	shift 2
	for prog in cat "$static"; do
		t="trap"
		[ "$prog" = cat ] || t=notify
		log=$tmp/$name.$t.log
		out=$tmp/$name.$t.out
		: >"$log"
		under "$set" "$sb" run -l "$log" -p "$tmp/caps.policy" "$@" -- \
			"$prog" "$tmp/granted.txt" "$tmp/secret.txt" >"$out" 2>&1
		rc=$?
		d="$name, $t"
		if grep -q "granted words" "$out" && ! grep -q "top secret" "$out" && [ $rc -eq 1 ]
		then
			ok "$d: runs, the granted file is read, the secret refused (exit $rc)"
		else
			not_ok "$d: exit $rc: $(tr '\n' ' ' <"$out")"
		fi
		if grep "\"path\":\"$tmp/secret.txt\"" "$log" | grep -q '"decision":"deny"'; then
			ok "$d: the refusal is recorded"
		else
			not_ok "$d: no deny record for the secret: $(cat "$log")"
		fi
		under "$set" "$sb" run -p "$tmp/caps.policy" "$@" -- \
			"$prog" /proc/self/status >"$out" 2>&1
		holds_nothing "$d" "$out"
	done
}

# refused NAME SET PATTERN POLICY ARGS...: exit 125 and one line matching PATTERN, nothing run.
refused() {
	name=$1
	set=$2
	pat=$3
	policy=$4
	shift 4
	out=$tmp/refused.out
	under "$set" "$sb" run -p "$policy" "$@" -- "$static" "$tmp/granted.txt" >"$out" 2>&1
	rc=$?
	if [ $rc -eq 125 ] && [ "$(wc -l <"$out")" -eq 1 ] && grep -q "$pat" "$out" &&
		! grep -q "granted words" "$out"; then
		ok "$name: refused with 125 before anything ran: $(cat "$out")"
	else
		not_ok "$name: exit $rc: $(tr '\n' ' ' <"$out")"
	fi
}

enforced "all but CAP_SETPCAP" "$set_full_nopcap"
enforced "all but CAP_SETPCAP, --user nobody" "$set_full_nopcap" --user nobody
enforced "container set" "$set_docker"
enforced "container set without CAP_SETPCAP" "$set_docker_nopcap"
enforced "container set + CAP_SYS_PTRACE, --user nobody" "$set_docker_ptrace" --user nobody
enforced "container set + CAP_SYS_PTRACE without CAP_SETPCAP, --user nobody" \
	"$set_docker_ptrace_nopcap" --user nobody

# With CAP_SETPCAP the sandboxee's bounding set is empty; without it, it stays.
under "$set_docker" "$sb" run -p "$tmp/caps.policy" -- "$static" /proc/self/status >"$tmp/bnd"
if [ "$(status_of "$tmp/bnd" CapBnd)" = 0000000000000000 ]; then
	ok "container set: the sandboxee's bounding set is empty"
else
	not_ok "container set: CapBnd $(status_of "$tmp/bnd" CapBnd)"
fi

# No_new_privs is what makes a bounding set that stays harmless: neither file capabilities nor
# setuid root give anything back at exec, as root or as nobody. The file's capabilities are in
# the bounding set that stays (with an empty one the kernel refuses the exec outright).
for u in "" "--user nobody"; do
	# shellcheck disable=SC2086
	under "$set_docker_ptrace_nopcap" "$sb" run -p "$tmp/caps.policy" $u -- \
		"$tmp/fcaps" /proc/self/status >"$tmp/fc" 2>&1
	holds_nothing "file capabilities, no CAP_SETPCAP${u:+, $u}" "$tmp/fc"
	# shellcheck disable=SC2086
	under "$set_docker_ptrace_nopcap" "$sb" run -p "$tmp/caps.policy" $u -- \
		"$tmp/suid" /proc/self/status >"$tmp/su" 2>&1
	holds_nothing "setuid root, no CAP_SETPCAP${u:+, $u}" "$tmp/su"
	if [ -n "$u" ]; then
		uids=$(status_of "$tmp/su" Uid | tr -s '\t ' ' ')
		nobody=$(id -u nobody)
		if [ "$uids" = "$nobody $nobody $nobody $nobody" ]; then
			ok "setuid root under --user nobody: still uid $nobody"
		else
			not_ok "setuid root under --user nobody: Uid $uids"
		fi
	fi
done

# What a run cannot do safely is refused, naming the capability.
refused "--user without CAP_SETUID" "$(drop_all_but "$docker_nopcap sys_ptrace" |
	sed 's/^/cap_setuid,/')" "CAP_SETUID" "$tmp/nobind.policy" --user nobody
refused "--user without CAP_SYS_PTRACE (the container set)" "$set_docker" "CAP_SYS_PTRACE" \
	"$tmp/nobind.policy" --user nobody
if [ "$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)" -gt 80 ]; then
	refused "bind on port 80 without CAP_NET_BIND_SERVICE" \
		"$(drop_all_but "$docker_nopcap" | sed 's/^/cap_net_bind_service,/')" \
		"CAP_NET_BIND_SERVICE" "$tmp/caps.policy"
else
	ok "bind on port 80 # SKIP ports from $(cat /proc/sys/net/ipv4/ip_unprivileged_port_start) need no capability here"
fi

echo "1..$n"
exit $fail
