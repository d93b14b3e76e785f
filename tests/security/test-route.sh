#!/bin/sh
# Routing options that would lead packets past the net rules, tried for real with
# tests/security/route.c in a network namespace of its own: an IPv6 segment routing header whose
# segment list leads to a denied address (setsockopt IPV6_RTHDR, and the other spellings), an
# IPv4 loose source route (IP_OPTIONS, IP_RETOPTS), the same as control data of sendmsg(2), and
# as the options of an IPv6 flow label (IPV6_FLOWLABEL_MGR) a sendto then names.
# Natively the packets of a send to the granted address reach the denied one (the control); under
# sysbroker run, on both transports, with and without --user, every option is refused with EPERM
# and recorded, every send with control data fails with EOPNOTSUPP, and a capture on lo sees no
# packet of the sandbox go to the denied address while the granted one gets each datagram.
#     test-route.sh SYSBROKER SOURCE_ROOT ROUTE ROUTE_STATIC
set -u
sb=$1
src=$2
unset LD_LIBRARY_PATH

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root (a network namespace, a capture on lo, --user)"
	exit 0
fi
if [ -z "${SB_ROUTE_NETNS:-}" ]; then
	# sysbroker and the capture run inside the namespace: its lo carries the second address.
	if ! command -v unshare >/dev/null || ! command -v ip >/dev/null ||
		! unshare -n true 2>/dev/null; then
		echo "1..0 # SKIP needs unshare -n and ip (a private network namespace)"
		exit 0
	fi
	SB_ROUTE_NETNS=1 exec unshare -n -- sh "$0" "$@"
fi

. "$src/tests/tap.sh"
# held OUTPUT NAME ERRNO [WHAT]: the attempt NAME failed with ERRNO.
held() {
	case $1 in
	*"$2 ret=-1 errno=$3"*) ok "${4:-} $2 is refused with $3" ;;
	*) not_ok "${4:-} $2 is refused with $3: $(printf '%s\n' "$1" | grep "^$2 ")" ;;
	esac
}
# went OUTPUT NAME [WHAT]: the attempt NAME succeeded.
went() {
	if printf '%s\n' "$1" | grep -q "^$2 ret=[0-9]"; then
		ok "${3:-} $2 succeeds"
	else
		not_ok "${3:-} $2 succeeds: $(printf '%s\n' "$1" | grep "^$2 ")"
	fi
}

tmp=$(mktemp -d /tmp/sb-route.XXXXXX)
chmod 755 "$tmp"
cap_pid=
trap '[ -n "$cap_pid" ] && kill "$cap_pid" 2>/dev/null; rm -rf "$tmp"' EXIT
cp "$3" "$tmp/route"
cp "$4" "$tmp/route-static"

G6=::1 D6=fd00::d G4=127.0.0.1 D4=127.0.0.2 PORT=4000
ip link set lo up
ip -6 addr add $D6/128 dev lo nodad
ip addr add $D4/8 dev lo 2>/dev/null

"$tmp/route" capture >"$tmp/cap" 2>&1 &
cap_pid=$!
i=0
while ! grep -q ready "$tmp/cap" 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done

cat >"$tmp/net.policy" <<P
sysbroker-policy 1
include $src/examples/policies/runtime.policy
default syscall deny errno ENOSYS log
default path deny errno EACCES log
default net deny errno EACCES log
# @network allows setsockopt outright: only sysbroker's own refusals stand in the way.
allow @network
allow socket
path $tmp/route read exec
path $tmp/route-static read exec
net udp:[$G6]:$PORT connect send
net udp:$G4:$PORT connect send
P
log=$tmp/audit.log

# --- the control: natively the routing header takes the packets to the denied address ----------
out=$("$tmp/route" six $G6 $D6 $PORT native6 2>&1)
went "$out" setsockopt-rthdr "natively, as root:"
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$tmp/route" six $G6 $D6 $PORT \
	nobody6 2>&1)
went "$out" setsockopt-rthdr "natively, as nobody (no capability needed):"
out4=$("$tmp/route" four $G4 $D4 $PORT native4 2>&1)
out4n=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$tmp/route" four $G4 $D4 $PORT \
	nobody4 2>&1)
held "$out4n" setsockopt-ip-options EPERM "natively, as nobody (this kernel wants CAP_NET_RAW):"

# --- under sysbroker run ------------------------------------------------------------------------
tags=
for v in dynamic static; do
	if [ $v = dynamic ]; then bin=$tmp/route; else bin=$tmp/route-static; fi
	for u in root nobody; do
		if [ $u = nobody ]; then user="--user nobody"; else user=; fi
		T="$v $u:"
		tag=$v-$u
		tags="$tags $tag"
		: >"$log"
		# shellcheck disable=SC2086
		out=$("$sb" run --log "$log" -p "$tmp/net.policy" $user -- "$bin" six $G6 $D6 $PORT \
			$tag 2>&1)
		# shellcheck disable=SC2086
		out=$out$(printf '\n')$("$sb" run --log "$log" -p "$tmp/net.policy" $user -- "$bin" \
			four $G4 $D4 $PORT $tag 2>&1)
		for a in rthdr rthdr-high-bits 2292rthdr 2292pktoptions rthdr-type2 flowlabel-mgr \
			ip-options ip-retopts ip-hdrincl; do
			held "$out" setsockopt-$a EPERM "$T"
		done
		for a in cmsg-rthdr cmsg-2292rthdr cmsg-rthdr-connected cmsg-rthdr-type2 \
			cmsg-rthdr-type2-connected cmsg-retopts cmsg-retopts-connected; do
			held "$out" sendmsg-$a EOPNOTSUPP "$T"
		done
		went "$out" send-rthdr "$T (the granted address, on the connected socket)"
		records=$(grep '"syscall":"setsockopt"' "$log" | grep '"decision":"deny"' |
			grep -c '"errno":"EPERM"')
		check "$T each of the 9 refused options has its deny record (got $records)" \
			[ "$records" -eq 9 ]
		if [ $v = static ]; then
			# Over the trap the preloaded runtime refuses control data before it asks.
			records=$(grep '"syscall":"sendmsg"' "$log" | grep '"decision":"deny"' |
				grep -c '"errno":"EOPNOTSUPP"')
			check "$T each of the 7 sends with control data has its deny record (got $records)" \
				[ "$records" -eq 7 ]
		fi
	done
done

# The capture: stop it, then read what reached which address.
sleep 0.5
kill "$cap_pid" 2>/dev/null
wait "$cap_pid" 2>/dev/null
cap_pid=
check "the control: natively a sendto of the granted address reached $D6" \
	grep -q "dst=$D6 tag=tag-native6-rthdr\$" "$tmp/cap"
check "the control: natively a send on the connected socket reached $D6" \
	grep -q "dst=$D6 tag=tag-native6-rthdr-connected\$" "$tmp/cap"
check "the control: natively, as nobody, the packets reached $D6" \
	grep -q "dst=$D6 tag=tag-nobody6-rthdr\$" "$tmp/cap"
case $out4 in
*"setsockopt-ip-options ret=0"*)
	check "the control: natively, as root, the IPv4 source route reached $D4" \
		grep -q "dst=$D4 tag=tag-native4-ip-options\$" "$tmp/cap"
	;;
*) ok "the control: this kernel refuses IP_OPTIONS source routes even to root # SKIP" ;;
esac
for tag in $tags; do
	check "$tag: no packet of the sandbox reached $D6 or $D4" \
		sh -c '! grep -E "dst=($1|$2) tag=tag-$3-" "$4"' - "$D6" "$D4" "$tag" "$tmp/cap"
	for a in rthdr rthdr-connected clean clean-connected; do
		check "$tag: the datagram $a reached the granted $G6" \
			grep -q "dst=$G6 tag=tag-$tag-$a\$" "$tmp/cap"
	done
	check "$tag: the IPv4 datagram ip-options reached the granted $G4" \
		grep -q "dst=$G4 tag=tag-$tag-ip-options\$" "$tmp/cap"
done
echo "1..$n"
exit $fail
