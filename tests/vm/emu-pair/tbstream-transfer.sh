# tbstream.ko's real backend (kernel/nhi.c) between two guests of different
# kernels whose emulated hosts the socket cable joins (tests/vm/emu/pair):
# each finds the other's stream service; B reserves any free HopIDs for
# stream "s", A configures "s" by name only (from B's announcement, read over
# the cable).  16 MiB A to B with the writer first (its frames wait for the
# E2E credits B's ring grants once it exists), B to A with the reader first,
# both ways at once, sha256 compared every time, no frame dropped by either
# emulated host during the copies; each round closes and reopens the stream on both sides.
# Then A pulls the cable mid-transfer: both ends fail with ENXIO, nothing
# hangs; after the replug the stream carries data again, and all unloads.
# Both guests run this script in lock step over their test channel.
. /lib/tbstream/emu.sh
C=/sys/kernel/config/thunderbolt/stream
MIB=16
SIZE=$((MIB * 1048576))
peer=b
[ "$EMU_ROLE" = b ] && peer=a

emu_pair_start
emu_unload
dmesg -c >/dev/null
emu_barrier unloaded
emu_load
emu_wait_xdomain 0 "$EMU_UUID_PEER" "load"
insmod /modules/tbstream.ko || emu_fail "insmod tbstream"

wait_for 60 emu_service tbstream || emu_fail "tbstream bound no stream service of the peer ($(ls "$TB" | tr '\n' ' '))"
G=$C/$(emu_service tbstream)
S=$G/s
mkdir "$G" "$S" || emu_fail "mkdir $S"
D=/dev/tbstream$(cat "$S/index")
if [ "$EMU_ROLE" = b ]; then
	echo -1 >"$S/in_hopid" && echo -1 >"$S/out_hopid" || emu_fail "any free HopIDs"
	emu_tell "hopids $(cat "$S/in_hopid") $(cat "$S/out_hopid")"
else
	# shellcheck disable=SC3045 # busybox ash has read -t
	while read -r -t "$EMU_WAIT" line <&3; do
		case "$line" in "hopids "*) break ;; fail*) emu_fail "B: $line" ;; esac
	done
	check "A finds B's announcement by name" wait_for 30 sh -c "errno-of open $D wronly | grep -qx OK"
	check_eq "A's HopIDs are B's, crossed" "${line#hopids }" "$(cat "$S/out_hopid") $(cat "$S/in_hopid")"
fi
emu_barrier configured
# A's probe open above sent a CLOSE that waited in its TX ring for credits
# B's idle stream never granted; teardown disabled the path first, so A's
# NHI dropped it (counted).  The copies below must add no drop.
dropped0=$(emu_rx_dropped "$EMU_PCI_A")

dd if=/dev/urandom of=/tmp/src bs=1M count=$MIB 2>/dev/null

# xfer TAG WRITER FIRST: WRITER (a|b) dd's its /tmp/src into the stream, the
# other dd's the stream (to the writer's close) into /tmp/dst; FIRST
# (writer|reader) starts first, and the other a second after it
xfer() {
	if [ "$EMU_ROLE" = "$2" ]; then
		if [ "$3" = writer ]; then
			dd if=/tmp/src of="$D" bs=256k 2>/tmp/wr.err &
			_w=$!
			sleep 1
			kill -0 $_w 2>/dev/null || emu_fail "$1: the writer ended with no reader ($(tail -n1 /tmp/wr.err))"
			emu_tell "$1-go"
		else
			emu_expect "$1-go"
			sleep 1
			dd if=/tmp/src of="$D" bs=256k 2>/tmp/wr.err &
			_w=$!
		fi
		wait $_w
		check_eq "$1: the writer succeeds ($(tail -n1 /tmp/wr.err))" 0 $?
		emu_tell "$1-sha $(sha /tmp/src)"
	else
		rm -f /tmp/dst
		[ "$3" = writer ] && emu_expect "$1-go"
		timeout 120 dd if="$D" of=/tmp/dst bs=256k 2>/tmp/rd.err &
		_r=$!
		[ "$3" = reader ] && emu_tell "$1-go"
		wait $_r
		check_eq "$1: the reader ends at the writer's close ($(tail -n1 /tmp/rd.err))" 0 $?
		check_eq "$1: $MIB MiB arrived" $SIZE "$(wc -c </tmp/dst)"
		emu_expect_value "$1-sha"
		check_eq "$1: sha256 equal" "$EMU_VALUE" "$(sha /tmp/dst)"
		rm -f /tmp/dst
	fi
	emu_barrier "$1-done"
}

xfer "A to B, writer first" a writer
xfer "B to A, reader first" b reader

# Both ways at once.  B's reader takes exactly A's bytes, A's reads to B's
# CLOSE: so B's session ends first and A's after it, with no CLOSE sent by
# both at once (each would arrive at a peer that may have disabled its
# paths already: dropped there, as by silicon).
rm -f /tmp/dst
if [ "$EMU_ROLE" = b ]; then
	timeout 120 head -c $SIZE <"$D" >/tmp/dst &
else
	timeout 120 dd if="$D" of=/tmp/dst bs=256k 2>/dev/null &
fi
rd=$!
emu_barrier "duplex-readers"
timeout 120 dd if=/tmp/src of="$D" bs=256k 2>/tmp/wr.err &
wr=$!
wait $wr
check_eq "both ways: the writer succeeds ($(tail -n1 /tmp/wr.err))" 0 $?
emu_tell "duplex-sha $(sha /tmp/src)"
wait $rd
emu_expect_value duplex-sha
check_eq "both ways: the $peer side's $MIB MiB arrived, sha256 equal" "$EMU_VALUE" "$(sha /tmp/dst)"
rm -f /tmp/dst
emu_barrier duplex-done
check_eq "no RX errors" 0 "$(cat "$S/rx_errors")"
check_eq "our emulated host dropped no frame during the copies (rx-dropped)" "$dropped0" "$(emu_rx_dropped "$EMU_PCI_A")"
emu_assert_clean_log "the copies"

# Unplug mid-transfer, pulled by A: A's writer and B's reader fail with
# ENXIO (bounded: a hang is a failure), the stream detaches on both.  The
# writer has no count: a fixed size may all be queued before the cable goes.
if [ "$EMU_ROLE" = b ]; then
	timeout 120 dd if="$D" of=/dev/null bs=256k 2>/tmp/io.err &
	io=$!
	emu_tell unplug-go
	what=reader
else
	emu_expect unplug-go
	timeout 120 dd if=/dev/zero of="$D" bs=256k 2>/tmp/io.err &
	io=$!
	what=writer
	# 2 x $SIZE sent since mkdir, then this
	check "data flows before the unplug" wait_for 60 sh -c "[ \$(cat $S/tx_bytes) -gt $((2 * SIZE + 1048576)) ]"
	emu_cable 0
fi
wait $io
check "unplug: the $what fails with ENXIO (exit $?)" grep -q "No such device or address" /tmp/io.err
check "unplug: the stream detaches" wait_for 30 grep -qx detached "$S/state"
emu_barrier unplugged
[ "$EMU_ROLE" = b ] || emu_cable 1
if [ "$EMU_ROLE" = b ]; then
	wait_for 60 grep -qx ready "$S/state" ||
		emu_fail "replug: the stream is $(cat "$S/state"), not ready"
	pass "replug: the stream is ready again"
	emu_tell b-ready
else
	# name-only: configured again from B's announcement at the next open
	emu_expect b-ready
	wait_for 60 sh -c "errno-of open $D wronly | grep -qx OK" ||
		emu_fail "replug: A does not find B's announcement again (open: $(errno-of open "$D" wronly))"
	pass "replug: A finds B's announcement again"
fi
emu_barrier replugged
xfer "after the replug, B to A" b reader

rmdir "$S" "$G" || emu_fail "rmdir"
check "tbstream unloads" rmmod tbstream
emu_assert_clean_log "unplug, replug and unload"
emu_peers_quiet tbstream-unloaded
emu_unload
pass "thunderbolt.ko unloads after tbstream"
emu_finish
summary
