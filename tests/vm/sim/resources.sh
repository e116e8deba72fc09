# shellcheck shell=sh
# Finite hardware: an NHI has a few rings and a lane adapter a few HopIDs
# (8..maxhopid, exact requests honoured exactly); running out is an error
# the user sees, not a simulator that always has more.
. /lib/tbstream/guest.sh
load_tbstream
load_sim

L=/sys/kernel/config/tbstream_sim/res
S=/sys/kernel/config/thunderbolt/stream
mkdir $L
echo 2 > $L/a/nhi_rings		# ring 0 is control: one TX and one RX ring
echo 9 > $L/maxhopid		# HopIDs 8 and 9 only
echo 1 > $L/connected
A=$S/$(cat $L/a_service)
B=$S/$(cat $L/b_service)
mkdir $A $B

# HopIDs: two per direction, then none.
for n in s1 s2 s3; do mkdir $A/$n $B/$n; done
check_errno "a/s1 in_hopid -1" OK write $A/s1/in_hopid -1
check_errno "a/s2 in_hopid -1" OK write $A/s2/in_hopid -1
check_eq "automatic allocation takes 8 then 9" "8 9" "$(cat $A/s1/in_hopid) $(cat $A/s2/in_hopid)"
check_errno "no third input HopID" ENOSPC write $A/s3/in_hopid -1
check_errno "a taken HopID is refused" EBUSY write $A/s3/in_hopid 8
check_errno "above maxhopid is refused" EINVAL write $A/s3/in_hopid 10
check_errno "below 8 is refused" EINVAL write $A/s3/in_hopid 7
check_errno "releasing one (0) works" OK write $A/s2/in_hopid 0
check_errno "then exactly 9 is free again" OK write $A/s3/in_hopid 9
check_eq "and it is 9, not the lowest free" 9 "$(cat $A/s3/in_hopid)"
check_errno "output HopIDs are a separate space" OK write $A/s1/out_hopid 8
check_errno "b's HopIDs are b's own" OK write $B/s1/in_hopid 8
rmdir $A/s2 $A/s3 $B/s2 $B/s3

# Rings: a's NHI has one TX and one RX ring; a second open stream fails.
echo 9 > $B/s1/out_hopid
echo 9 > $A/s1/in_hopid
mkdir $A/s2 $B/s2
echo 8 > $B/s2/in_hopid
echo 8 > $B/s2/out_hopid
echo 9 > $A/s2/out_hopid
echo 8 > $A/s2/in_hopid 2>/dev/null
check "s1 ready" wait_for 5 grep -qx ready $A/s1/state
da1=/dev/tbstream$(cat $A/s1/index)
exec 3<>$da1
check_eq "s1 is open on a" open "$(cat $A/s1/state)"
da2=/dev/tbstream$(cat $A/s2/index)
check_errno "s2 cannot open: a's NHI has no free ring" EBUSY open $da2 rdwr
check_eq "and s2 counts it" 1 "$(cat $A/s2/ring_exhausted)"
check_eq "s1 counts nothing" 0 "$(cat $A/s1/ring_exhausted)"
exec 3>&-
check_errno "with s1 closed, s2 opens" OK open $da2 rdwr
rmdir $A/s1 $A/s2 $B/s1 $B/s2 $A $B
rmdir $L
check "tbstream_sim unloads" rmmod tbstream_sim
summary
