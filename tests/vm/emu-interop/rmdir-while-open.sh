# rmdir of tbstream's stream while data flows to and from upstream's own
# USB4STREAM driver (tests/vm/lib/interop.sh).  Upstream makes "s" with
# automatic HopIDs (-1), tbstream by name only.  Twice, once with upstream
# writing into tbstream's reader and once with tbstream writing into
# upstream's reader, tbstream's stream is removed mid-transfer: tbstream's
# reader sees end of file or its writer EPIPE (as without a peer:
# tests/vm/kernel/rmdir-while-open.sh) and the node goes at once.
# tbstream ends the session without a CLOSE (kernel/README.md), and
# upstream does not act on the withdrawn announcement either: its end of
# the copy waits until it is interrupted, which the test does after 20 s
# and records.  tbstream then makes "s" again by name, upstream's stream
# (never removed) attaches to it, and 4 MiB cross intact the same way.
. /lib/tbstream/interop.sh
MIB=4
SIZE=$((MIB * 1048576))

ip_start
S=$G/s
mkdir "$G" || emu_fail "mkdir $G"

# round TAG WRITER-IS-UPSTREAM
round() {
	rm -f /tmp/io.rc
	if [ "$IP_UP" = "$2" ]; then
		emu_expect "$1-reading"
		# far more than crosses before the rmdir
		{ timeout 20 dd if=/dev/zero of="$D" bs=256k count=4096 2>/tmp/io.err; echo $? >/tmp/io.rc; } &
		io=$!
		what=writer
	else
		rm -f /tmp/dst
		{ timeout 20 dd if="$D" bs=256k 2>/tmp/io.err; echo $? >/tmp/io.rc; } |
			{ head -c 2097152 >/tmp/dst; cat >/dev/null; } &
		io=$!
		emu_tell "$1-reading"
		wait_for 60 sh -c "[ \$(wc -c </tmp/dst 2>/dev/null || echo 0) -gt 1048576 ]" ||
			emu_fail "$1: no data flowed"
		what=reader
		[ "$IP_UP" = 1 ] && emu_tell "$1-flowing"
	fi
	if [ "$IP_UP" = 0 ]; then
		# tbstream removes its stream with the copy running
		[ "$what" = writer ] && emu_expect "$1-flowing"
		check "$1: rmdir while open" rmdir "$S"
		check "$1: the node is gone at once" test ! -e "$D"
	fi
	wait $io
	rc=$(cat /tmp/io.rc)
	case "$IP_UP$what" in
	0reader) check_eq "$1: tbstream's reader sees end of file" 0 "$rc" ;;
	0writer) check "$1: tbstream's writer gets EPIPE (exit $rc)" grep -q "Broken pipe" /tmp/io.err ;;
	# timeout's TERM: 124 from timeout itself, 143 from a shell that saw it
	*) check "$1: upstream's $what waited until interrupted (exit $rc)" \
		test "$rc" = 124 -o "$rc" = 143 ;;
	esac
	emu_barrier "$1-removed"
	ip_configure_by_name "$1, again" "$S"
	if [ "$IP_UP" = "$2" ]; then
		dd if=/dev/urandom of=/tmp/src bs=1M count=$MIB 2>/dev/null
		ip_send "$1, again" /tmp/src "$D"
		rm -f /tmp/src
	else
		ip_recv "$1, again" "$D" /tmp/dst $SIZE
	fi
	emu_barrier "$1-done"
}

ip_configure_by_name start "$S"
round "upstream writes" 1
round "tbstream writes" 0

check "rmdir" rmdir "$S" "$G"
ip_finish
