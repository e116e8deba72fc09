# Every ConfigFS error of the ABI, with the errno a user sees.
. /lib/tbstream/guest.sh
load_tbstream
load_sim
C=/sys/kernel/config/thunderbolt/stream
check "the subsystem and its stream group exist" test -d $C

# group names: <domain>-<route>.<service>, nothing else
for bad in foo 0-1 0.1 -1.0 0-.0 0-1. 0-xyz.0 a-1.0 0-1.0x 0-1.0.0 "0-1 .0" \
	4294967296-1.0 0-10000000000000000.0; do
	check_errno "group name '$bad' refused" EINVAL mkdir "$C/$bad"
done
check_errno "a group before its peer exists" OK mkdir $C/0-1.0
check_errno "a route in hexadecimal" OK mkdir $C/0-503.0
rmdir $C/0-503.0

G=$C/0-1.0
check_errno "a 9-character stream name" ENAMETOOLONG mkdir $G/123456789
check_errno "an 8-character stream name" OK mkdir $G/12345678
rmdir $G/12345678
# the service directory's own keys: a peer would find the value, not the stream
for key in prtcid prtcvers prtcrevs prtcstns padding; do
	check_errno "stream name '$key' refused" EINVAL mkdir "$G/$key"
done
check_errno "a name that only starts like one" OK mkdir $G/prtc
rmdir $G/prtc
mkdir $G/s
check_eq "in_hopid defaults to unset" 0 "$(cat $G/s/in_hopid)"
check_eq "ring_size defaults to 256" 256 "$(cat $G/s/ring_size)"
check_eq "throttling defaults to 8192" 8192 "$(cat $G/s/throttling)"
check_eq "a detached stream says so" detached "$(cat $G/s/state)"
for v in 1 7 -2 2048 abc 8x; do
	check_errno "in_hopid '$v' refused" EINVAL write $G/s/in_hopid "$v"
	check_errno "out_hopid '$v' refused" EINVAL write $G/s/out_hopid "$v"
done
check_errno "in_hopid -1 while detached" OK write $G/s/in_hopid -1
check_errno "out_hopid 9 while detached" OK write $G/s/out_hopid 9
check_eq "in_hopid reads back -1" -1 "$(cat $G/s/in_hopid)"
check_errno "in_hopid 0 releases" OK write $G/s/in_hopid 0
for v in 31 4097 0 -1; do
	check_errno "ring_size $v refused" EINVAL write $G/s/ring_size $v
done
check_errno "ring_size 32" OK write $G/s/ring_size 32
check_errno "ring_size 4096" OK write $G/s/ring_size 4096
check_errno "throttling 16776961 refused" EINVAL write $G/s/throttling 16776961
check_errno "throttling 16776960" OK write $G/s/throttling 16776960
check_errno "throttling 0" OK write $G/s/throttling 0

# names are unique per local host where one announcement serves every peer
# (6.1, 6.12); with 7.2's per-service properties the real fabric, which
# serves these domains, tells each peer its own names: unique per group
check_errno "another group of the same host" OK mkdir $C/0-2.0
case $(uname -r) in
6.*)
	check_errno "...refuses a stream name used on the host" EEXIST mkdir $C/0-2.0/s
	;;
*)
	check_errno "...takes a name another group has (per-peer names)" OK mkdir $C/0-2.0/s
	rmdir $C/0-2.0/s
	;;
esac
rmdir $C/0-2.0

# attached: HopIDs are reserved on the link
L=/sys/kernel/config/tbstream_sim/cable
mkdir $L
echo 1 > $L/connected
A=$C/$(cat $L/a_service)
mkdir $A $A/x $A/y
check_errno "x takes in_hopid 8" OK write $A/x/in_hopid 8
check_errno "y cannot take it too" EBUSY write $A/y/in_hopid 8
check_errno "out_hopid 8 is another table" OK write $A/y/out_hopid 8
check_errno "beyond the link's maxhopid" EINVAL write $A/y/in_hopid $(( $(cat $L/maxhopid) + 1 ))
check_errno "x's out_hopid automatic" OK write $A/x/out_hopid -1
auto=$(cat $A/x/out_hopid)
check "automatic allocation reads back the HopID" test "$auto" -ge 8
check_eq "x is ready" ready "$(cat $A/x/state)"
check_errno "releasing x's in_hopid" OK write $A/x/in_hopid 0
check_errno "...frees it for y" OK write $A/y/in_hopid 8
check_eq "x is unconfigured" unconfigured "$(cat $A/x/state)"
check_errno "x opens without HopIDs" EINVAL open "/dev/tbstream$(cat $A/x/index)" rdonly

# every write is EBUSY while the device is open
stream-probe "/dev/tbstream$(cat $A/y/index)" open:rdwr touch:/tmp/open wait:/tmp/done close >/dev/null &
probe=$!
wait_for 5 test -e /tmp/open
check_eq "y is open" open "$(cat $A/y/state)"
for attr in in_hopid out_hopid ring_size throttling; do
	check_errno "$attr while open" EBUSY write $A/y/$attr 64
done
touch /tmp/done
wait $probe
check_errno "ring_size after close" OK write $A/y/ring_size 64

rmdir $A/x $A/y $A $G/s $G $L
check "modules unload" sh -c 'rmmod tbstream_sim && rmmod tbstream'
summary
