#!/bin/bash
# The promise, as a user meets it (issue 4, steps 1 and 2): with tbstream
# installed and nothing started by hand, plugging a (simulated) cable makes
# udev start tbstreamd, the policy's streams appear on both hosts with their
# /dev/tbstream/by-name links, root creates more streams with busctl and dd
# carries 64 MiB across, and an unprivileged user whom polkit allows and the
# node's Group= lets in does the same with tbstreamctl (OpenStream); polkit
# alone, or the node alone, is not enough.
# tools/demo runs this script with --narrate.
. "$TBSTREAM_GUEST_LIB/guest.sh"
. "$TBSTREAM_GUEST_LIB/e2e.sh"
e2e_args "$@"

say "tbstream is installed as an administrator would install it"
show e2e_installed || bail_out "the project is installed in the guest"
pass "installed: units, udev rules, D-Bus and polkit files, modules in /lib/modules/$(uname -r)/extra"
note "units:  $(systemctl cat tbstreamd.service | sed -n 's/^ExecStart=//p' | head -n1) (tbstreamd.service)"
note "udev:   $(ls /lib/udev/rules.d/*tbstream*)"
e2e_policy
note "policy: /etc/tbstreamd/tbstreamd.conf allows hosts named my-laptop and desktop:"
[ "$E2E_NARRATE" = 1 ] && sed 's/^/            /' /etc/tbstreamd/tbstreamd.conf
check_eq "nobody started tbstreamd" inactive "$(systemctl is-active tbstreamd.service)"

say "Plugging a simulated Thunderbolt cable between 'my-laptop' and 'desktop'"
e2e_cable || bail_out "create the simulated cable"
journal_mark
show plug
note "laptop side: peer 'desktop' is XDomain $(cat $E2E_LINK/a_xdomain), its stream service $A"
note "desktop side: peer 'my-laptop' is XDomain $(cat $E2E_LINK/b_xdomain), its stream service $B"
wait_for 30 service_active ||
	bail_out "udev starts tbstreamd.service"
pass "udev starts tbstreamd.service"
wanted_by=$(systemctl show -P WantedBy tbstreamd.service)
case $wanted_by in
*.device*) pass "it was started because an XDomain device wants it ($wanted_by)" ;;
*) fail "it was started because an XDomain device wants it" "WantedBy=$wanted_by" ;;
esac
check_eq "the service manager knows it by its bus name" io.github.tbstream1 \
	"$(systemctl show -P BusName tbstreamd.service)"
check_eq "the stream service's modalias loads tbstream.ko (as a real peer's would)" tbstream \
	"$(modprobe --resolve-alias "$(cat /sys/bus/tbstream_sim/devices/"$A"/modalias)")"

LAPTOP_BACKUP=/dev/tbstream/by-name/desktop/backup	# on the laptop, to the desktop
DESKTOP_BACKUP=/dev/tbstream/by-name/my-laptop/backup	# on the desktop, from the laptop
wait_for 30 link_ready "$LAPTOP_BACKUP" "$A" backup ||
	bail_out "'backup' appears on the laptop as $LAPTOP_BACKUP"
pass "'backup' appears on the laptop as $LAPTOP_BACKUP"
check "'backup' appears on the desktop as $DESKTOP_BACKUP" \
	wait_for 30 link_ready "$DESKTOP_BACKUP" "$B" backup
check "and by UUID: /dev/tbstream/by-uuid/<desktop's uuid>/backup" \
	link_ready "/dev/tbstream/by-uuid/$UB/backup" "$A" backup
check "'inbox' appears on both sides" wait_for 30 link_ready /dev/tbstream/by-name/my-laptop/inbox "$B" inbox
udevadm settle
narrate_journal
note "laptop:  $LAPTOP_BACKUP -> $(readlink -f $LAPTOP_BACKUP)"
note "desktop: $DESKTOP_BACKUP -> $(readlink -f $DESKTOP_BACKUP)"
[ "$E2E_NARRATE" = 1 ] && ls -l "$(readlink -f $LAPTOP_BACKUP)" | sed 's/^/    /'

# The daemon applies Group=/Mode= when the node appears; udev must not undo
# that when it processes the node's events afterwards (no rule sets MODE).
perm() { stat -c '%a %G' "$(readlink -f "$1")"; }
check_eq "the policy's group and mode are on the node" "660 tbstream" "$(perm $LAPTOP_BACKUP)"
udevadm trigger --settle --action=change "$(readlink -f $LAPTOP_BACKUP)"
check_eq "a later udev event leaves them alone" "660 tbstream" "$(perm $LAPTOP_BACKUP)"

say "Backing up 64 MiB from the laptop to the desktop through the policy's stream"
random_source
show copy_across "$LAPTOP_BACKUP" "$DESKTOP_BACKUP" /tmp/backup.img
sent=$(sha "$E2E_SRC")
got=$(sha /tmp/backup.img)
note "sent:     $(stat -c %s "$E2E_SRC") bytes, sha256 $sent"
note "received: $(stat -c %s /tmp/backup.img) bytes, sha256 $got"
check_eq "64 MiB arrive intact through the policy's stream" "$sent" "$got"
rm -f /tmp/backup.img

say "root asks tbstreamd for one more stream on each side (busctl RequestStream)"
request() { # peer-uuid name
	busctl call io.github.tbstream1 /io/github/tbstream1 io.github.tbstream1.Manager \
		RequestStream 'ssa{sv}' "$1" "$2" 2 Persistent b true HopIDs s 11,11 |
		sed -n 's/^o "\(.*\)"$/\1/p'
}
pa=$(show request "$UB" data)
pb=$(show request "$UA" data)
note "laptop:  $pa"
note "desktop: $pb"
check "RequestStream returns the laptop's stream object" test -n "$pa"
check "RequestStream returns the desktop's stream object" test -n "$pb"
check_eq "it is configured when the call returns" configured "$(stream_prop "$pa" State)"
da=$(stream_prop "$pa" Device)
db=$(stream_prop "$pb" Device)
note "devices: $da (laptop), $db (desktop)"
check "the laptop's device exists" test -c "$da"
show copy_across "$da" "$db" /tmp/data.img
check_eq "64 MiB arrive intact through the requested stream" "$sent" "$(sha /tmp/data.img)"
note "received $(stat -c %s /tmp/data.img) bytes, sha256 $(sha /tmp/data.img)"
rm -f /tmp/data.img

say "An unprivileged user, allowed by a polkit rule and in the node's group, uses 'backup' through OpenStream"
e2e_users
note "/etc/polkit-1/rules.d/50-tbstream-e2e.rules lets alice and carol open streams"
note "alice is in group tbstream (the nodes are group tbstream, 0660); carol is not"
qa=$(bus_stream_path "$UB" backup)
qb=$(bus_stream_path "$UA" backup)
check "the policy's streams are on the bus" test -n "$qa" -a -n "$qb"
check_fails "carol cannot open the node herself (group tbstream, 0660)" \
	runuser -u carol -- dd if=/dev/null of="$(readlink -f $LAPTOP_BACKUP)" count=0 status=none
CTL=$(command -v tbstreamctl) || bail_out "tbstreamctl is installed"
say "alice runs: tbstreamctl list"
runuser -u alice -- "$CTL" list >/tmp/ctl-list.txt 2>&1
check "tbstreamctl list works for alice (reading needs no authorization)" test $? -eq 0
[ "$E2E_NARRATE" = 1 ] && sed 's/^/    /' /tmp/ctl-list.txt
peers=$(runuser -u alice -- "$CTL" --json=short list | python3 -c '
import json, sys
print(" ".join(sorted(p["Name"] for p in json.load(sys.stdin)["Peers"])))')
check_eq "its JSON names both simulated hosts" "desktop my-laptop" "$peers"
err=$(runuser -u bob -- "$CTL" --no-ask-password open desktop/backup --write -- true 2>&1)
rc=$?
check_eq "polkit refuses bob: tbstreamctl exits 4 (not authorized)" 4 "$rc"
note "bob was told: $err"
err=$(runuser -u carol -- "$CTL" --no-ask-password open desktop/backup --write -- true 2>&1)
rc=$?
check_eq "the node refuses carol although polkit allows her: exit 4 (OpenStream is no way around Group=/Mode=)" 4 "$rc"
note "carol was told: $err"
runuser -u alice -- timeout 180 "$CTL" --no-ask-password open my-laptop/backup --read -- \
	dd of=/tmp/alice.img bs=256k status=none &
reader=$!
sleep 1
note "alice: tbstreamctl open desktop/backup --write -- dd if=<64 MiB> bs=256k"
note "alice: tbstreamctl open my-laptop/backup --read -- dd of=/tmp/alice.img bs=256k"
runuser -u alice -- timeout 180 "$CTL" --no-ask-password open desktop/backup --write -- \
	dd if="$E2E_SRC" bs=256k status=none
check "alice's writer succeeds" test $? -eq 0
wait $reader
check "alice's reader succeeds" test $? -eq 0
check_eq "64 MiB arrive intact through alice's descriptors" "$sent" "$(sha /tmp/alice.img)"
note "alice received $(stat -c %s /tmp/alice.img) bytes, sha256 $(sha /tmp/alice.img)"
rm -f /tmp/alice.img

check_eq "tbstreamd is still the process udev started" active "$(systemctl is-active tbstreamd.service)"
check_eq "and never restarted" 0 "$(systemctl show -P NRestarts tbstreamd.service)"
if [ "$T_FAILED" -ne 0 ]; then
	journalctl --no-pager -b -u tbstreamd.service | tail -n 60
fi
summary
