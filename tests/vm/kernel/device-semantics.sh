# The device as upstream: open blocks until attached (O_NONBLOCK: ENXIO),
# EINVAL without HopIDs, EAGAIN/poll, read returns what is there, the peer's
# CLOSE is end of file (again and again), a new peer session reads on.
. /lib/tbstream/guest.sh
load_tbstream
load_sim
C=/sys/kernel/config/thunderbolt/stream
L=/sys/kernel/config/tbstream_sim/cable
mkdir $L
A=$C/$(cat $L/a_service)
B=$C/$(cat $L/b_service)
mkdir $A $B $A/s $B/s
echo -1 > $B/s/in_hopid
echo -1 > $B/s/out_hopid
deva=/dev/tbstream$(cat $A/s/index)
devb=/dev/tbstream$(cat $B/s/index)

check_errno "O_NONBLOCK open before the peer exists" ENXIO open $devb rdonly,nonblock
stream-probe $devb open:rdonly > /tmp/o1 &
p=$!
sleep 0.5
check_eq "open blocks until the peer is there" "" "$(cat /tmp/o1)"
echo 1 > $L/connected
wait $p
check_eq "...and returns once it attaches" "open OK" "$(cat /tmp/o1)"
check "b announces its stream" wait_for 5 sh -c "errno-of open $deva wronly | grep -qx OK"

stream-probe $devb open:rdwr,nonblock read:10 poll:0 touch:/tmp/b1 \
	pollin:5000 nonblock:0 readall:5000 read:10 read:10 touch:/tmp/b2 \
	wait:/tmp/a2 readall:3 close > /tmp/b.out &
pb=$!
stream-probe $deva open:wronly wait:/tmp/b1 write:5000 close > /tmp/a.out
wait_for 5 test -e /tmp/b2
stream-probe $deva open:wronly write:3 close touch:/tmp/a2 >> /tmp/a.out
wait $pb
check_eq "writer side" "open OK
write 5000
close OK
open OK
write 3
close OK" "$(cat /tmp/a.out)"
check_eq "reader side" "open OK
read EAGAIN
poll OUT
pollin IN
readall 5000
read EOF
read EOF
readall 3
close OK" "$(cat /tmp/b.out)"
check_eq "frames counted (data and CLOSE)" 5 "$(cat $B/s/rx_frames)"

# a read returns what is there, without waiting to fill the request
stream-probe $devb open:rdonly touch:/tmp/b3 read:1048576 close > /tmp/b.out &
pb=$!
wait_for 5 test -e /tmp/b3
stream-probe $deva open:wronly write:100 sleep:300 close > /dev/null
wait $pb
check_eq "a short read is what is there" "open OK
read 100
close OK" "$(cat /tmp/b.out)"

# A read into pages that are not there yet (a fresh process's buffer)
# takes all that is queued: the copy faults them in and goes on.  It used
# to return a page or two, and a reader that reuses its buffer, as dd
# does, then got that much per read(2) for ever.
rx0=$(cat $B/s/rx_frames)
stream-probe $devb open:rdonly touch:/tmp/b4 wait:/tmp/a4 readfresh:1048576 touch:/tmp/b5 close > /tmp/b.out &
pb=$!
wait_for 5 test -e /tmp/b4
stream-probe $deva open:wronly write:262144 wait:/tmp/b5 close > /dev/null &
pa=$!
check "the 64 frames arrive before the read" wait_for 10 sh -c "[ \$(cat $B/s/rx_frames) -ge $((rx0 + 64)) ]"
touch /tmp/a4
wait $pb
wait $pa
check_eq "one read into untouched pages takes all 64 frames" "open OK
readfresh 262144
close OK" "$(cat /tmp/b.out)"

rmdir $A/s $B/s $A $B $L
check "modules unload" sh -c 'rmmod tbstream_sim && rmmod tbstream'
summary
