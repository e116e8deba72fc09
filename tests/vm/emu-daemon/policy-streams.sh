#!/bin/bash
# shellcheck disable=SC3043 # (checked as sh with the guest scripts; this is bash)
# tbstreamd on the emulated fabric: two guests, two kernels, one daemon each,
# a socket cable between their emulated USB4 hosts (tests/vm/emu/pair), on
# the host's userspace (systemd-udevd for events; the bus API has its own
# tests).  What the simulator's daemon suite proves, here with udev seeing
# Debian's own thunderbolt devices (the XDomain, its `stream` service) and
# tbstream.ko on its real backend (kernel/nhi.c):
#   - the peer matches the policy by the host name it announces, and the
#     policy's streams appear on both hosts, with its HopIDs and mode;
#   - dd carries 32 MiB from the laptop to the desktop, sha256 equal;
#   - the store remembers the peer;
#   - unplug removes "backup" (OnUnplug=remove) and keeps "camera"; the
#     replug brings "backup" back and reattaches "camera", which carries
#     data again;
#   - each daemon, restarted while a transfer runs, adopts its streams:
#     the bytes arrive intact, same device, no second stream.
# Guest A is "my-laptop", guest B "desktop"; both run this script in lock
# step over their test channel.
. "$TBSTREAM_GUEST_LIB/emu.sh"
# shellcheck source=tests/vm/lib/daemon.sh
. "$TBSTREAM_GUEST_LIB/daemon.sh"
S=/sys/kernel/config/thunderbolt/stream
MIB=32
if [ "$EMU_ROLE" = a ]; then
	me=my-laptop peer=desktop
else
	me=desktop peer=my-laptop
fi

emu_pair_start
# The host name a peer sees is the one its XDomain was made with: reload
# thunderbolt.ko under this guest's own name.
emu_unload
hostname "$me"
emu_barrier unloaded
emu_load
peer_named() {
	[ "$(cat "$TB/0-1/unique_id" 2>/dev/null)" = "$EMU_UUID_PEER" ] &&
		[ "$(cat "$TB/0-1/device_name" 2>/dev/null)" = "$peer" ]
}
wait_for 60 peer_named ||
	emu_fail "no XDomain peer $EMU_UUID_PEER named $peer (device_name '$(cat "$TB/0-1/device_name" 2>/dev/null)')"
insmod /tbstream-test/tbstream.ko || emu_fail "insmod tbstream"
/lib/systemd/systemd-udevd --daemon
udevadm trigger --action=add >/dev/null 2>&1
udevadm settle

# Fixed, symmetric HopIDs make the two sides agree with no name-only
# configuration; "camera" is kept across unplug.
cat >$D/etc/tbstreamd.conf <<POLICY
[Daemon]
Subsystems=thunderbolt
OnUnplug=remove

[Stream backup]
HopIDs=9,9
Mode=0660

[Stream camera]
HopIDs=10,10
OnUnplug=keep

[Peer lab]
MatchName=$peer
Streams=backup;camera
POLICY

# the daemon's group for the peer: the one ConfigFS group it made
group() {
	local g
	for g in "$S"/*/; do
		[ -d "$g" ] && { basename "$g"; return 0; }
	done
	return 1
}

dev_of() { # name
	echo "/dev/tbstream$(cat "$S/$G/$1/index")"
}

stream_ready() { # name
	[ -c "$(dev_of "$1" 2>/dev/null)" ]
}

daemon_says_ready() { # name
	grep -qF "Stream $G/$1 ready as" $D/log
}

attached() { # name
	[ "$(cat "$S/$G/$1/state" 2>/dev/null)" = ready ]
}

# Without a daemon or its first streams nothing below can pass: say so at
# once, with the daemon's log (emu_fail adds the kernel's)
bail_out() {
	tail -n 40 $D/log 2>/dev/null | sed 's/^/# /'
	emu_fail "$1"
}
[ -x "$TBSTREAM_BUILD/tbstreamd/tbstreamd" ] || bail_out "no tbstreamd in $TBSTREAM_BUILD"

start_daemon
wait_for 30 group >/dev/null || bail_out "plug: the daemon makes a stream group for $peer"
G=$(group)
check_eq "the group is named after the peer's stream service ($G)" stream "$(cat "$TB/$G/key" 2>/dev/null)"
wait_for 30 stream_ready backup || bail_out "plug: the daemon creates 'backup' for $peer"
pass "plug: the daemon creates 'backup' for $peer"
check "plug: and 'camera'" wait_for 30 stream_ready camera
check_eq "the policy's HopIDs are written" "9 9" "$(cat "$S/$G/backup/in_hopid") $(cat "$S/$G/backup/out_hopid")"
check "the daemon says 'backup' is ready" wait_for 30 daemon_says_ready backup
check_eq "the policy's device mode is applied" 660 "$(stat -c %a "$(dev_of backup)")"
check "'backup' is attached to the peer's service" wait_for 60 attached backup
emu_barrier streams

# xfer TAG: the laptop writes what it tells the desktop to expect; the
# desktop's reader opens first (frames sent before the peer's ring exists
# wait for its credits, but a reader that opens late is not what a user
# does).  SPLIT=1: the writer pauses halfway, so that the daemons can be
# restarted while the stream is open on both sides.
xfer() {
	if [ "$EMU_ROLE" = b ]; then
		rm -f /tmp/dst
		timeout 180 dd if="$(dev_of backup)" of=/tmp/dst bs=256k 2>/tmp/rd.err &
		_r=$!
		wait_for 60 emu_has_open "$(dev_of backup)" || emu_fail "$1: the reader never opened $(dev_of backup)"
		emu_tell "$1-go"
		[ "${SPLIT:-0}" = 1 ] && restart_daemon
		wait $_r
		check_eq "$1: the reader ends at the writer's close ($(tail -n1 /tmp/rd.err))" 0 $?
		emu_expect_value "$1-sha"
		check_eq "$1: $MIB MiB arrive, sha256 equal" "$EMU_VALUE" "$(sha /tmp/dst)"
	else
		emu_expect "$1-go"
		sleep 1
		if [ "${SPLIT:-0}" = 1 ]; then
			(dd if=/tmp/src bs=256k count=$((MIB * 2)) 2>/dev/null
			 sleep 3
			 dd if=/tmp/src bs=256k skip=$((MIB * 2)) 2>/dev/null) >"$(dev_of backup)" &
			_w=$!
			restart_daemon
		else
			dd if=/tmp/src of="$(dev_of backup)" bs=256k 2>/tmp/wr.err &
			_w=$!
		fi
		wait $_w
		check_eq "$1: the writer succeeds" 0 $?
		emu_tell "$1-sha $(sha /tmp/src)"
	fi
	emu_barrier "$1-done"
}

# stop the daemon a second into the transfer, check the stream outlived it,
# start it again
restart_daemon() {
	sleep 1
	stop_daemon
	check "the stream outlives its daemon" test -d "$S/$G/backup"
	start_daemon
}

[ "$EMU_ROLE" = a ] && dd if=/dev/urandom of=/tmp/src bs=1M count=$MIB 2>/dev/null
xfer "laptop to desktop"
check "the store remembers $peer" grep -rqs "$peer" $D/state

# Unplug, pulled by the laptop
emu_barrier unplug
[ "$EMU_ROLE" = a ] && emu_cable 0
check "unplug: 'backup' (OnUnplug=remove) is removed" wait_for 60 test ! -d "$S/$G/backup"
check "unplug: 'camera' (OnUnplug=keep) is kept" test -d "$S/$G/camera"
check "the daemon survives the unplug" running "$daemon_pid"
emu_barrier unplugged
[ "$EMU_ROLE" = a ] && emu_cable 1
wait_for 60 peer_named || emu_fail "replug: the peer is not back"
check "re-plug: 'backup' comes back" wait_for 60 stream_ready backup
check "re-plug: the kept 'camera' is reattached" wait_for 60 attached camera
check "re-plug: 'backup' is attached again" wait_for 60 attached backup
emu_barrier replugged
if [ "$EMU_ROLE" = b ]; then
	rm -f /tmp/small.out
	timeout 60 dd if="$(dev_of camera)" of=/tmp/small.out bs=64k count=1 2>/dev/null &
	_r=$!
	emu_tell camera-go
	wait $_r
	check_eq "the kept stream carries data after the replug" hello-again "$(cat /tmp/small.out)"
else
	emu_expect camera-go
	sleep 1
	echo hello-again >"$(dev_of camera)" || fail "writing to the kept 'camera'"
fi
emu_barrier camera-done

# Restart with a transfer running: neither stream may be disturbed.
idx_before=$(cat "$S/$G/backup/index")
SPLIT=1 xfer "across a daemon restart"
check_eq "the restarted daemon adopted the stream (same device)" "$idx_before" "$(cat "$S/$G/backup/index")"
check_eq "the restarted daemon made no second stream" 2 "$(ls -d "$S/$G"/*/ | wc -l)"
grep -qiE 'adopt|existing stream' $D/log && pass "the restart is logged as an adoption" ||
	fail "the restart is logged as an adoption"
check_eq "no RX errors on 'backup'" 0 "$(cat "$S/$G/backup/rx_errors")"

emu_barrier all-done
stop_daemon
if [ "$T_FAILED" -ne 0 ]; then
	echo "# ---- daemon log ----"
	tail -n 60 $D/log | sed 's/^/# /'
fi
emu_finish
summary
