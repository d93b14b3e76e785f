#!/bin/sh
# libsysbroker.so exports exactly the functions of include/sysbroker.h (SB_API); everything else
# is built with -fvisibility=hidden. The sysbroker command's code (cli/: sb_cmd_*) is not linked
# into the library at all, not even as a hidden symbol.
#     check-exports.sh LIBSYSBROKER_SO SOURCE_ROOT
set -u
lib=$1
src=$2
fail=0
want=$(grep -oE '\bsb_[a-z_]+\(' "$src/include/sysbroker.h" | tr -d '(' | sort -u)
got=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRtdbr]$/ { print $3 }' | sort -u)
if [ "$want" = "$got" ]; then
	echo "ok 1 - exported: $(echo "$got" | tr '\n' ' ')"
else
	fail=1
	echo "not ok 1 - exports differ from include/sysbroker.h"
	echo "# want: $(echo "$want" | tr '\n' ' ')"
	echo "# got:  $(echo "$got" | tr '\n' ' ')"
fi
# The static symbol table too (the library is not stripped in the build tree), and the dynamic
# one in case it is.
cmd=$({ nm "$lib" 2>/dev/null; nm -D "$lib"; } | awk '$NF ~ /^sb_cmd_/ { print $NF }' | sort -u)
if [ -z "$cmd" ]; then
	echo "ok 2 - no sb_cmd_* symbol in the library"
else
	fail=1
	echo "not ok 2 - the command's code is in the library: $(echo "$cmd" | tr '\n' ' ')"
fi
echo "1..2"
exit $fail
