# shellcheck shell=bash
# bash completion for tbstreamctl(1). Peers and streams come from
# "tbstreamctl list --quiet": peer Ids (no slash), then streams as GROUP/NAME.

_tbstreamctl_ids() {
	local kind=$1 id
	while IFS= read -r id; do
		case $kind,$id in
		peers,*/*) ;;
		peers,*) printf '%s\n' "$id" ;;
		streams,*/*) printf '%s\n' "$id" ;;
		all,*) printf '%s\n' "$id" ;;
		esac
	done < <(tbstreamctl --no-ask-password list --quiet 2>/dev/null)
}

_tbstreamctl() {
	local cur prev words cword
	_init_completion -n = || return

	local verbs='list status info request remove open monitor trust label reload enroll revoke forget controllers check-policy cat-policy help'
	local global='--help --version --json= -j --no-ask-password --show-uuid --no-legend --no-pager'
	local valued='--json|--in-hopid|--out-hopid|--ring-size|--throttling|--on-unplug|--interval|--stream|--owner|--group|--mode'
	local verb='' i n=0 dashdash=0
	for ((i = 1; i < cword; i++)); do
		if [[ ${words[i]} == -- ]]; then
			dashdash=$i
			break
		fi
		# "--ring-size 64": the value is not an argument
		if [[ ${words[i]} =~ ^($valued)$ ]]; then
			((i++))
			continue
		fi
		[[ ${words[i]} == -* ]] && continue
		if [[ -z $verb ]]; then
			verb=${words[i]}
		else
			((n++))
		fi
	done

	# open STREAM ... -- COMMAND: complete COMMAND like any command line
	if [[ $verb == open && $dashdash -gt 0 ]]; then
		_command_offset $((dashdash + 1))
		return
	fi

	case $prev in
	--json)
		mapfile -t COMPREPLY < <(compgen -W 'short pretty off' -- "$cur")
		return
		;;
	--on-unplug)
		mapfile -t COMPREPLY < <(compgen -W 'remove keep' -- "$cur")
		return
		;;
	--in-hopid | --out-hopid | --ring-size | --throttling | --interval | --stream | --mode)
		return
		;;
	--owner)
		mapfile -t COMPREPLY < <(compgen -u -- "$cur")
		return
		;;
	--group)
		mapfile -t COMPREPLY < <(compgen -g -- "$cur")
		return
		;;
	esac

	case $cur in
	--json=*)
		mapfile -t COMPREPLY < <(compgen -W 'short pretty off' -- "${cur#*=}")
		return
		;;
	--on-unplug=*)
		mapfile -t COMPREPLY < <(compgen -W 'remove keep' -- "${cur#*=}")
		return
		;;
	-*)
		local opts=$global
		case $verb in
		list | '') opts+=' --quiet' ;;
		request) opts+=' --in-hopid= --out-hopid= --ring-size= --throttling= --on-unplug= --persistent' ;;
		open) opts+=' --read --write --' ;;
		monitor) opts+=' --interval=' ;;
		enroll) opts+=' --stream= --persistent --owner= --group= --mode=' ;;
		esac
		mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
		[[ ${COMPREPLY[0]-} == *= ]] && compopt -o nospace
		return
		;;
	esac

	# check-policy, cat-policy: policy directories
	if [[ $verb == check-policy || $verb == cat-policy ]]; then
		mapfile -t COMPREPLY < <(compgen -d -- "$cur")
		compopt -o filenames
		return
	fi

	local words_list=''
	case $verb,$n in
	,*) words_list=$verbs ;;
	info,0) words_list=$(_tbstreamctl_ids all) ;;
	request,0 | trust,0 | label,0 | enroll,0 | revoke,0 | forget,0) words_list=$(_tbstreamctl_ids peers) ;;
	remove,0 | open,0) words_list=$(_tbstreamctl_ids streams) ;;
	trust,1) words_list='yes no' ;;
	esac
	# Ids, GROUP/NAME and verbs never contain blanks: plain word splitting is right
	mapfile -t COMPREPLY < <(compgen -W "$words_list" -- "$cur")
}

complete -F _tbstreamctl tbstreamctl
