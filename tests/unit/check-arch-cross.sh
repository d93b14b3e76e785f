#!/bin/sh
# The SIGSYS register maps build for every supported architecture, whatever the build machine:
# common/arch-aarch64.h with the aarch64 cross compiler, arch-x86_64.h with the native one on
# x86_64. Every accessor is used, the objects call nothing (no undefined symbols: the maps are
# meant for SIGSYS context), and arch.h refuses an unknown architecture.
#
# Without aarch64-linux-gnu-gcc (Debian: gcc-aarch64-linux-gnu, see .ci/install-deps) the whole
# check is skipped. That is reported the TAP way, a "1..0 # SKIP" plan and status 0: meson's TAP
# protocol counts any non-zero status, 77 included, as a failure.
set -u
src=$1
cross=${SB_CROSS_CC:-aarch64-linux-gnu-gcc}
n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); fail=1; echo "not ok $n - $1"; }
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }

if ! command -v "$cross" >/dev/null 2>&1; then
	why="$cross not found: install gcc-aarch64-linux-gnu (see .ci/install-deps)"
	echo "$why" >&2
	echo "1..0 # SKIP $why"
	exit 0
fi

# The flags the project builds with (warning_level=3, werror, gnu11, _GNU_SOURCE).
flags="-std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Wpedantic -Werror -Wmissing-prototypes -Wshadow"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# One function that uses every accessor; $1 is the header to include.
use_all() {
	cat <<EOF
#include "$1"

#if !defined(SB_AUDIT_ARCH) || SB_AUDIT_ARCH != $2
#error "SB_AUDIT_ARCH is not $2"
#endif

void sb_use_all(const siginfo_t *si, ucontext_t *uc, uint64_t out[11]);

void sb_use_all(const siginfo_t *si, ucontext_t *uc, uint64_t out[11])
{
	out[0] = (uint64_t)sb_si_syscall(si);
	out[1] = sb_si_arch(si);
	out[2] = sb_si_call_addr(si);
	out[3] = (uint64_t)sb_uc_syscall_nr(uc);
	for (unsigned i = 0; i < 6; i++)
		out[4 + i] = sb_uc_arg(uc, i);
	out[10] = sb_uc_ip(uc);
	sb_uc_set_return(uc, -38);
}
EOF
}

# compile NAME CC NM HEADER AUDIT_ARCH: build at -O0 (the inline functions are emitted, so a
# libc call in them would show) and at -O2, and check that nothing is left undefined.
compile() {
	name=$1 cc=$2 nm=$3 header=$4 arch=$5
	use_all "$header" "$arch" >"$tmp/$name.c"
	for o in -O0 -O2; do
		# shellcheck disable=SC2086
		if ! out=$("$cc" $flags $o -I"$src/common" -c "$tmp/$name.c" -o "$tmp/$name.o" 2>&1); then
			not_ok "$name $o compiles with $cc: $(echo "$out" | head -5)"
			continue
		fi
		ok "$name $o compiles with $cc"
		undef=$("$nm" -u "$tmp/$name.o" 2>&1 | tr -s '\n' ' ')
		if [ -z "$undef" ]; then
			ok "$name $o calls nothing"
		else
			not_ok "$name $o calls nothing (undefined: $undef)"
		fi
	done
}

cross_nm=${cross%gcc}nm
command -v "$cross_nm" >/dev/null 2>&1 || cross_nm="nm"
compile aarch64 "$cross" "$cross_nm" arch-aarch64.h AUDIT_ARCH_AARCH64
compile aarch64-dispatch "$cross" "$cross_nm" arch.h AUDIT_ARCH_AARCH64

case $(uname -m) in
x86_64)
	compile x86_64 gcc nm arch-x86_64.h AUDIT_ARCH_X86_64
	compile x86_64-dispatch gcc nm arch.h AUDIT_ARCH_X86_64
	;;
*) skip "arch-x86_64.h needs a native x86_64 compiler (this is $(uname -m))" ;;
esac

# arch.h names the problem on an architecture it has no map for.
echo '#include "arch.h"' >"$tmp/none.c"
# shellcheck disable=SC2086
out=$("$cross" $flags -U__aarch64__ -I"$src/common" -c "$tmp/none.c" -o "$tmp/none.o" 2>&1)
case $out in
*'sysbroker: unsupported architecture'*) ok "arch.h refuses an unknown architecture" ;;
*) not_ok "arch.h refuses an unknown architecture (got: $(echo "$out" | head -3))" ;;
esac

# The aarch64 half of the unit test (register variables, svc) is only built on aarch64
# otherwise. cmocka.h and seccomp.h are the same on every architecture, so the build machine's
# copies stand in for the target's; nothing else from the host is visible.
if [ -r /usr/include/cmocka.h ] && [ -r /usr/include/seccomp.h ] &&
	[ -r /usr/include/seccomp-syscalls.h ]; then
	mkdir "$tmp/inc"
	cp /usr/include/cmocka.h /usr/include/seccomp.h /usr/include/seccomp-syscalls.h "$tmp/inc/"
	# shellcheck disable=SC2086
	if out=$("$cross" $flags -Wno-unused-parameter -I"$tmp/inc" -I"$src" -I"$src/common" \
		-c "$src/tests/unit/test-arch.c" -o "$tmp/test-arch.o" 2>&1); then
		ok "tests/unit/test-arch.c compiles for aarch64"
	else
		not_ok "tests/unit/test-arch.c compiles for aarch64: $(echo "$out" | head -5)"
	fi
else
	skip "tests/unit/test-arch.c for aarch64: host cmocka.h or seccomp.h missing"
fi

echo "1..$n"
exit $fail
