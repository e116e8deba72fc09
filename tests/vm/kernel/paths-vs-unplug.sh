# shellcheck shell=sh
# An open or a last close whose path operation waits for the domain lock
# (the simulator's model of tb->lock) while an unplug holds that lock and
# removes the port.  On hardware the thunderbolt core's hotplug worker holds
# tb->lock across tb_xdomain_remove() -> tbs_port_remove(), so a core that
# calls enable_paths()/disable_paths() holding a lock tbs_port_remove()
# takes deadlocks.  path_hold lines the two up deterministically: the path
# operation waits at the hold until the unplug holds the domain lock.  Both
# must finish (a deadlock is caught by the hung-task detector, or by the
# bounded waits below), nothing may leak, and the cable must work again.
. /lib/tbstream/guest.sh
plug_cable
crossed_stream_pair s
check "a is ready" wait_for 5 grep -qx ready $A/s/state

# unplug_bg FILE: unplug in the background; FILE says when it returned
unplug_bg() {
	rm -f "$1"
	(echo 0 > $L/connected; echo unplugged > "$1") &
	unplugger=$!
}

# 1. First open: enable_paths() meets the unplug.
echo 1 > $L/path_hold
errno-of open $da rdwr > /tmp/open.out 2>&1 &
opener=$!
check "the open waits in enable_paths" wait_for 10 grep -qx 1 $L/paths_held
unplug_bg /tmp/unplug1
check "the unplug returns" wait_for 60 test -s /tmp/unplug1
check "the open returns" wait_for 60 eval "! running $opener"
wait $opener
wait $unplugger
check_eq "the open fails: the port went away" ENXIO "$(cat /tmp/open.out)"
check_eq "the stream is detached" detached "$(cat $A/s/state)"
echo 0 > $L/path_hold
check_eq "no session left" "streams 2 sessions 0" "$(live)"

# 2. Last close: disable_paths() meets the unplug.
echo 1 > $L/connected
check "re-attached" wait_for 5 grep -qx ready $A/s/state
# ready is a's side; an open also needs b's announcement, which may still be
# on its way (under load it was: the open failed, and the state a failing
# open shows passed for the holder's)
check "a finds b's announcement" wait_for 10 sh -c "errno-of open $da rdwr,nonblock | grep -qx OK"
rm -f /tmp/go /tmp/closed /tmp/opened
sh -c "exec 3<>$da || exit 1; : > /tmp/opened; while [ ! -e /tmp/go ]; do sleep 0.1; done; exec 3>&-; echo done > /tmp/closed" &
holder=$!
check "a is open" wait_for 10 test -e /tmp/opened
check "...and its state says so" wait_for 5 grep -qx open $A/s/state
echo 1 > $L/path_hold
touch /tmp/go
check "the last close waits in disable_paths" wait_for 10 grep -qx 1 $L/paths_held
unplug_bg /tmp/unplug2
check "the unplug returns" wait_for 60 test -s /tmp/unplug2
check "the close returns" wait_for 60 test -s /tmp/closed
wait $holder
wait $unplugger
echo 0 > $L/path_hold
check_eq "the stream is detached" detached "$(cat $A/s/state)"
check_eq "no session left" "streams 2 sessions 0" "$(live)"

# 3. Slow path operations (path_delay_ms) under open/close and unplug churn.
echo 20 > $L/path_delay_ms
i=0
while [ $i -lt 10 ]; do
	echo 1 > $L/connected
	wait_for 5 grep -qx ready $A/s/state
	errno-of open $da rdwr,nonblock > /dev/null &
	errno-of open $db rdwr,nonblock > /dev/null &
	echo 0 > $L/connected
	wait
	i=$((i + 1))
done
echo 0 > $L/path_delay_ms
check_eq "churn leaves no session" "streams 2 sessions 0" "$(live)"

# 4. The cable still works: a transfer after the last re-plug.
echo 1 > $L/connected
check "re-attached at the end" wait_for 5 grep -qx ready $B/s/state
head -c 1048576 /dev/urandom > /tmp/src
sim-copy $db /tmp/dst > /tmp/reader.out &
reader=$!
wait_for 5 grep -qx open $B/s/state
sim-copy /tmp/src $da > /dev/null
wait $reader
check_eq "the transfer is intact" "$(sha /tmp/src)" "$(sha /tmp/dst)"
check "rmdir of the link" rmdir $L
check_eq "nothing left" "streams 2 sessions 0" "$(live)"
summary
