# The upstream commit message's scenarios, verbatim, on a simulated cable:
# a disk-image style dd copy (host b configures HopIDs, host a by name only),
# a tar | gzip directory copy, and `rmdir -p` afterwards.
. /lib/tbstream/guest.sh
load_tbstream
load_sim
L=/sys/kernel/config/tbstream_sim/cable
mkdir $L
echo 1 > $L/connected
cd /sys/kernel/config/thunderbolt/stream || exit 1
A=$(cat $L/a_service)
B=$(cat $L/b_service)

# host2 (b): receives, automatic HopIDs
mkdir $B
mkdir $B/backup
echo -1 > $B/backup/in_hopid
echo -1 > $B/backup/out_hopid
check "b's stream has HopIDs" wait_for 5 grep -qx ready $B/backup/state
# host1 (a): by name only
mkdir $A
mkdir $A/backup
devb=/dev/tbstream$(cat $B/backup/index)
deva=/dev/tbstream$(cat $A/backup/index)
check "device nodes exist" test -c $devb -a -c $deva

dd if=/dev/urandom of=/tmp/src bs=1M count=64 2>/dev/null
check_eq "a 64 MiB source" 67108864 "$(wc -c < /tmp/src)"
dd if=$devb of=/tmp/dst bs=256k 2>/tmp/dd-b.log &
reader=$!
# a's HopIDs come from b's announcement; retry until it has arrived.
i=0
until dd if=/tmp/src of=$deva bs=256k 2>/tmp/dd-a.log; do
	i=$((i + 1))
	[ $i -gt 50 ] && break
	sleep 0.1
done
wait $reader
check_eq "dd copy of 64 MiB arrives intact" "$(sha /tmp/src)" "$(sha /tmp/dst)"
check_eq "...all of it" 67108864 "$(wc -c < /tmp/dst)"
check_eq "a took b's HopIDs swapped (in)" "$(cat $B/backup/out_hopid)" "$(cat $A/backup/in_hopid)"
check_eq "a took b's HopIDs swapped (out)" "$(cat $B/backup/in_hopid)" "$(cat $A/backup/out_hopid)"
rm -f /tmp/src /tmp/dst

# tar cf - mydir | gzip > /dev/tbstream0 ; gunzip < /dev/tbstream0 | tar xf -
mkdir -p /tmp/mydir/sub/deeper /tmp/out
head -c 300000 /dev/urandom > /tmp/mydir/random.bin
echo hello > /tmp/mydir/sub/hello.txt
seq 1 20000 > /tmp/mydir/sub/deeper/numbers
ln -s ../random.bin /tmp/mydir/sub/link
(cd /tmp/out && gunzip < $devb | tar xf -) &
reader=$!
(cd /tmp && tar cf - mydir | gzip > $deva)
wait $reader
check "directory tree arrives equal" diff -r /tmp/mydir /tmp/out/mydir
check_eq "symlink preserved" "../random.bin" "$(readlink /tmp/out/mydir/sub/link)"

# rmdir -p on both sides
check "rmdir -p on host a" rmdir -p $A/backup
check "rmdir -p on host b" rmdir -p $B/backup
check "the device nodes are gone" test ! -e $devb -a ! -e $deva
rmdir $L
check "tbstream_sim unloads" rmmod tbstream_sim
check "tbstream unloads" rmmod tbstream
summary
