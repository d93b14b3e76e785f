#!/bin/sh
# The embedding example against the INSTALLED library, the way an application builds it: install
# the build into a scratch DESTDIR, find sysbroker.pc there, build examples/embed/tarinfo.c with
# `pkg-config --cflags --libs sysbroker` (and once statically, with --static), and run the
# example's test on both binaries. CI-able on its own:
#   check-embed-install.sh BUILDDIR SRCDIR [B_SANITIZE]
set -u
build=$1
src=$2
sanitize=${3:-none}
n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
# A failure's details (compiler output) go out as TAP comments.
not_ok() {
	n=$((n + 1))
	fail=1
	echo "not ok $n - $(printf '%s\n' "$1" | head -n 1)"
	printf '%s\n' "$1" | tail -n +2 | sed 's/^/# /'
}
done_() { echo "1..$n"; exit $fail; }

dest=$(mktemp -d /tmp/sb-install-XXXXXX)
trap 'rm -rf "$dest"' EXIT
cc=${CC:-cc}
cflags="-O2 -Wall -Werror"
# Against a sanitizer build the library needs the sanitizer runtimes.
[ "$sanitize" != none ] && cflags="$cflags -fsanitize=$sanitize"

if out=$(meson install -C "$build" --destdir "$dest" --no-rebuild 2>&1); then
	ok "meson install --destdir"
else
	not_ok "meson install --destdir: $out"
	done_
fi
pc=$(find "$dest" -name sysbroker.pc | head -n 1)
if [ -n "$pc" ] && [ -f "$(dirname "$pc")/../libsysbroker.so" ] && [ -f "$(dirname "$pc")/../libsysbroker.a" ] &&
	[ -n "$(find "$dest" -path '*/include/sysbroker.h')" ] && [ -n "$(find "$dest" -name libsysbroker.3)" ]; then
	ok "installed: sysbroker.pc, libsysbroker.so and .a, sysbroker.h, libsysbroker(3)"
else
	not_ok "installed: sysbroker.pc, libsysbroker.so and .a, sysbroker.h, libsysbroker(3)"
	done_
fi
# pkg-config prefixes -I and -L with the sysroot; the system's own .pc files stay visible for
# the private requirements (libseccomp, libcap, json-c).
PKG_CONFIG_PATH="$(dirname "$pc")${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export PKG_CONFIG_PATH
export PKG_CONFIG_SYSROOT_DIR="$dest"
libdir=$(cd "$(dirname "$pc")/.." && pwd)
flags=$(pkg-config --cflags --libs sysbroker)
case "$flags" in
*"-I$dest"*"-L$dest"*"-lsysbroker"*) ok "pkg-config --cflags --libs sysbroker: $flags" ;;
*) not_ok "pkg-config --cflags --libs sysbroker: $flags" ;;
esac
private=$(pkg-config --print-requires-private sysbroker | tr '\n' ' ')
if echo "$private" | grep -q libseccomp && echo "$private" | grep -q libcap &&
	echo "$private" | grep -q json-c; then
	ok "private requirements: $private"
else
	not_ok "private requirements: $private"
fi

# shellcheck disable=SC2086
if out=$($cc $cflags -o "$dest/tarinfo" "$src/examples/embed/tarinfo.c" $flags 2>&1); then
	ok "tarinfo builds against the installed shared library"
else
	not_ok "tarinfo builds against the installed shared library: $out"
fi
# Statically: libsysbroker.a, then what it needs (Requires.private).
static_libs=$(pkg-config --static --libs-only-l sysbroker | sed 's/-lsysbroker//')
# shellcheck disable=SC2086,SC2046
if out=$($cc $cflags -o "$dest/tarinfo-static" "$src/examples/embed/tarinfo.c" \
	$(pkg-config --cflags sysbroker) "$libdir/libsysbroker.a" $static_libs 2>&1); then
	ok "tarinfo builds against the installed static library"
else
	not_ok "tarinfo builds against the installed static library: $out"
fi

# The shared build must load the installed copy, not the build tree's.
if LD_LIBRARY_PATH="$libdir" ldd "$dest/tarinfo" 2>/dev/null | grep -q "libsysbroker.so.0 => $libdir/"; then
	ok "tarinfo loads the installed libsysbroker.so"
else
	not_ok "tarinfo loads the installed libsysbroker.so"
fi
if ! ldd "$dest/tarinfo-static" 2>/dev/null | grep -q libsysbroker; then
	ok "tarinfo-static has the library built in"
else
	not_ok "tarinfo-static has the library built in"
fi

# The example's own test on both builds, numbered on from here.
for bin in tarinfo tarinfo-static; do
	LD_LIBRARY_PATH="$libdir" "$src/tests/integration/test-embed-example.sh" "$dest/$bin" \
		"installed $bin" >"$dest/tap" 2>&1
	while IFS= read -r line; do
		case "$line" in
		"ok "*) n=$((n + 1)); echo "ok $n - ${line#* - }" ;;
		"not ok "*) n=$((n + 1)); fail=1; echo "not ok $n - ${line#* - }" ;;
		"1.."*) ;;
		*) echo "# $line" ;;
		esac
	done <"$dest/tap"
done
done_
