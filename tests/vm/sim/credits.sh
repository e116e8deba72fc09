# shellcheck shell=sh
# End-to-end credits: a writer whose peer has no receiving ring yet (not
# open), posts no buffer (nobody reads) or posts them slowly (a slow
# receiver) waits; nothing is lost in any case.
. /lib/tbstream/guest.sh
plug_cable credits
crossed_stream_pair s
echo 32 > $A/s/ring_size
echo 32 > $B/s/ring_size
check "streams ready" wait_for 5 grep -qx ready $A/s/state
stats() { grep "^$2 " $L/$1/stats | cut -d' ' -f2; }

# 0. a writes before b has opened its end: no receiving ring, no credits.
head -c 1048576 /dev/urandom > /tmp/src
sim-copy /tmp/src $da > /tmp/writer.out &
writer=$!
sleep 1
check "a writer whose peer has not opened waits" running $writer
check "nothing was dropped meanwhile" test "$(stats a dropped)" = 0
sim-copy $db /tmp/dst > /tmp/reader.out &
reader=$!
wait $writer
wait $reader
check_eq "once b opens, everything arrives" "EOF 1048576" "$(cat /tmp/reader.out)"
check_eq "intact" "$(sha /tmp/src)" "$(sha /tmp/dst)"

# 1. b opens and does not read: its 32 RX buffers fill, then a must wait.
head -c 2097152 /dev/urandom > /tmp/src
rx0=$(stats b rx_frames)
exec 3<$db
check "b holds the stream open" wait_for 5 grep -qx open $B/s/state
sim-copy /tmp/src $da > /tmp/writer.out &
writer=$!
sleep 2
check "the writer is blocked, not failed" running $writer
check "a's TX ring stalled on credits" test "$(stats a stalls)" -ge 1
check "no frame was dropped" test "$(stats a dropped)" = 0
check "b got at most its ring's worth of frames" test $(($(stats b rx_frames) - rx0)) -le 32
sim-copy $db /tmp/dst > /tmp/reader.out &
reader=$!
exec 3<&-
wait $writer
wait $reader
check_eq "the writer finished" "EOF 2097152" "$(cat /tmp/writer.out)"
check_eq "the reader got everything" "EOF 2097152" "$(cat /tmp/reader.out)"
check_eq "nothing lost, nothing reordered" "$(sha /tmp/src)" "$(sha /tmp/dst)"

# 2. A slow receiver: each RX completion serviced 2 ms late.
echo 2000 > $L/b/rx_delay_us
stalls=$(stats a stalls)
head -c 1048576 /dev/urandom > /tmp/src
sim-copy $db /tmp/dst > /tmp/reader.out &
reader=$!
check "b's reader is open" wait_for 5 grep -qx open $B/s/state
check "a writes 1 MiB to a slow receiver" sh -c "sim-copy /tmp/src $da > /tmp/writer.out"
wait $reader
check_eq "the slow reader got everything" "EOF 1048576" "$(cat /tmp/reader.out)"
check_eq "intact" "$(sha /tmp/src)" "$(sha /tmp/dst)"
check "a stalled on the slow receiver" test "$(stats a stalls)" -gt "$stalls"
check_eq "still nothing dropped" 0 "$(stats a dropped)"
echo 0 > $L/b/rx_delay_us

rmdir $A/s $B/s $A $B
rmdir $L
check "tbstream_sim unloads" rmmod tbstream_sim
summary
