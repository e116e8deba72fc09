# Both directions at once on one stream, each side through ONE open file:
# a writer thread and a reader on the same fd, data checked byte by byte,
# and no short write (a blocking write returns only when all is queued).
. /lib/tbstream/guest.sh
load_tbstream
load_sim
L=/sys/kernel/config/tbstream_sim/cable
mkdir $L
echo 1 > $L/connected
C=/sys/kernel/config/thunderbolt/stream
A=$C/$(cat $L/a_service)
B=$C/$(cat $L/b_service)
mkdir $A $B $A/duplex $B/duplex
echo 12 > $A/duplex/in_hopid
echo 13 > $A/duplex/out_hopid
echo 13 > $B/duplex/in_hopid
echo 12 > $B/duplex/out_hopid
deva=/dev/tbstream$(cat $A/duplex/index)
devb=/dev/tbstream$(cat $B/duplex/index)

for bs in 65536 1000 1048576; do
	rm -f /tmp/ra /tmp/rb
	stream-duplex $deva 16777216 $bs 0x1111 0x2222 /tmp/ra /tmp/rb > /tmp/a.out &
	pa=$!
	stream-duplex $devb 16777216 $bs 0x2222 0x1111 /tmp/rb /tmp/ra > /tmp/b.out &
	pb=$!
	wait $pa
	wait $pb
	check_eq "side a, $bs-byte I/O: 16 MiB each way" "duplex OK" "$(cat /tmp/a.out)"
	check_eq "side b, $bs-byte I/O: 16 MiB each way" "duplex OK" "$(cat /tmp/b.out)"
done
check_eq "a counted what it sent" 50331648 "$(cat $A/duplex/tx_bytes)"
check_eq "b counted what it received" 50331648 "$(cat $B/duplex/rx_bytes)"
check_eq "no RX errors" 0 "$(cat $A/duplex/rx_errors)"

rmdir $A/duplex $B/duplex $A $B $L
check "modules unload" sh -c 'rmmod tbstream_sim && rmmod tbstream'
summary
