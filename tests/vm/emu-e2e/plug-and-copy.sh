#!/bin/bash
# shellcheck disable=SC3043,SC2154 # (bash, checked as sh; me, peer and LINK come from emu-e2e.sh)
# The end-to-end promise on the emulated fabric: two guests, two kernels,
# each booted with systemd and tbstream installed as an administrator would
# (tests/vm/run --userspace systemd --install), their emulated USB4 hosts
# joined by the socket cable (tests/vm/emu/pair).  Nothing is started by
# hand: the chain the simulator's e2e suite proves runs here on Debian's own
# thunderbolt devices, where udev, systemd and the daemon meet what a real
# machine shows them:
#   - plugging the cable starts tbstreamd (60-tbstream.rules:
#     SYSTEMD_WANTS for the peer's XDomain device), its unit
#     loads tbstream.ko, and the peer's `stream` service device's modalias
#     resolves to tbstream;
#   - the policy's streams appear with /dev/tbstream/by-name/<peer>/ and
#     by-uuid links (tbstream-devname reading the real XDomain's sysfs),
#     the policy's group and mode on the node, kept by a later udev event;
#   - dd carries 16 MiB through them, busctl RequestStream makes one more
#     stream on each side that carries 16 MiB too, and an unprivileged user
#     whom polkit allows and the node's group lets in does the same with
#     tbstreamctl (OpenStream); polkit alone, or the node alone, is refused;
#   - one daemon process throughout.
# Guest A is "my-laptop", guest B "desktop"; the laptop writes, the desktop
# reads.  Both run this script in lock step over their test channel.
. "$TBSTREAM_GUEST_LIB/emu-e2e.sh"
e2e_args "$@"
MIB=16

emu_pair_start
emu_keep_awake
e2e_installed || bail_out "the project is installed in the guest"
pass "installed: units, udev rules, D-Bus and polkit files, modules in /lib/modules/$(uname -r)/extra"

# Start unplugged, with the administrator's policy and each host's own
# name (a peer sees the name its XDomain was made with), the daemon stopped
# and tbstream.ko out, as on a machine that just booted with no cable.  (The
# cable was plugged while both guests booted; whether the hosts found each
# other then depends on how far apart the boots were: a host stops asking a
# silent peer for its UUID after a few tries.)
[ "$EMU_ROLE" = a ] && emu_cable 0
emu_wait_no_xdomain 0 "unplug before the test"
hostname "$me"
e2e_policy thunderbolt "$peer"
systemctl stop tbstreamd.service
rmmod tbstream 2>/dev/null
check_eq "tbstreamd is stopped" inactive "$(systemctl is-active tbstreamd.service)"
check "tbstream.ko is out" test ! -d /sys/module/tbstream
emu_barrier unplugged

[ "$EMU_ROLE" = a ] && emu_cable 1
peer_named() {
	[ "$(cat "$TB/0-1/unique_id" 2>/dev/null)" = "$EMU_UUID_PEER" ] &&
		[ "$(cat "$TB/0-1/device_name" 2>/dev/null)" = "$peer" ]
}
wait_for 60 peer_named || bail_out "plug: the peer $peer is seen ($(ls "$TB" | tr '\n' ' '))"
pass "plug: the XDomain of $peer appears"
wait_for 60 service_active || bail_out "plug: udev starts tbstreamd.service"
pass "plug: udev starts tbstreamd.service"
wanted_by=$(systemctl show -P WantedBy tbstreamd.service)
case $wanted_by in
*.device*) pass "it was started because an XDomain device wants it ($wanted_by)" ;;
*) fail "it was started because an XDomain device wants it" "WantedBy=$wanted_by" ;;
esac
check "its unit loaded tbstream.ko" test -d /sys/module/tbstream
wait_for 60 emu_service tbstream || bail_out "tbstream binds the peer's stream service ($(ls "$TB" | tr '\n' ' '))"
G=$(emu_service tbstream)
check_eq "the peer's service's modalias resolves to tbstream" tbstream \
	"$(modprobe --resolve-alias "$(cat "$TB/$G/modalias")")"

wait_for 60 link_ready "$LINK" "$G" backup || bail_out "'backup' appears as $LINK"
pass "'backup' appears as $LINK"
check "and as /dev/tbstream/by-uuid/<$peer's uuid>/backup" \
	link_ready "/dev/tbstream/by-uuid/$EMU_UUID_PEER/backup" "$G" backup
udevadm settle
perm() { stat -c '%a %G' "$(readlink -f "$1")"; }
check_eq "the policy's group and mode are on the node" "660 tbstream" "$(perm "$LINK")"
udevadm trigger --settle --action=change "$(readlink -f "$LINK")"
check_eq "a later udev event leaves them alone" "660 tbstream" "$(perm "$LINK")"
check "'backup' is attached to the peer" wait_for 60 grep -qx ready "$E2E_STREAMS/$G/backup/state"
emu_barrier streams

# across TAG DEV [RUNAS...]: the laptop writes 16 MiB of random bytes into
# DEV, the desktop reads its DEV (opened first) to the laptop's close; RUNAS
# (e.g. runuser -u alice -- tbstreamctl ... open X --read|--write --) wraps
# each dd, the direction word being filled in here
across() {
	local tag=$1 dev=$2
	shift 2
	if [ "$EMU_ROLE" = b ]; then
		rm -f /tmp/dst
		if [ $# -gt 0 ]; then
			timeout 180 "$@" --read -- dd of=/tmp/dst bs=256k status=none &
		else
			timeout 180 dd if="$dev" of=/tmp/dst bs=256k status=none &
		fi
		local r=$!
		wait_for 60 emu_has_open "$dev" || bail_out "$tag: the reader never opened $dev"
		emu_tell "$tag-go"
		wait $r
		check_eq "$tag: the reader succeeds" 0 $?
		emu_expect_value "$tag-sha"
		check_eq "$tag: $MIB MiB arrive intact" "$EMU_VALUE" "$(sha /tmp/dst)"
		rm -f /tmp/dst
	else
		emu_expect "$tag-go"
		if [ $# -gt 0 ]; then
			timeout 180 "$@" --write -- dd if=/tmp/src bs=256k status=none
		else
			timeout 180 dd if=/tmp/src of="$dev" bs=256k status=none
		fi
		check_eq "$tag: the writer succeeds" 0 $?
		emu_tell "$tag-sha $(sha /tmp/src)"
	fi
	emu_barrier "$tag-done"
}

[ "$EMU_ROLE" = a ] && dd if=/dev/urandom of=/tmp/src bs=1M count=$MIB status=none
across "the policy's stream" "$(readlink -f "$LINK")"

# RequestStream: root asks for one more stream, for the peer's UUID
p=$(busctl call io.github.tbstream1 /io/github/tbstream1 io.github.tbstream1.Manager \
	RequestStream 'ssa{sv}' "$EMU_UUID_PEER" data 2 Persistent b true HopIDs s 11,11 |
	sed -n 's/^o "\(.*\)"$/\1/p')
check "RequestStream returns the stream's object" test -n "$p"
check_eq "it is configured when the call returns" configured "$(stream_prop "$p" State)"
dev=$(stream_prop "$p" Device)
check "its device exists" test -c "$dev"
emu_barrier requested
across "the requested stream" "$dev"

# OpenStream for an unprivileged user: polkit and the node must both agree
e2e_users
CTL=$(command -v tbstreamctl) || bail_out "tbstreamctl is installed"
peers=$(runuser -u alice -- "$CTL" --json=short list | python3 -c '
import json, sys
print(" ".join(sorted(p["Name"] for p in json.load(sys.stdin)["Peers"])))')
check_eq "tbstreamctl list (for alice) names the peer" "$peer" "$peers"
runuser -u bob -- "$CTL" --no-ask-password open "$peer/backup" --write -- true >/dev/null 2>&1
check_eq "polkit refuses bob: tbstreamctl exits 4" 4 $?
runuser -u carol -- "$CTL" --no-ask-password open "$peer/backup" --write -- true >/dev/null 2>&1
check_eq "the node refuses carol although polkit allows her: exit 4" 4 $?
emu_barrier users
across "alice's descriptors" "$(readlink -f "$LINK")" runuser -u alice -- "$CTL" --no-ask-password open "$peer/backup"

check_eq "tbstreamd is still the process udev started" active "$(systemctl is-active tbstreamd.service)"
check_eq "and never restarted" 0 "$(systemctl show -P NRestarts tbstreamd.service)"
if [ "$T_FAILED" -ne 0 ]; then
	journalctl --no-pager -b -u tbstreamd.service | tail -n 60
fi
emu_finish
summary
