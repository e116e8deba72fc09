# Milestone 2 of the emulated USB4 host: the two hosts of one guest, joined
# by the emulated cable, find each other as XDomain peers through Debian's
# unmodified thunderbolt.ko: each domain gets an XDomain device whose
# unique_id is the other host's UUID and whose device_name is the hostname
# the other announced in its properties.  Both boot orders (a host whose
# peer's driver is not up yet keeps asking until it is), then unplug and
# replug of the cable (the emulator's test hook, what qom-set of
# "plugged" does), each time cleanly.
. /lib/tbstream/emu.sh

cycles=${EMU_CYCLES:-10}
DRV=/sys/bus/pci/drivers/thunderbolt

# Domains are numbered in the order the NHIs are bound.
both_see_each_other() { # WHAT
	da=$(emu_domain "$EMU_PCI_A") || emu_fail "$1: no domain on host A"
	db=$(emu_domain "$EMU_PCI_B") || emu_fail "$1: no domain on host B"
	emu_wait_xdomain "$da" "$EMU_UUID_B" "$1"
	emu_wait_xdomain "$db" "$EMU_UUID_A" "$1"
}

# The boot-time load ran before this test named the host: start over.
emu_unload
dmesg -c >/dev/null
emu_load
both_see_each_other "load with the cable plugged"
emu_assert_clean_log "load with the cable plugged"
pass "each domain sees the other host: its UUID and device_name, properties exchanged both ways"

# first_then FIRST SECOND: only FIRST's NHI is driven until its connection
# manager has asked the other side for its UUID and gone unanswered; then
# SECOND comes up and both must find each other
first_then() { # first-pci second-pci first-domain-name
	emu_unload
	dmesg -c >/dev/null
	echo tbstream-none >"$2/driver_override"
	emu_load
	wait_for 60 sh -c "dmesg | grep -q 'thunderbolt 0-1: failed to request UUID, retrying'" ||
		emu_fail "$3 first: its domain never asked the silent peer for its UUID"
	echo >"$2/driver_override"
	echo "${2##*/}" >"$DRV/bind" || emu_fail "$3 first: binding the second NHI"
	emu_keep_awake
	both_see_each_other "$3 first"
	emu_assert_clean_log "$3 first"
}
first_then "$EMU_PCI_A" "$EMU_PCI_B" "host A"
pass "boot order A then B: A's CM waited for B, then both found each other"
first_then "$EMU_PCI_B" "$EMU_PCI_A" "host B"
pass "boot order B then A: B's CM waited for A, then both found each other"

i=1
while [ $i -le "$cycles" ]; do
	emu_cable 0
	[ "$(emu_cable_state)" = 0 ] || emu_fail "unplug $i: the cable still reads plugged"
	emu_wait_no_xdomain "$da" "unplug $i"
	emu_wait_no_xdomain "$db" "unplug $i"
	emu_cable 1
	both_see_each_other "replug $i"
	emu_assert_clean_log "unplug/replug $i"
	i=$((i + 1))
done
pass "$cycles unplug/replug cycles: the peers go and come back, each time with UUID and name"

emu_unload
pass "thunderbolt.ko unloads with the peers connected (on 7.x with the cable pulled first: lib/emu.sh says why)"
summary
