# shellcheck shell=sh
# A frame that arrives with a CRC error (or overrun) fails the reader with
# EIO; the reader never sees a corrupted byte: what it got before the error
# is exactly the start of what was sent.
. /lib/tbstream/guest.sh
plug_cable crc
crossed_stream_pair s
check "streams ready" wait_for 5 grep -qx ready $A/s/state
stats() { grep "^$2 " $L/$1/stats | cut -d' ' -f2; }

# transfer KNOB VALUE: 1 MiB a -> b with KNOB set on b; sets $got and $n
transfer() {
	head -c 1048576 /dev/urandom > /tmp/src
	sim-copy $db /tmp/dst > /tmp/reader.out &
	reader=$!
	wait_for 5 grep -qx open $B/s/state
	echo "$2" > $L/b/$1
	sim-copy /tmp/src $da > /tmp/writer.out
	wait $reader
	got=$(cut -d' ' -f1 /tmp/reader.out)
	n=$(cut -d' ' -f2 /tmp/reader.out)
	echo 0 > $L/b/$1
}

transfer crc_every 50
check_eq "a CRC error fails the reader with EIO" EIO "$got"
check "the reader got less than the 50th frame" test "$n" -lt $((50 * 4096))
check_eq "what it got is the start of what was sent" \
	"$(head -c "$n" /tmp/src | sha256sum | cut -d' ' -f1)" "$(sha /tmp/dst)"
check "b counted the injected error" test "$(stats b crc_errors)" -ge 1
check "a's frame log shows it" grep -q ' crc ' $L/a/frames
check_eq "once the reader closed, the stream is ready again" ready "$(cat $B/s/state)"

transfer crc_next 1
check_eq "the very first frame bad: EIO at once" "EIO 0" "$got $n"

transfer overrun_next 3
check_eq "an overrun fails the reader with EIO too" EIO "$got"
check "b counted overruns" test "$(stats b overruns)" -ge 1

# After the faults, a clean transfer works again on the same streams.
head -c 1048576 /dev/urandom > /tmp/src
sim-copy $db /tmp/dst > /tmp/reader.out &
reader=$!
wait_for 5 grep -qx open $B/s/state
sim-copy /tmp/src $da > /tmp/writer.out
wait $reader
check_eq "clean again" "EOF 1048576" "$(cat /tmp/reader.out)"
check_eq "intact" "$(sha /tmp/src)" "$(sha /tmp/dst)"

rmdir $A/s $B/s $A $B
rmdir $L
check "tbstream_sim unloads" rmmod tbstream_sim
summary
