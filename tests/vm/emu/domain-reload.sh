# Milestone 1 of the emulated USB4 host: Debian's unmodified thunderbolt.ko
# binds both emulated NHIs with its software connection manager, makes
# domains 0 and 1 whose root routers carry the UIDs QEMU was given, talks
# to both routers (and across the cable) without a control-channel error,
# and does so again after every unload and reload.
. /lib/tbstream/emu.sh

cycles=${EMU_CYCLES:-10}

# thunderbolt.ko came up at boot (without debug messages)
da=$(emu_domain "$EMU_PCI_A") || emu_fail "boot: no domain on host A"
db=$(emu_domain "$EMU_PCI_B") || emu_fail "boot: no domain on host B"
check_eq "boot: host A is domain 0" 0 "$da"
check_eq "boot: host B is domain 1" 1 "$db"
emu_assert_clean_log "boot"
emu_unload

# one cycle: load with debug messages on, check, unload
load_and_check() { # WHAT
	emu_load
	da=$(emu_domain "$EMU_PCI_A") || emu_fail "$1: no domain on host A"
	db=$(emu_domain "$EMU_PCI_B") || emu_fail "$1: no domain on host B"
	[ "$da" = 0 ] && [ "$db" = 1 ] || emu_fail "$1: domains A=$da B=$db, expected 0 and 1"
	wait_for 60 test -e "$TB/0-0/unique_id" || emu_fail "$1: no router 0-0"
	wait_for 60 test -e "$TB/1-0/unique_id" || emu_fail "$1: no router 1-0"
	[ "$(cat "$TB/0-0/unique_id")" = "$EMU_UUID_A" ] ||
		emu_fail "$1: 0-0 has unique_id $(cat "$TB/0-0/unique_id"), host A's UID makes $EMU_UUID_A"
	[ "$(cat "$TB/1-0/unique_id")" = "$EMU_UUID_B" ] ||
		emu_fail "$1: 1-0 has unique_id $(cat "$TB/1-0/unique_id"), host B's UID makes $EMU_UUID_B"
	for _p in "$EMU_PCI_A" "$EMU_PCI_B"; do
		dmesg | grep -q "thunderbolt ${_p##*/}: using software connection manager" ||
			emu_fail "$1: ${_p##*/} does not say it uses the software connection manager"
	done
	# the connection managers finish their work over the cable
	emu_wait_xdomain 0 "$EMU_UUID_B" "$1"
	emu_wait_xdomain 1 "$EMU_UUID_A" "$1"
	emu_assert_clean_log "$1"
	emu_unload
	[ ! -e "$TB/0-0" ] && [ ! -e "$TB/1-0" ] || emu_fail "$1: routers still there after rmmod"
	emu_assert_clean_log "$1: unload"
}

load_and_check "first load with debug messages"
pass "thunderbolt.ko binds both NHIs with the software CM; 0-0 and 1-0 carry the hosts' UIDs; no control-channel error"

i=1
while [ $i -le "$cycles" ]; do
	load_and_check "reload $i of $cycles"
	i=$((i + 1))
done
pass "$cycles unload/reload cycles, each clean"

emu_load
check "the domains come back after the last cycle" wait_for 60 test -e "$TB/1-0"
summary
