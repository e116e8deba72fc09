# rmdir of tbstream's stream while data flows to and from upstream's own
# USB4STREAM driver (tests/vm/lib/interop.sh).  Upstream makes "s" with
# automatic HopIDs (-1), tbstream by name only.  Twice, once with upstream
# writing into tbstream's reader and once with tbstream writing into
# upstream's reader, tbstream's stream is removed mid-transfer: tbstream's
# reader sees end of file or its writer EPIPE (as without a peer:
# tests/vm/kernel/rmdir-while-open.sh) and the node goes at once.
# tbstream closes the session as at a last close, so upstream's reader
# ends at the CLOSE that follows the data.  Upstream's writer does not:
# only its reads look at a CLOSE (kernel/README.md), so it waits until it
# is interrupted, which the test does after 20 s and records.  tbstream
# then makes "s" again by name, upstream's stream (never removed) attaches
# to it, and 4 MiB cross intact the same way.
. /lib/tbstream/interop.sh
MIB=4

ip_start
S=$G/s
mkdir "$G" || emu_fail "mkdir $G"

# round TAG WRITER-IS-UPSTREAM LIMIT: tbstream removes its stream once data
# flows; LIMIT bounds the copy (upstream's writer is expected to reach it)
round() {
	_dropped=$(emu_rx_dropped "$EMU_PCI_A")
	ip_flow_start "$1" "$2" "$3"
	[ "$IP_WHAT" = reader ] && [ "$IP_UP" = 1 ] && emu_tell "$1-flowing"
	if [ "$IP_UP" = 0 ]; then
		[ "$IP_WHAT" = writer ] && emu_expect "$1-flowing"
		check "$1: rmdir while open" rmdir "$S"
		check "$1: the node is gone at once" test ! -e "$D"
	fi
	wait "$IP_PID"
	rc=$(cat /tmp/io.rc)
	# frames this emulated host dropped meanwhile: context for a failure
	# (one that arrives after this side's ring stopped is counted too)
	echo "# $1: $(($(emu_rx_dropped "$EMU_PCI_A") - _dropped)) frames dropped by this host"
	case "$IP_UP$IP_WHAT" in
	0reader) check_eq "$1: tbstream's reader sees end of file" 0 "$rc" ;;
	0writer)
		check "$1: tbstream's writer gets EPIPE (exit $rc)" grep -q "Broken pipe" /tmp/io.err
		# what the close reported, if it did not end well
		dmesg | grep -E 'TX did not drain|TX ring full' | sed 's/^/# /'
		;;
	1reader) check_eq "$1: upstream's reader ends at tbstream's CLOSE ($(tail -n1 /tmp/io.err))" 0 "$rc" ;;
	# timeout's TERM: 124 from timeout itself, 143 from a shell that saw it
	1writer) check "$1: upstream's writer waited until interrupted (exit $rc)" \
		test "$rc" = 124 -o "$rc" = 143 ;;
	esac
	emu_barrier "$1-removed"
	ip_configure_by_name "$1, again" "$S"
	ip_copy "$1, again" "$2" $MIB
	emu_barrier "$1-done"
}

ip_configure_by_name start "$S"
round "upstream writes" 1 20
# long enough for the data to start flowing on a loaded machine (up to 60 s,
# ip_flow_start) and the CLOSE to follow: the reader is to end by itself
round "tbstream writes" 0 150

check "rmdir" rmdir "$S" "$G"
ip_finish
