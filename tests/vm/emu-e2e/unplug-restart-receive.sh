#!/bin/bash
# shellcheck disable=SC3043,SC2154 # (bash, checked as sh; me, peer and LINK come from emu-e2e.sh)
# Living with the cable on the emulated fabric: tests/vm/e2e's
# unplug-restart-receive between two guests, each with systemd, tbstream
# installed and a daemon of its own, their emulated USB4 hosts joined by
# the socket cable (tests/vm/emu/pair).  Guest A is "my-laptop" and writes,
# guest B is "desktop" and reads:
#   - the desktop's receive unit (tbstream-receive@, started by a udev rule
#     when the laptop's "inbox" appears) writes what the laptop sends into
#     a dated file;
#   - both daemons restart while a transfer runs: it goes on, and each new
#     instance adopts its stream;
#   - the laptop's guest pulls the cable in the middle of a transfer: both
#     ends get errors, "backup" (OnUnplug=remove) goes, "inbox" (keep)
#     shows detached, the daemons stay up; the replug brings the streams
#     back and 16 MiB cross again;
#   - with no peer and no client each daemon exits on its own (status 0),
#     a D-Bus call starts it again (activation) and it still knows the kept
#     stream, and the next plug has udev start it again.
# Real thunderbolt devices throughout: the peer's XDomain and its `stream`
# service come and go with the cable as on a machine.
. "$TBSTREAM_GUEST_LIB/emu-e2e.sh"
e2e_args "$@"
MIB=16
IDLE=15
INBOX=/dev/tbstream/by-name/$peer/inbox
RECEIVE='tbstream-receive@my\x2dlaptop-inbox.service'

emu_pair_start
emu_keep_awake
e2e_installed || bail_out "the project is installed in the guest"

# Unplugged, the policy, the daemon stopped and tbstream.ko out, as on a
# machine that just booted with no cable (emu-e2e/plug-and-copy says why
# the cable is pulled first)
[ "$EMU_ROLE" = a ] && emu_cable 0
emu_wait_no_xdomain 0 "unplug before the test"
hostname "$me"
e2e_policy thunderbolt "$peer"
mkdir -p /etc/systemd/system/tbstreamd.service.d
printf '[Service]\nEnvironment=TBSTREAMD_IDLE_TIMEOUT=%s\n' "$IDLE" \
	>/etc/systemd/system/tbstreamd.service.d/idle.conf
if [ "$EMU_ROLE" = b ]; then
	# docs/systemd.md's way to receive a stream into files; the laptop's
	# name has a '-', which the unit name carries escaped (\x2d)
	cat >/etc/udev/rules.d/61-tbstream-receive.rules <<'RULES'
SUBSYSTEM=="tbstream", ACTION=="add", ENV{TBSTREAM_STREAM}=="inbox", \
  ENV{TBSTREAM_PEER_NAME}=="my-laptop", \
  ENV{SYSTEMD_WANTS}+="tbstream-receive@$env{TBSTREAM_UNIT}.service"
RULES
	udevadm control --reload
fi
systemctl daemon-reload
systemctl stop tbstreamd.service
rmmod tbstream 2>/dev/null
check "tbstream.ko is out" test ! -d /sys/module/tbstream
emu_barrier unplugged

say "Plugging the cable"
[ "$EMU_ROLE" = a ] && emu_cable 1
wait_for 60 service_active || bail_out "plug: udev starts tbstreamd.service"
pass "plug: udev starts tbstreamd.service"
wait_for 60 emu_service tbstream || bail_out "tbstream binds the peer's stream service ($(ls "$TB" | tr '\n' ' '))"
G=$(emu_service tbstream)
wait_for 60 link_ready "$LINK" "$G" backup || bail_out "'backup' appears as $LINK"
pass "'backup' appears as $LINK"
check "'inbox' appears as $INBOX" wait_for 60 link_ready "$INBOX" "$G" inbox
check "'backup' is attached to the peer" wait_for 60 grep -qx ready "$E2E_STREAMS/$G/backup/state"
emu_barrier streams

say "The desktop's receive unit starts by itself when the laptop's 'inbox' appears"
if [ "$EMU_ROLE" = b ]; then
	check "udev starts $RECEIVE" wait_for 60 sh -c "systemctl is-active '$RECEIVE' | grep -qx active"
	# it has the stream open when the kernel says so: then nothing sent is lost
	check "the receiver holds the stream open" wait_for 60 grep -qx open "$E2E_STREAMS/$G/inbox/state"
	emu_tell receiver-open
	emu_expect_value report-sha
	check "the receiver finishes when the laptop closes" \
		wait_for 60 sh -c "! systemctl is-active --quiet '$RECEIVE'"
	check_eq "and succeeds" success "$(systemctl show -P Result "$RECEIVE")"
	got=$(ls /var/lib/tbstream-receive/my-laptop-inbox-*.img 2>/dev/null | head -n1)
	check "a dated file is in /var/lib/tbstream-receive" test -f "$got"
	check_eq "it holds what the laptop sent" "$EMU_VALUE" "$(sha "$got")"
else
	head -c 3000000 /dev/urandom >/tmp/report.pdf
	emu_expect receiver-open
	timeout 120 dd if=/tmp/report.pdf of="$INBOX" bs=256k status=none
	check_eq "the laptop writes its report into 'inbox'" 0 $?
	emu_tell "report-sha $(sha /tmp/report.pdf)"
fi
emu_barrier received

say "Restarting both daemons while $MIB MiB go through 'backup'"
[ "$EMU_ROLE" = a ] && dd if=/dev/urandom of=/tmp/src bs=1M count=$MIB status=none
dev=$(readlink -f "$LINK")
idx_before=$(cat "$E2E_STREAMS/$G/backup/index")
pid_before=$(service_pid)
rm -f /tmp/resume /tmp/dst
if [ "$EMU_ROLE" = b ]; then
	timeout 300 dd if="$dev" of=/tmp/dst bs=256k status=none &
	reader=$!
	wait_for 60 emu_has_open "$dev" || bail_out "restart: the reader never opened $dev"
	emu_tell restart-go
else
	emu_expect restart-go
	# half, then a pause that spans both restarts, then the rest
	(dd if=/tmp/src bs=256k count=$((MIB * 2)) status=none
		while [ ! -e /tmp/resume ]; do sleep 0.2; done
		dd if=/tmp/src bs=256k skip=$((MIB * 2)) status=none) >"$dev" &
	writer=$!
fi
journal_mark
systemctl restart tbstreamd.service
check "restart: a new tbstreamd runs" wait_for 60 service_active
check "restart: it is a new process" test "$(service_pid)" != "$pid_before"
check_eq "restart: it adopted 'backup' (same device)" "$idx_before" "$(cat "$E2E_STREAMS/$G/backup/index")"
check_eq "restart: and made no stream of its own" 2 \
	"$(find "$E2E_STREAMS/$G" -mindepth 1 -maxdepth 1 -type d | wc -l)"
journalctl --sync
if journal_since_mark | grep -qiE 'adopt|existing'; then
	pass "restart: the new instance logs the adoption"
else
	fail "restart: the new instance logs the adoption"
fi
emu_barrier restarted
if [ "$EMU_ROLE" = a ]; then
	touch /tmp/resume
	wait $writer
	check_eq "restart: the writer succeeds across both restarts" 0 $?
	emu_tell "restart-sha $(sha /tmp/src)"
else
	wait $reader
	check_eq "restart: the reader ends at the writer's close" 0 $?
	emu_expect_value restart-sha
	check_eq "restart: $MIB MiB arrive intact" "$EMU_VALUE" "$(sha /tmp/dst)"
	rm -f /tmp/dst
fi
emu_barrier restart-done

# written_4mib PID: that writer has written 4 MiB
written_4mib() {
	local w
	w=$(awk '/^wchar:/ { print $2 }' "/proc/$1/io" 2>/dev/null)
	[ "${w:-0}" -ge 4194304 ]
}

# ended PID: that process has exited (guest.sh's running, negated)
ended() {
	! running "$1"
}

say "Pulling the cable in the middle of a transfer"
pid_before=$(service_pid)
inbox=$(bus_stream_path "$EMU_UUID_PEER" inbox)
check "the bus knows 'inbox'" test -n "$inbox"
if [ "$EMU_ROLE" = b ]; then
	# to /dev/null: the writer sends zeros until it is cut, more than
	# /tmp holds
	timeout 120 dd if="$dev" of=/dev/null bs=256k status=none 2>/tmp/io.err &
	io=$!
	wait_for 60 emu_has_open "$dev" || bail_out "cut: the reader never opened $dev"
	emu_tell cut-go
else
	emu_expect cut-go
	# more than can cross before the cable goes: the writer is cut
	dd if=/dev/zero of="$dev" bs=256k status=none 2>/tmp/io.err &
	io=$!
	check "cut: 4 MiB are written before the cable goes" wait_for 60 written_4mib $io
	emu_cable 0
	# a writer the unplug does not end is a failure, not a hang
	wait_for 60 ended $io || kill "$io"
fi
wait $io
rc=$?
echo "# cut: dd exit $rc: $(cat /tmp/io.err)"
check "cut: this end's dd fails with an error (exit $rc), not by the timeout" \
	test "$rc" -ne 0 -a "$rc" -ne 124 -a "$rc" -ne 143
emu_wait_no_xdomain 0 "cut"
check "cut: 'backup' (OnUnplug=remove) is removed" wait_for 30 test ! -e "$E2E_STREAMS/$G/backup"
check "cut: and its link is gone" wait_for 30 test ! -e "$LINK"
check "cut: 'inbox' (OnUnplug=keep) shows detached on the bus" wait_for 30 stream_state_is "$inbox" detached
check_eq "cut: the daemon stays up (same process)" "$pid_before" "$(service_pid)"
emu_barrier cut

say "Plugging the cable back in"
[ "$EMU_ROLE" = a ] && emu_cable 1
wait_for 60 emu_service tbstream || bail_out "replug: tbstream binds the peer's stream service again"
check_eq "replug: the peer's service has its name again (the kept 'inbox' is in its group)" \
	"$G" "$(emu_service tbstream)"
check "replug: 'backup' comes back" wait_for 60 link_ready "$LINK" "$G" backup
check "replug: 'inbox' is configured again" wait_for 30 stream_state_is "$inbox" configured
check "replug: 'backup' is attached to the peer" wait_for 60 grep -qx ready "$E2E_STREAMS/$G/backup/state"
dev=$(readlink -f "$LINK")
if [ "$EMU_ROLE" = b ]; then
	timeout 180 dd if="$dev" of=/tmp/dst bs=256k status=none &
	reader=$!
	wait_for 60 emu_has_open "$dev" || bail_out "replug: the reader never opened $dev"
	emu_tell again-go
	wait $reader
	check_eq "replug: the reader succeeds" 0 $?
	emu_expect_value again-sha
	check_eq "replug: $MIB MiB go through again" "$EMU_VALUE" "$(sha /tmp/dst)"
	rm -f /tmp/dst
else
	emu_expect again-go
	timeout 180 dd if=/tmp/src of="$dev" bs=256k status=none
	check_eq "replug: the writer succeeds" 0 $?
	emu_tell "again-sha $(sha /tmp/src)"
fi
emu_barrier again-done

say "Unplugging; with nobody around tbstreamd exits after ${IDLE}s"
[ "$EMU_ROLE" = a ] && emu_cable 0
emu_wait_no_xdomain 0 "idle"
check "idle: tbstreamd exits by itself" wait_for $((IDLE + 60)) sh -c '! systemctl is-active --quiet tbstreamd.service'
check_eq "idle: cleanly (exit status 0, no restart)" "success 0" \
	"$(systemctl show -P Result tbstreamd.service) $(systemctl show -P ExecMainStatus tbstreamd.service)"
check "idle: it says why" \
	sh -c 'journalctl --sync; journalctl -q -o cat -u tbstreamd.service -n 20 | grep -q "nothing to do: exiting"'
check "idle: the kept 'inbox' stays in ConfigFS" test -d "$E2E_STREAMS/$G/inbox"

say "A D-Bus call starts tbstreamd again (activation)"
version=$(busctl get-property io.github.tbstream1 /io/github/tbstream1 io.github.tbstream1.Manager Version)
check "activation: the call is answered ($version)" test -n "$version"
check_eq "activation: by a tbstreamd that systemd started" active "$(systemctl is-active tbstreamd.service)"
check "activation: it knows the kept 'inbox'" test -n "$(bus_stream_path "$EMU_UUID_PEER" inbox)"
check "activation: it exits again when idle" \
	wait_for $((IDLE + 60)) sh -c '! systemctl is-active --quiet tbstreamd.service'
emu_barrier idle

say "The next plug has udev start it"
[ "$EMU_ROLE" = a ] && emu_cable 1
check "plug again: udev starts tbstreamd" wait_for 60 service_active
check "plug again: 'backup' is there again" wait_for 60 link_ready "$LINK" "$G" backup
if [ "$T_FAILED" -ne 0 ]; then
	journalctl --no-pager -b -u tbstreamd.service | tail -n 60
fi
emu_finish
summary
