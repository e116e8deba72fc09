# Both services on one cable at once: Debian's own thunderbolt_net and
# tbstream.ko (kernel/nhi.c) share the two emulated hosts' rings, HopIDs
# and DMA paths.  64 MiB cross as TCP over thunderbolt_net and 64 MiB
# through a tbstream stream, both from host A to host B at the same time:
# both arrive intact (sha256), and neither starves (both move at once,
# neither waits for the other to end).  Then each alone again, and
# everything unloads.  Needs the guest kernel's thunderbolt_net (tests/vm/run --module
# thunderbolt_net).
. /lib/tbstream/emu.sh
MIB=64
SIZE=$((MIB * 1048576))
PORT=5201
ADDR_A=10.77.0.1
ADDR_B=10.77.0.2

emu_tbnet_module
emu_unload
dmesg -c >/dev/null
emu_load_peers
emu_stream_pair
# thunderbolt_net: B's interface in a namespace of its own, so TCP crosses
# the cable
emu_tbnet_up "$ADDR_A" "$ADDR_B"
ns=$EMU_NS
pass "thunderbolt_net's interfaces carry pings beside tbstream's streams"

dd if=/dev/urandom of=/tmp/src bs=1M count=$MIB 2>/dev/null
want=$(sha /tmp/src)
# a FIFO this shell holds open for writing: busybox nc's listener ends at
# EOF on its stdin, so it gets one that never ends (tbnet-transfer.sh)
mkfifo /tmp/hold && exec 4<>/tmp/hold || emu_fail "mkfifo"

size_of() { wc -c <"$1" 2>/dev/null || echo 0; }

# A copy of /tmp/src from A to B in the background, into /tmp/dst.tcp or
# /tmp/dst.tbs: recv_* starts the receiver (ready when it returns), send_*
# the sender.  A receiver that has all its bytes notes how far the other
# copy has come at that moment, in /tmp/tbs-at-tcp-end or
# /tmp/tcp-at-tbs-end: it is the process that waits for that end, so it
# looks at once (a shell polling both would, on this guest's one busy
# vCPU, get its turns only after both ended).
recv_tcp() {
	rm -f /tmp/dst.tcp /tmp/tbs-at-tcp-end
	(emu_inb nc -l -p $PORT </tmp/hold 2>/dev/null | head -c $SIZE >/tmp/dst.tcp
	 size_of /tmp/dst.tbs >/tmp/tbs-at-tcp-end) &
	tcp_r=$!
	wait_for 10 sh -c "nsenter -t $ns -n netstat -ltn 2>/dev/null | grep -q ':$PORT '" ||
		emu_fail "the TCP receiver never listened"
}
send_tcp() {
	nc "$ADDR_B" $PORT </tmp/src 2>/dev/null &
	tcp_s=$!
}
recv_tbstream() {
	rm -f /tmp/dst.tbs /tmp/tcp-at-tbs-end
	(timeout 300 dd if="$EMU_DEV_B" of=/tmp/dst.tbs bs=256k 2>/dev/null
	 _rc=$?
	 size_of /tmp/dst.tcp >/tmp/tcp-at-tbs-end
	 exit $_rc) &
	tbs_r=$!
	wait_for 30 emu_has_open "$EMU_DEV_B" || emu_fail "the stream's reader never opened"
}
send_tbstream() {
	timeout 300 dd if=/tmp/src of="$EMU_DEV_A" bs=256k 2>/dev/null &
	tbs_w=$!
}
tcp_done() { [ "$(size_of /tmp/dst.tcp)" -ge $SIZE ]; }
end_tcp() {
	kill "$tcp_s" "$tcp_r" 2>/dev/null
	wait "$tcp_s" "$tcp_r" 2>/dev/null
}

# together: both copies at once, both bounded by 300 s (TCG moves a few
# MB/s).  Neither may starve: when either copy ends, the other must have
# moved a good part of its bytes too.
recv_tcp
recv_tbstream
send_tcp
send_tbstream
wait "$tbs_w"
check_eq "together: tbstream's writer succeeds" 0 $?
wait "$tbs_r"
check_eq "together: tbstream's reader ends at the writer's close" 0 $?
wait_for 300 tcp_done || {
	echo "# TCP $(size_of /tmp/dst.tcp) bytes; rx-dropped A $(emu_rx_dropped "$EMU_PCI_A") B $(emu_rx_dropped "$EMU_PCI_B")"
	end_tcp
	emu_fail "together: the TCP copy did not end in 300 s"
}
end_tcp
check_eq "together: $MIB MiB through tbstream, intact" "$want" "$(sha /tmp/dst.tbs)"
check_eq "together: $MIB MiB over thunderbolt_net and TCP, intact" "$want" "$(sha /tmp/dst.tcp)"
at_tbs=$(cat /tmp/tcp-at-tbs-end 2>/dev/null)
at_tcp=$(cat /tmp/tbs-at-tcp-end 2>/dev/null)
echo "# when tbstream's copy ended TCP had $at_tbs bytes; when TCP's ended tbstream had $at_tcp"
check "together: neither starves (each had moved over 8 MiB when the other ended)" \
	test "${at_tbs:-0}" -gt 8388608 -a "${at_tcp:-0}" -gt 8388608
check_eq "no RX errors on the stream" 0 "$(cat "$EMU_SB/rx_errors")"

# each alone, after the other's traffic: nothing was left broken
recv_tbstream
send_tbstream
wait "$tbs_w" && wait "$tbs_r"
check_eq "afterwards: tbstream alone, intact" "$want" "$(sha /tmp/dst.tbs)"
recv_tcp
send_tcp
wait_for 120 tcp_done
end_tcp
check_eq "afterwards: TCP alone, intact" "$want" "$(sha /tmp/dst.tcp)"
# thunderbolt_net's TX rings have no E2E, so a full RX ring drops and TCP
# resends: reported, not asserted (tbnet-transfer.sh)
echo "# rx-dropped A $(emu_rx_dropped "$EMU_PCI_A") B $(emu_rx_dropped "$EMU_PCI_B")"
rm -f /tmp/dst.tcp /tmp/dst.tbs

emu_assert_clean_log "the copies"
emu_stream_pair_remove
ip link set "$EMU_IF_A" down
kill "$ns"
wait "$ns" 2>/dev/null
check "rmmod thunderbolt_net" rmmod thunderbolt_net
check "rmmod tbstream" rmmod tbstream
emu_assert_clean_log "unload"
emu_peers_quiet unloaded
emu_unload
summary
