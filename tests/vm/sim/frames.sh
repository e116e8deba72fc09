# shellcheck shell=sh
# What travels on the simulated wire, read back from the frame log: DATA
# frames carry SOF PDF 1, EOF PDF 2 and at most 4096 raw bytes (no header);
# the CLOSE frame sent on last close is 256 zero bytes with EOF PDF 3.
# Buffers are handed over, not copied.
. /lib/tbstream/guest.sh
plug_cable frames
crossed_stream_pair s
check "b is ready" wait_for 5 grep -qx ready $B/s/state
check "a is ready" wait_for 5 grep -qx ready $A/s/state

# 10000 bytes in one write: 4096 + 4096 + 1808.
printf 'ABCDEFGH' > /tmp/src
head -c 9992 /dev/urandom >> /tmp/src
sim-copy $db /tmp/dst > /tmp/reader.out &
reader=$!
check "b's reader has the stream open" wait_for 5 grep -qx open $B/s/state
echo 0 > $L/a/frames
check "one write of 10000 bytes" dd if=/tmp/src of=$da bs=10000 count=1
wait $reader
check_eq "b's reader sees EOF after 10000 bytes" "EOF 10000" "$(cat /tmp/reader.out)"
check_eq "and the bytes sent" "$(sha /tmp/src)" "$(sha /tmp/dst)"

cat $L/a/frames > /tmp/frames
cat /tmp/frames
# seq hop sof eof size fate head zero
check_eq "four frames went out of a" 4 "$(wc -l < /tmp/frames)"
check_eq "frame 1: DATA, 4096 bytes, raw data first" \
	"1 8 1 2 4096 ok 4142434445464748" "$(sed -n 1p /tmp/frames | cut -d' ' -f1-7)"
check_eq "frame 2: DATA, 4096 bytes" "2 8 1 2 4096 ok" "$(sed -n 2p /tmp/frames | cut -d' ' -f1-6)"
check_eq "frame 3: DATA, the last 1808 bytes" "3 8 1 2 1808 ok" "$(sed -n 3p /tmp/frames | cut -d' ' -f1-6)"
check_eq "frame 4: CLOSE, 256 zero bytes, EOF PDF 3" \
	"4 8 1 3 256 ok 0000000000000000 1" "$(sed -n 4p /tmp/frames)"
check "every DATA frame has SOF 1 EOF 2" \
	test -z "$(awk '$5 != 256 && ($3 != 1 || $4 != 2)' /tmp/frames)"

stats() { grep "^$2 " $L/$1/stats | cut -d' ' -f2; }
check_eq "b received 4 frames" 4 "$(stats b rx_frames)"
check_eq "b received 10256 bytes" 10256 "$(stats b rx_bytes)"
check_eq "all handed over, none copied" "4 0" "$(stats b swapped) $(stats b copied)"
check_eq "no frame lost" 0 "$(stats a dropped)"

check_errno "the log is cleared by 0 only" EINVAL write $L/a/frames 1
echo 0 > $L/a/frames
check_eq "cleared" "" "$(cat $L/a/frames)"

# Data in both directions, bigger: the log keeps the last 64 frames.
head -c 4194304 /dev/urandom > /tmp/big
sim-copy $da /tmp/dst2 > /tmp/reader2.out &
reader=$!
check "a's reader has the stream open" wait_for 5 grep -qx open $A/s/state
check "b writes 4 MiB to a" sh -c "sim-copy /tmp/big $db > /tmp/writer2.out"
wait $reader
check_eq "a got EOF after 4 MiB" "EOF 4194304" "$(cat /tmp/reader2.out)"
check_eq "4 MiB intact" "$(sha /tmp/big)" "$(sha /tmp/dst2)"
check_eq "b's log holds the last 64 frames" 64 "$(wc -l < $L/b/frames)"
check_eq "the last one is b's CLOSE" "9 1 3 256 ok 0000000000000000 1" \
	"$(tail -n1 $L/b/frames | cut -d' ' -f2-)"

rmdir $A/s $B/s $A $B
rmdir $L
check "tbstream_sim unloads" rmmod tbstream_sim
summary
