# Two streams on one cable at once, in opposite directions.
. /lib/tbstream/guest.sh
load_tbstream
load_sim
L=/sys/kernel/config/tbstream_sim/cable
mkdir $L
echo 1 > $L/connected
C=/sys/kernel/config/thunderbolt/stream
A=$C/$(cat $L/a_service)
B=$C/$(cat $L/b_service)
mkdir $A $B $A/one $A/two $B/one $B/two
for s in one two; do
	echo -1 > $A/$s/in_hopid
	echo -1 > $A/$s/out_hopid
	check "b's $s by name only" wait_for 5 sh -c "errno-of open /dev/tbstream$(cat $B/$s/index) wronly | grep -qx OK"
done
check_eq "a's streams have distinct HopIDs" 2 \
	"$(cat $A/one/in_hopid $A/two/in_hopid | sort -u | wc -l)"
dd if=/dev/urandom of=/tmp/x1 bs=1M count=16 2>/dev/null
dd if=/dev/urandom of=/tmp/x2 bs=1M count=16 2>/dev/null
dd if="/dev/tbstream$(cat $B/one/index)" of=/tmp/y1 bs=64k 2>/dev/null &
r1=$!
dd if="/dev/tbstream$(cat $A/two/index)" of=/tmp/y2 bs=64k 2>/dev/null &
r2=$!
sleep 0.2
dd if=/tmp/x1 of="/dev/tbstream$(cat $A/one/index)" bs=256k 2>/dev/null &
w1=$!
dd if=/tmp/x2 of="/dev/tbstream$(cat $B/two/index)" bs=256k 2>/dev/null &
w2=$!
wait $w1 $w2 $r1 $r2
check_eq "stream one, a to b" "$(sha /tmp/x1)" "$(sha /tmp/y1)"
check_eq "stream two, b to a" "$(sha /tmp/x2)" "$(sha /tmp/y2)"
check_eq "16 MiB each" "16777216 16777216" "$(wc -c < /tmp/y1) $(wc -c < /tmp/y2)"
rmdir $A/one $A/two $B/one $B/two $A $B $L
check "modules unload" sh -c 'rmmod tbstream_sim && rmmod tbstream'
summary
