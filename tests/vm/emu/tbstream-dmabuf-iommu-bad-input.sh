# The dma-buf ioctls' bad inputs on the real backend (kernel/nhi.c) behind
# QEMU's Intel IOMMU in strict mode (booted as tbstream-dmabuf-iommu is):
# the simulator's suite (tests/vm/dmabuf/bad-input.sh) checks each errno,
# but there an attachment maps nothing for a real device.  Here every
# attach maps vgem's pages for the NHI's PCI device through the IOMMU, so
# each refused call and each error path must unwind a real mapping: the
# good handle still sends every byte afterwards (a mapping torn down by a
# failed call faults under strict mode and its bytes never arrive), the
# 64-attachment limit holds with 64 live mappings, a write fence holds a
# send back, and closing the files leaves no attachment, no dma-buf
# reference (vgem unloads) and no DMAR fault.  The simulator's dma_direct
# knob (a platform that refuses DMA to dma-bufs) has no counterpart on a
# real device and stays in its suite.
. /lib/tbstream/emu.sh
. /lib/tbstream/dmabuf.sh

[ -n "$(ls /sys/class/iommu 2>/dev/null)" ] ||
	emu_fail "no IOMMU in the guest (boot on q35 with intel-iommu and intel_iommu=on)"
emu_unload
dmesg -c >/dev/null
emu_load_peers
emu_stream_pair

# receive OUT: B reads into OUT until A's stream closes; its open(2) has
# returned before A starts
receive() {
	rm -f "$1"
	timeout 120 dd if="$EMU_DEV_B" of="$1" bs=64k 2>/dev/null &
	rd=$!
	wait_for 30 emu_has_open "$EMU_DEV_B" || emu_fail "B's reader never opened"
}

rx_frames0=$(cat "$EMU_SB/rx_frames")
receive /tmp/got
dmabuf_check_bad_calls "$EMU_DEV_A" "$EMU_SA/tx_bytes"
wait $rd
check_eq "the handle still sends every byte after them (sha256)" "$(sha /tmp/sent)" "$(sha /tmp/got)"
check_eq "...65536 bytes in 16 frames and the CLOSE" "65536 17" \
	"$(cat "$EMU_SB/rx_bytes") $(($(cat "$EMU_SB/rx_frames") - rx_frames0))"
check_eq "closing the file detached the buffer" "attachments 0 sends 0" "$(live_dmabuf)"

dmabuf_check_read_only "$EMU_DEV_A"

dmabuf_check_handle_ownership "$EMU_DEV_A"

check_eq "a required peer-to-peer path fails, a preferred one falls back to DIRECT" "open OK
vgem OK
attach EOPNOTSUPP
attach OK direct
attach OK cpu
close OK" "$(dmabuf-probe open:"$EMU_DEV_A" vgem:4096 attach:p2p,require attach:p2p attach:cpu close)"

dmabuf_check_attachment_limit "$EMU_DEV_A"

# a producer still writing the buffer holds the send back
receive /tmp/got
dmabuf_check_write_fence "$EMU_DEV_A"
wait $rd
check_eq "...then sends the buffer (sha256)" "$(sha /tmp/sent)" "$(sha /tmp/got)"

check_eq "nothing left" "attachments 0 sends 0" "$(live_dmabuf)"
dmabuf_iommu_finish "the bad inputs"
summary
