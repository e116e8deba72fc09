# What the dma-buf tests share: the simulator's suite (tests/vm/dmabuf) and
# the real backend's behind a strict IOMMU (tests/vm/emu/tbstream-dmabuf-
# iommu*) run the same checks on their own streams.  Sourced after
# guest.sh or emu.sh (check, check_eq, live_dmabuf, wait_for).

# dmabuf_check_bad_calls DEV TX_BYTES: every bad call to the ioctls gets its
# own errno and sends nothing (TX_BYTES, the stream's tx_bytes file, still
# reads 0), then the good handle sends 64 KiB, recorded in /tmp/sent, and
# the file closes.  The caller's reader must be open on the other end.
dmabuf_check_bad_calls() {
	rm -f /tmp/sent
	dmabuf-probe open:"$1" vgem:65536 fill:1 attach \
		attach:fd=bad attach:fd=pipe attach:flags=0x2 attach:reserved attach:path=4 \
		attach:require attach:p2p,require \
		send:0:65537 send:65536:1 send:65535:2 send:0xffffffffffffffff:2 send:0:0 \
		send:0:1:flags=1 send:0:1:reserved send:0:1:handle=77777 \
		query:handle=77777 query:reserved wait:1:0 detach:handle=77777 detach:reserved \
		badioctl live cat:"$2" \
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
}

# dmabuf_check_read_only DEV: a file opened read-only neither attaches nor
# sends
dmabuf_check_read_only() {
	check_eq "a read-only file neither attaches nor sends" "open OK
vgem OK
attach EBADF
send EBADF
close OK" "$(dmabuf-probe open:"$1",rdonly vgem:4096 attach send:0:1 close)"
}

# dmabuf_check_handle_ownership DEV [OTHER_DEV]: a handle belongs to the
# file that attached it: another file of the same stream (and of OTHER_DEV,
# another stream, if given) neither sends, queries nor detaches it, and a
# detached handle is gone for its own file too
dmabuf_check_handle_ownership() {
	_want="open OK
vgem OK
attach OK direct
open OK
send ENOENT
query ENOENT
detach ENOENT
close OK"
	_args="open:$1 send:0:1:handle=foreign query:handle=foreign detach:handle=foreign close"
	if [ -n "${2:-}" ]; then
		_want="$_want
open OK
send ENOENT
detach ENOENT
close OK"
		_args="$_args open:$2 send:0:1:handle=foreign detach:handle=foreign close"
	fi
	_want="$_want
detach OK
query ENOENT
send ENOENT
detach ENOENT
close OK"
	# shellcheck disable=SC2086 # one probe step per word
	check_eq "handles belong to their file; detached ones are gone" "$_want" \
		"$(dmabuf-probe open:"$1" vgem:65536 attach $_args use:0 detach query send:0:1 detach close)"
}

# dmabuf_check_attachment_limit DEV: 64 attachments per file, the 65th
# ENOSPC leaving none behind, the close freeing all
dmabuf_check_attachment_limit() {
	_args="open:$1 vgem:65536"
	_i=0
	while [ $_i -lt 65 ]; do
		_args="$_args attach"
		_i=$((_i + 1))
	done
	# shellcheck disable=SC2086 # one argument per operation
	dmabuf-probe $_args live close >/tmp/out
	check_eq "64 attachments per file" 64 "$(grep -c '^attach OK direct' /tmp/out)"
	check_eq "...the 65th is ENOSPC" "attach ENOSPC" "$(grep '^attach E' /tmp/out)"
	check_eq "...and leaves none behind" "live attachments 64 sends 0" "$(grep '^live' /tmp/out)"
	check_eq "closing frees all 64" "attachments 0 sends 0" "$(live_dmabuf)"
}

# dmabuf_check_write_fence DEV: a producer still writing the buffer holds
# the send back until its fence signals; what went is in /tmp/sent.  The
# caller's reader must be open on the other end.
dmabuf_check_write_fence() {
	rm -f /tmp/signalled /tmp/sent
	check_eq "a send waits for the buffer's write fence" "open OK
vgem OK
attach OK direct
fence OK
send EAGAIN
send OK queued=4096
exists yes
waitdone yes
close OK" "$(dmabuf-probe open:"$1" record:/tmp/sent vgem:4096 fill:3 attach fence \
		nonblock:1 send:0:4096 nonblock:0 signal-after:500 send:0:4096 exists:/tmp/signalled \
		waitdone:10000 close)"
}

# dmabuf_late_reader DEV OUT: a reader that opens DEV now and reads it into
# OUT only once /tmp/go exists, in the background ($rd)
dmabuf_late_reader() {
	rm -f /tmp/go /tmp/ropen "$2"
	(
		exec 3<"$1"
		touch /tmp/ropen
		while [ ! -e /tmp/go ]; do sleep 0.1; done
		timeout 120 dd of="$2" bs=64k <&3 2>/dev/null
	) &
	# shellcheck disable=SC2034 # the caller waits for it
	rd=$!
	wait_for 30 test -e /tmp/ropen
}

# dmabuf_iommu_finish WHAT (emu.sh's tests behind the IOMMU): no DMAR fault
# and no thunderbolt trouble in the kernel log, then the streams, tbstream,
# vgem (it unloads only if no dma-buf reference was left) and thunderbolt.ko
# go
dmabuf_iommu_finish() {
	_faults=$(dmesg | grep -iE 'DMAR.*fault|DMAR:.*\[DMA' | head -n 5)
	[ -z "$_faults" ] || echo "$_faults" | sed 's/^/# /'
	check "no DMAR fault" test -z "$_faults"
	emu_assert_clean_log "$1"
	emu_stream_pair_remove
	check "rmmod tbstream" rmmod tbstream
	check "vgem unloads: every dma-buf reference was dropped" rmmod vgem
	emu_peers_quiet unloaded
	emu_unload
}

# dmabuf_check_detach_in_flight DEV PEER_DEV: a non-blocking 4 MiB send
# from DEV queues what its rings take while PEER_DEV's reader holds back
# (the caller keeps the peer's ring small), then the buffer is detached
# and its fd closed with those frames still queued.  The frames keep the
# attachment and its mapping: every queued byte arrives intact, and the
# attachment goes with the last frame.
dmabuf_check_detach_in_flight() {
	rm -f /tmp/sent
	dmabuf_late_reader "$2" /tmp/got || check "detach in flight: the reader opened" false
	dmabuf-probe open:"$1",nonblock record:/tmp/sent vgem:4194304 fill:9 attach \
		send:0:4194304 query detach query live closebuf touch:/tmp/go nonblock:0 \
		waitdone:20000 close >/tmp/out 2>&1
	wait $rd
	sed 's/^/# /' /tmp/out
	_queued=$(sed -n 's/^send OK queued=//p' /tmp/out)
	check "detach in flight: the non-blocking send queued part of the buffer (${_queued:-none})" \
		test "${_queued:-0}" -gt 0 -a "${_queued:-0}" -lt 4194304
	check_eq "detach in flight: detached and closed with frames queued; the frames kept it" "open OK
vgem OK
attach OK direct
query direct sends=1
detach OK
query ENOENT
live attachments 1 sends 1
closebuf OK
waitdone yes
close OK" "$(grep -v '^send' /tmp/out | sed 's/ size=[0-9]* segments=[0-9]*//')"
	check_eq "detach in flight: every queued byte arrived intact (sha256)" "$(sha /tmp/sent)" "$(sha /tmp/got)"
	check_eq "detach in flight: ...$_queued of them" "$_queued" "$(wc -c </tmp/got)"
	check "detach in flight: the attachment went with its last frame" wait_for 10 sh -c \
		"grep -qx 'attachments 0 sends 0' /sys/kernel/debug/tbstream/live_dmabuf"
}
