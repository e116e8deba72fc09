# What goes on the wire, read back from the simulator's frame log: data in
# <= 4096-byte frames with SOF PDF 1 and EOF PDF 2, raw bytes, no header;
# the last close sends one CLOSE frame of 256 zero bytes with EOF PDF 3.
. /lib/tbstream/guest.sh
plug_cable
mkdir $A $B $A/s $B/s
echo 12 > $B/s/in_hopid
echo 13 > $B/s/out_hopid
deva=/dev/tbstream$(cat $A/s/index)
devb=/dev/tbstream$(cat $B/s/index)
check "a finds b's announcement" wait_for 5 sh -c "errno-of open $deva wronly | grep -qx OK"
check_eq "a took b's HopIDs swapped" "13 12" "$(cat $A/s/in_hopid) $(cat $A/s/out_hopid)"

dd if=$devb of=/tmp/y bs=64k 2>/dev/null &
rd=$!
sleep 0.2
echo 0 > $L/a/frames
before=$(cat $A/s/tx_frames)
printf 'ABCDEFGH' > /tmp/x
dd if=/dev/zero bs=10000 count=1 2>/dev/null | tr '\0' 'z' >> /tmp/x
dd if=/tmp/x of=$deva bs=20000 2>/dev/null
wait $rd
check_eq "the data arrives" "$(sha /tmp/x)" "$(sha /tmp/y)"
# seq hop sof eof size fate head zero
cut -d' ' -f2- $L/a/frames > /tmp/log
check_eq "frames on the wire" "12 1 2 4096 ok 4142434445464748 0
12 1 2 4096 ok 7a7a7a7a7a7a7a7a 0
12 1 2 1816 ok 7a7a7a7a7a7a7a7a 0
12 1 3 256 ok 0000000000000000 1" "$(cat /tmp/log)"
check_eq "a counted the 4 frames it sent" $((before + 4)) "$(cat $A/s/tx_frames)"

rmdir $A/s $B/s $A $B $L
check "modules unload" sh -c 'rmmod tbstream_sim && rmmod tbstream'
summary
