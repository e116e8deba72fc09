# shellcheck shell=bash disable=SC2034
# (sourced by tests/vm/emu-e2e/*.sh: the variables are used there)
# What the emu-e2e pair scripts share: two guests with systemd and the
# project installed, their emulated hosts joined by the socket cable
# (tests/vm/emu/pair).  Guest A is "my-laptop", guest B "desktop"; sourcing
# this sets
#   me, peer   this guest's host name and the other's
#   LINK       /dev/tbstream/by-name/<peer>/backup, the policy's stream
# and makes bail_out tell the other guest (emu_fail) after the daemon's log.
. "$TBSTREAM_GUEST_LIB/emu.sh"
. "$TBSTREAM_GUEST_LIB/e2e.sh"

bail_out() {
	journalctl --no-pager -b -u tbstreamd.service | tail -n 40 | sed 's/^/# /'
	emu_fail "$1"
}

if [ "$EMU_ROLE" = a ]; then
	me=my-laptop peer=desktop
else
	me=desktop peer=my-laptop
fi
LINK=/dev/tbstream/by-name/$peer/backup
