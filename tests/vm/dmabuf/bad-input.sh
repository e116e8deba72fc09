# Every bad input to the dma-buf ioctls gets its own errno and changes
# nothing: no byte leaves, no attachment is left, the good handle keeps
# working.  Handles belong to the file that attached.  A required path the
# stream cannot have (peer-to-peer; direct on a host whose dma_direct is 0)
# fails instead of falling back.  Write fences are waited
# for before the bytes go out.
. /lib/tbstream/guest.sh
. /lib/tbstream/dmabuf.sh
plug_cable
stream_pair s
stream_pair t
devat=/dev/tbstream$(cat "$A/t/index")
receive() {
	dd if="$1" of="$2" bs=64k 2>/dev/null &
	rd=$!
	sleep 0.3
}

receive $devb /tmp/got
echo 0 > "$L/a/frames"
dmabuf_check_bad_calls "$deva" "$A/s/tx_bytes"
wait $rd
check_eq "the handle still works after them" "$(sha /tmp/sent)" "$(sha /tmp/got)"
check_eq "...and its 16 frames are all that left" "16 65536" \
	"$(awk '$4 == 2 { n++; b += $5 } END { print n, b }' "$L/a/frames")"
check_eq "closing the files detached the buffers" "attachments 0 sends 0" "$(live_dmabuf)"

dmabuf_check_read_only "$deva"

dmabuf_check_handle_ownership $deva $devat

check_eq "peer-to-peer preferred falls back to direct" "open OK
vgem OK
attach OK direct
attach OK cpu
attach OK direct
close OK" "$(dmabuf-probe open:$deva vgem:4096 attach:p2p attach:cpu attach:any close)"

# a platform that refuses DMA to dma-bufs: the stream does not offer direct,
# a required direct path fails, a preferred one falls back to the CPU copy
echo 0 > "$L/a/dma_direct"
rm -f /tmp/sent
receive $devb /tmp/got
check_eq "without DMA, require-direct fails and direct falls back to the CPU" "open OK
info abi=1 paths=cpu max=64 frame=4096
vgem OK
attach EOPNOTSUPP
attach OK cpu
send OK queued=4096
waitdone yes
close OK" "$(dmabuf-probe open:$deva info record:/tmp/sent vgem:4096 fill:5 \
	attach:direct,require attach:direct send:0:4096 waitdone:5000 close)"
wait $rd
check_eq "...and the CPU path sends the buffer" "$(sha /tmp/sent)" "$(sha /tmp/got)"
echo 1 > "$L/a/dma_direct"
check_errno "dma_direct refuses what is not 0 or 1" EINVAL write "$L/a/dma_direct" 2

dmabuf_check_attachment_limit "$deva"

# write fences: a producer still writing holds the send back
receive $devb /tmp/got
dmabuf_check_write_fence "$deva"
wait $rd
check_eq "...then sends the buffer" "$(sha /tmp/sent)" "$(sha /tmp/got)"

check_eq "nothing left" "attachments 0 sends 0" "$(live_dmabuf)"
rmdir "$A/s" "$B/s" "$A/t" "$B/t" "$A" "$B" "$L"
check "modules unload" sh -c 'rmmod tbstream_sim && rmmod tbstream'
check "vgem unloads" rmmod vgem
summary
