#!/bin/bash
# tbstreamd on the real driver and the simulated fabric, on the host's
# userspace (systemd-udevd for events; no D-Bus: the bus API has its own
# tests): plugging a cable creates the policy's
# streams on both simulated hosts, dd carries data through them, unplug
# removes or keeps them as the policy says, and a restarted daemon adopts what
# the previous one made, with a transfer running.
. "$TBSTREAM_GUEST_LIB/guest.sh"
# shellcheck source=tests/vm/lib/daemon.sh
. "$TBSTREAM_GUEST_LIB/daemon.sh"

S=/sys/kernel/config/thunderbolt/stream
L=/sys/kernel/config/tbstream_sim/cable

insmod /tbstream-test/tbstream.ko
insmod /tbstream-test/tbstream_sim.ko
/lib/systemd/systemd-udevd --daemon
udevadm trigger --action=add >/dev/null 2>&1
udevadm settle

# One daemon serves both simulated hosts (they share this kernel), so one
# policy names both peers.  Fixed, symmetric HopIDs make the two sides agree
# without name-only configuration; "camera" is kept across unplug.
cat >$D/etc/tbstreamd.conf <<'POLICY'
[Daemon]
Subsystems=tbstream_sim
OnUnplug=remove

[Stream backup]
HopIDs=9,9
Mode=0660

[Stream camera]
HopIDs=10,10
OnUnplug=keep

[Peer sims]
MatchName=laptop;desktop
Streams=backup;camera
POLICY

dev_of() { # group name
	echo "/dev/tbstream$(cat "$S/$1/$2/index")"
}

stream_ready() { # group name
	[ -c "$(dev_of "$1" "$2" 2>/dev/null)" ]
}

# The node appears before udev has run its rules; the daemon sets owner and
# mode only after that, and says "ready" once it has.
daemon_says_ready() { # group name
	grep -qF "Stream $1/$2 ready as" $D/log
}

# A kept stream's node outlives the cable; it carries data again only once
# the peer's service is back and the kernel has reattached the stream.
attached() { # group name
	[ "$(cat "$S/$1/$2/state" 2>/dev/null)" = ready ]
}

attached_both() { # name
	attached "$A" "$1" && attached "$B" "$1"
}

# Without a daemon or its first streams nothing below can pass: say so at once.
bail_out() {
	fail "$1"
	tail -n 40 $D/log 2>/dev/null
	summary
	exit 1
}
[ -x "$TBSTREAM_BUILD/tbstreamd/tbstreamd" ] || bail_out "no tbstreamd in $TBSTREAM_BUILD"

start_daemon
mkdir $L
echo laptop >$L/a/hostname
echo desktop >$L/b/hostname
echo 1 >$L/connected
A=$(cat $L/a_service)	# the laptop's view of the desktop
B=$(cat $L/b_service)	# the desktop's view of the laptop

wait_for 20 stream_ready "$A" backup || bail_out "plug: the daemon creates 'backup' on the laptop"
pass "plug: the daemon creates 'backup' on the laptop"
check "plug: the daemon creates 'backup' on the desktop" wait_for 20 stream_ready "$B" backup
check "plug: and 'camera' on both" wait_for 20 stream_ready "$B" camera
check_eq "the policy's HopIDs are written" "9 9" "$(cat $S/"$A"/backup/in_hopid) $(cat $S/"$A"/backup/out_hopid)"
check "the daemon says 'backup' is ready" wait_for 30 daemon_says_ready "$A" backup
check_eq "the policy's device mode is applied" "660" "$(stat -c %a "$(dev_of "$A" backup)")"

dd if=/dev/urandom of=/tmp/src bs=1M count=64 2>/dev/null
timeout 120 dd if="$(dev_of "$B" backup)" of=/tmp/dst bs=256k 2>/dev/null &
reader=$!
timeout 120 dd if=/tmp/src of="$(dev_of "$A" backup)" bs=256k 2>/dev/null
wait $reader
check_eq "64 MiB through the daemon's stream arrive intact" "$(sha /tmp/src)" "$(sha /tmp/dst)"
rm -f /tmp/dst

check "the store remembers the laptop" grep -rqs laptop $D/state

echo 0 >$L/connected
check "unplug: 'backup' (OnUnplug=remove) is removed" wait_for 20 test ! -d "$S/$A/backup"
check "unplug: 'camera' (OnUnplug=keep) is kept" test -d "$S/$A/camera"
check "the daemon survives the unplug" running "$daemon_pid"

echo 1 >$L/connected
check "re-plug: 'backup' comes back" wait_for 20 stream_ready "$A" backup
check "re-plug: the kept 'camera' works again" wait_for 20 stream_ready "$A" camera
check "re-plug: the kept 'camera' is reattached on both sides" \
	wait_for 20 attached_both camera
echo hello-again >/tmp/small
timeout 60 dd if="$(dev_of "$B" camera)" of=/tmp/small.out bs=64k count=1 2>/dev/null &
reader=$!
dd if=/tmp/small of="$(dev_of "$A" camera)" 2>/dev/null
wait $reader
check_eq "the kept stream carries data after re-plug" "hello-again" "$(cat /tmp/small.out)"

# Restart with a transfer running: the stream must not be disturbed.
idx_before=$(cat "$S/$A/backup/index")
timeout 120 dd if="$(dev_of "$B" backup)" of=/tmp/dst bs=256k 2>/dev/null &
reader=$!
(dd if=/tmp/src bs=256k count=128 2>/dev/null; sleep 3; dd if=/tmp/src bs=256k skip=128 2>/dev/null) \
	>"$(dev_of "$A" backup)" &
writer=$!
sleep 1
stop_daemon
check "the stream outlives its daemon" test -d "$S/$A/backup"
start_daemon
wait $writer
wait $reader
check_eq "a transfer across a daemon restart arrives intact" "$(sha /tmp/src)" "$(sha /tmp/dst)"
check_eq "the restarted daemon adopted the stream (same device)" "$idx_before" "$(cat "$S/$A/backup/index")"
check "the restarted daemon made no second stream" test "$(ls -d $S/"$A"/*/ | wc -l)" -eq 2
grep -qiE 'adopt|existing stream' $D/log && pass "the restart is logged as an adoption" ||
	fail "the restart is logged as an adoption"

echo 0 >$L/connected
stop_daemon
if [ "$T_FAILED" -ne 0 ]; then
	echo "---- daemon log ----"
	tail -n 60 $D/log
fi
summary
