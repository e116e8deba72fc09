# shellcheck shell=sh
# Unplug at any moment: mid-transfer (unplug_after N frames, from the data
# path itself), while a slow receiver has completions pending, with
# drop_on_unplug, and rmdir of a link while a stream is open.  Open files
# see ENXIO; devices go away; a replug works again; nothing oopses.
. /lib/tbstream/guest.sh
bus=/sys/bus/tbstream_sim/devices
# Groups before the cable is plugged: they attach when the services appear.
lay_cable unplug
crossed_stream_pair s
check_eq "detached while unplugged" detached "$(cat $A/s/state)"
echo 1 > $L/connected
check "attached on plug" wait_for 5 grep -qx ready $A/s/state
head -c 4194304 /dev/urandom > /tmp/src

# start_transfer: reader on b, writer on a, in the background
start_transfer() {
	rx_before=$(cat $B/s/rx_frames)
	sim-copy $db /tmp/dst > /tmp/reader.out &
	reader=$!
	wait_for 5 grep -qx open $B/s/state
	sim-copy /tmp/src $da > /tmp/writer.out &
	writer=$!
}

# receiving: b has taken in at least one frame of the current transfer
receiving() {
	[ "$(cat $B/s/rx_frames)" -gt "$rx_before" ]
}

# 1. The data path pulls the cable after 100 frames.
echo 100 > $L/unplug_after
start_transfer
wait $writer
wait $reader
check_eq "the link reads unplugged" 0 "$(cat $L/connected)"
check_eq "the reader sees ENXIO" ENXIO "$(cut -d' ' -f1 /tmp/reader.out)"
check_eq "the writer sees ENXIO" write-ENXIO "$(cut -d' ' -f1 /tmp/writer.out)"
n=$(cut -d' ' -f2 /tmp/reader.out)
check "the reader got at most 100 frames" test "$n" -le 409600
check_eq "what it got is intact" \
	"$(head -c "$n" /tmp/src | sha256sum | cut -d' ' -f1)" "$(sha /tmp/dst)"
check "the services are gone" test ! -e $bus/1000-1.0 -a ! -e $bus/1001-1.0
check "the XDomains are gone" test ! -e $bus/1000-1 -a ! -e $bus/1001-1
check_eq "the streams are detached" detached "$(cat $A/s/state)"
check_eq "unplug_after fired and reset" 0 "$(cat $L/unplug_after)"

# 2. Replug: the same groups attach again, a clean transfer works.
echo 1 > $L/connected
check "re-attached" wait_for 5 grep -qx ready $B/s/state
start_transfer
wait $writer
wait $reader
check_eq "clean transfer after replug" "EOF 4194304" "$(cat /tmp/reader.out)"
check_eq "intact" "$(sha /tmp/src)" "$(sha /tmp/dst)"

# 3. Unplug by hand while a slow receiver has completions queued.
echo 1000 > $L/b/rx_delay_us
start_transfer
# data is flowing, and (1 ms a frame, a 256-frame ring) the writer is far
# from done: what a fixed sleep only assumed, which a loaded host broke
check "data flows before the unplug" wait_for 30 receiving
check "unplug under load" sh -c "echo 0 > $L/connected"
wait $writer
wait $reader
check_eq "reader: ENXIO" ENXIO "$(cut -d' ' -f1 /tmp/reader.out)"
check_eq "writer: ENXIO" write-ENXIO "$(cut -d' ' -f1 /tmp/writer.out)"
echo 0 > $L/b/rx_delay_us

# 4. drop_on_unplug: TX into the dead cable completes instead of waiting.
echo 1 > $L/drop_on_unplug
echo 1 > $L/connected
check "re-attached again" wait_for 5 grep -qx ready $B/s/state
echo 50 > $L/unplug_after
start_transfer
wait $writer
wait $reader
check_eq "reader: ENXIO with drop_on_unplug" ENXIO "$(cut -d' ' -f1 /tmp/reader.out)"
echo 0 > $L/drop_on_unplug

# 5. rmdir of the link while both ends are open and data flows.
echo 1 > $L/connected
check "attached for rmdir" wait_for 5 grep -qx ready $B/s/state
echo 1000 > $L/b/rx_delay_us
start_transfer
check "data flows before the rmdir" wait_for 30 receiving
check "rmdir of a link with open streams" rmdir $L
wait $writer
wait $reader
check_eq "reader: ENXIO on rmdir" ENXIO "$(cut -d' ' -f1 /tmp/reader.out)"
check_eq "writer: ENXIO on rmdir" write-ENXIO "$(cut -d' ' -f1 /tmp/writer.out)"
check "the bus is empty" test -z "$(ls $bus)"
rmdir $A/s $B/s $A $B
check "tbstream_sim unloads" rmmod tbstream_sim
check "tbstream unloads" rmmod tbstream
summary
