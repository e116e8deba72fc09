# Every way a stream ends frees what it had: repeated open/close, files
# held across unplug, across rmdir, across a group's re-plug; afterwards no
# stream or session object is alive and both modules unload.
. /lib/tbstream/guest.sh
load_tbstream
load_sim
C=/sys/kernel/config/thunderbolt/stream
L=/sys/kernel/config/tbstream_sim/cable
mkdir $L
echo 1 > $L/connected
A=$C/$(cat $L/a_service)
B=$C/$(cat $L/b_service)
mkdir $A $B $A/s $B/s
echo -1 > $B/s/in_hopid
echo -1 > $B/s/out_hopid
deva=/dev/tbstream$(cat $A/s/index)
devb=/dev/tbstream$(cat $B/s/index)
check "a finds b's announcement" wait_for 5 sh -c "errno-of open $deva wronly | grep -qx OK"
check_eq "two streams, no session" "streams 2 sessions 0" "$(live)"

i=0
while [ $i -lt 50 ]; do
	stream-probe $devb open:rdonly close > /dev/null &
	stream-probe $deva open:wronly write:10000 close > /dev/null
	wait
	i=$((i + 1))
done
check_eq "50 open/close rounds leave no session" "streams 2 sessions 0" "$(live)"

# files held open across an unplug, closed after it
stream-probe $devb open:rdonly touch:/tmp/h1 wait:/tmp/u sleep:100 read:10 close > /tmp/h.out &
p=$!
wait_for 5 test -e /tmp/h1
check_eq "an open file has a session" "streams 2 sessions 1" "$(live)"
echo 0 > $L/connected
touch /tmp/u
wait $p
check_eq "the unplugged file reads ENXIO" "open OK
read ENXIO
close OK" "$(cat /tmp/h.out)"
check_eq "its session is freed on close" "streams 2 sessions 0" "$(live)"
echo 1 > $L/connected
check "re-plugged" wait_for 5 grep -qx ready $B/s/state

# a file held open across rmdir keeps the stream object until it closes
stream-probe $devb open:rdonly touch:/tmp/h2 wait:/tmp/r read:10 close > /tmp/h.out &
p=$!
wait_for 5 test -e /tmp/h2
rmdir $B/s
check_eq "rmdir while open: the object lives on" "streams 2 sessions 1" "$(live)"
touch /tmp/r
wait $p
check_eq "...until the file closes" "streams 1 sessions 0" "$(live)"

rmdir $A/s $A $B
echo 0 > $L/connected
rmdir $L
check_eq "nothing alive" "streams 0 sessions 0" "$(live)"
check "tbstream_sim unloads" rmmod tbstream_sim
check "tbstream unloads" rmmod tbstream
check "no warning in the log" sh -c '! dmesg | grep -q "WARNING\|BUG"'
summary
