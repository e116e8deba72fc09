# Two streams at once between tbstream and upstream's own USB4STREAM
# driver (tests/vm/lib/interop.sh): "s1" and "s2" in one service group,
# upstream's with automatic HopIDs (-1), tbstream's by name only, so each
# side holds two HopID pairs at once.  Both copies run at the same time in
# opposite directions: tbstream writes 8 MiB into s1 while upstream writes
# 8 MiB into s2.  Each reader ends at its writer's close and the bytes'
# sha256 equals the writer's.
#
# Both guests announce a 3-character host name: with the usual 12
# ("tbstream-emu") upstream's property block with two streams is 91 dwords,
# 45n + 1, which no Linux receiver reads (kernel/README.md, "Its property
# block is not padded"): tbstream never saw s1 or s2, on 6.1 or on 7.2.
# shellcheck disable=SC2034 # read by emu.sh
EMU_HOSTNAME=ts2
. /lib/tbstream/interop.sh
MIB=8
SIZE=$((MIB * 1048576))

ip_start
mkdir "$G" || emu_fail "mkdir $G"
if [ "$IP_UP" = 1 ]; then
	for s in s1 s2; do
		{ mkdir "$G/$s" && echo -1 >"$G/$s/in_hopid" && echo -1 >"$G/$s/out_hopid"; } ||
			emu_fail "upstream configures $s"
	done
	emu_tell announced
	OUT=$G/s2 IN=$G/s1
else
	emu_expect announced
	ip_mkdir_by_name "$G/s1"
	ip_mkdir_by_name "$G/s2"
	OUT=$G/s1 IN=$G/s2
fi
check "$IP_DRV: s1 and s2 have distinct HopIDs ($(ip_hopids "$G/s1"); $(ip_hopids "$G/s2"))" \
	test "$(ip_hopids "$G/s1")" != "$(ip_hopids "$G/s2")"
emu_barrier configured

dd if=/dev/urandom of=/tmp/src bs=1M count=$MIB 2>/dev/null
rm -f /tmp/dst
timeout 180 dd if="$(ip_dev "$IN")" of=/tmp/dst bs=256k 2>/tmp/rd.err &
reader=$!
# dd makes its output file once its input is open
wait_for 60 test -e /tmp/dst || emu_fail "the reader of $(basename "$IN") did not open"
emu_barrier readers-open

# both guests write now, each into its own stream, while both read
exec 4>"$(ip_dev "$OUT")" || emu_fail "open $OUT"
dd if=/tmp/src bs=256k 2>/tmp/wr.err >&4
check_eq "$IP_DRV's writer into $(basename "$OUT") succeeds ($(tail -n1 /tmp/wr.err))" 0 $?
emu_tell "sha $(sha /tmp/src)"
# a close stops waiting for the TX ring after a while: close only once the
# other guest has every byte (ip_send)
wait_for 120 ip_size_at_least /tmp/dst $SIZE
emu_tell got
emu_expect_value sha
peer_sha=$EMU_VALUE
emu_expect got
exec 4>&-
wait $reader
check_eq "$IP_DRV's reader of $(basename "$IN") ends at the peer's close ($(tail -n1 /tmp/rd.err))" 0 $?
check_eq "$(basename "$IN"): $IP_DRV received $SIZE bytes" $SIZE "$(wc -c </tmp/dst)"
check_eq "$(basename "$IN"): sha256 equal" "$peer_sha" "$(sha /tmp/dst)"
rm -f /tmp/src /tmp/dst
emu_barrier copied

rmdir "$G/s1" "$G/s2" "$G" || emu_fail "rmdir"
ip_finish
