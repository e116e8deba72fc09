# Sends from a dma-buf reach upstream's own USB4STREAM reader
# (tests/vm/lib/interop.sh): tbstream's guest (booted with vgem) attaches a
# vgem buffer to its stream and sends ranges of it, with write(2) data
# between them, into one stream with explicit HopIDs; upstream's reader
# reads to the CLOSE.  The wire carries the same DATA frames whichever way
# tbstream filled them, so upstream must receive every byte in order: the
# sha256 of what it read equals that of everything tbstream queued.
. /lib/tbstream/interop.sh
# 10000 bytes of the buffer, 5000 written, the whole 1 MiB buffer
SIZE=$((10000 + 5000 + 1048576))

ip_start
S=$G/s
ip_configure_fixed "$S"

if [ "$IP_UP" = 1 ]; then
	ip_recv dmabuf "$D" /tmp/dst $SIZE
else
	wait_for 60 grep -qx ready "$S/state" || emu_fail "stream is $(cat "$S/state"), not ready"
	emu_expect dmabuf-reading
	rm -f /tmp/sent
	# every send has left the ring (waitdone) before the close: nothing is
	# left for the close's bounded drain to drop
	dmabuf-probe open:"$D" record:/tmp/sent vgem:1048576 fill:7 attach \
		send:100:10000 write:5000:3 send:0:1048576 waitdone:10000 close >/tmp/probe.out 2>&1
	check_eq "tbstream sent from the vgem buffer ($(grep '^attach' /tmp/probe.out))" "open OK
vgem OK
send OK queued=10000
write 5000
send OK queued=1048576
waitdone yes
close OK" "$(grep -v '^attach' /tmp/probe.out)"
	check "the buffer was attached" grep -q '^attach OK ' /tmp/probe.out
	check_eq "tbstream queued $SIZE bytes" $SIZE "$(wc -c </tmp/sent)"
	emu_tell "dmabuf-sha $(sha /tmp/sent)"
	emu_expect dmabuf-got
	check_eq "no attachment or send left" "attachments 0 sends 0" "$(live_dmabuf)"
	rm -f /tmp/sent
fi
emu_barrier copied
rmdir "$S" "$G" || emu_fail "rmdir"
ip_finish
