# Runs inside the VM (bench/kernel-write-cost): what one write costs the
# scheduler, pipe vs simulated stream, counted with tracefs hist triggers.
. /lib/tbstream/guest.sh
plug_cable
stream_pair bench
bench=/modules/kernel-throughput
total=$TBS_TOTAL
t=/sys/kernel/tracing
[ -d $t/events ] || mount -t tracefs nodev $t
stats=$(ls -d /sys/kernel/config/tbstream_sim/*/a)/stats
# event:key of each hist trigger
hists="sched/sched_switch:next_comm sched/sched_wakeup:comm syscalls/sys_enter_read:common_pid"
# the engine's thread: tbsim-<domain>, or an unbound kworker (before the
# engines had threads of their own)
engine='comm: (tbsim-|kworker/u)'

# hits EVENT PATTERN: hits of the hist's entries whose key matches PATTERN
hits() {
	grep -E "$2" $t/events/$1/hist | sed 's/.*hitcount: *//' |
		awk '{ n += $1 } END { print n + 0 }'
}
# most EVENT: the largest entry's hits (the reader's read(2)s)
most() {
	grep hitcount $t/events/$1/hist | sed 's/.*hitcount: *//' | sort -n | tail -n 1
}
per() { awk "BEGIN { printf \"%.2f\", $1 / $2 }"; }

printf '%-10s %8s %6s %8s %10s %10s %10s %10s %8s\n' transport write MB/s \
	reads/w switch/w "wake task/w" "wake eng/w" "engine/w" stalls
for bs in $TBS_SIZES; do
	for tr in pipe stream; do
		for h in $hists; do
			echo "hist:keys=${h#*:}:vals=hitcount" >$t/events/${h%%:*}/trigger
		done
		s0=$(awk '/^stalls/ { print $2 }' "$stats")
		c0=$(awk '/^ctxt/ { print $2 }' /proc/stat)
		case $tr in
		stream) out=$($bench stream "$bs" "$total" $deva $devb) ;;
		*) out=$($bench "$tr" "$bs" "$total") ;;
		esac || fail "$tr at $bs bytes a write failed"
		c1=$(awk '/^ctxt/ { print $2 }' /proc/stat)
		s1=$(awk '/^stalls/ { print $2 }' "$stats")
		w=$((total / bs))
		printf '%-10s %8s %6s %8s %10s %10s %10s %10s %8s\n' $tr $bs "${out%% *}" \
			"$(per "$(most syscalls/sys_enter_read)" $w)" "$(per $((c1 - c0)) $w)" \
			"$(per "$(hits sched/sched_wakeup 'comm: kernel-throughp')" $w)" \
			"$(per "$(hits sched/sched_wakeup "$engine")" $w)" \
			"$(per "$(hits sched/sched_switch "next_$engine")" $w)" \
			$((s1 - s0))
		for h in $hists; do
			echo "!hist:keys=${h#*:}:vals=hitcount" >$t/events/${h%%:*}/trigger
		done
	done
done
echo "(per write of one run of $total bytes, counted while tracing: reads/w the"
echo " reader's read(2)s; switch/w context switches of the whole guest; wake task/w"
echo " wake-ups of the reader and the writer; wake eng/w of the simulator's engine"
echo " threads; engine/w switches to them; stalls: times a TX ring"
echo " began to wait for an RX buffer, in all; $(nproc) vCPUs)"
exit 0
