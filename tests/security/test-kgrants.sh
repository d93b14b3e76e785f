#!/bin/sh
# Kernel grants (docs/design.md, "Kernel grants"): the attacks on the split between what Landlock
# enforces in the kernel and what the broker decides, tried for real by tests/security/kgrant.c on
# both transports (dynamic = trap, static and `env -u SYSBROKER_FD` = notify), as root and as
# nobody. Each attempt must fail without a byte of the secret, and every denial the broker makes
# has its record.
#     test-kgrants.sh SYSBROKER SOURCE_ROOT KGRANT KGRANT_STATIC
set -u
sb=$1
src=$2
kg_dyn=$3
kg_static=$4
unset LD_LIBRARY_PATH

n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $(printf '%s' "$1" | tr '\n' ' ')"; }
not_ok() { n=$((n + 1)); fail=1; echo "not ok $n - $(printf '%s' "$1" | tr '\n' ' ')"; }
check() {
	d=$1
	shift
	if "$@"; then ok "$d"; else not_ok "$d"; fi
}
# refused OUTPUT NAME [ERRNO]: the step failed (with ERRNO if given) and read nothing.
refused() {
	line=$(printf '%s\n' "$1" | grep "^$2 ret=")
	case $line in
	"$2 ret=-1 errno=${3:-}"*) ok "$T: $2 is refused${3:+ with $3}" ;;
	*) not_ok "$T: $2 is refused${3:+ with $3}: ${line:-no output: $1}" ;;
	esac
	case $1 in
	*"$2 data="*) not_ok "$T: $2 read nothing" ;;
	esac
}
# granted OUTPUT NAME CONTENT: the step succeeded and read CONTENT.
granted() {
	case $1 in
	*"$2 data=$3"*) ok "$T: $2 reads the granted file" ;;
	*) not_ok "$T: $2 reads the granted file: $(printf '%s\n' "$1" | grep "^$2 ")" ;;
	esac
}
# recorded SYSCALL PATH: the log has the broker's denial of SYSCALL on PATH over $transport.
recorded() {
	if grep "\"syscall\":\"$1\"" "$log" | grep "\"path\":\"$2\"" | grep '"decision":"deny"' |
		grep -q "\"transport\":\"$transport\""; then
		ok "$T: the denial of $1 $2 has its record ($transport)"
	else
		not_ok "$T: the denial of $1 $2 has its record ($transport)"
	fi
}

if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP needs root (sysbroker run --user nobody)"
	exit 0
fi
if [ "$(uname -m)" != x86_64 ]; then
	echo "1..0 # SKIP the attacks use x86_64 registers"
	exit 0
fi
tmp=$(mktemp -d /tmp/sb-kg.XXXXXX)
chmod 755 "$tmp"
trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
cp "$kg_dyn" "$tmp/kg"
cp "$kg_static" "$tmp/kg-static"
g=$tmp/g
w=$tmp/w
secret=$tmp/secret
wg=$tmp/wg # a writable tree the kernel grants (its own directory stays)
x=$tmp/x   # a drop box: the sandbox may put things there, never read them
lo=$tmp/lo # a tree granted for listing only
secret_text="KG-SECRET-$$"
mkworld() {
	rm -rf "$g" "$w" "$secret" "$wg" "$x" "$lo"
	mkdir -p "$g/sub" "$w" "$wg/sub" "$x" "$lo"
	echo "$secret_text" >"$lo/f"
	chmod -R a+rX "$lo"
	echo "wg-sub-content" >"$wg/sub/f"
	echo "wg-content" >"$wg/file.txt"
	echo "$secret_text" >"$secret"
	echo "granted-content" >"$g/file.txt"
	echo "w-content" >"$w/file.txt"
	ln -s ../secret "$g/out"
	chmod -R a+rwX "$wg" "$x" "$w"
	chmod -R a+rX "$g"
	chmod 644 "$secret"
	echo "WO-$secret_text" >"$tmp/wo"
	chmod 666 "$tmp/wo"
}
world_kept() {
	check "$T: the secret is unchanged and nothing moved" \
		[ "$(cat "$secret")" = "$secret_text" -a "$(cat "$g/file.txt")" = granted-content \
		-a -d "$g/sub" -a ! -e "$g/new" -a ! -e "$g/s2" -a ! -e "$g/l" -a ! -e "$w/sub" ]
}

cat >"$tmp/on.policy" <<P
sysbroker-policy 1
include $src/examples/policies/runtime.policy
default syscall allow
default path deny errno EACCES log
path $tmp/kg read exec
path $tmp/kg-static read exec
path /usr/bin/env read exec
path /usr/bin/dash read exec
path /usr/bin/sleep read exec
path $tmp stat
path $tmp/wo write
path $g read list stat
path $g/** read list stat
path $w/** read write create delete list stat
path $w read write create delete list stat
path $wg/** read write create delete list stat
path $wg read list stat
path $x/** write create delete stat
path $lo/** list stat
# The broker's /proc entry stays refused whatever a policy grants.
path /proc/** read list stat
P
cat >"$tmp/off.policy" <<P
sysbroker-policy 1
include $tmp/on.policy
kernel-grants off
P
log=$tmp/audit.log

mkworld
: >"$log"
"$sb" run --log "$log" -p "$tmp/on.policy" -- "$tmp/kg" open probe "$g/file.txt" >/dev/null 2>&1
if ! grep -q '"kernel grants: [0-9]* (Landlock ABI' "$log"; then
	echo "1..0 # SKIP no kernel grants on this machine: $(grep kernel-grants "$log")"
	exit 0
fi
ok "the log says the kernel enforces the grants: $(grep -o 'kernel grants: [^"]*' "$log")"
check "the writable tree $wg is a kernel grant" \
	sh -c "'$sb' check --explain '$tmp/on.policy' | grep -q '^  $wg  *tree read list'"
check "the list-only tree $lo is a kernel grant for listing" \
	sh -c "'$sb' check --explain '$tmp/on.policy' | grep -q '^  $lo  *tree list '"

steps() { # the attacks, one sandboxed run
	set -- \
		asm asm-cookie-secret "$secret" r 1 libc libc-cookie-secret "$secret" r 1 \
		asm asm-secret "$secret" r 0 \
		asm asm-cookie-granted "$g/file.txt" r 1 \
		asm asm-cookie-rw "$g/file.txt" rw 1 libc libc-cookie-rw "$g/file.txt" rw 1 \
		asm asm-rw "$g/file.txt" rw 0 \
		asm asm-cookie-path-secret "$secret" path 1 asm asm-path-secret "$secret" path 0 \
		libc libc-cookie-path-secret "$secret" path 1 \
		asm asm-cookie-creat "$g/new" creat 1 asm asm-creat "$g/new" creat 0 \
		libc libc-cookie-creat "$g/new" creat 1 \
		asm asm-cookie-trunc "$g/file.txt" trunc 1 asm asm-trunc "$g/file.txt" trunc 0 \
		libc libc-cookie-trunc "$g/file.txt" trunc 1 \
		asm asm-cookie-append "$g/file.txt" append 1 \
		libc libc-cookie-append "$g/file.txt" append 1 \
		asm asm-cookie-tmpfile "$g" tmpfile 1 \
		stat-libc stat-cookie-secret "$secret" 1 \
		rename rename-granted-dir-out "$g/sub" "$w/sub" \
		rename rename-secret-in "$secret" "$g/s2" \
		rename rename-broker-file-in "$w/file.txt" "$g/new" \
		link link-secret-in "$secret" "$g/l" \
		open open-link-out "$g/out" \
		open open-secret "$secret" stat stat-secret "$secret" \
		open open-granted "$g/file.txt" stat stat-granted "$g/file.txt" \
		open proc-broker-environ /proc/@PPID/environ \
		asm proc-broker-environ-cookie /proc/@PPID/environ r 1 \
		libc proc-broker-mem-cookie /proc/@PPID/mem r 1 \
		openat2 openat2-cookie-secret "$secret" 1 openat2 openat2-secret "$secret" 0 \
		open-cookie open-cookie-secret "$secret" 1 \
		asm hi-cookie-secret "$secret" hi-r 1 asm hi-cookie-rw "$g/file.txt" hi-rw 1 \
		asm cookie-proc-root "/proc/self/root$secret" r 1 \
		asm cookie-proc-root-granted "/proc/self/root$g/file.txt" r 1 \
		wronly wo "$tmp/wo" asm cookie-fd-reopen /proc/self/fd/@FD r 1 \
		open fd-reopen /proc/self/fd/@FD \
		asm wg-cookie-granted "$wg/file.txt" r 1 \
		rename wg-rename-secret-in "$secret" "$wg/s" \
		link wg-link-secret-in "$secret" "$wg/l" \
		rename wg-rename-root "$wg" "$x/wg" \
		rename wg-rename-sub-out "$wg/sub" "$x/sub" \
		asm wg-cookie-moved-out "$x/sub/f" r 1 open wg-open-moved-out "$x/sub/f" \
		rename wg-rename-file-in "$w/file.txt" "$wg/from-w" \
		asm wg-cookie-moved-in "$wg/from-w" r 1 \
		symlink wg-symlink-secret "$secret" "$wg/ln" \
		asm wg-cookie-symlink "$wg/ln" r 1 open wg-open-symlink "$wg/ln" \
		asm lo-cookie-read "$lo/f" r 1 open lo-open "$lo/f"
	"$sb" run --log "$log" -p "$tmp/$policy.policy" $user -- $prefix "$bin" "$@" 2>&1
}

for policy in on off; do
	for v in dynamic static noenv; do
		case $v in
		dynamic) bin=$tmp/kg prefix= transport=trap ;;
		static) bin=$tmp/kg-static prefix= transport=notify ;;
		noenv) bin=$tmp/kg prefix="/usr/bin/env -u SYSBROKER_FD" transport=notify ;;
		esac
		for user in "" "--user nobody"; do
			[ $policy = off ] && [ -n "$user" ] && continue
			T="$policy, $v ($transport)${user:+, $user}"
			mkworld
			: >"$log"
			out=$(steps)
			for s in asm-cookie-secret libc-cookie-secret asm-secret stat-cookie-secret \
				open-link-out open-secret stat-secret; do
				refused "$out" $s EACCES
			done
			for s in asm-cookie-rw libc-cookie-rw asm-rw asm-cookie-path-secret \
				asm-path-secret libc-cookie-path-secret asm-cookie-creat asm-creat \
				libc-cookie-creat asm-cookie-trunc asm-trunc libc-cookie-trunc \
				asm-cookie-append libc-cookie-append \
				asm-cookie-tmpfile rename-granted-dir-out rename-secret-in \
				rename-broker-file-in link-secret-in proc-broker-environ \
				proc-broker-environ-cookie proc-broker-mem-cookie openat2-cookie-secret \
				openat2-secret open-cookie-secret hi-cookie-secret hi-cookie-rw \
				cookie-proc-root cookie-fd-reopen fd-reopen; do
				refused "$out" $s
			done
			granted "$out" asm-cookie-granted granted-content
			granted "$out" open-granted granted-content
			case $out in
			*"stat-granted ret=0 "*) ok "$T: stat of a granted file works" ;;
			*) not_ok "$T: stat of a granted file works" ;;
			esac
			[ $policy = on ] && granted "$out" cookie-proc-root-granted granted-content
			# The cookie call by the x32 and the i386 numbers: no prefix matches them; the
			# filters refuse or end the program, never a byte of the secret.
			for a in x32 i386; do
				o=$("$sb" run --log "$log" -p "$tmp/$policy.policy" $user -- $prefix "$bin" \
					$a $a-cookie-secret "$secret" 1 2>&1)
				case $o in
				*"$a-cookie-secret ret="[0-9]* | *"$secret_text"*)
					not_ok "$T: the $a cookie call is refused: $o" ;;
				*) ok "$T: the $a cookie call is refused" ;;
				esac
			done
			case $out in
			*"$secret_text"*) not_ok "$T: no byte of the secret reached the program" ;;
			*) ok "$T: no byte of the secret reached the program" ;;
			esac
			world_kept
			# The writable granted tree: what moves in is read as the policy says there,
			# what moves out is decided where it lands, the tree itself stays.
			for s in wg-rename-secret-in wg-link-secret-in wg-rename-root; do
				refused "$out" $s
			done
			for s in wg-cookie-moved-out wg-open-moved-out wg-cookie-symlink \
				wg-open-symlink lo-cookie-read lo-open; do
				refused "$out" $s EACCES
			done
			granted "$out" wg-cookie-granted wg-content
			granted "$out" wg-cookie-moved-in w-content
			for s in wg-rename-sub-out wg-rename-file-in wg-symlink-secret; do
				case $out in
				*"$s ret=0 "*) ok "$T: $s is allowed by the policy" ;;
				*) not_ok "$T: $s is allowed by the policy: $(printf '%s\n' "$out" | grep "^$s ")" ;;
				esac
			done
			check "$T: the granted tree stayed, the secret did not move into it" \
				[ -d "$wg" -a ! -e "$x/wg" -a ! -e "$wg/s" -a ! -e "$wg/l" -a -f "$x/sub/f" ]
			recorded openat "$x/sub/f"
			# The program's own cookie call on the secret: under the domain the kernel
			# refuses it (its record is Landlock's, in the kernel's audit log); without
			# grants no filter lets the cookie through, so the broker decides and logs it.
			if [ $v = dynamic ] && [ -z "$user" ]; then
				k=$(grep '"syscall":"openat"' "$log" | grep "\"path\":\"$secret\"" |
					grep '"flags":"O_RDONLY"' | grep -c '"transport":"notify"')
				# (off: the symlink's cookie call too, which resolves to the secret)
				want=$([ $policy = on ] && echo 1 || echo 3)
				check "$T: the program's cookie call went to the $([ $policy = on ] && echo kernel || echo broker) ($k broker records of the secret's plain opens over notify, $want expected)" \
					[ "$k" = "$want" ]
			fi
			recorded openat "$secret"
			recorded newfstatat "$secret"
			# The symlink out of the granted tree: the kernel refused the direct try,
			# the broker decided on the secret's own name.
			check "$T: the symlink out of the tree was decided by the broker, with a record" \
				sh -c "grep -c '\"path\":\"$secret\"' '$log' | grep -qv '^[01]\$'"
		done
	done
done

# --- a writable tree (granted by the kernel only if the plan proves its place fixed) ----------
# Attacks that hold whether or not a writable tree is granted: move a subtree, or the sibling of
# a deny exception, out to a drop box the policy lets the program fill but not read, then read it
# there directly; link or move a secret in; enter the deny exception.
W=$tmp/wt
cat >"$tmp/wt.policy" <<P
sysbroker-policy 1
include $tmp/on.policy
path $W read list stat
path $W/** read write create delete list stat
path $W/private/** deny
path $W/private deny
path $tmp/drop write create stat
path $tmp/drop/** write create stat
P
for v in dynamic static; do
	case $v in
	dynamic) bin=$tmp/kg transport=trap ;;
	static) bin=$tmp/kg-static transport=notify ;;
	esac
	for user in "" "--user nobody"; do
		T="writable tree, $v ($transport)${user:+, $user}"
		rm -rf "$W" "$tmp/drop"
		mkdir -p "$W/pub/deep" "$W/private" "$tmp/drop"
		echo "$secret_text" >"$W/pub/deep/f"
		echo "$secret_text" >"$W/pub/g"
		echo "$secret_text" >"$W/private/f"
		chmod -R a+rwX "$W" "$tmp/drop"
		mkworld
		: >"$log"
		out=$("$sb" run --log "$log" -p "$tmp/wt.policy" $user -- "$bin" \
			rename move-deep-out "$W/pub/deep" "$tmp/drop/deep" \
			asm deep-cookie "$tmp/drop/deep/f" r 1 open deep-open "$tmp/drop/deep/f" \
			rename move-sibling-out "$W/pub" "$tmp/drop/pub" \
			asm moved-cookie "$tmp/drop/pub/g" r 1 open moved-open "$tmp/drop/pub/g" \
			rename move-into-private "$W/pub" "$W/private/pub" \
			asm private-cookie "$W/private/f" r 1 open private-open "$W/private/f" \
			link link-secret-in "$secret" "$W/l" asm linked-cookie "$W/l" r 1 \
			rename move-secret-in "$secret" "$W/s" asm moved-in-cookie "$W/s" r 1 \
			rename move-tree-away "$W" "$tmp/drop/wt" 2>&1)
		for s in moved-cookie moved-open deep-cookie deep-open move-into-private private-cookie \
			private-open link-secret-in linked-cookie move-secret-in moved-in-cookie \
			move-tree-away; do
			refused "$out" $s
		done
		case $out in
		*"move-deep-out ret=0 "*"move-sibling-out ret=0 "*)
			ok "$T: the policy lets both move to the drop box (the attack is real)" ;;
		*) not_ok "$T: the policy lets both move to the drop box: $out" ;;
		esac
		case $out in
		*"$secret_text"*) not_ok "$T: no byte of the secrets reached the program" ;;
		*) ok "$T: no byte of the secrets reached the program" ;;
		esac
	done
done

# --- a setuid program in a granted tree runs without its privilege -----------------------------
cp /usr/bin/id "$g/suid-id" 2>/dev/null && chown root:root "$g/suid-id" && chmod 4755 "$g/suid-id"
cat >"$tmp/suid.policy" <<P
sysbroker-policy 1
include $tmp/on.policy
path $g/suid-id read exec
P
for v in dynamic noenv; do
	case $v in
	dynamic) prefix= ;;
	noenv) prefix="/usr/bin/env -u SYSBROKER_FD" ;;
	esac
	o=$("$sb" run --log "$log" -p "$tmp/suid.policy" --user nobody -- $prefix "$g/suid-id" -u 2>&1)
	check "setuid under a grant ($v): runs as nobody, not root ($o)" [ "$o" = "$(id -u nobody)" ]
done
rm -f "$g/suid-id"

# --- a granted file the policy does not let run: execveat on an fd from the direct open --------
for v in dynamic static; do
	case $v in
	dynamic) bin=$tmp/kg transport=trap ;;
	static) bin=$tmp/kg-static transport=notify ;;
	esac
	for user in "" "--user nobody"; do
		T="execveat of a granted fd, $v ($transport)${user:+, $user}"
		mkworld
		cp /usr/bin/id "$g/prog" && chmod 755 "$g/prog"
		: >"$log"
		out=$("$sb" run --log "$log" -p "$tmp/on.policy" $user -- "$bin" \
			open read-prog "$g/prog" execfd exec-prog "$g/prog" 2>&1)
		granted "$out" read-prog "$(printf '\177ELF')"
		refused "$out" exec-prog EACCES
		transport=notify # an exec is always the notify transport's
		recorded execveat "$g/prog"
	done
done

# --- a hint the program forges before an exec costs speed only, never widens -------------------
for policy in on off; do
	for user in "" "--user nobody"; do
		T="forged hint, $policy${user:+, $user}"
		mkworld
		: >"$log"
		out=$("$sb" run --log "$log" -p "$tmp/$policy.policy" $user -- /usr/bin/env \
			"SYSBROKER_KGRANTS=/:$secret:$tmp/" "$tmp/kg" open open-secret "$secret" \
			stat stat-secret "$secret" open open-granted "$g/file.txt" 2>&1)
		refused "$out" open-secret EACCES
		refused "$out" stat-secret EACCES
		granted "$out" open-granted granted-content
		transport=trap
		recorded openat "$secret"
		recorded newfstatat "$secret"
	done
done

# --- a syscall rule on a call the kernel would answer: no kernel grants ---------------------
# The direct try and the cookie's prefix never read the policy's syscall rules, so a policy with a
# rule naming one of the calls they answer has no grants, and the broker applies the rule: the
# C library's stat, the program's own cookie open and readlink of granted files are refused.
T=ruled
for name in openat open stat lstat newfstatat readlink readlinkat access faccessat faccessat2; do
	printf 'sysbroker-policy 1\ninclude %s\ndeny %s log if arg5 == 0x5eed\n' \
		"$tmp/on.policy" "$name" >"$tmp/ruled.policy"
	check "$T: a rule naming $name leaves no kernel grant" sh -c \
		"'$sb' check --explain '$tmp/ruled.policy' | grep -q '^  (none: the syscall rule for $name (.*ruled.policy:3)'"
done
cat >"$tmp/ruled.policy" <<P
sysbroker-policy 1
include $tmp/on.policy
deny newfstatat log if arg3 == 0
deny openat log if arg2 & 0x800 == 0x800
deny readlink log
deny readlinkat log
P
mkworld
for prog in kg kg-static; do
	transport=trap
	[ $prog = kg-static ] && transport=notify
	for user in root nobody; do
		T="ruled $transport $user"
		: >"$log"
		out=$("$sb" run --user $user --log "$log" -p "$tmp/ruled.policy" -- "$tmp/$prog" \
			stat stat-granted "$g/file.txt" asm own-cookie-nonblock "$g/file.txt" r-nonblock 1 \
			readlink readlink-granted "$g/file.txt" open open-granted "$g/file.txt" 2>&1)
		refused "$out" stat-granted EPERM
		refused "$out" own-cookie-nonblock EPERM
		refused "$out" readlink-granted EPERM
		granted "$out" open-granted granted-content
		for sc in newfstatat openat readlink; do
			check "$T: the rule's refusal of $sc has its record" sh -c \
				"grep '\"syscall\":\"$sc\"' '$log' | grep -q '\"rule\":\"$tmp/ruled.policy:'"
		done
	done
done

# on_off FN USER PROG [SETUP]: FN under the "on" and the "off" policy (SETUP before each run);
# both must answer alike and record the same denials. $out keeps the "on" answers.
on_off() {
	${4:-:}
	: >"$log"
	out=$($1 on "$2" "$3")
	n_on=$(grep -c '"decision":"deny"' "$log")
	${4:-:}
	: >"$log"
	out_off=$($1 off "$2" "$3")
	n_off=$(grep -c '"decision":"deny"' "$log")
	check "$T: grants on and off answer alike" [ "$out" = "$out_off" ]
	[ "$out" = "$out_off" ] || printf '%s\n' "$out" "# off:" "$out_off" | sed 's/^/# /'
	check "$T: grants on and off record the same denials ($n_on, $n_off)" [ "$n_on" = "$n_off" ]
}

# --- names that reach a granted file through a magic link; fstat with a NULL name ------------
# The broker never follows a magic link (ELOOP, or EACCES for its own /proc that "self" names
# there); the kernel does, and Landlock checks only where it lands. So the direct try must leave
# to the broker a relative name that starts in /proc, and a name with "..", which climbs out of a
# grant into /proc. newfstatat(fd, NULL, AT_EMPTY_PATH) is the broker's too (EFAULT there).
magic() {
	"$sb" run --log "$log" -p "$tmp/$1.policy" $2 -- "$tmp/$3" \
		chdir cd-proc /proc/self open rel-root "root$g/file.txt" \
		stat rel-root-stat "root$g/file.txt" readlink rel-root-readlink "root$g/file.txt" \
		chdir cd-g "$g" open dotdot "../../../proc/self/root$g/file.txt" \
		stat dotdot-stat "../../../proc/self/root$g/file.txt" \
		open abs-dotdot "$g/../../../proc/self/root$g/file.txt" \
		stat abs-dotdot-stat "$g/../../../proc/self/root$g/file.txt" \
		fstat-null fstat-null "$g/file.txt" open rel-granted file.txt 2>&1
}
mkworld
for prog in kg kg-static; do
	transport=trap
	[ $prog = kg-static ] && transport=notify
	for user in "" "--user nobody"; do
		T="magic $transport${user:+ $user}"
		on_off magic "$user" $prog
		for s in rel-root rel-root-stat dotdot dotdot-stat abs-dotdot abs-dotdot-stat; do
			refused "$out" $s
		done
		granted "$out" rel-granted granted-content
	done
done

# --- absolute names with "..": the kernel takes ".." where its walk really is ----------------
# A name with ".." is the broker's (the direct try leaves it alone): a walk through /proc follows
# a magic link the broker refuses to a granted file, one climbs out of a tree to the secret. They
# must be refused as without kernel grants, with the same records; one that stays in the plan, or
# climbs past "/", reads the granted file.
dotdot() {
	"$sb" run --log "$log" -p "$tmp/$1.policy" $2 -- "$tmp/$3" \
		open up-proc-root "$g/../../proc/self/root$g/file.txt" \
		stat up-proc-root-stat "$tmp/../proc/self/root$g/file.txt" \
		open proc-root-up "/proc/self/root/../..$g/file.txt" \
		stat proc-root-up-stat "/proc/thread-self/root/..$g/file.txt" \
		readlink proc-exe-up "/proc/self/../self/exe" \
		open wg-up-proc "$wg/sub/../../../proc/self/root$g/file.txt" \
		open up-secret "$g/sub/../../secret" stat up-secret-stat "$wg/sub/../../secret" \
		access up-secret-access "$g/../secret" \
		open up-granted "$g/sub/../file.txt" stat up-granted-stat "$wg/sub/../../g/file.txt" \
		open past-root "/../../..$g/file.txt" 2>&1
}
mkworld
for prog in kg kg-static; do
	transport=trap
	[ $prog = kg-static ] && transport=notify
	for user in "" "--user nobody"; do
		T="dotdot $transport${user:+ $user}"
		on_off dotdot "$user" $prog
		for s in up-proc-root up-proc-root-stat proc-root-up proc-root-up-stat proc-exe-up \
			wg-up-proc up-secret up-secret-stat up-secret-access; do
			refused "$out" $s
		done
		recorded openat "$secret"
		recorded newfstatat "$secret"
		granted "$out" up-granted granted-content
		granted "$out" past-root granted-content
		case $out in
		*"up-granted-stat ret=0"*) ok "$T: up-granted-stat stats the granted file" ;;
		*) not_ok "$T: up-granted-stat stats the granted file: $(printf '%s\n' "$out" | grep '^up-granted-stat ')" ;;
		esac
	done
done

# --- relative names from a deleted directory --------------------------------------------------
# The sandbox may remove its cwd in a writable granted tree. The kernel still resolves relative
# names there (nothing exists: ENOENT; "." stats), and Landlock still finds the grant above it,
# but the broker has no path for a deleted directory and answers by the default (EACCES and a
# record). The direct try must leave such names to the broker.
gone() {
	"$sb" run --log "$log" -p "$tmp/$1.policy" $2 -- "$tmp/$3" \
		chdir cd "$wg/gone" rmdir rm "$wg/gone" stat dot . stat missing x \
		open open-missing x readlink readlink-dot . stat deep a/b 2>&1
}
mkgone() { mkdir -m 777 "$wg/gone"; }
for prog in kg kg-static; do
	transport=trap
	[ $prog = kg-static ] && transport=notify
	for user in "" "--user nobody"; do
		T="deleted cwd $transport${user:+ $user}"
		mkworld
		on_off gone "$user" $prog mkgone
	done
done

# --- a file the policy lets execute, not read -----------------------------------------------
# Exec needs Landlock's READ_FILE, so the domain holds a rule on each exec-only file outside the
# read trees. The direct try must not turn that rule into an answer: an ordinary open of the file
# (by its name in a listed tree, or through a symlink in a granted tree) is refused by the broker
# with a record, and a stat or readlink through a link that the policy does not let stat too.
exo() {
	"$sb" run --log "$log" -p "$tmp/exo-$1.policy" $2 -- "$tmp/$3" \
		open open-name "$tmp/eb/tool" open open-link "$g/tool-link" \
		stat stat-link "$g/tool-link" readlink readlink-dirlink "$g/ebl/tool" \
		access access-link "$g/tool-link" access access-name "$tmp/eb/tool" 2>&1
}
cat >"$tmp/exo-on.policy" <<P
sysbroker-policy 1
include $tmp/on.policy
path $tmp/eb list stat
path $tmp/eb/** list stat
path $tmp/eb/tool exec list
P
cat >"$tmp/exo-off.policy" <<P
sysbroker-policy 1
include $tmp/exo-on.policy
kernel-grants off
P
for prog in kg kg-static; do
	transport=trap
	[ $prog = kg-static ] && transport=notify
	for user in "" "--user nobody"; do
		T="exec-only file $transport${user:+ $user}"
		mkworld
		rm -rf "$tmp/eb"
		mkdir -p "$tmp/eb"
		echo "$secret_text" >"$tmp/eb/tool"
		chmod -R a+rX "$tmp/eb"
		ln -sf "$tmp/eb/tool" "$g/tool-link"
		ln -sf "$tmp/eb" "$g/ebl"
		on_off exo "$user" $prog
		refused "$out" open-name EACCES
		refused "$out" open-link EACCES
		refused "$out" access-link EACCES
		refused "$out" access-name EACCES
		rm -f "$g/tool-link" "$g/ebl"
	done
done

# --- a hint forged before an exec ------------------------------------------------------------
# The runtime learns which paths to try, and which files Landlock lets it read only to execute
# them, from the hint the program before the exec wrote. A forged hint moves no line of the
# domain: it may make the runtime answer in-process what the program's own cookie call reads
# anyway (an exec-only file, docs/threat-model.md), never a file the domain does not hold, whose
# refusal stays the broker's, with its record.
forged() {
	"$sb" run --log "$log" -p "$tmp/exo-$1.policy" $2 -- /usr/bin/env \
		SYSBROKER_KGRANTS="$tmp/:$g/:+r:+e" "$tmp/$3" open forged-secret "$secret" \
		stat forged-secret-stat "$secret" asm cookie-exec-only "$tmp/eb/tool" r 1 2>&1
}
for user in "" "--user nobody"; do
	transport=trap
	T="forged hint${user:+ $user}"
	mkworld
	rm -rf "$tmp/eb"
	mkdir -p "$tmp/eb"
	echo "EXEC-ONLY" >"$tmp/eb/tool"
	chmod -R a+rX "$tmp/eb"
	: >"$log"
	out=$(forged on "$user" kg)
	refused "$out" forged-secret EACCES
	refused "$out" forged-secret-stat EACCES
	recorded openat "$secret"
	recorded newfstatat "$secret"
	granted "$out" cookie-exec-only EXEC-ONLY
done

# --- an exec rule whose name is a symlink, or lies under one -----------------------------------
# The broker decides an exec (and every read) on the canonical path: a literal exec rule that
# names a symlink grants nothing at its target, whose own rules decide. The domain's exec rule
# must not be put on that target either: the program's own cookie call would read a file the
# policy grants nothing on (not even exec). The same for an exec pattern whose literal directory
# lies under a symlink. Both ways, grants on and off: the same refusal (with grants on the
# kernel refuses the cookie call, without a record of the broker's: docs/threat-model.md).
exlink() {
	"$sb" run --log "$log" -p "$tmp/exlink-$1.policy" $2 -- "$tmp/$3" \
		asm via-target "$secret" r 1 asm via-link "$tmp/eln/tool" r 1 \
		asm via-dirlink "$tmp/elalias/key" r 1 asm dirlink-target "$tmp/elsec/key" r 1 2>&1
}
cat >"$tmp/exlink-on.policy" <<P
sysbroker-policy 1
include $tmp/on.policy
path $tmp/eln/tool exec
path $tmp/elalias/k* exec
P
for prog in kg kg-static; do
	transport=trap
	[ $prog = kg-static ] && transport=notify
	for user in "" "--user nobody"; do
		T="exec rule through a symlink $transport${user:+ $user}"
		mkworld
		rm -rf "$tmp/eln" "$tmp/elsec" "$tmp/elalias"
		mkdir -p "$tmp/eln" "$tmp/elsec"
		ln -s "$secret" "$tmp/eln/tool"
		echo "$secret_text" >"$tmp/elsec/key"
		chmod -R a+rX "$tmp/eln" "$tmp/elsec"
		ln -s "$tmp/elsec" "$tmp/elalias"
		: >"$log"
		out=$(exlink on "$user" $prog)
		refused "$out" via-target EACCES
		refused "$out" via-link EACCES
		refused "$out" via-dirlink EACCES
		refused "$out" dirlink-target EACCES
	done
done

# The sandbox can plant such a symlink itself where the policy lets it make its exec-only file
# (a tool it builds and runs, never reads): the next run's domain then reads the symlink's
# target, whatever it is.
cat >"$tmp/plant-on.policy" <<P
sysbroker-policy 1
include $tmp/on.policy
path $tmp/ob/** write create delete stat
path $tmp/ob stat
path $tmp/ob/tool exec write create delete stat
P
cat >"$tmp/plant-off.policy" <<P
sysbroker-policy 1
include $tmp/plant-on.policy
kernel-grants off
P
for user in "" "--user nobody"; do
	transport=trap
	T="exec-only tool replaced by a symlink${user:+ $user}"
	mkworld
	rm -rf "$tmp/ob"
	mkdir -p "$tmp/ob"
	cp "$tmp/kg" "$tmp/ob/tool"
	chmod -R a+rwX "$tmp/ob"
	out=$("$sb" run --log "$log" -p "$tmp/plant-on.policy" $user -- "$tmp/kg" \
		rename away "$tmp/ob/tool" "$tmp/ob/tool.old" symlink plant "$secret" "$tmp/ob/tool" 2>&1)
	check "$T: the sandbox plants the symlink (the policy lets it)" [ -L "$tmp/ob/tool" ]
	for mode in on off; do
		: >"$log"
		out=$("$sb" run --log "$log" -p "$tmp/plant-$mode.policy" $user -- "$tmp/kg" \
			asm next-run "$secret" r 1 2>&1)
		T="exec-only tool replaced by a symlink${user:+ $user}, grants $mode"
		refused "$out" next-run EACCES
	done
done

# --- a name that ends in " (deleted)" ----------------------------------------------------------
# The broker names what it resolved by the kernel's name of the fd (/proc/self/fd/N), where a
# file whose name is gone ends in " (deleted)". A file may be named so: it is the file's own name
# when that name is the file now. Grants on (the direct try) and off (the broker) answer alike,
# and as natively. (A canonical path past PATH_MAX, which the broker cannot name and the kernel
# resolves through symlinks, still differs: docs/threat-model.md.)
unnamed() {
	"$sb" run --log "$log" -p "$tmp/$1.policy" $2 -- "$tmp/$3" \
		open del-open "$wg/x (deleted)" stat del-stat "$wg/x (deleted)" \
		access del-access "$wg/x (deleted)" 2>&1
}
mkunnamed() {
	echo wg-deleted >"$wg/x (deleted)"
	chmod -R a+rwX "$wg"
}
for prog in kg kg-static; do
	transport=trap
	[ $prog = kg-static ] && transport=notify
	for user in "" "--user nobody"; do
		T="a name ending in (deleted) $transport${user:+ $user}"
		mkworld
		on_off unnamed "$user" $prog mkunnamed
		granted "$out" del-open wg-deleted
	done
done

# --- a reload that narrows a kernel grant ends the program; one that does not, does not -----
reload_run() { # POLICY: run a sleeper, reload after the policy changed; prints the exit status
	cp "$tmp/$1.policy" "$tmp/r.policy"
	: >"$log"
	"$sb" run --log "$log" -p "$tmp/r.policy" -- /bin/sh -c 'sleep 4; echo survived' \
		>"$tmp/r.out" 2>"$tmp/r.err" &
	pid=$!
	sleep 1
	cat "$tmp/$2.policy" >"$tmp/r.policy"
	"$sb" reload --pid $pid >/dev/null 2>&1
	wait $pid
	echo $?
}
cat >"$tmp/narrow.policy" <<P
sysbroker-policy 1
include $tmp/on.policy
path $g/sub/** deny
P
cat >"$tmp/narrow-off.policy" <<P
sysbroker-policy 1
include $tmp/narrow.policy
kernel-grants off
P
cat >"$tmp/wider.policy" <<P
sysbroker-policy 1
include $tmp/on.policy
path $tmp/other/** read
P
mkworld
T=reload
st=$(reload_run on narrow)
check "a narrowing reload ends the program (status $st, 125 expected)" [ "$st" = 125 ]
check "the program did not go on ($(cat "$tmp/r.out"))" [ ! -s "$tmp/r.out" ]
check "the record names the grant and the reload" grep -q "\"decision\":\"reload-kill\".*\"grant\":\"$g" "$log"
check "run says why in one line ($(cat "$tmp/r.err"))" \
	sh -c "[ \$(wc -l <'$tmp/r.err') -eq 1 ] && grep -q 'narrowed the kernel grant' '$tmp/r.err'"
st=$(reload_run on wider)
check "a widening reload keeps the program (status $st)" [ "$st" = 0 -a "$(cat "$tmp/r.out")" = survived ]
# A reload that keeps every read but lets the sandbox move a granted tree (delete on an
# ancestor) or change it (write in it) narrows the grant as surely: the kernel rule would follow
# the inodes wherever they go.
cat >"$tmp/unlock-parent.policy" <<P
sysbroker-policy 1
include $tmp/on.policy
path $tmp stat delete
P
cat >"$tmp/unlock-tree.policy" <<P
sysbroker-policy 1
include $tmp/on.policy
path $g/sub/** read list stat write create delete
P
st=$(reload_run on unlock-parent)
check "a reload that lets the granted tree's parent be deleted ends the program (status $st, 125 expected)" \
	[ "$st" = 125 ]
# Writable contents do not spoil a tree grant (only its own directory must stay put): the grant
# still holds under the new policy, so the program goes on.
st=$(reload_run on unlock-tree)
check "a reload that makes part of a granted tree writable keeps the program (status $st)" \
	[ "$st" = 0 -a "$(cat "$tmp/r.out")" = survived ]
check "... and the reload took effect" grep -q '"decision":"reload"' "$log"
cat >"$tmp/on-off.policy" <<P
sysbroker-policy 1
include $tmp/on.policy
kernel-grants off
P
# A reload that adds a rule naming a call the direct try answers: the try cannot apply it.
cat >"$tmp/rule-stat.policy" <<P
sysbroker-policy 1
include $tmp/on.policy
deny newfstatat log if arg3 == 0
P
st=$(reload_run on rule-stat)
check "a reload that adds a rule on newfstatat ends the program (status $st, 125 expected)" \
	[ "$st" = 125 ]
check "the record names the rule" grep -q "\"decision\":\"reload-kill\".*adds a rule on newfstatat (.*r.policy:3)" "$log"
check "run says why in one line ($(cat "$tmp/r.err"))" \
	sh -c "[ \$(wc -l <'$tmp/r.err') -eq 1 ] && grep -q 'added a rule on newfstatat' '$tmp/r.err'"
st=$(reload_run on-off narrow-off)
check "with kernel-grants off a narrowing reload keeps the program (status $st)" \
	[ "$st" = 0 -a "$(cat "$tmp/r.out")" = survived ]

echo "1..$n"
exit $fail
