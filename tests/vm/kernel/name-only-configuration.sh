# Name-only configuration: a stream with both HopIDs unset takes them from
# the peer's announcement of the same name, swapped; EINVAL while the peer
# announces nothing; it follows the peer when the peer reconfigures.
. /lib/tbstream/guest.sh
plug_cable
mkdir $A $B $A/cam $B/cam
deva=/dev/tbstream$(cat $A/cam/index)
devb=/dev/tbstream$(cat $B/cam/index)
check_eq "unset on both sides" "unconfigured unconfigured" "$(cat $A/cam/state) $(cat $B/cam/state)"
check_errno "open while the peer announces nothing" EINVAL open $deva wronly

echo 10 > $B/cam/in_hopid
echo 11 > $B/cam/out_hopid
check "a follows b's announcement" wait_for 5 sh -c "errno-of open $deva wronly | grep -qx OK"
check_eq "swapped: a in = b out, a out = b in" "11 10" "$(cat $A/cam/in_hopid) $(cat $A/cam/out_hopid)"

transfer() {
	dd if=/dev/urandom of=/tmp/x bs=64k count=16 2>/dev/null
	dd if=$devb of=/tmp/y bs=64k 2>/dev/null &
	r=$!
	sleep 0.2
	dd if=/tmp/x of=$deva bs=64k 2>/dev/null
	wait $r
	check_eq "$1" "$(sha /tmp/x)" "$(sha /tmp/y)"
}
transfer "data flows a to b"

echo 14 > $B/cam/in_hopid
echo 15 > $B/cam/out_hopid
check "a follows b's new HopIDs at its next open" wait_for 5 sh -c \
	"errno-of open $deva wronly >/dev/null; test \"\$(cat $A/cam/out_hopid)\" = 14"
check_eq "...swapped" "15 14" "$(cat $A/cam/in_hopid) $(cat $A/cam/out_hopid)"
transfer "data flows after b reconfigured"

rmdir $A/cam $B/cam $A $B $L
check "modules unload" sh -c 'rmmod tbstream_sim && rmmod tbstream'
summary
