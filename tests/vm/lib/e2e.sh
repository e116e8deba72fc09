# shellcheck shell=bash disable=SC2034,SC3043
# (bash, sourced by bash scripts: "local" is fine; A, B, UA, UB are used there)
# The end-to-end scenario's building blocks (tests/vm/e2e/*.sh, tools/demo):
# check the project is installed the way an administrator would, plug and
# unplug a simulated cable, find streams, and narrate. Sourced after guest.sh,
# in the systemd mode of tests/vm/run --install (systemd is PID 1, the root is
# a writable overlay of the host's with the project installed).
#
# Narration: with E2E_NARRATE=1 (tools/demo) `say`, `note` and `show` print a
# readable account of what happens; in the test they print nothing, and the
# checks' "ok -" lines tell the story.

E2E_NARRATE=${E2E_NARRATE:-0}
E2E_LINK=/sys/kernel/config/tbstream_sim/cable
E2E_STREAMS=/sys/kernel/config/thunderbolt/stream
E2E_SRC=/tmp/e2e-src	# 64 MiB of random data, made once

# e2e_args "$@": handle the scripts' one option, --narrate. Narration goes
# straight to the console, so tools/demo shows it as it happens, without the
# journal's prefixes.
e2e_args() {
	if [ "${1:-}" = --narrate ]; then
		E2E_NARRATE=1
		exec >/dev/console 2>&1
	else
		exec 2>&1
	fi
}

say() {
	[ "$E2E_NARRATE" = 1 ] && printf '\n\033[1m--> %s\033[0m\n' "$*"
	return 0
}

note() {
	[ "$E2E_NARRATE" = 1 ] && printf '    %s\n' "$*"
	return 0
}

# show CMD...: print the command (narrating), then run it
show() {
	[ "$E2E_NARRATE" = 1 ] && printf '    \033[2m# %s\033[0m\n' "$*" >&2
	"$@"
}

# Journal lines of tbstreamd since the cursor taken by journal_mark.
journal_mark() {
	E2E_CURSOR=$(journalctl -n 0 --show-cursor -q 2>/dev/null | sed -n 's/^-- cursor: //p')
}

journal_since_mark() {
	journalctl --no-pager -q -o cat -u tbstreamd.service ${E2E_CURSOR:+--after-cursor="$E2E_CURSOR"} \
		2>/dev/null
}

# note the daemon's journal lines since journal_mark (narrating)
narrate_journal() {
	[ "$E2E_NARRATE" = 1 ] || return 0
	journalctl --sync 2>/dev/null
	journal_since_mark | sed 's/^/    tbstreamd: /'
}

# e2e_installed: tbstream is installed as `cmake --install` lays it out, with
# its modules in /lib/modules/KVER/extra and depmod run: tests/vm/run
# --install staged all of it on the host and the guest booted with it, so
# systemd, udev, dbus-daemon and polkitd read it at their start like on a
# machine where it was installed before boot. Checks that it is all there.
e2e_installed() {
	local m
	m=$(modinfo -n tbstream 2>/dev/null) || { echo "modinfo finds no tbstream"; return 1; }
	case $m in
	/lib/modules/"$(uname -r)"/extra/*) ;;
	*) echo "tbstream.ko is at $m, not in extra/"; return 1 ;;
	esac
	modinfo -n tbstream_sim >/dev/null 2>&1 || { echo "modinfo finds no tbstream_sim"; return 1; }
	systemctl cat tbstreamd.service >/dev/null 2>&1 || { echo "systemd knows no tbstreamd.service"; return 1; }
	[ -f /usr/share/dbus-1/system.d/io.github.tbstream1.conf ] || { echo "no D-Bus policy"; return 1; }
	[ -f /usr/share/polkit-1/actions/io.github.tbstream1.policy ] || { echo "no polkit actions"; return 1; }
	ls /lib/udev/rules.d/*tbstream* >/dev/null 2>&1 || { echo "no udev rules"; return 1; }
}

# e2e_policy [SUBSYSTEMS PEERS]: the administrator's policy.  By default
# both simulated hosts live in this one kernel and one tbstreamd serves
# both, so one policy names both peers; on the emulated fabric each guest
# has its own daemon (thunderbolt, the other guest's name).  "backup"
# (fixed, symmetric HopIDs so the two sides agree) is for group tbstream,
# mode 0660; "inbox" is kept across unplug.
e2e_policy() {
	getent group tbstream >/dev/null || groupadd --system tbstream
	mkdir -p /etc/tbstreamd
	cat >/etc/tbstreamd/tbstreamd.conf <<POLICY
[Daemon]
Subsystems=${1:-thunderbolt;tbstream_sim}
OnUnplug=remove

[Stream backup]
HopIDs=9,9
Group=tbstream
Mode=0660

[Stream inbox]
HopIDs=10,10
OnUnplug=keep

[Peer lab]
MatchName=${2:-my-laptop;desktop}
Streams=backup;inbox
POLICY
}

# e2e_users: alice, bob and carol; a polkit rule lets alice and carol open
# streams and gives nobody anything else; alice is in group tbstream (the
# policy's nodes are group tbstream, 0660), carol is not, bob has neither
e2e_users() {
	id alice >/dev/null 2>&1 || useradd --no-create-home alice
	id bob >/dev/null 2>&1 || useradd --no-create-home bob
	id carol >/dev/null 2>&1 || useradd --no-create-home carol
	usermod -a -G tbstream alice
	cat >/etc/polkit-1/rules.d/50-tbstream-e2e.rules <<'RULES'
// e2e: alice and carol may open streams; nobody else is given anything
polkit.addRule(function(action, subject) {
	if (action.id == "io.github.tbstream1.open-stream" &&
	    (subject.user == "alice" || subject.user == "carol"))
		return polkit.Result.YES;
});
RULES
	# polkitd notices the new rule through inotify; give it a moment
	sleep 2
}

# e2e_cable: create the simulated cable between "my-laptop" (side a) and
# "desktop" (side b), unplugged. Sets A and B: the ConfigFS group on the
# laptop for the desktop and on the desktop for the laptop; UA, UB: the
# hosts' UUIDs.
e2e_cable() {
	modprobe tbstream_sim || return 1
	mkdir "$E2E_LINK" || return 1
	echo my-laptop >"$E2E_LINK/a/hostname"
	echo desktop >"$E2E_LINK/b/hostname"
	A=$(cat "$E2E_LINK/a_service")
	B=$(cat "$E2E_LINK/b_service")
	UA=$(cat "$E2E_LINK/a/unique_id")
	UB=$(cat "$E2E_LINK/b/unique_id")
}

plug() {
	echo 1 >"$E2E_LINK/connected"
}

unplug() {
	echo 0 >"$E2E_LINK/connected"
}

# dev_of GROUP STREAM: its /dev/tbstreamN from the ConfigFS index
dev_of() {
	local i
	i=$(cat "$E2E_STREAMS/$1/$2/index" 2>/dev/null) || return 1
	echo "/dev/tbstream$i"
}

# link_ready LINK GROUP STREAM: LINK resolves to the stream's device node
link_ready() {
	local d
	d=$(dev_of "$2" "$3") || return 1
	[ -c "$1" ] && [ "$(readlink -f "$1")" = "$d" ]
}

# bus_stream_path PEER_UUID NAME: the object of stream NAME of that peer
# (through the peer's Streams property, as a client would)
bus_stream_path() {
	local peer
	peer=$(busctl call io.github.tbstream1 /io/github/tbstream1 \
		org.freedesktop.DBus.ObjectManager GetManagedObjects --json=short 2>/dev/null |
		python3 -c '
import json, sys
uuid, name = sys.argv[1], sys.argv[2]
objs = json.load(sys.stdin)["data"][0]
for path, ifaces in objs.items():
    s = ifaces.get("io.github.tbstream1.Stream")
    if s and s["PeerId"]["data"] == uuid and s["Name"]["data"] == name:
        print(path)
' "$1" "$2")
	[ -n "$peer" ] && echo "$peer"
}

# stream_prop PATH PROPERTY: a Stream property's value, unquoted
stream_prop() {
	busctl get-property io.github.tbstream1 "$1" io.github.tbstream1.Stream "$2" 2>/dev/null |
		sed -e 's/^[a-z] //' -e 's/^"//' -e 's/"$//'
}

stream_state_is() { # PATH STATE
	[ "$(stream_prop "$1" State)" = "$2" ]
}

# random_source: the 64 MiB every transfer sends
random_source() {
	[ -f "$E2E_SRC" ] || dd if=/dev/urandom of="$E2E_SRC" bs=1M count=64 status=none
	chmod 0644 "$E2E_SRC"
}

# copy_across FROM_DEV TO_DEV DEST: dd the source into FROM_DEV while a reader
# copies TO_DEV into DEST; the reader opens first (frames sent to a peer that
# has not opened its end are lost, as upstream)
copy_across() {
	local reader
	timeout 180 dd if="$2" of="$3" bs=256k status=none &
	reader=$!
	sleep 0.5
	timeout 180 dd if="$E2E_SRC" of="$1" bs=256k status=none
	wait "$reader"
}

service_active() {
	[ "$(systemctl is-active tbstreamd.service)" = active ]
}

service_pid() {
	systemctl show -P MainPID tbstreamd.service
}

# bail_out WHAT: a failure the rest of the script cannot go on after; shows
# the daemon's state and journal, the summary, and ends the test
bail_out() {
	fail "$1"
	systemctl status --no-pager tbstreamd.service
	journalctl --no-pager -b -u tbstreamd.service | tail -n 40
	summary
	exit 1
}
