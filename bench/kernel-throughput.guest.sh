# Runs inside the VM (tests/vm/run): stream vs pipe vs socketpair, one way.
. /lib/tbstream/guest.sh
plug_cable
mkdir $A $B $A/bench $B/bench
echo ${TBS_RING_SIZE:-256} > $A/bench/ring_size
echo ${TBS_RING_SIZE:-256} > $B/bench/ring_size
echo -1 > $B/bench/in_hopid
echo -1 > $B/bench/out_hopid
deva=/dev/tbstream$(cat $A/bench/index)
devb=/dev/tbstream$(cat $B/bench/index)
wait_for 5 sh -c "errno-of open $deva wronly | grep -qx OK"
bench=/modules/kernel-throughput
total=${TBS_TOTAL:-134217728}
printf '%-8s %10s %10s %12s %10s %12s\n' write pipe socketpair tbstream "/pipe" "/socketpair"
for bs in 4096 65536 262144 1048576; do
	# each prints "MB/s CPU": the MB/s
	p=$($bench pipe $bs $total | cut -d' ' -f1)
	s=$($bench socketpair $bs $total | cut -d' ' -f1)
	t=$($bench stream $bs $total $deva $devb | cut -d' ' -f1)
	printf '%-8s %10s %10s %12s %10s %12s\n' $bs "$p" "$s" "$t" \
		"$(awk "BEGIN { printf \"%.2f\", $t / $p }")" \
		"$(awk "BEGIN { printf \"%.2f\", $t / $s }")"
done
echo "(MB/s, 10^6 bytes per second; $total bytes per run; ring_size ${TBS_RING_SIZE:-256})"
exit 0
