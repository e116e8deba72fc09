# The first interoperation of tbstream with upstream's USB4STREAM on a
# cable: guest A runs tbstream.ko (kernel/nhi.c), guest B Linux 7.2 with
# upstream's thunderbolt_stream.ko (tests/vm/emu/pair --b-args "--ko ...").
# One stream with explicit HopIDs (A: in 9, out 8; B: in 8, out 9); B's
# reader opens first, A writes 16 MiB with dd bs=256k and closes; B's
# reader ends at the CLOSE and the bytes' sha256 equals A's.  On 7.2 A's
# throttling attribute reaches tb_ring_throttling() for both rings.
. /lib/tbstream/interop.sh

ip_start
S=$G/s
ip_configure_fixed "$S"
pass "$IP_DRV: stream s configured on $(basename "$G")"

if [ "$EMU_ROLE" = b ]; then
	# upstream's open blocks until the peer's stream is attached
	timeout 300 dd if="$D" of=/tmp/dst bs=256k 2>/tmp/rd.err &
	reader=$!
	# A writes once upstream's open has returned (ip_flow_start says why)
	wait_for 60 emu_has_open "$D" || emu_fail "the reader never opened $D"
	emu_tell reading
	# shellcheck disable=SC3045 # busybox ash has read -t
	while read -r -t "$EMU_WAIT" line <&3; do
		case "$line" in "sha "*) break ;; fail*) emu_fail "A: $line" ;; esac
	done
	wait $reader
	check_eq "upstream's reader ends at tbstream's close ($(tail -n1 /tmp/rd.err))" 0 $?
	check_eq "upstream received 16 MiB" 16777216 "$(wc -c </tmp/dst)"
	check_eq "sha256 equal" "${line#sha }" "$(sha /tmp/dst)"
	rm -f /tmp/dst
else
	wait_for 60 grep -qx ready "$S/state" || emu_fail "stream is $(cat "$S/state"), not ready"
	# From 7.2 the core leaves a ring's interrupt moderation to the driver:
	# a kprobe shows the stream's own value reaching both of its rings.
	thr=
	if grep -qw tb_ring_throttling /proc/kallsyms; then
		thr=/sys/kernel/tracing
		[ -d $thr/events ] || mount -t tracefs nodev $thr
		echo 'p:tbs/thr tb_ring_throttling ns=%si:u32' >$thr/kprobe_events
		echo 1 >$thr/events/tbs/thr/enable
		echo 24576 >"$S/throttling"
	fi
	dd if=/dev/urandom of=/tmp/src bs=1M count=16 2>/dev/null
	emu_expect reading
	dd if=/tmp/src of="$D" bs=256k 2>/tmp/wr.err
	check_eq "tbstream's writer succeeds ($(tail -n1 /tmp/wr.err))" 0 $?
	if [ -n "$thr" ]; then
		check_eq "both rings were given the stream's throttling" 2 \
			"$(grep -c 'thr:.* ns=24576$' $thr/trace)"
		echo 0 >$thr/events/tbs/thr/enable
		echo >$thr/kprobe_events
	fi
	emu_tell "sha $(sha /tmp/src)"
	rm -f /tmp/src
fi
emu_barrier copied
rmdir "$S" "$G" || emu_fail "rmdir"
ip_finish
