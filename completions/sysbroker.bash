# bash completion for sysbroker(1). Installed as bash-completion's completions/sysbroker; needs
# nothing from the bash-completion package. The options are those of `sysbroker CMD --help`
# (tests/integration/test-completion.sh checks that they stay the same).

_sysbroker_options()
{
	case $1 in
	run) echo "-p --policy -l --log -u --user -C --cwd -e --env -i --clearenv -t --timeout
		-L --learn -F --log-failure -R --limit -h --help" ;;
	audit) echo "-j --json -s --suggest -p --policy -S --since -P --pid -c --syscall -d --decision
		-h --help" ;;
	reload) echo "-P --pid -I --sandbox -h --help" ;;
	check) echo "-E --explain --strict -h --help" ;;
	agent) echo "--listen --policy-dir -l --log --max-containers -h --help" ;;
	oci-seccomp) echo "--listener-path --listener-metadata -h --help" ;;
	import-seccomp) echo "-h --help" ;;
	'') echo "-h --help -V --version" ;;
	esac
}

# The options of CMD that take an argument.
_sysbroker_takes_arg()
{
	case $1:$2 in
	run:-p | run:--policy | run:-l | run:--log | run:-u | run:--user | run:-C | run:--cwd | \
		run:-e | run:--env | run:-t | run:--timeout | run:-F | run:--log-failure | \
		run:-R | run:--limit) return 0 ;;
	audit:-p | audit:--policy | audit:-S | audit:--since | audit:-P | audit:--pid | audit:-c | audit:--syscall | \
		audit:-d | audit:--decision) return 0 ;;
	reload:-P | reload:--pid | reload:-I | reload:--sandbox) return 0 ;;
	agent:--listen | agent:--policy-dir | agent:-l | agent:--log | agent:--max-containers) return 0 ;;
	oci-seccomp:--listener-path | oci-seccomp:--listener-metadata) return 0 ;;
	esac
	return 1
}

_sysbroker()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local cmd='' i w ddash='' prog=''
	COMPREPLY=()

	# The command, and for run whether PROG has been given (the first operand after it).
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if [[ -z $cmd ]]; then
			[[ $w != -* ]] && cmd=$w
			continue
		fi
		if [[ -n $ddash ]]; then
			prog=$w
			break
		fi
		case $w in
		--) ddash=1 ;;
		--*=*) ;;
		-*) _sysbroker_takes_arg "$cmd" "$w" && ((i++)) ;;
		*) if [[ $cmd == run ]]; then
			prog=$w
			break
		fi ;;
		esac
	done

	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "$(_sysbroker_options '')" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W "run audit reload check agent oci-seccomp import-seccomp help" -- "$cur")
		fi
		return 0
	fi
	if [[ $cmd == help ]]; then
		mapfile -t COMPREPLY < <(compgen -W "run audit reload check agent oci-seccomp import-seccomp" -- "$cur")
		return 0
	fi
	if [[ -n $prog ]]; then
		# PROG's own arguments.
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return 0
	fi

	case $cmd:$prev in
	run:-p | run:--policy | run:-l | run:--log)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return 0 ;;
	run:-u | run:--user)
		mapfile -t COMPREPLY < <(compgen -u -- "$cur")
		return 0 ;;
	run:-C | run:--cwd)
		mapfile -t COMPREPLY < <(compgen -d -- "$cur")
		return 0 ;;
	run:-e | run:--env)
		mapfile -t COMPREPLY < <(compgen -e -S = -- "$cur")
		return 0 ;;
	run:-F | run:--log-failure)
		mapfile -t COMPREPLY < <(compgen -W "stop continue" -- "$cur")
		return 0 ;;
	audit:-d | audit:--decision)
		local pre=''
		[[ $cur == *,* ]] && pre=${cur%,*},
		mapfile -t COMPREPLY < <(compgen -P "$pre" -W "deny would-deny allow reload reload-error
			protocol-error killed" -- "${cur##*,}")
		return 0 ;;
	run:-t | run:--timeout | audit:-S | audit:--since | audit:-P | audit:--pid | audit:-c | \
		audit:--syscall | reload:-P | reload:--pid | reload:-I | reload:--sandbox)
		return 0 ;;
	esac

	if [[ $cur == -* && -z $ddash ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$(_sysbroker_options "$cmd")" -- "$cur")
	elif [[ $cmd == run && -n $ddash ]] || [[ $cmd == run && $cur != -* ]]; then
		mapfile -t COMPREPLY < <(compgen -c -- "$cur" | sort -u)
	elif [[ $cmd == check || $cmd == audit ]]; then
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
	fi
	return 0
}
complete -o filenames -F _sysbroker sysbroker
