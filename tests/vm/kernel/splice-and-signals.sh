# read_iter/write_iter make sendfile(2) and splice(2) work; a signal ends a
# blocked write with the count queued so far (never a spurious short count
# otherwise), and a blocked read with EINTR.
. /lib/tbstream/guest.sh
plug_cable
mkdir $A $B $A/s $B/s
echo 32 > $A/s/ring_size
echo 32 > $B/s/ring_size
echo -1 > $B/s/in_hopid
echo -1 > $B/s/out_hopid
deva=/dev/tbstream$(cat $A/s/index)
devb=/dev/tbstream$(cat $B/s/index)
check "a finds b's announcement" wait_for 5 sh -c "errno-of open $deva wronly | grep -qx OK"

stream-probe $devb open:rdonly touch:/tmp/r splice:3000000 close > /tmp/r.out &
pr=$!
wait_for 5 test -e /tmp/r
stream-probe $deva open:wronly sendfile:3000000 close > /tmp/w.out
wait $pr
check_eq "sendfile into the device" "open OK
sendfile 3000000
close OK" "$(cat /tmp/w.out)"
check_eq "splice out of the device" "open OK
splice 3000000
close OK" "$(cat /tmp/r.out)"

# b opens but does not read: 32 + 32 frames fit, then the writer blocks
stream-probe $devb open:rdonly touch:/tmp/r2 wait:/tmp/w2 close > /dev/null &
pr=$!
wait_for 5 test -e /tmp/r2
stream-probe $deva open:wronly alarm:500 write:1048576 close touch:/tmp/w2 > /tmp/w.out
wait $pr
n=$(sed -n 's/^write //p' /tmp/w.out)
check "a signal after progress returns the count queued ($n)" test "$n" -gt 0 -a "$n" -lt 1048576
check "...a whole number of frames" test $((n % 4096)) -eq 0
stream-probe $devb open:rdonly alarm:300 read:10 close > /tmp/r.out
check_eq "a signal before any data: EINTR" "open OK
read EINTR
close OK" "$(cat /tmp/r.out)"

rmdir $A/s $B/s $A $B $L
check "modules unload" sh -c 'rmmod tbstream_sim && rmmod tbstream'
summary
