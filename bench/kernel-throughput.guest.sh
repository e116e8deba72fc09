# Runs inside the VM (bench/kernel-throughput): stream vs pipe vs
# socketpair, one way, round after round.  Each round measures the three
# transports one after the other at every size, so a change in the host's
# load hits all three and the ratios of one round compare like with like.
. /lib/tbstream/guest.sh
plug_cable
mkdir $A $B $A/bench $B/bench
echo ${TBS_RING_SIZE:-256} > $A/bench/ring_size
echo ${TBS_RING_SIZE:-256} > $B/bench/ring_size
stream_pair bench
bench=/modules/kernel-throughput
total=${TBS_TOTAL:-134217728}
rounds=${TBS_ROUNDS:-3}
sizes="4096 65536 262144 1048576"

# run TRANSPORT BS: one measurement, its MB/s appended to /tmp/r.TRANSPORT.BS
run() {
	case "$1" in
	stream) _out=$($bench stream "$2" "$total" $deva $devb) ;;
	*) _out=$($bench "$1" "$2" "$total") ;;
	esac || fail "$1 at $2 bytes a write failed"
	# "MB/s CPU": the MB/s only, the guest's CPU is the same busy time as
	# the wall time here (nothing else runs and the reader never idles)
	echo "${_out%% *}" >>"/tmp/r.$1.$2"
	echo "# round $r: $1 bs $2: $_out"
}

r=1
while [ $r -le "$rounds" ]; do
	for bs in $sizes; do
		run pipe "$bs"
		run socketpair "$bs"
		run stream "$bs"
		# this round's ratios, so their spread is of like with like
		echo "$(tail -n 1 /tmp/r.stream.$bs) $(tail -n 1 /tmp/r.pipe.$bs)" |
			awk '{ printf "%.2f\n", $1 / $2 }' >>/tmp/r.topipe.$bs
		echo "$(tail -n 1 /tmp/r.stream.$bs) $(tail -n 1 /tmp/r.socketpair.$bs)" |
			awk '{ printf "%.2f\n", $1 / $2 }' >>/tmp/r.tosock.$bs
	done
	r=$((r + 1))
done

# col FILE: "median (min-max)"
col() {
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		printf "%s (%s-%s)", v[int((NR + 1) / 2)], v[1], v[NR] }'
}
echo RESULTS
printf '%-8s %-16s %-16s %-16s %-18s %-18s\n' write pipe socketpair tbstream \
	/pipe /socketpair
for bs in $sizes; do
	printf '%-8s %-16s %-16s %-16s %-18s %-18s\n' $bs "$(col /tmp/r.pipe.$bs)" \
		"$(col /tmp/r.socketpair.$bs)" "$(col /tmp/r.stream.$bs)" \
		"$(col /tmp/r.topipe.$bs)" "$(col /tmp/r.tosock.$bs)"
done
echo "(medians of $rounds rounds, min-max in brackets; MB/s = 10^6 bytes/s;"
echo " ratios are tbstream's over the other's in the same round;"
echo " $total bytes per run; ring_size ${TBS_RING_SIZE:-256}; $(nproc) vCPUs)"
echo END
exit 0
