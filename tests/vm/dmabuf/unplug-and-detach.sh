# Frames in flight keep their mapping: a buffer detached (and its fd closed)
# while its frames wait still arrives intact; an unplug in the middle of a
# send completes every send with ENXIO and releases every mapping before the
# fabric goes, so the simulator unloads while the file is still open; the
# file then detaches cleanly and nothing is left.
. /lib/tbstream/guest.sh
. /lib/tbstream/dmabuf.sh
plug_cable
stream_pair s
# b's RX ring takes 32 frames: the rest of a's 256 wait in its TX ring
echo 32 > "$B/s/ring_size"

# detach while frames are in flight
dmabuf_check_detach_in_flight "$deva" "$devb"

# detach with frames in flight, then unplug: the mapping goes with the session
dmabuf_late_reader "$devb" /tmp/got
dmabuf-probe open:$deva,nonblock vgem:4194304 attach send:0:4194304 detach live \
	touch:/tmp/detached waitfile:/tmp/unplugged wait:last:5000 close > /tmp/out &
sp=$!
wait_for 10 test -e /tmp/detached
echo 0 > "$L/connected"
touch /tmp/unplugged /tmp/go
wait $sp
wait $rd
check_eq "unplugged with a detached buffer in flight" "open OK
vgem OK
attach OK direct
detach OK
live attachments 1 sends 1
wait completed=1 queued=1 status=ENXIO
close OK" "$(grep -v '^send' /tmp/out)"
check_eq "nothing left" "attachments 0 sends 0" "$(live_dmabuf)"
echo 1 > "$L/connected"
check "re-plugged" wait_for 5 sh -c "errno-of open $deva wronly | grep -qx OK"

# unplug from the data path in the middle of a blocking send, both fates
# of frames left in a dead cable
for drop in 0 1; do
	echo $drop > "$L/drop_on_unplug"
	dd if=$devb of=/dev/null bs=64k 2>/dev/null &
	rd=$!
	sleep 0.3
	echo 300 > "$L/unplug_after"
	rm -f /tmp/simgone
	rm -f /tmp/sendend /tmp/detached
	dmabuf-probe open:$deva vgem:4194304 fill:4 attach send:0:4194304 \
		touch:/tmp/sendend waitfile:/tmp/detached wait:last:5000 \
		waitfile:/tmp/simgone query detach send:0:1 live close > /tmp/out &
	sp=$!
	wait_for 20 test -e /tmp/sendend
	# frames lost in a dead cable complete by themselves: the unplug
	# (which the data path only queues) may still be running
	check "drop $drop: the unplug detached the stream" wait_for 5 grep -qx detached "$A/s/state"
	touch /tmp/detached
	wait $rd
	if [ $drop = 1 ]; then
		# the mappings are gone with the session: the simulated
		# fabric and its DMA device unload under an open file
		rmdir "$L"
		check "drop $drop: tbstream_sim unloads while the file is open" rmmod tbstream_sim
	fi
	touch /tmp/simgone
	wait $sp
	queued=$(sed -n 's/^send OK queued=//p' /tmp/out)
	if [ $drop = 0 ]; then
		check "drop 0: the send stopped part way" test "${queued:-0}" -ge $((300 * 4096)) -a "${queued:-0}" -lt 4194304
	else
		# the rest may have gone into the dead cable before the unplug ran
		check "drop 1: the send got past the unplug" test "${queued:-0}" -ge $((300 * 4096))
	fi
	check_eq "drop $drop: every send completed, with ENXIO; the mapping is gone" "open OK
vgem OK
attach OK direct
wait completed=1 queued=1 status=ENXIO
query direct size=4194304 segments=0 sends=0
detach OK
send ENOENT
live attachments 0 sends 0
close OK" "$(grep -v '^send OK' /tmp/out)"
	if [ $drop = 0 ]; then
		echo 1 > "$L/connected"
		check "drop $drop: re-plugged" wait_for 5 sh -c "errno-of open $deva wronly | grep -qx OK"
	fi
done

check_eq "nothing alive" "streams 2 sessions 0" "$(live)"
rmdir "$A/s" "$B/s" "$A" "$B"
check "tbstream unloads" rmmod tbstream
check "vgem unloads: every dma-buf reference was dropped" rmmod vgem
summary
