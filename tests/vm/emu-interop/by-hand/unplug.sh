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
# an XDomain response the core was sending when the cable went is lost
# shellcheck disable=SC2034 # read by ip_finish
IP_LOG_EXPECTED='failed to send XDomain response for 0x[0-9a-f]*$'

ip_start
S=$G/s
mkdir "$G" || emu_fail "mkdir $G"

# round TAG WRITER-IS-UPSTREAM: the reader's guest pulls the cable once data
# flows; ENXIO is read from each dd's own error output
round() {
	ip_flow_start "$1" "$2" 120
	[ "$IP_WHAT" = reader ] && emu_cable 0
	wait "$IP_PID"
	check "$1: the unplug ends $IP_DRV's $IP_WHAT with ENXIO (exit $(cat /tmp/io.rc))" \
		grep -q "No such device or address" /tmp/io.err
	rm -f /tmp/dst
	emu_barrier "$1-unplugged"
	[ "$IP_UP" = "$2" ] || emu_cable 1
	check "$1: replugged, $IP_DRV binds the peer's service again" wait_for 60 emu_service "$IP_DRV"
	ip_configure_by_name "$1, replugged" "$S"
	ip_copy "$1, replugged" "$2" $MIB
	emu_barrier "$1-done"
}

ip_configure_by_name "start" "$S"
round "tbstream writes, upstream pulls" 0
round "upstream writes, tbstream pulls" 1

check "rmdir" rmdir "$S" "$G"
ip_finish
