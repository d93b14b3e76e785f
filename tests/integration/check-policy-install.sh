#!/bin/sh
# The bundled policies as a user gets them: `meson install` puts them in
# $datadir/sysbroker/policies, the directory `include <NAME>` searches, and a policy outside any
# checkout includes them from there. Installs into a scratch DESTDIR and runs the installed
# sysbroker (the DESTDIR moves the files, not the compiled-in directory: SYSBROKER_POLICY_PATH
# points the search at the moved copy, as for any relocated install).
#   check-policy-install.sh BUILDDIR SRCDIR
set -u
build=$1
src=$2
n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1))
	fail=1
	echo "not ok $n - $(printf '%s\n' "$1" | head -n 1)"
	printf '%s\n' "$1" | tail -n +2 | sed 's/^/# /'
}
done_() { echo "1..$n"; exit $fail; }

dest=$(mktemp -d /tmp/sb-policy-install-XXXXXX)
trap 'rm -rf "$dest"' EXIT
if out=$(meson install -C "$build" --destdir "$dest" --no-rebuild 2>&1); then
	ok "meson install --destdir"
else
	not_ok "meson install --destdir: $out"
	done_
fi
sb=$(find "$dest" -path '*/bin/sysbroker' -type f | head -n 1)
[ -x "$sb" ] && ok "installed sysbroker: ${sb#"$dest"}" || { not_ok "no installed sysbroker"; done_; }

# Every bundled policy, installed, identical to its source.
missing=
for f in "$src"/examples/policies/*.policy; do
	inst=$(find "$dest" -path "*/share/sysbroker/policies/$(basename "$f")" | head -n 1)
	{ [ -n "$inst" ] && cmp -s "$f" "$inst"; } || missing="$missing $(basename "$f")"
done
[ -z "$missing" ] && ok "every bundled policy installed" || not_ok "not installed:$missing"
pdir=$(dirname "$(find "$dest" -path '*/share/sysbroker/policies/runtime.policy' | head -n 1)")

# A user's policy in a directory of its own, with no policy beside it.
work=$dest/work
mkdir -p "$work"
printf 'sysbroker-policy 1\ninclude <runtime.policy>\nallow getpid\npath /srv/data/** read\n' >"$work/mine.policy"

# Without SYSBROKER_POLICY_PATH the search is the compiled-in directory: the error says which,
# and that directory (under the DESTDIR) is where the policies were installed.
out=$(env -u SYSBROKER_POLICY_PATH "$sb" check "$work/mine.policy" 2>&1)
rc=$?
dir=$(printf '%s\n' "$out" | sed -n 's/.*not found in the policy search path \([^ ]*\) .*/\1/p')
if [ -n "$dir" ] && [ -f "$dest$dir/runtime.policy" ] && [ "$dest$dir" = "$pdir" ]; then
	ok "the compiled-in search directory is the install directory: $dir"
elif [ -f "$dir/runtime.policy" ] && [ "$rc" -eq 0 ]; then
	ok "the compiled-in search directory is installed on this host already: $dir"
else
	not_ok "search directory vs install directory ($pdir): rc=$rc $out"
fi
case $out in
"$work/mine.policy:2:9: error: cannot include <runtime.policy>"*) ok "a missing <NAME> is reported at FILE:LINE:COL" ;;
*) [ "$rc" -eq 0 ] || not_ok "a missing <NAME> is reported at FILE:LINE:COL: $out" ;;
esac

# With the search pointed at the installed copy: it checks, and the rules come from there.
if out=$(SYSBROKER_POLICY_PATH=$pdir "$sb" check "$work/mine.policy" 2>&1); then
	ok "check mine.policy with include <runtime.policy>: $out"
else
	not_ok "check mine.policy with include <runtime.policy>: $out"
fi
out=$(SYSBROKER_POLICY_PATH=$pdir "$sb" check --explain "$work/mine.policy" 2>&1 | head -n 1)
case $out in
[Ff]"iles: $work/mine.policy $pdir/runtime.policy") ok "rules from the installed runtime.policy" ;;
*) not_ok "rules from the installed runtime.policy: $out" ;;
esac
# The installed policies that include runtime.policy find it beside them.
for f in "$pdir"/*.policy; do
	out=$(env -u SYSBROKER_POLICY_PATH "$sb" check "$f" 2>&1) && ok "check installed $(basename "$f")" ||
		not_ok "check installed $(basename "$f"): $out"
done
done_
