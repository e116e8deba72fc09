# rmdir of a stream while its device is open: a blocked reader wakes with
# end of file, writes fail with EPIPE, the node is gone at once, the
# announcement is withdrawn, and closing the files afterwards is clean.
# The peer is told as at a last close: its reader gets the data written
# before the rmdir, then end of file from the CLOSE that follows it.
. /lib/tbstream/guest.sh
plug_cable
stream_pair s

timeout 20 stream-probe $deva open:rdonly touch:/tmp/pa readall:200 close > /tmp/a.out &
pa=$!
stream-probe $devb open:rdonly touch:/tmp/r read:100 read:100 close > /tmp/r.out &
pr=$!
stream-probe $devb open:wronly wait:/tmp/pa write:100 touch:/tmp/w wait:/tmp/gone write:100 poll:0 close > /tmp/w.out &
pw=$!
wait_for 5 test -e /tmp/r -a -e /tmp/w
sleep 0.2
check "rmdir while open" rmdir $B/s
touch /tmp/gone
wait $pr $pw
check_eq "the blocked reader sees end of file" "open OK
read EOF
read EOF
close OK" "$(cat /tmp/r.out)"
check_eq "the writer gets EPIPE and HUP|ERR" "open OK
write 100
write EPIPE
poll IN|HUP|ERR
close OK" "$(cat /tmp/w.out)"
wait $pa
check_eq "the peer's reader gets what was written, then end of file" "open OK
readall 100 EOF
close OK" "$(cat /tmp/a.out)"
check_eq "the peer received a data frame and a CLOSE" 2 "$(cat $A/s/rx_frames)"
check "the node is gone" test ! -e $devb
check "a new stream of the same name works" mkdir $B/s
echo -1 > $B/s/in_hopid
echo -1 > $B/s/out_hopid
check_eq "...and is ready" ready "$(cat $B/s/state)"

rmdir $A/s $B/s $A $B $L
check "modules unload" sh -c 'rmmod tbstream_sim && rmmod tbstream'
summary
