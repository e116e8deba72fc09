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
rm -f /tmp/sent
receive /tmp/got
dmabuf-probe open:"$EMU_DEV_A" vgem:65536 fill:1 attach \
	attach:fd=bad attach:fd=pipe attach:flags=0x2 attach:reserved attach:path=4 \
	attach:require attach:p2p,require \
	send:0:65537 send:65536:1 send:65535:2 send:0xffffffffffffffff:2 send:0:0 \
	send:0:1:flags=1 send:0:1:reserved send:0:1:handle=77777 \
	query:handle=77777 query:reserved wait:1:0 detach:handle=77777 detach:reserved \
	badioctl live cat:"$EMU_SA/tx_bytes" \
	record:/tmp/sent send:0:65536 waitdone:10000 close >/tmp/out
check_eq "each bad call fails with its errno, nothing leaves before the good send" "open OK
vgem OK
attach OK direct
attach EBADF
attach EINVAL
attach EINVAL
attach EINVAL
attach EINVAL
attach EINVAL
attach EOPNOTSUPP
send ERANGE
send ERANGE
send ERANGE
send ERANGE
send EINVAL
send EINVAL
send EINVAL
send ENOENT
query ENOENT
query EINVAL
wait EINVAL
detach ENOENT
detach EINVAL
badioctl ENOTTY
live attachments 1 sends 0
cat 0
send OK queued=65536
waitdone yes
close OK" "$(cat /tmp/out)"
wait $rd
check_eq "the handle still sends every byte after them (sha256)" "$(sha /tmp/sent)" "$(sha /tmp/got)"
check_eq "...65536 bytes in 16 frames and the CLOSE" "65536 17" \
	"$(cat "$EMU_SB/rx_bytes") $(($(cat "$EMU_SB/rx_frames") - rx_frames0))"
check_eq "closing the file detached the buffer" "attachments 0 sends 0" "$(live_dmabuf)"

check_eq "a read-only file neither attaches nor sends" "open OK
vgem OK
attach EBADF
send EBADF
close OK" "$(dmabuf-probe open:"$EMU_DEV_A",rdonly vgem:4096 attach send:0:1 close)"

check_eq "handles belong to their file; detached ones are gone" "open OK
vgem OK
attach OK direct
open OK
send ENOENT
query ENOENT
detach ENOENT
close OK
detach OK
query ENOENT
send ENOENT
detach ENOENT
close OK" "$(dmabuf-probe open:"$EMU_DEV_A" vgem:65536 attach \
	open:"$EMU_DEV_A" send:0:1:handle=foreign query:handle=foreign detach:handle=foreign close \
	use:0 detach query send:0:1 detach close)"

check_eq "a required peer-to-peer path fails, a preferred one falls back to DIRECT" "open OK
vgem OK
attach EOPNOTSUPP
attach OK direct
attach OK cpu
close OK" "$(dmabuf-probe open:"$EMU_DEV_A" vgem:4096 attach:p2p,require attach:p2p attach:cpu close)"

args="open:$EMU_DEV_A vgem:65536"
i=0
while [ $i -lt 65 ]; do
	args="$args attach"
	i=$((i + 1))
done
# shellcheck disable=SC2086 # one argument per operation
dmabuf-probe $args live close >/tmp/out
check_eq "64 attachments (64 IOMMU mappings) per file" 64 "$(grep -c '^attach OK direct' /tmp/out)"
check_eq "...the 65th is ENOSPC" "attach ENOSPC" "$(grep '^attach E' /tmp/out)"
check_eq "...and leaves none behind" "live attachments 64 sends 0" "$(grep '^live' /tmp/out)"
check_eq "closing frees all 64" "attachments 0 sends 0" "$(live_dmabuf)"

# a producer still writing the buffer holds the send back
rm -f /tmp/signalled /tmp/sent
receive /tmp/got
check_eq "a send waits for the buffer's write fence" "open OK
vgem OK
attach OK direct
fence OK
send EAGAIN
send OK queued=4096
exists yes
waitdone yes
close OK" "$(dmabuf-probe open:"$EMU_DEV_A" record:/tmp/sent vgem:4096 fill:3 attach fence \
	nonblock:1 send:0:4096 nonblock:0 signal-after:500 send:0:4096 exists:/tmp/signalled \
	waitdone:10000 close)"
wait $rd
check_eq "...then sends the buffer (sha256)" "$(sha /tmp/sent)" "$(sha /tmp/got)"

check_eq "nothing left" "attachments 0 sends 0" "$(live_dmabuf)"
faults=$(dmesg | grep -iE 'DMAR.*fault|DMAR:.*\[DMA' | head -n 5)
[ -z "$faults" ] || echo "$faults" | sed 's/^/# /'
check "no DMAR fault" test -z "$faults"
emu_assert_clean_log "the bad inputs"

emu_stream_pair_remove
check "rmmod tbstream" rmmod tbstream
check "vgem unloads: every dma-buf reference was dropped" rmmod vgem
emu_peers_quiet unloaded
emu_unload
summary
