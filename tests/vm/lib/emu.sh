# shellcheck shell=sh disable=SC2034
# (sourced by the tests/vm/emu scripts: the variables are used there)
# Helpers for tests on the emulated USB4 fabric (tests/vm/emu/boot): two
# emulated hosts, A and B, each an NHI with its host router, joined by an
# emulated cable, driven by Debian's own thunderbolt.ko.
#
# tests/vm/emu/boot names the hosts' UIDs on the kernel command line
# (tbstream_emu_uids=A,B, in PCI order), and the cycle count of the stress
# loops (tbstream_emu_cycles=N, from $TBSTREAM_EMU_CYCLES on the host);
# sourcing this file sets
#   EMU_UID_A, EMU_UID_B     their UIDs (0x...)
#   EMU_CYCLES               N, or the default the script gives
#   EMU_UUID_A, EMU_UUID_B   the UUIDs Linux makes of them (unique_id in sysfs)
#   EMU_PCI_A, EMU_PCI_B     their PCI functions in sysfs
# Every wait is bounded and fails with what it waited for; nothing measures
# time.
#
# Two guests cabled by a socket (tests/vm/emu/pair) each have one host:
# tbstream_emu_pair=a|b names this guest's role, EMU_ROLE; tbstream_emu_uids
# is still A,B, so EMU_UUID_SELF and EMU_UUID_PEER say which is whose;
# EMU_PCI_A is this guest's NHI (emu_cable works on it), EMU_PCI_B empty.
# emu_tell and emu_expect exchange lines with the other guest over a
# second serial port (ttyS1), a test channel beside the cable.
# (busybox guests have it in /lib/tbstream; host-userspace guests, where
# tests/vm/run sets TBSTREAM_GUEST_LIB, elsewhere)
. "${TBSTREAM_GUEST_LIB:-/lib/tbstream}/guest.sh"

TB=/sys/bus/thunderbolt/devices

# emu_fail MSG: the test fails here, with the end of the kernel log
emu_fail() {
	# a guest of a pair: the other one stops waiting for us
	[ -z "${EMU_ROLE:-}" ] || { echo "fail $EMU_ROLE: $1" >&3 && tty-drain <&3; } 2>/dev/null
	echo "not ok - $1"
	echo "# ---- last 60 lines of dmesg ----"
	dmesg | tail -n 60 | sed 's/^/# /'
	echo "$T_PASSED passed, $((T_FAILED + 1)) failed"
	exit 1
}

# emu_uuid UID: the UUID a USB4 router with that UID has in Linux: the UID's
# low and high dwords, then two dwords of ones, printed byte by byte (%pUb)
emu_uuid() {
	_u=$(printf '%016x' "$(($1))")
	_lo=${_u#????????}
	_hi=${_u%????????}
	_le() { echo "$1" | sed 's/\(..\)\(..\)\(..\)\(..\)/\4\3\2\1/'; }
	_a=$(_le "$_lo")
	_b=$(_le "$_hi")
	echo "$_a-$(echo "$_b" | cut -c1-4)-$(echo "$_b" | cut -c5-8)-ffff-ffffffffffff"
}

for _arg in $(cat /proc/cmdline); do
	case "$_arg" in
	tbstream_emu_uids=*)
		_uids=${_arg#*=}
		EMU_UID_A=${_uids%,*}
		EMU_UID_B=${_uids#*,}
		;;
	tbstream_emu_cycles=*) EMU_CYCLES=${_arg#*=} ;;
	tbstream_emu_pair=*) EMU_ROLE=${_arg#*=} ;;
	esac
done
[ -n "${EMU_UID_A:-}" ] || emu_fail "no tbstream_emu_uids= on the kernel command line (boot with tests/vm/emu/boot)"
EMU_UUID_A=$(emu_uuid "$EMU_UID_A")
EMU_UUID_B=$(emu_uuid "$EMU_UID_B")

# the NHIs (class 0x0c0340), in PCI order
_nhis=$(grep -l '^0x0c0340$' /sys/bus/pci/devices/*/class | sed 's,/class$,,' | sort)
EMU_PCI_A=$(echo "$_nhis" | sed -n 1p)
EMU_PCI_B=$(echo "$_nhis" | sed -n 2p)
if [ -n "${EMU_ROLE:-}" ]; then
	[ -n "$EMU_PCI_A" ] && [ -z "$EMU_PCI_B" ] ||
		emu_fail "one USB4 host interface on the PCI bus (found: $_nhis)"
	if [ "$EMU_ROLE" = a ]; then
		EMU_UUID_SELF=$EMU_UUID_A EMU_UUID_PEER=$EMU_UUID_B
	else
		EMU_UUID_SELF=$EMU_UUID_B EMU_UUID_PEER=$EMU_UUID_A
	fi
	stty -F /dev/ttyS1 raw -echo || emu_fail "the test channel to the other guest (ttyS1)"
	exec 3<>/dev/ttyS1
else
	[ -n "$EMU_PCI_B" ] || emu_fail "two USB4 host interfaces on the PCI bus (found: $_nhis)"
fi

# So the XDomain device_name each host announces is one this test chose
# (a script may choose another before sourcing this file).
EMU_HOSTNAME=${EMU_HOSTNAME:-tbstream-emu}
hostname "$EMU_HOSTNAME"

# How long a guest of a pair waits for the other's next line: well inside
# the pair tests' 300 s limit, so that a line that never comes fails the
# test with what it waited for and the kernel log, not a silent kill.
EMU_WAIT=200

# emu_domain PCI: the thunderbolt domain number of that NHI, once it exists
emu_domain() {
	_i=0
	while [ $_i -lt 300 ]; do
		for _d in "$1"/domain*; do
			[ -d "$_d" ] && { echo "${_d##*/domain}"; return 0; }
		done
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}

# emu_cable 0|1: unplug or plug the cable.  The emulator's test hook (byte
# 0xf0 of either end's PCI config space) does what qom-set of its
# "plugged" property does from the host.
emu_cable() {
	printf "\\$(printf '%03o' "$1")" |
		dd of="$EMU_PCI_A/config" bs=1 seek=240 conv=notrunc 2>/dev/null ||
		emu_fail "writing the cable state $1"
}

emu_cable_state() {
	od -An -tu1 -j240 -N1 "$EMU_PCI_A/config" | tr -d ' '
}

# emu_rx_dropped PCI: data frames that host dropped (its rx-dropped counter,
# low 32 bits: the emulator's test hook at dword 0xf4 of the config space)
emu_rx_dropped() {
	od -An -tu4 -j244 -N4 "$1/config" | tr -d ' '
}

# emu_xdomain_ok DOMAIN UUID: the XDomain device of DOMAIN is the peer UUID,
# with the hostname this test set as its device_name
emu_xdomain_ok() {
	[ "$(cat "$TB/$1-1/unique_id" 2>/dev/null)" = "$2" ] &&
		[ "$(cat "$TB/$1-1/device_name" 2>/dev/null)" = "$EMU_HOSTNAME" ]
}

# emu_wait_xdomain DOMAIN UUID WHAT: wait (60 s, TCG under load) for it
emu_wait_xdomain() {
	wait_for 60 emu_xdomain_ok "$1" "$2" ||
		emu_fail "$3: domain $1 sees no XDomain peer $2 named $EMU_HOSTNAME (has: $(ls "$TB" | tr '\n' ' '); unique_id '$(cat "$TB/$1-1/unique_id" 2>/dev/null)', device_name '$(cat "$TB/$1-1/device_name" 2>/dev/null)')"
}

# emu_wait_no_xdomain DOMAIN WHAT: wait until the peer is gone
emu_wait_no_xdomain() {
	wait_for 60 sh -c "! [ -e $TB/$1-1 ]" ||
		emu_fail "$2: the XDomain device $1-1 is still there"
}

# emu_assert_clean_log WHAT: the kernel log since the last call has no
# control-channel trouble (timeouts, CRC or size errors, unexpected packets)
# and no thunderbolt error; then it is cleared.  Three failures are the
# protocol's own: a host whose peer's driver is not up yet (both load at
# once in this guest) gets no answer to its UUID request and retries, or to
# its properties-changed notification, which it sends a few times and then
# gives up on (the peer reads the properties when it comes up anyway; seen
# at boot on a loaded CI machine, where a TCG guest can stall for seconds).
# And a host whose property block shrank (a stream removed, a driver
# unloaded) while the peer was reading it 45 dwords at a time has no reply
# for the next piece, whose offset is now past the end: the core logs
# "failed to send XDomain response for 0x3" (a properties request:
# tb_xdp_properties_response() returns -EINVAL), the peer's read fails, and
# the properties-changed notification that follows has it read the new
# block (seen in two CI runs under load, each right after an unload).
# Likewise a properties request that crosses the peer's own change (a
# replug: both ends re-announce their streams at once) is retried by the
# core; only the final "failed to request remote properties" is trouble.
emu_assert_clean_log() {
	_bad=$(dmesg | grep -Ei 'thunderbolt.*(timeout|timed out|crc|invalid|unexpected|error|fail|refus)|WARNING:|BUG:' |
		grep -v -e 'failed to request UUID, retrying$' \
			-e 'failed to request remote properties, retrying$' \
			-e 'failed to send properties changed notification$' \
			-e 'failed to send properties changed notification, retrying$' \
			-e 'failed to send XDomain response for 0x3$' | head -n 10)
	[ -z "$_bad" ] || { echo "$_bad" | sed 's/^/# /'; emu_fail "$1: thunderbolt logged trouble"; }
	dmesg -c >/dev/null
}

# emu_unload / emu_load: thunderbolt.ko out and back in, debug messages on.
#
# Linux 7.2 (Debian's 7.2.13) removes a domain without unregistering the
# XDomain devices of peers still connected: tb_stop() -> tb_switch_remove()
# -> tb_xdomain_remove() drops only XDomains never added to the bus, and
# tb_domain_unregister_unplugged_xdomains() runs from the hot-plug path
# only.  After rmmod such a device stays on the kernel's device list with
# its bus in the unloaded module, and the next power-off oopses in
# device_shutdown().  So on 7.x the cable is pulled, and the peers are
# waited out, before rmmod (the hot-plug path unregisters them), and put
# back by the next load (every load plugs the cable: in a pair, the other
# guest may be the 7.x one that pulled it): "unload with a peer connected"
# is not tested there.
EMU_UNLOAD_UNPLUGS=0
case "$(uname -r)" in 7.*) EMU_UNLOAD_UNPLUGS=1 ;; esac

# emu_peers_quiet TAG: every service driver of both ends has unloaded and
# each end has read the other's properties since, so no XDomain request is
# still on its way into this guest when thunderbolt.ko goes.  The core
# handles an incoming request in a work item on system_wq that holds a
# domain reference, and tb_domain_remove() flushes only the domain's own
# queue: rmmod during that work frees the NHI before the control rings and
# nhi_shutdown() warns "TX ring 0 is still active" (seen on 6.1, with a 7.2
# peer whose driver had unloaded a moment before; 7.2 has the same code).
# A peer's services vanish from this guest's sysfs only after its
# properties-changed notification was answered and its properties read.
emu_no_peer_service() {
	! ls -d "$TB"/*-1.* >/dev/null 2>&1
}

emu_peers_quiet() {
	wait_for 60 emu_no_peer_service ||
		emu_fail "$1: a peer's services are still listed ($(cd "$TB" && ls -d ./*-1.* | tr '\n' ' '))"
	[ -z "${EMU_ROLE:-}" ] || emu_barrier "$1-quiet"
}

emu_unload() {
	if [ "$EMU_UNLOAD_UNPLUGS" = 1 ] && [ -d "$TB" ]; then
		emu_cable 0
		wait_for 60 sh -c "! ls -d $TB/*-1 2>/dev/null" ||
			emu_fail "unload: the XDomain peers did not go after the cable was pulled"
	fi
	rmmod thunderbolt || emu_fail "rmmod thunderbolt"
}

emu_load() {
	# a busybox guest has its modules in /lib/modules; a host-userspace
	# guest has the kernel's module tree there, for modprobe
	if [ -f /lib/modules/thunderbolt.ko ]; then
		insmod /lib/modules/thunderbolt.ko dyndbg=+p || emu_fail "insmod thunderbolt"
	else
		modprobe thunderbolt dyndbg=+p || emu_fail "modprobe thunderbolt"
	fi
	emu_keep_awake
	emu_cable 1
}

# emu_keep_awake: runtime PM of the NHIs off.  The driver lets an idle NHI
# autosuspend (15 s), and silicon wakes it for a plug event; the emulator
# models no wake (no PCI PM capability, no PME), so a cable plugged into a
# suspended host would go unseen.  The driver's probe allows runtime PM,
# so this is done after every bind, well within the autosuspend delay.
emu_keep_awake() {
	for _p in "$EMU_PCI_A" "$EMU_PCI_B"; do
		[ -e "$_p/driver" ] && echo on >"$_p/power/control"
	done
	return 0
}

# emu_tell LINE: send LINE to the other guest (pair mode).  It returns once
# the line has left this guest's UART: a guest powers off right after its
# last line, and the UART's unsent bytes went with it (the other guest then
# waited for the final barrier until its timeout).
emu_tell() {
	echo "$1" >&3
	tty-drain <&3 || emu_fail "the test channel to the other guest (ttyS1) did not drain"
}

# emu_expect LINE: wait (bounded) until the other guest says LINE; what it
# said before is skipped, and "fail ..." from it fails this guest too
emu_expect() {
	# shellcheck disable=SC3045 # busybox ash has read -t
	while read -r -t "$EMU_WAIT" _line <&3; do
		case "$_line" in
		"$1") return 0 ;;
		fail*) emu_fail "the other guest failed while we waited for '$1': $_line" ;;
		esac
	done
	emu_fail "the other guest never said '$1'"
}

# emu_expect_value TAG: EMU_VALUE is what the other guest sent as "TAG
# VALUE" (bounded); what it said before is skipped, "fail ..." fails this
# guest.  Never call it in a command substitution: a subshell that reads
# the test channel may take the next line too (bash reads a tty ahead) and
# it dies with the subshell; two lines sent back to back, such as a sha and
# a barrier, then lose the second, and the guest waits for it in vain.
emu_expect_value() {
	# shellcheck disable=SC3045 # busybox ash has read -t
	while read -r -t "$EMU_WAIT" _l <&3; do
		case "$_l" in
		"$1 "*) EMU_VALUE=${_l#"$1" }; return 0 ;;
		fail*) emu_fail "the other guest: $_l" ;;
		esac
	done
	emu_fail "no '$1' from the other guest"
}

# emu_has_open DEV: a process has DEV open (its open(2) has returned): a
# reader that must be there before the other guest's writer starts
emu_has_open() {
	for _fd in /proc/[0-9]*/fd/*; do
		[ "$(readlink "$_fd" 2>/dev/null)" = "$1" ] && return 0
	done
	return 1
}

# emu_service DRIVER [DOMAIN]: the peer's `stream` service in DOMAIN
# (default 0) that DRIVER (tbstream, thunderbolt_stream) has bound, e.g.
# 0-1.0; false while there is none
emu_service() {
	for _s in "$TB/${2:-0}"-1.*; do
		[ "$(cat "$_s/key" 2>/dev/null)" = stream ] &&
			readlink "$_s/driver" | grep -q "/$1\$" &&
			{ basename "$_s"; return 0; }
	done
	return 1
}

# emu_load_peers: thunderbolt.ko loaded, each host's domain found
# (EMU_DOM_A, EMU_DOM_B) and each host sees the other as its XDomain peer
emu_load_peers() {
	emu_load
	EMU_DOM_A=$(emu_domain "$EMU_PCI_A") || emu_fail "no domain on host A"
	EMU_DOM_B=$(emu_domain "$EMU_PCI_B") || emu_fail "no domain on host B"
	emu_wait_xdomain "$EMU_DOM_A" "$EMU_UUID_B" "load"
	emu_wait_xdomain "$EMU_DOM_B" "$EMU_UUID_A" "load"
}

# emu_bind [DRIVER]: after emu_load_peers, DRIVER (tbstream, the default, or
# upstream's thunderbolt_stream on 7.x) loaded and bound to the peer's
# `stream` service on both hosts of this guest.  Sets EMU_GA and EMU_GB:
# the ConfigFS groups hosts A and B use for each other (not made).
emu_bind() {
	insmod "/modules/${1:-tbstream}.ko" || emu_fail "insmod ${1:-tbstream}"
	emu_wait_bound "${1:-tbstream}" "load"
	EMU_GA=/sys/kernel/config/thunderbolt/stream/$(emu_service "${1:-tbstream}" "$EMU_DOM_A")
	EMU_GB=/sys/kernel/config/thunderbolt/stream/$(emu_service "${1:-tbstream}" "$EMU_DOM_B")
}

# emu_wait_bound DRIVER WHAT: DRIVER is bound to the peer's `stream`
# service on both hosts (after a load, a replug...)
emu_wait_bound() {
	wait_for 60 emu_service "$1" "$EMU_DOM_A" && wait_for 60 emu_service "$1" "$EMU_DOM_B" ||
		emu_fail "$2: $1 bound no stream service of the peer ($(ls "$TB" | tr '\n' ' '))"
}

# emu_stream_pair [DRIVER]: after emu_load_peers, DRIVER (tbstream, the
# default, or upstream's thunderbolt_stream on 7.x) on both hosts of this
# guest and one stream between them with crossed HopIDs: A's "sa" (in 9,
# out 8) and B's "sb" (in 8, out 9), each named apart because on 6.x a
# kernel announces one directory for all its hosts (kernel/README.md).
# Both are ready when it returns (upstream has no state attribute: its
# devices exist, and its open waits for the peer's stream).  Sets EMU_SA,
# EMU_SB (their ConfigFS items) and EMU_DEV_A, EMU_DEV_B (their devices).
# EMU_HOPID moves the pair to HopIDs EMU_HOPID and EMU_HOPID + 1 (default
# 8): on 7.x thunderbolt_net allocates its HopIDs from 8 up.
emu_stream_pair() {
	_drv=${1:-tbstream}
	_lo=${EMU_HOPID:-8}
	_hi=$((_lo + 1))
	emu_bind "$_drv"
	EMU_SA=$EMU_GA/sa
	EMU_SB=$EMU_GB/sb
	mkdir "${EMU_SA%/*}" "${EMU_SB%/*}" "$EMU_SA" "$EMU_SB" || emu_fail "mkdir the stream groups"
	echo $_hi >"$EMU_SA/in_hopid" && echo $_lo >"$EMU_SA/out_hopid" &&
		echo $_lo >"$EMU_SB/in_hopid" && echo $_hi >"$EMU_SB/out_hopid" || emu_fail "setting the HopIDs"
	EMU_DEV_A=/dev/tbstream$(cat "$EMU_SA/index")
	EMU_DEV_B=/dev/tbstream$(cat "$EMU_SB/index")
	if [ "$_drv" = tbstream ]; then
		wait_for 30 grep -qx ready "$EMU_SA/state" && wait_for 30 grep -qx ready "$EMU_SB/state" ||
			emu_fail "the streams are not ready ($(cat "$EMU_SA/state") $(cat "$EMU_SB/state"))"
	else
		wait_for 30 test -c "$EMU_DEV_A" && wait_for 30 test -c "$EMU_DEV_B" ||
			emu_fail "$_drv made no devices $EMU_DEV_A and $EMU_DEV_B"
	fi
}

# emu_check_copy WHAT MIB: MIB MiB of random bytes from A's stream to B's
# (B's reader open before A's writer starts): both end cleanly, the bytes
# arrive whole (sha256)
emu_check_copy() {
	dd if=/dev/urandom of=/tmp/src bs=1M count="$2" 2>/dev/null
	timeout 120 dd if="$EMU_DEV_B" of=/tmp/dst bs=256k 2>/tmp/rd.err &
	_r=$!
	wait_for 30 emu_has_open "$EMU_DEV_B" || emu_fail "$1: B's reader never opened"
	timeout 120 dd if=/tmp/src of="$EMU_DEV_A" bs=256k 2>/tmp/wr.err
	_wrc=$?
	check_eq "$1: A's writer succeeds ($(tail -n1 /tmp/wr.err))" 0 $_wrc
	wait $_r
	_rdc=$?
	check_eq "$1: B's reader ends at the writer's close ($(tail -n1 /tmp/rd.err))" 0 $_rdc
	check_eq "$1: $2 MiB intact" "$(sha /tmp/src)" "$(sha /tmp/dst)"
}

# emu_stream_pair_remove: rmdir what emu_stream_pair made
emu_stream_pair_remove() {
	rmdir "$EMU_SA" "$EMU_SB" "${EMU_SA%/*}" "${EMU_SB%/*}" || emu_fail "rmdir the streams"
}

# emu_tbnet_module: EMU_TBNET_KO is the guest kernel's thunderbolt_net
# (thunderbolt-net.ko on 6.1; tests/vm/run --module thunderbolt_net), which
# is unloaded if the boot loaded it
emu_tbnet_module() {
	EMU_TBNET_KO=$(ls /lib/modules/thunderbolt_net.ko /lib/modules/thunderbolt-net.ko 2>/dev/null | head -n1)
	[ -n "$EMU_TBNET_KO" ] ||
		emu_fail "no thunderbolt_net module in the guest (boot with --module thunderbolt_net)"
	rmmod thunderbolt_net 2>/dev/null
	return 0
}

# emu_netif DOMAIN: the network interface of thunderbolt_net's service of
# the peer on DOMAIN (its device is the XDomain's service DOMAIN-1.N)
emu_netif() {
	for _n in /sys/class/net/*; do
		case "$(basename "$(readlink "$_n/device" 2>/dev/null)")" in
		"$1"-1.*) basename "$_n"; return 0 ;;
		esac
	done
	return 1
}

# emu_tbnet_split DOMAIN_A DOMAIN_B ADDR_A ADDR_B: thunderbolt_net's two
# interfaces of this guest addressed, B's in a network namespace of its own
# (kept by a process that only sleeps, EMU_NS), so traffic between the two
# addresses leaves through A's NHI and comes in through B's rather than
# the kernel's local route.  Sets EMU_IF_A and EMU_IF_B; emu_inb CMD runs
# CMD in B's namespace.
emu_tbnet_split() {
	wait_for 60 emu_netif "$1" && wait_for 60 emu_netif "$2" ||
		emu_fail "thunderbolt_net made no interface for both domains ($(ls /sys/class/net | tr '\n' ' '))"
	EMU_IF_A=$(emu_netif "$1")
	EMU_IF_B=$(emu_netif "$2")
	unshare -n sleep 100000 &
	EMU_NS=$!
	_own_ns() { [ "$(readlink "/proc/$EMU_NS/ns/net")" != "$(readlink /proc/self/ns/net)" ]; }
	wait_for 10 _own_ns || emu_fail "no network namespace for host B"
	netns-link "$EMU_IF_B" "$EMU_NS" || emu_fail "moving $EMU_IF_B into B's namespace"
	ip addr add "$3/24" dev "$EMU_IF_A" && ip link set "$EMU_IF_A" up &&
		emu_inb ip link set lo up && emu_inb ip addr add "$4/24" dev "$EMU_IF_B" &&
		emu_inb ip link set "$EMU_IF_B" up || emu_fail "configuring the interfaces"
}
emu_inb() { nsenter -t "$EMU_NS" -n "$@"; }

# emu_tbnet_up ADDR_A ADDR_B: thunderbolt_net (emu_tbnet_module) loaded
# beside whatever else uses the cable, its interfaces split and addressed
# (emu_tbnet_split), and A's ping to B answered
emu_tbnet_up() {
	insmod "$EMU_TBNET_KO" || emu_fail "insmod $EMU_TBNET_KO"
	emu_tbnet_split "$EMU_DOM_A" "$EMU_DOM_B" "$1" "$2"
	wait_for 60 ping -c 1 -W 2 "$2" >/dev/null || emu_fail "no ping from A to B over thunderbolt_net"
}

# emu_pair_start: both guests of a pair are running their tests.  B calls
# until A answers: bytes sent before A's side opened its port may be lost.
# A answers once, and the raw tty hands B its line a byte at a time: a
# 1 s read that times out in the middle of it returns the first part
# (bash keeps it in the variable), so the parts are joined until a newline
# ends the line (a CI run's B never matched A's answer without this).
emu_pair_start() {
	if [ "$EMU_ROLE" = a ]; then
		emu_expect hello-b
		emu_tell hello-a
		return 0
	fi
	_i=0 _part=
	while [ $_i -lt "$EMU_WAIT" ]; do
		emu_tell hello-b
		_line=
		# shellcheck disable=SC3045 # busybox ash has read -t
		if read -r -t 1 _line <&3; then
			[ "$_part$_line" = hello-a ] && return 0
			_part=
		else
			_part=$_part$_line
		fi
		_i=$((_i + 1))
	done
	emu_fail "guest A never answered on the test channel"
}

# emu_barrier NAME: both guests got here
emu_barrier() {
	emu_tell "$1"
	emu_expect "$1"
}

# emu_finish: the last barrier of a pair, then a goodbye so that neither
# guest powers off while the other may still be reading.  A guest's 16550
# takes at most its RX trigger level (8 bytes) from QEMU until the guest
# drains the FIFO, and when one QEMU exits, the other's socket backend drops
# what it had not yet handed over: "finished" once arrived as "finishe" and
# guest A waited out its whole limit.  A "bye" is only sent after reading
# "finished", so seeing the other's "bye" means it has ours; the wait for
# it is bounded and not a failure, since the last line of all can still be
# cut the same way.
emu_finish() {
	emu_barrier finished
	emu_tell bye
	# shellcheck disable=SC3045 # busybox ash has read -t
	while read -r -t 30 _line <&3; do
		[ "$_line" = bye ] && return 0
	done
	echo "# no goodbye from the other guest within 30 s (it passed 'finished')"
}
