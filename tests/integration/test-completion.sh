#!/bin/sh
# The bash completion completes the commands and each command's options, and offers exactly the
# options each command's --help lists (so that the two cannot drift apart).
set -u
sb=$1
comp=$2/completions/sysbroker.bash
n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); fail=1; echo "not ok $n - $1"; }
# complete WORD...: what the completion offers for the last word, one per line, sorted.
complete() {
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _sysbroker
		printf "%s\n" "${COMPREPLY[@]}"' _ "$comp" "$@" | sort -u
}
words() { printf '%s\n' "$@" | sort -u; }

# The commands are those `sysbroker --help` lists (two spaces, then a lower-case word).
commands=$("$sb" --help | sed -n '/^Commands:/,/^$/p' | grep -Eo '^  [a-z][a-z-]*' | tr -d ' ')
[ "$(complete sysbroker '')" = "$(words $commands help)" ] &&
	ok "the commands" || not_ok "the commands: $(complete sysbroker '' | tr '\n' ' ')"
[ "$(complete sysbroker help ch)" = "check" ] && ok "help: the commands" || not_ok "help: $(complete sysbroker help ch)"
[ "$(complete sysbroker re)" = "reload" ] && ok "a command's prefix" || not_ok "a command's prefix"
[ "$(complete sysbroker check --s)" = "--strict" ] && ok "check --s: --strict" ||
	not_ok "check --s: $(complete sysbroker check --s | tr '\n' ' ')"
[ "$(complete sysbroker run -F '')" = "$(words continue stop)" ] && ok "run -F: stop continue" ||
	not_ok "run -F"
[ "$(complete sysbroker audit -d deny,wo)" = "deny,would-deny" ] && ok "audit -d: a list" ||
	not_ok "audit -d: $(complete sysbroker audit -d deny,wo)"
[ "$(complete sysbroker run -p x.policy -- sysbrok)" = "$(complete sysbroker run -p x.policy sysbrok)" ] &&
	ok "run: PROG after -- and without" || not_ok "run: PROG"

# Every command's options: the long and short ones its --help lists, no more, no fewer.
for c in $commands; do
	want=$("$sb" "$c" --help | grep -Eo '^  +(-[A-Za-z], )?--[a-z-]+' | tr -d ' ,' |
		sed 's/^\(-[A-Za-z]\)--/\1\n--/' | sort -u)
	got=$(complete sysbroker "$c" -; complete sysbroker "$c" --)
	got=$(printf '%s\n' "$got" | sort -u)
	if [ -n "$want" ] && [ "$want" = "$got" ]; then
		ok "$c: the options of $c --help"
	else
		not_ok "$c: help has [$(echo $want)], completion [$(echo $got)]"
	fi
done
# A word after run's PROG is PROG's: no sysbroker option is offered.
[ -z "$(complete sysbroker run -p x.policy true --)" ] && ok "no options after PROG" ||
	not_ok "options after PROG: $(complete sysbroker run -p x.policy true -- | tr '\n' ' ')"
echo "1..$n"
exit $fail
