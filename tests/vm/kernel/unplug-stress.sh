# Unplug from the data path at many different moments of a full-duplex
# transfer, with both drop_on_unplug modes: every process ends (no hang),
# nothing oopses, no session leaks, and the cable carries data afterwards.
# CYCLES (first argument, default 24) unplugs: by hand, 1000 on the debug
# kernel is issue 17's storm (tests/vm/run --kernel 6.1.0-56-debug
# tests/vm/kernel/unplug-stress.sh 1000).
. /lib/tbstream/guest.sh
load_tbstream
load_sim
C=/sys/kernel/config/thunderbolt/stream
L=/sys/kernel/config/tbstream_sim/cable
mkdir $L
A=$C/$(cat $L/a_service)
B=$C/$(cat $L/b_service)
mkdir $A $B $A/s $B/s
echo 64 > $A/s/ring_size
echo 64 > $B/s/ring_size
echo 10 > $A/s/in_hopid
echo 11 > $A/s/out_hopid
echo 11 > $B/s/in_hopid
echo 10 > $B/s/out_hopid
deva=/dev/tbstream$(cat $A/s/index)
devb=/dev/tbstream$(cat $B/s/index)

cycles=${1:-24}
hung=0 cut=0
i=1
while [ $i -le "$cycles" ]; do
	echo $((i % 2)) > $L/drop_on_unplug
	echo 1 > $L/connected
	wait_for 5 grep -qx ready $B/s/state
	rm -f /tmp/ra /tmp/rb
	stream-duplex $deva 8388608 65536 1 2 /tmp/ra /tmp/rb > /dev/null 2>&1 &
	pa=$!
	stream-duplex $devb 8388608 65536 2 1 /tmp/rb /tmp/ra > /dev/null 2>&1 &
	pb=$!
	wait_for 5 test -e /tmp/ra -a -e /tmp/rb
	# a different frame each cycle, always before the ~4096 the transfer needs
	echo $((i * i * 7 % 4090 + 1)) > $L/unplug_after
	# the transfer needs ~4096 frames: it cannot outlast the unplug
	for p in $pa $pb; do
		t=0
		while running $p && [ $t -lt 100 ]; do
			sleep 0.1
			t=$((t + 1))
		done
		running $p && { hung=$((hung + 1)); kill -9 $p; }
		wait $p || _failed=1
	done
	[ -n "${_failed:-}" ] && cut=$((cut + 1))
	_failed=
	[ $((i % 100)) -eq 0 ] && echo "# $i cycles, $cut cut mid-transfer, $hung hung"
	echo 0 > $L/unplug_after
	echo 0 > $L/connected
	i=$((i + 1))
done
echo "# $cycles cycles: $cut cut mid-transfer (a side failed), $hung hung"
check_eq "no process hung" 0 $hung
check "most cycles cut a transfer" [ $((cut * 2)) -gt "$cycles" ]
check_eq "no session left" "streams 2 sessions 0" "$(live)"
echo 0 > $L/drop_on_unplug
echo 1 > $L/connected
check "ready after the last re-plug" wait_for 5 grep -qx ready $B/s/state
rm -f /tmp/ra /tmp/rb
stream-duplex $deva 4194304 65536 1 2 /tmp/ra /tmp/rb > /tmp/a.out &
pa=$!
stream-duplex $devb 4194304 65536 2 1 /tmp/rb /tmp/ra > /tmp/b.out
wait $pa
check_eq "duplex works after $cycles unplugs" "duplex OK duplex OK" "$(cat /tmp/a.out) $(cat /tmp/b.out)"
rmdir $A/s $B/s $A $B
echo 0 > $L/connected
rmdir $L
check_eq "nothing alive" "streams 0 sessions 0" "$(live)"
check "modules unload" sh -c 'rmmod tbstream_sim && rmmod tbstream'
summary
