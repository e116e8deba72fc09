# shellcheck shell=sh
# rmdir of a stream item whose first open is still starting, while the
# cable is unplugged: rmdir takes the item off its group's list, then waits
# for the starting session; the unplug, finding no such stream on the list,
# removes the port, and the session's teardown drops the port's last
# reference.  rmdir must not then give the HopIDs back to a freed port (the
# ABI fuzzer's first catch: an oops in tbs_release_hopids() on 6.1; the
# debug kernel's KASAN reports it on every run of this script).
. /lib/tbstream/guest.sh
plug_cable
crossed_stream_pair s
check "a is ready" wait_for 5 grep -qx ready $A/s/state

echo 1 > $L/path_hold
rm -f /tmp/open.out /tmp/rmdir.out
errno-of open $da rdwr > /tmp/open.out 2>&1 &
opener=$!
check "the open waits in enable_paths" wait_for 10 grep -qx 1 $L/paths_held
errno-of rmdir $A/s > /tmp/rmdir.out 2>&1 &
remover=$!
# rmdir took the item off its group's list when its device node went
check "rmdir is under way" wait_for 10 sh -c "! test -e $da"
echo 0 > $L/connected
check "the open returns" wait_for 120 test -s /tmp/open.out
check "rmdir returns" wait_for 120 test -s /tmp/rmdir.out
wait $opener
wait $remover
echo 0 > $L/path_hold
check_eq "rmdir succeeded" OK "$(cat /tmp/rmdir.out)"
check_eq "b's stream is left, no session" "streams 1 sessions 0" "$(live)"

echo 1 > $L/connected
check "b is attached again" wait_for 5 grep -qx ready $B/s/state
rmdir $B/s $A $B
rmdir $L
check_eq "nothing left" "streams 0 sessions 0" "$(live)"
check "modules unload" sh -c 'rmmod tbstream_sim && rmmod tbstream'
summary
