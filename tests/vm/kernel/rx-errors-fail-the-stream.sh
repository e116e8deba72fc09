# A frame that arrives with a CRC error or an overrun never reaches the
# reader: data before it is read, then the stream fails with EIO, counted
# in rx_errors, state "failed", logged once.
. /lib/tbstream/guest.sh
plug_cable
stream_pair s

for fault in crc_next overrun_next; do
	stream-probe $devb open:rdonly touch:/tmp/r readall:8192 wait:/tmp/w read:4096 read:4096 close > /tmp/r.out &
	pr=$!
	wait_for 5 test -e /tmp/r
	stream-probe $deva open:wronly write:8192 touch:/tmp/w1 wait:/tmp/f \
		write:8192 sleep:200 touch:/tmp/w close > /dev/null &
	pw=$!
	wait_for 5 test -e /tmp/w1
	sleep 0.2
	echo 1 > $L/b/$fault
	touch /tmp/f
	wait $pr $pw
	check_eq "$fault: good data first, then EIO" "open OK
readall 8192
read EIO
read EIO
close OK" "$(cat /tmp/r.out)"
	rm -f /tmp/r /tmp/w /tmp/w1 /tmp/f
done
check_eq "both counted" 2 "$(cat $B/s/rx_errors)"
check_eq "logged once per failed session" 2 "$(dmesg | grep -c 'bad RX frame')"
check "the next session works again" true
stream-probe $devb open:rdonly touch:/tmp/r readall:100 close > /tmp/r.out &
pr=$!
wait_for 5 test -e /tmp/r
stream-probe $deva open:wronly write:100 > /dev/null
wait $pr
check_eq "...and reads clean data" "open OK
readall 100
close OK" "$(cat /tmp/r.out)"

rmdir $A/s $B/s $A $B $L
check "modules unload" sh -c 'rmmod tbstream_sim && rmmod tbstream'
summary
