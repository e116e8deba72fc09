# The cable pulled mid-transfer between tbstream and upstream's own
# USB4STREAM driver (tests/vm/lib/interop.sh).  Upstream makes stream "s"
# with automatic HopIDs (-1), tbstream by name only.  Twice: tbstream
# writes and upstream reads, upstream's guest pulls the cable; then
# upstream writes and tbstream reads, tbstream's guest pulls it.  Each
# time, once data flows, both ends fail with ENXIO (bounded: a hang is a
# failure), the cable goes back in, both streams attach again and 4 MiB
# cross intact (sha256) the same way.
. /lib/tbstream/interop.sh
MIB=4
SIZE=$((MIB * 1048576))

ip_start
S=$G/s
mkdir "$G" || emu_fail "mkdir $G"

# round TAG WRITER-IS-UPSTREAM: the writer writes zeros until the cable is
# pulled by the reader's guest once more than 1 MiB arrived; ENXIO is read
# from each dd's own error output
round() {
	if [ "$IP_UP" = "$2" ]; then
		emu_expect "$1-reading"
		# 1 GiB: far more than crosses before the pull, even when the
		# puller's guest is slow to see the first MiB
		timeout 120 dd if=/dev/zero of="$D" bs=256k count=4096 2>/tmp/io.err &
		io=$!
		what=writer
	else
		rm -f /tmp/dst
		# the first 2 MiB kept to see that data flows, the rest dropped
		timeout 120 dd if="$D" bs=256k 2>/tmp/io.err | { head -c 2097152 >/tmp/dst; cat >/dev/null; } &
		io=$!
		what=reader
		emu_tell "$1-reading"
		check "$1: data flows before the unplug" \
			wait_for 60 sh -c "[ \$(wc -c </tmp/dst) -gt 1048576 ]"
		emu_cable 0
	fi
	wait $io
	check "$1: the unplug ends $IP_DRV's $what with ENXIO (exit $?)" grep -q "No such device or address" /tmp/io.err
	rm -f /tmp/dst
	emu_barrier "$1-unplugged"
	[ "$IP_UP" = "$2" ] || emu_cable 1
	check "$1: replugged, $IP_DRV binds the peer's service again" wait_for 60 emu_service "$IP_DRV"
	ip_configure_by_name "$1, replugged" "$S"

	# the same way again, intact
	if [ "$IP_UP" = "$2" ]; then
		dd if=/dev/urandom of=/tmp/src bs=1M count=$MIB 2>/dev/null
		ip_send "$1, replugged" /tmp/src "$D"
		rm -f /tmp/src
	else
		ip_recv "$1, replugged" "$D" /tmp/dst $SIZE
	fi
	emu_barrier "$1-done"
}

ip_configure_by_name "start" "$S"
round "tbstream writes, upstream pulls" 0
round "upstream writes, tbstream pulls" 1

check "rmdir" rmdir "$S" "$G"
ip_finish
