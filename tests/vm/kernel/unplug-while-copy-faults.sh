# shellcheck shell=sh
# A reader (then a writer) whose user buffer is backed by userfaultfd stops
# in a page fault in the middle of its copy, for as long as its owner wants
# (FUSE, a network filesystem, a hostile user).  Unplug must not wait for
# that fault: on hardware it runs in the thunderbolt core's hotplug worker
# with tb->lock held, so a teardown that waits for the copy stalls hotplug
# for the whole domain.  The unplug has to return while the fault is still
# pending; once the fault is resolved the call fails with ENXIO (it copies
# nothing from or into a stream that is gone); nothing leaks and the modules
# unload.
. /lib/tbstream/guest.sh
plug_cable
crossed_stream_pair s
check "a is ready" wait_for 5 grep -qx ready $A/s/state

# stall MODE DEV PREFIX: start uffd-stall MODE on DEV; PREFIX.out is its
# output, PREFIX.go the file that resolves its fault
stall() {
	rm -f "$3.out" "$3.go"
	uffd-stall "$1" "$2" 4096 "$3.go" > "$3.out" 2>&1 &
}

# unplug_bg FILE: unplug in the background; FILE says when it returned
unplug_bg() {
	rm -f "$1"
	(echo 0 > $L/connected; echo unplugged > "$1") &
}

# 1. A reader faults while it copies a frame that arrived.
stall read $da /tmp/r
check "a is open" wait_for 10 grep -qx open $A/s/state
# b writes once a is open: frames sent to a closed end are lost
head -c 4096 /dev/urandom > /tmp/frame
check "b sends a frame" sim-copy /tmp/frame $db
check "the reader stops in the fault" wait_for 20 grep -qx faulting /tmp/r.out
unplug_bg /tmp/unplug1
check "the unplug returns while the reader is in the fault" \
	wait_for 20 test -s /tmp/unplug1
check_eq "...and the stream is detached" detached "$(cat $A/s/state)"
check_eq "the reader is still in the fault" faulting "$(tail -n1 /tmp/r.out)"
touch /tmp/r.go
check "the reader returns once the fault is resolved" \
	wait_for 20 grep -q "^read " /tmp/r.out
check_eq "...with ENXIO, nothing copied" "read ENXIO" "$(tail -n1 /tmp/r.out)"
wait
check_eq "no session left" "streams 2 sessions 0" "$(live)"

# 2. A writer faults while it fills a frame.
echo 1 > $L/connected
check "re-attached" wait_for 5 grep -qx ready $A/s/state
stall write $da /tmp/w
check "the writer stops in the fault" wait_for 20 grep -qx faulting /tmp/w.out
unplug_bg /tmp/unplug2
check "the unplug returns while the writer is in the fault" \
	wait_for 20 test -s /tmp/unplug2
touch /tmp/w.go
check "the writer returns once the fault is resolved" \
	wait_for 20 grep -q "^write " /tmp/w.out
check_eq "...with ENXIO, nothing queued" "write ENXIO" "$(tail -n1 /tmp/w.out)"
wait
check_eq "no session left" "streams 2 sessions 0" "$(live)"

# 3. The cable works again, and everything goes away.
echo 1 > $L/connected
check "re-attached at the end" wait_for 5 grep -qx ready $B/s/state
head -c 262144 /dev/urandom > /tmp/src
sim-copy $db /tmp/dst > /tmp/reader.out &
reader=$!
check "b is open" wait_for 10 grep -qx open $B/s/state
sim-copy /tmp/src $da > /dev/null
wait $reader
check_eq "a transfer after it all is intact" "$(sha /tmp/src)" "$(sha /tmp/dst)"
check "rmdir of the link" rmdir $L
check "rmdir of the streams and groups" rmdir $A/s $B/s $A $B
check_eq "nothing left" "streams 0 sessions 0" "$(live)"
check "the simulator unloads" rmmod tbstream_sim
check "tbstream unloads" rmmod tbstream
summary
