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
# Then the cable is pulled in the middle of a blocking send: the send ends
# with what it queued, its completion says ENXIO, the mapping goes with the
# session (a strict IOMMU faults any DMA from it after that), and after the
# replug a new attachment sends again.  Before that, a buffer detached and
# closed while its frames wait in the TX ring still arrives intact: the
# frames, not the attachment, hold the mapping.  vgem unloads at the end:
# no dma-buf reference is left behind.
. /lib/tbstream/emu.sh
. /lib/tbstream/dmabuf.sh

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

# Detach with frames in flight: B's RX ring takes 32 frames and B reads only
# once told, so most of a non-blocking 4 MiB send waits in A's TX ring (E2E
# credits) while its buffer is detached and its fd closed.  The frames hold
# the mapping: one torn down at the detach would fault their DMA here and
# their bytes would never arrive.
ring0=$(cat "$EMU_SB/ring_size")
# (EBUSY while B's last session still closes)
wait_for 10 sh -c "echo 32 >$EMU_SB/ring_size" 2>/dev/null || emu_fail "B's ring_size 32"
dmabuf_check_detach_in_flight "$EMU_DEV_A" "$EMU_DEV_B"
wait_for 10 sh -c "echo $ring0 >$EMU_SB/ring_size" 2>/dev/null ||
	emu_fail "B's ring_size back to $ring0"

# unplug in the middle of a blocking send of 16 MiB (A's ring holds 1 MiB)
timeout 120 dd if="$EMU_DEV_B" of=/dev/null bs=256k 2>/dev/null &
rd=$!
wait_for 30 emu_has_open "$EMU_DEV_B" || emu_fail "unplug: the reader never opened"
rm -f /tmp/sendend /tmp/unplugged
rx0=$(cat "$EMU_SB/rx_bytes")
dmabuf-probe open:"$EMU_DEV_A" vgem:16777216 fill:4 attach send:0:16777216 \
	touch:/tmp/sendend waitfile:/tmp/unplugged wait:last:5000 query detach \
	send:0:1 live close >/tmp/probe.out 2>&1 &
sp=$!
wait_for 60 sh -c "[ \$(cat $EMU_SB/rx_bytes) -gt $((rx0 + 1048576)) ]" ||
	emu_fail "unplug: no data flows"
emu_cable 0
check "unplug: the blocking send returns" wait_for 30 test -e /tmp/sendend
check "unplug: A's stream detaches" wait_for 30 grep -qx detached "$EMU_SA/state"
touch /tmp/unplugged
wait $sp
wait $rd
sed 's/^/# /' /tmp/probe.out
queued=$(sed -n 's/^send OK queued=//p' /tmp/probe.out)
# it returns at the unplug with what it queued, or with all of it when its
# last ring's worth was queued but not yet sent: either way the completion
# below says the unplug cut it
check "unplug: the send got as far as the unplug (queued ${queued:-none})" \
	test "${queued:-0}" -gt 1048576
check_eq "unplug: the send completed with ENXIO, the mapping went with the session" "open OK
vgem OK
wait completed=1 queued=1 status=ENXIO
query direct size=16777216 segments=0 sends=0
detach OK
send ENOENT
live attachments 0 sends 0
close OK" "$(grep -v '^send OK\|^attach' /tmp/probe.out)"
check "unplug: attached on the DIRECT path" grep -q '^attach OK direct' /tmp/probe.out
emu_cable 1
check "replug: A's stream is ready again" wait_for 60 grep -qx ready "$EMU_SA/state"
check "replug: B's stream is ready again" wait_for 60 grep -qx ready "$EMU_SB/state"
send "after the replug" vgem:1048576 fill:5 attach:direct,require send:0:1048576 waitdone:10000 close
check_eq "nothing left after the replug" "attachments 0 sends 0" "$(live_dmabuf)"

dmabuf_iommu_finish "the sends"
summary
