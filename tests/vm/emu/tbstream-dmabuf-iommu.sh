# dma-buf sends on the real backend (kernel/nhi.c) behind QEMU's emulated
# Intel IOMMU in strict mode (tests/vm/CMakeLists.txt boots this script on
# q35 with intel-iommu, intel_iommu=on iommu.strict=1, and vgem).  Every DMA
# of the emulated NHIs goes through the IOMMU (the emulator reads and
# writes guest memory only with the PCI DMA API), and strict mode unmaps
# at once, with no flush queue: a frame that DMAs from a buffer tbstream
# did not map for the NHI, or already unmapped, faults and its bytes never
# arrive.  So the DIRECT path, which maps vgem's buffers for the NHI's PCI
# device, must deliver every byte in order: one buffer sent in two ranges
# with write(2) data between them, then a camera's loop that reuses each
# buffer once its previous send completed; sha256 compared, no DMAR fault.
. /lib/tbstream/emu.sh

# the IOMMU is on, translating, and strict for both NHIs
[ -n "$(ls /sys/class/iommu 2>/dev/null)" ] ||
	emu_fail "no IOMMU in the guest (boot on q35 with intel-iommu and intel_iommu=on)"
for p in "$EMU_PCI_A" "$EMU_PCI_B"; do
	check_eq "$(basename "$p") is in a strict DMA domain" DMA "$(cat "$p/iommu_group/type" 2>/dev/null)"
done

emu_unload
dmesg -c >/dev/null
emu_load_peers
emu_stream_pair

# send WHAT OPS...: B reads to A's close while A runs dmabuf-probe OPS
# (recording every byte it queues); what B read must be what A queued.
# (The camera's own attachments take the default path, which is DIRECT
# wherever the buffer can be mapped for the device, as here.)
send() {
	_what=$1
	shift
	rm -f /tmp/dst /tmp/sent
	timeout 120 dd if="$EMU_DEV_B" of=/tmp/dst bs=256k 2>/dev/null &
	_r=$!
	wait_for 30 emu_has_open "$EMU_DEV_B" || emu_fail "$_what: the reader never opened"
	dmabuf-probe open:"$EMU_DEV_A" record:/tmp/sent "$@" >/tmp/probe.out 2>&1
	wait $_r
	check_eq "$_what: the reader ends at the close" 0 $?
	sed 's/^/# /' /tmp/probe.out
	check "$_what: $(wc -c </tmp/sent) bytes queued" test -s /tmp/sent
	check_eq "$_what: what arrived is what was queued (sha256)" "$(sha /tmp/sent)" "$(sha /tmp/dst)"
}

send "ranges of one buffer" vgem:1048576 fill:7 attach:direct,require \
	send:100:10000 write:5000:3 send:0:1048576 waitdone:10000 close
check "ranges of one buffer: attached on the DIRECT path (required)" grep -q '^attach OK direct' /tmp/probe.out
check_eq "ranges of one buffer: every operation succeeded" "open OK
vgem OK
send OK queued=10000
write 5000
send OK queued=1048576
waitdone yes
close OK" "$(grep -v '^attach' /tmp/probe.out)"
send "a camera's loop (4 buffers reused, 48 frames)" camera:4:48:262144 close
check "a camera's loop: all frames sent" grep -q '^camera 48 OK' /tmp/probe.out
check_eq "no attachment or send left" "attachments 0 sends 0" "$(live_dmabuf)"

faults=$(dmesg | grep -iE 'DMAR.*fault|DMAR:.*\[DMA' | head -n 5)
[ -z "$faults" ] || echo "$faults" | sed 's/^/# /'
check "no DMAR fault" test -z "$faults"
emu_assert_clean_log "the sends"

emu_stream_pair_remove
check "rmmod tbstream" rmmod tbstream
emu_unload
summary
