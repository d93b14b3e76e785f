#!/bin/sh
# libsysbroker.so exports exactly the functions of include/sysbroker.h (SB_API); everything else
# is built with -fvisibility=hidden.
set -u
lib=$1
src=$2
want=$(grep -oE '\bsb_[a-z_]+\(' "$src/include/sysbroker.h" | tr -d '(' | sort -u)
got=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRtdbr]$/ { print $3 }' | sort -u)
if [ "$want" = "$got" ]; then
	echo "ok 1 - exported: $(echo "$got" | tr '\n' ' ')"
	echo "1..1"
	exit 0
fi
echo "not ok 1 - exports differ from include/sysbroker.h"
echo "# want: $(echo "$want" | tr '\n' ' ')"
echo "# got:  $(echo "$got" | tr '\n' ' ')"
echo "1..1"
exit 1
