# Milestone 2 of the emulated USB4 host across two QEMU processes: each
# guest has one emulated host, and the two hosts are cabled by a socket
# (tests/vm/emu/pair).  Debian's unmodified thunderbolt.ko on each side
# finds the other host as an XDomain peer with its UUID and the
# device_name it announced, in both boot orders; then the cable is
# unplugged and replugged from either end in turn (the emulator's test
# hook, what qom-set of "plugged" does), and both guests see every change.
# The guests run this same script in lock step over their test channel.
. /lib/tbstream/emu.sh

cycles=${EMU_CYCLES:-6}
emu_pair_start

sees_peer() { # WHAT
	_d=$(emu_domain "$EMU_PCI_A") || emu_fail "$1: no domain"
	emu_wait_xdomain "$_d" "$EMU_UUID_PEER" "$1"
}

# The boot-time load ran before this test named the host: start over, both.
emu_unload
dmesg -c >/dev/null
emu_barrier unloaded
emu_load
sees_peer "load with the cable plugged"
check_eq "our router carries our UID" "$EMU_UUID_SELF" "$(cat "$TB/0-0/unique_id")"
emu_assert_clean_log "load with the cable plugged"
emu_barrier seen
pass "the host in the other QEMU is our XDomain peer: its UUID and device_name"

# first_then ROLE: only ROLE's thunderbolt.ko runs until its connection
# manager asked the silent peer for its UUID; then the other guest loads
# its own (a module load: Debian's 7.2 oopses at power-off after an NHI was
# bound later than the module's init and the module then removed; see
# emu/usb4-host/README.md)
first_then() {
	emu_unload
	dmesg -c >/dev/null
	emu_barrier "unloaded-$1"
	if [ "$EMU_ROLE" = "$1" ]; then
		emu_load
		wait_for 60 sh -c "dmesg | grep -q 'thunderbolt 0-1: failed to request UUID, retrying'" ||
			emu_fail "$1 first: its domain never asked the silent peer for its UUID"
		emu_tell "asked-$1"
	else
		emu_expect "asked-$1"
		emu_load
	fi
	sees_peer "$1 first"
	emu_assert_clean_log "$1 first"
	emu_barrier "seen-$1"
}
first_then a
pass "boot order A then B: A's CM waited for B, then both found each other"
first_then b
pass "boot order B then A: B's CM waited for A, then both found each other"

# Odd cycles A pulls the cable, even ones B: each end's plug reaches the other.
i=1
while [ $i -le "$cycles" ]; do
	if [ $((i % 2)) = 1 ]; then puller=a; else puller=b; fi
	[ "$EMU_ROLE" != "$puller" ] || emu_cable 0
	d=$(emu_domain "$EMU_PCI_A") || emu_fail "unplug $i: no domain"
	emu_wait_no_xdomain "$d" "unplug $i by $puller"
	[ "$(emu_cable_state)" = 0 ] || emu_fail "unplug $i by $puller: our end still reads plugged"
	emu_barrier "gone-$i"
	[ "$EMU_ROLE" != "$puller" ] || emu_cable 1
	sees_peer "replug $i by $puller"
	[ "$(emu_cable_state)" = 1 ] || emu_fail "replug $i by $puller: our end reads unplugged"
	emu_assert_clean_log "unplug/replug $i"
	emu_barrier "back-$i"
	i=$((i + 1))
done
pass "$cycles unplug/replug cycles from both ends: the peer goes and comes back, each time with UUID and name"

emu_unload
pass "thunderbolt.ko unloads with the peer connected (on 7.x with the cable pulled first: lib/emu.sh says why)"
emu_finish
summary
