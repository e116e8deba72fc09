# shellcheck shell=sh
# A first open whose start is slow (rings, thousands of buffers, and paths
# the connection manager takes its time over) must hold up nothing but
# itself: ConfigFS writes and mkdir, other streams' opens on the same cable
# and whole transfers on another cable go on while it is inside
# enable_paths().  path_hold keeps the slow open there for as long as the
# test needs, without timing: paths_held says how many path operations wait.
# A core that held its global lock across the start blocks every step of
# part 2 (each runs in the background, with a bounded wait on its outcome).
. /lib/tbstream/guest.sh
plug_cable
crossed_stream_pair s
mkdir $A/t $B/t
echo 10 > $B/t/in_hopid
echo 11 > $B/t/out_hopid
echo 11 > $A/t/in_hopid
echo 10 > $A/t/out_hopid
dt=/dev/tbstream$(cat $A/t/index)
L2=/sys/kernel/config/tbstream_sim/cable2
mkdir $L2
echo 1 > $L2/connected
A2=$C/$(cat $L2/a_service)
B2=$C/$(cat $L2/b_service)
mkdir $A2 $B2 $A2/v $B2/v
echo -1 > $B2/v/in_hopid
echo -1 > $B2/v/out_hopid
dva=/dev/tbstream$(cat $A2/v/index)
dvb=/dev/tbstream$(cat $B2/v/index)
check "a finds b's v on the second cable" wait_for 10 sh -c "errno-of open $dva wronly | grep -qx OK"
check "s is ready" wait_for 5 grep -qx ready $A/s/state

# 1. The slow open: s's first open stops inside enable_paths().
echo 4096 > $A/s/ring_size
echo 1 > $L/path_hold
rm -f /tmp/s.open /tmp/s.go
sh -c "exec 3<>$da || exit 1; : > /tmp/s.open; while [ ! -e /tmp/s.go ]; do sleep 0.1; done" &
holder=$!
check "s's open waits in enable_paths" wait_for 20 grep -qx 1 $L/paths_held
check_eq "...and says it is opening" open "$(cat $A/s/state)"

# 2. Meanwhile, each of these finishes (bounded waits on their outcome).
# bg NAME CMD...: run CMD in the background; /tmp/NAME.rc gets its status
bg() {
	_n=$1
	shift
	rm -f "/tmp/$_n.rc"
	(
		"$@" > "/tmp/$_n.out" 2>&1
		echo $? > "/tmp/$_n.rc"
	) &
}
done_ok() { test -s "/tmp/$1.rc" && grep -qx 0 "/tmp/$1.rc"; }

bg hopid sh -c "echo 12 > $A/t/in_hopid"
check "a ConfigFS write on another stream returns" wait_for 20 done_ok hopid
check_eq "...and took effect" 12 "$(cat $A/t/in_hopid)"
echo 11 > $A/t/in_hopid
bg mkdir mkdir $A/u
check "a mkdir of a new stream returns" wait_for 20 done_ok mkdir
bg rmdir rmdir $A/u
check "...and its rmdir" wait_for 20 done_ok rmdir
bg busy errno-of write $A/s/ring_size 256
check "a ConfigFS write on the opening stream returns" wait_for 20 done_ok busy
check_eq "...refused while it opens" EBUSY "$(cat /tmp/busy.out)"

# a whole transfer on the other cable: open, enable_paths, data, close
head -c 1048576 /dev/urandom > /tmp/src
bg vread sim-copy $dvb /tmp/dst
check "b's v opens on the other cable" wait_for 20 grep -qx open $B2/v/state
bg vwrite sim-copy /tmp/src $dva
check "a transfer on the other cable finishes" wait_for 60 sh -c "grep -qx 0 /tmp/vwrite.rc && grep -qx 0 /tmp/vread.rc"
check_eq "...intact" "$(sha /tmp/src)" "$(sha /tmp/dst)"

# another stream's first open on the same cable gets as far as the fabric
bg topen errno-of open $dt rdwr
check "t's open reaches enable_paths beside s's" wait_for 20 grep -qx 2 $L/paths_held
check "s's open is still inside" test ! -e /tmp/s.open

# 3. Released, both opens complete; nothing is left behind.
echo 0 > $L/path_hold
check "s's open completes" wait_for 60 test -e /tmp/s.open
check "t's open completes" wait_for 60 done_ok topen
check_eq "...successfully" OK "$(cat /tmp/topen.out)"
touch /tmp/s.go
wait $holder
check "s is closed" wait_for 20 grep -qx ready $A/s/state
wait
check "rmdir of both links" rmdir $L $L2
check_eq "nothing alive" "streams 6 sessions 0" "$(live)"
summary
