# The demo, inside the VM: two simulated hosts, "laptop" (host1, backed up)
# and "desktop" (host2, receiving), as in the upstream commit message.
. /lib/tbstream/guest.sh
say() { printf '\n\033[1m--> %s\033[0m\n' "$*"; }
show() { printf '    # %s\n' "$*"; "$@"; }

exec 2>&1
say "Loading the driver and the simulated fabric"
show insmod /modules/tbstream.ko
show insmod /modules/tbstream_sim.ko

say "Plugging a simulated cable between 'laptop' and 'desktop'"
L=/sys/kernel/config/tbstream_sim/cable
show mkdir $L
echo laptop > $L/a/hostname
echo desktop > $L/b/hostname
show sh -c "echo 1 > $L/connected"
LAPTOP=$(cat $L/a_service)
DESKTOP=$(cat $L/b_service)
echo "    laptop sees the desktop's stream service as $LAPTOP"
echo "    desktop sees the laptop's stream service as $DESKTOP"
for d in /sys/bus/tbstream_sim/devices/*; do
	[ -f "$d/device_name" ] && echo "    $(basename "$d"): peer '$(cat "$d/device_name")', $(cat "$d/rx_speed") x $(cat "$d/rx_lanes") lanes"
done

S=/sys/kernel/config/thunderbolt/stream
say "desktop: configure the 'backup' stream with automatic HopIDs"
show mkdir -p $S/$DESKTOP/backup
show sh -c "echo -1 > $S/$DESKTOP/backup/in_hopid"
show sh -c "echo -1 > $S/$DESKTOP/backup/out_hopid"
wait_for 5 grep -qx ready $S/$DESKTOP/backup/state
RX=/dev/tbstream$(cat $S/$DESKTOP/backup/index)
echo "    desktop's stream is $RX, in_hopid $(cat $S/$DESKTOP/backup/in_hopid), out_hopid $(cat $S/$DESKTOP/backup/out_hopid)"

say "laptop: the same stream by name only (HopIDs from the desktop's announcement)"
show mkdir -p $S/$LAPTOP/backup
TX=/dev/tbstream$(cat $S/$LAPTOP/backup/index)

say "Backing up a 64 MiB 'disk' from laptop to desktop with dd bs=256k"
dd if=/dev/urandom of=/tmp/nvme0n1 bs=1M count=64 2>/dev/null
dd if="$RX" of=/tmp/laptop.nvme0n1.backup bs=256k 2>/tmp/rx.log &
reader=$!
i=0
until dd if=/tmp/nvme0n1 of="$TX" bs=256k 2>/tmp/tx.log; do
	i=$((i + 1)); [ $i -gt 50 ] && break; sleep 0.1
done
wait $reader
echo "    laptop : $(tail -n1 /tmp/tx.log)"
echo "    desktop: $(tail -n1 /tmp/rx.log)"
echo "    laptop's HopIDs (taken from the announcement): in $(cat $S/$LAPTOP/backup/in_hopid), out $(cat $S/$LAPTOP/backup/out_hopid)"
src=$(sha /tmp/nvme0n1)
dst=$(sha /tmp/laptop.nvme0n1.backup)
echo "    sha256 sent:     $src"
echo "    sha256 received: $dst"
check_eq "the backup is bit-for-bit equal" "$src" "$dst"
rm -f /tmp/nvme0n1 /tmp/laptop.nvme0n1.backup

say "Copying a directory tree: tar cf - mydir | gzip > $TX"
mkdir -p /tmp/mydir/photos /tmp/received
head -c 500000 /dev/urandom > /tmp/mydir/photos/cat.jpg
seq 1 10000 > /tmp/mydir/notes.txt
(cd /tmp/received && gunzip < "$RX" | tar xf -) &
reader=$!
(cd /tmp && tar cf - mydir | gzip > "$TX")
wait $reader
show ls -lR /tmp/received/mydir
check "the tree arrived equal" diff -r /tmp/mydir /tmp/received/mydir

say "Counters of the desktop's stream"
for c in state rx_bytes rx_frames tx_frames rx_errors; do
	[ -f $S/$DESKTOP/backup/$c ] && echo "    $c: $(cat $S/$DESKTOP/backup/$c)"
done

say "Unplugging the cable and removing the streams (rmdir -p)"
show sh -c "echo 0 > $L/connected"
(cd $S && rmdir -p "$LAPTOP/backup" "$DESKTOP/backup")
rmdir $L
check "the stream devices are gone" test ! -e "$RX" -a ! -e "$TX"
show rmmod tbstream_sim
show rmmod tbstream
summary
