#!/bin/bash
# Living with the cable (issue 4, steps 3 to 5, and the daemon's life cycle),
# with the project installed and nothing started by hand:
# - the receive template unit starts when its stream appears and writes what
#   the laptop sends into a dated file;
# - tbstreamd restarts while a transfer runs: the transfer goes on, the new
#   instance adopts the stream;
# - the cable is pulled in the middle of a transfer: reader and writer get
#   errors, "backup" (OnUnplug=remove) goes away, "inbox" (keep) shows
#   detached, the daemon stays up; plugging again brings the streams back;
# - with no peer and no client the daemon exits on its own (status 0), a D-Bus
#   call starts it again (activation) and it still knows the kept streams,
#   and the next plug has udev start it again.
# tools/demo runs this script with --narrate after plug-and-copy.sh.
. "$TBSTREAM_GUEST_LIB/guest.sh"
. "$TBSTREAM_GUEST_LIB/e2e.sh"
e2e_args "$@"
IDLE=15

say "tbstream is installed; tbstreamd may exit after ${IDLE}s without peers or clients"
e2e_installed || bail_out "the project is installed in the guest"
e2e_policy
mkdir -p /etc/systemd/system/tbstreamd.service.d
printf '[Service]\nEnvironment=TBSTREAMD_IDLE_TIMEOUT=%s\n' "$IDLE" \
	>/etc/systemd/system/tbstreamd.service.d/idle.conf
# The documented way to receive a stream into files (docs/systemd.md): the
# desktop runs tbstream-receive@ whenever the laptop's "inbox" appears. The
# laptop's name has a '-': the unit name carries it escaped (\x2d).
cat >/etc/udev/rules.d/61-tbstream-receive.rules <<'RULES'
SUBSYSTEM=="tbstream", ACTION=="add", ENV{TBSTREAM_STREAM}=="inbox", \
  ENV{TBSTREAM_PEER_NAME}=="my-laptop", \
  ENV{SYSTEMD_WANTS}+="tbstream-receive@$env{TBSTREAM_UNIT}.service"
RULES
systemctl daemon-reload
udevadm control --reload
note "/etc/udev/rules.d/61-tbstream-receive.rules: receive the laptop's 'inbox' into files"
RECEIVE='tbstream-receive@my\x2dlaptop-inbox.service'

say "Plugging the cable"
e2e_cable || bail_out "create the simulated cable"
journal_mark
show plug
wait_for 30 service_active || bail_out "udev starts tbstreamd.service"
pass "udev starts tbstreamd.service"
LAPTOP_BACKUP=/dev/tbstream/by-name/desktop/backup
DESKTOP_BACKUP=/dev/tbstream/by-name/my-laptop/backup
LAPTOP_INBOX=/dev/tbstream/by-name/desktop/inbox
wait_for 30 link_ready "$DESKTOP_BACKUP" "$B" backup || bail_out "the policy's streams appear"
pass "the policy's streams appear"
narrate_journal

say "The receive unit starts by itself when the desktop's 'inbox' appears"
check "udev starts $RECEIVE" wait_for 30 sh -c "systemctl is-active '$RECEIVE' | grep -qx active"
# it has the stream open when the kernel says so: then nothing sent is lost
check "the receiver holds the stream open" wait_for 30 grep -qx open "$E2E_STREAMS/$B/inbox/state"
random_source
head -c 3000000 "$E2E_SRC" >/tmp/report.pdf
show dd if=/tmp/report.pdf of="$LAPTOP_INBOX" bs=256k status=none
check "the receiver finishes when the laptop closes" \
	wait_for 60 sh -c "! systemctl is-active --quiet '$RECEIVE'"
check_eq "and succeeds" success "$(systemctl show -P Result "$RECEIVE")"
got=$(ls /var/lib/tbstream-receive/my-laptop-inbox-*.img 2>/dev/null | head -n1)
check "a dated file is in /var/lib/tbstream-receive" test -f "$got"
check_eq "it holds what the laptop sent" "$(sha /tmp/report.pdf)" "$(sha "$got")"
note "$got: $(stat -c %s "$got") bytes, sha256 $(sha "$got")"

say "Restarting tbstreamd while 64 MiB go through 'backup'"
idx_before=$(cat "$E2E_STREAMS/$A/backup/index")
pid_before=$(service_pid)
timeout 180 dd if="$DESKTOP_BACKUP" of=/tmp/restart.img bs=256k status=none &
reader=$!
sleep 0.5
(dd if="$E2E_SRC" bs=256k count=128 status=none; sleep 3
	dd if="$E2E_SRC" bs=256k skip=128 status=none) >"$(readlink -f $LAPTOP_BACKUP)" &
writer=$!
sleep 1
journal_mark
show systemctl restart tbstreamd.service
wait $writer
check "the writer finishes" test $? -eq 0
wait $reader
check_eq "the transfer across the restart arrives intact" "$(sha "$E2E_SRC")" "$(sha /tmp/restart.img)"
rm -f /tmp/restart.img
check "a new tbstreamd runs" test "$(service_pid)" != "$pid_before"
check_eq "it adopted the stream (same device)" "$idx_before" "$(cat "$E2E_STREAMS/$A/backup/index")"
check "it made no second stream" test "$(find "$E2E_STREAMS/$A" -mindepth 1 -maxdepth 1 -type d | wc -l)" -eq 2
journalctl --sync
journal_since_mark | grep -qiE 'adopt|existing' && pass "the new instance logs the adoption" ||
	fail "the new instance logs the adoption"
narrate_journal

say "Pulling the cable in the middle of a transfer"
pid_before=$(service_pid)
timeout 120 dd if="$DESKTOP_BACKUP" of=/tmp/cut.img bs=256k status=none 2>/tmp/reader.err &
reader=$!
sleep 0.5
echo 2000 >"$E2E_LINK/unplug_after"	# about 8 MiB from now, from the data path
journal_mark
timeout 120 dd if="$E2E_SRC" of="$(readlink -f $LAPTOP_BACKUP)" bs=256k status=none 2>/tmp/writer.err
wrc=$?
wait $reader
rrc=$?
note "writer: exit $wrc, $(cat /tmp/writer.err)"
note "reader: exit $rrc, $(cat /tmp/reader.err), $(stat -c %s /tmp/cut.img) bytes before the cut"
check "the writer gets an error" test "$wrc" -ne 0 -a "$wrc" -ne 124
check "the reader gets an error" test "$rrc" -ne 0 -a "$rrc" -ne 124
check_eq "the cable is unplugged" 0 "$(cat "$E2E_LINK/connected")"
check "'backup' (OnUnplug=remove) is removed" wait_for 20 test ! -e "$E2E_STREAMS/$A/backup"
check "and its link is gone" wait_for 20 test ! -e "$LAPTOP_BACKUP"
inbox=$(bus_stream_path "$UB" inbox)
check_eq "'inbox' (OnUnplug=keep) shows detached on the bus" detached "$(stream_prop "$inbox" State)"
check_eq "the daemon stays up (same process)" "$pid_before" "$(service_pid)"
narrate_journal
rm -f /tmp/cut.img

say "Plugging the cable back in"
journal_mark
show plug
check "'backup' comes back" wait_for 30 link_ready "$DESKTOP_BACKUP" "$B" backup
check "'inbox' is configured again" wait_for 20 stream_state_is "$inbox" configured
timeout 180 dd if="$DESKTOP_BACKUP" of=/tmp/again.img bs=256k status=none &
reader=$!
sleep 0.5
timeout 180 dd if="$E2E_SRC" of="$LAPTOP_BACKUP" bs=256k status=none
wait $reader
check_eq "64 MiB go through again" "$(sha "$E2E_SRC")" "$(sha /tmp/again.img)"
rm -f /tmp/again.img
narrate_journal

say "Unplugging; with nobody around tbstreamd exits after ${IDLE}s"
journal_mark
show unplug
check "tbstreamd exits by itself" wait_for $((IDLE + 45)) sh -c '! systemctl is-active --quiet tbstreamd.service'
check_eq "cleanly (exit status 0, no restart)" "success 0" \
	"$(systemctl show -P Result tbstreamd.service) $(systemctl show -P ExecMainStatus tbstreamd.service)"
check "it says why" sh -c 'journalctl --sync; journalctl -q -o cat -u tbstreamd.service -n 20 | grep -q "nothing to do: exiting"'
check "the kept 'inbox' stays in ConfigFS" test -d "$E2E_STREAMS/$A/inbox"
narrate_journal

say "A D-Bus call starts tbstreamd again (activation)"
journal_mark
version=$(show busctl get-property io.github.tbstream1 /io/github/tbstream1 io.github.tbstream1.Manager Version)
note "Version: $version"
check "the call is answered" test -n "$version"
check_eq "by a tbstreamd that systemd started" active "$(systemctl is-active tbstreamd.service)"
n=$(busctl call io.github.tbstream1 /io/github/tbstream1 org.freedesktop.DBus.ObjectManager \
	GetManagedObjects --json=short | grep -o '"Name":{"type":"s","data":"inbox"}' | wc -l)
check_eq "it knows both kept 'inbox' streams" 2 "$n"
narrate_journal

say "Idle again; the next plug has udev start it"
check "it exits again when idle" wait_for $((IDLE + 45)) sh -c '! systemctl is-active --quiet tbstreamd.service'
journal_mark
show plug
check "udev starts tbstreamd on the plug" wait_for 30 service_active
check "'backup' is there again" wait_for 30 link_ready "$LAPTOP_BACKUP" "$A" backup
narrate_journal
unplug
if [ "$T_FAILED" -ne 0 ]; then
	journalctl --no-pager -b -u tbstreamd.service | tail -n 80
fi
summary
