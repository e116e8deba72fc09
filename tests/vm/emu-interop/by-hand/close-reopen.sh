# Closing and reopening between tbstream and upstream's own USB4STREAM
# driver on the emulated cable (tests/vm/lib/interop.sh), one stream "s"
# with explicit HopIDs on both sides (tbstream: in 9, out 8; upstream: in
# 8, out 9).  Each side in turn writes 4 MiB and closes, the other reads
# to end of file (the writer's CLOSE), closes, and both reopen for the next
# copy: three copies from each side, sha256 compared every time.  Then the
# CLOSE-after-peer-CLOSE case: upstream's writer closes and at once reopens
# the stream to read; tbstream, which got its CLOSE, reads to the end,
# closes (sending no CLOSE of its own, which would end upstream's new
# session at once) and writes 4 MiB back, which upstream reads whole, to
# EOF.  Then both ways at once on the one stream, each side reading
# exactly what the other writes.
. /lib/tbstream/interop.sh
MIB=4
SIZE=$((MIB * 1048576))

ip_start
S=$G/s
ip_configure_fixed "$S"
pass "$IP_DRV: stream s configured with explicit HopIDs ($(ip_hopids "$S"))"
emu_barrier configured

# copy TAG WRITER-IS-UPSTREAM: one copy of a fresh $MIB MiB, the reader
# opened first, the writer's close its end of file
copy() {
	if [ "$IP_UP" = "$2" ]; then
		dd if=/dev/urandom of=/tmp/src bs=1M count=$MIB 2>/dev/null
		ip_send "$1" /tmp/src "$D"
	else
		ip_recv "$1" "$D" /tmp/dst $SIZE
	fi
	emu_barrier "$1-done"
}

for i in 1 2 3; do
	copy "tbstream closes, copy $i" 0
	copy "upstream closes, copy $i" 1
done

# CLOSE after the peer's CLOSE, the peer reopened at once.  Upstream's
# writer closes at once (no ip_send): 256 KiB, which its 500 ms drain
# covers even under load.
dd if=/dev/urandom of=/tmp/src bs=1M count=$MIB 2>/dev/null
head -c 262144 /tmp/src >/tmp/small
if [ "$IP_UP" = 1 ]; then
	emu_expect cpc-reading
	dd if=/tmp/small of="$D" bs=256k 2>/tmp/wr.err
	check_eq "reopen: upstream's writer succeeds ($(tail -n1 /tmp/wr.err))" 0 $?
	timeout 120 dd if="$D" of=/tmp/dst bs=256k 2>/tmp/rd.err &
	_r=$!
	emu_tell "reopen: upstream's data-sha $(sha /tmp/small)"
	emu_tell "reopen: tbstream's reply-reading"
	wait_for 120 ip_size_at_least /tmp/dst $SIZE
	emu_tell "reopen: tbstream's reply-got"
	wait $_r
	check_eq "reopen: upstream's reader, opened at once, ends at tbstream's close ($(tail -n1 /tmp/rd.err))" 0 $?
	ip_recv_check "reopen: tbstream's reply" /tmp/dst $SIZE
else
	rm -f /tmp/dst
	timeout 120 dd if="$D" of=/tmp/dst bs=256k 2>/tmp/rd.err &
	_r=$!
	wait_for 10 test -e /tmp/dst
	emu_tell cpc-reading
	wait $_r
	check_eq "reopen: tbstream reads to upstream's close ($(tail -n1 /tmp/rd.err))" 0 $?
	ip_recv_check "reopen: upstream's data" /tmp/dst 262144
	ip_send "reopen: tbstream's reply" /tmp/src "$D"
fi
emu_barrier cpc-done

# Both ways at once on the one stream: each side reads exactly the other's
# $MIB MiB and keeps its writer open until the other has them all (as
# ip_send does).
dd if=/dev/urandom of=/tmp/src bs=1M count=$MIB 2>/dev/null
rm -f /tmp/dst
timeout 120 head -c $SIZE <"$D" >/tmp/dst &
rd=$!
emu_barrier duplex-readers
exec 4>"$D" || emu_fail "both ways: open $D"
timeout 120 dd if=/tmp/src bs=256k 2>/tmp/wr.err >&4
check_eq "both ways: $IP_DRV's writer succeeds ($(tail -n1 /tmp/wr.err))" 0 $?
emu_tell "both ways-sha $(sha /tmp/src)"
wait $rd
check_eq "both ways: $IP_DRV's reader gets its $MIB MiB" 0 $?
emu_tell "both ways-got"
ip_recv_check "both ways" /tmp/dst $SIZE
emu_expect "both ways-got"
exec 4>&-
emu_barrier duplex-done

rm -f /tmp/src /tmp/small /tmp/dst
check "rmdir" rmdir "$S" "$G"
ip_finish
