# Opens, writes and last closes racing unplugs on the real thunderbolt core
# (kernel/nhi.c): there the hotplug worker holds the domain's tb->lock
# across tb_xdomain_remove() -> tbs_port_remove(), and an open's
# tb_xdomain_enable_paths() or a last close's disable_paths() takes the
# same lock, so a tbstream lock held across either would deadlock (the
# simulator lines such races up deterministically with path_hold; here
# they happen where they happen).  On both hosts a loop opens the stream,
# writes or reads, and closes, without pause, while the cable is pulled
# and put back EMU_CYCLES times at varying moments.  Every unplug and
# replug must complete (a deadlock is a hung task, which panics the guest,
# or a bounded wait that fails), each loop must stop when told, nothing
# may be left open or leak, and the stream must then carry 8 MiB intact.
# The 8 MiB afterwards once failed at the writer's open with ENOMEM: an
# open's enable had waited for tb->lock across an unplug, and the core had
# built a DMA tunnel for the unplugged XDomain that held the stream's
# HopIDs (kernel/README.md, "Core bugs met on the cable"; nhi.c removes
# such a leftover now, and tbstream-enable-vs-unplug lines it up).
. /lib/tbstream/emu.sh
CYCLES=${EMU_CYCLES:-16}

emu_unload
dmesg -c >/dev/null
emu_load_peers
emu_stream_pair
both_are() { grep -qx "$1" "$EMU_SA/state" && grep -qx "$1" "$EMU_SB/state"; }

# churn DEV OPS...: open, OPS, close, again, until /tmp/stop exists; each
# round bounded (a writer whose reader went away waits for credits until
# the unplug or its close's drain bound); the rounds are counted
churn() {
	_dev=$1
	shift
	_n=0
	while [ ! -e /tmp/stop ]; do
		timeout 20 stream-probe "$_dev" "$@" close >/dev/null 2>&1
		_n=$((_n + 1))
		echo $_n >"/tmp/rounds.$(basename "$_dev")"
	done
}
rm -f /tmp/stop /tmp/rounds.*
churn "$EMU_DEV_A" open:wronly write:65536 write:4096 &
ca=$!
churn "$EMU_DEV_B" open:rdonly,nonblock read:65536 sleep:20 read:65536 &
cb=$!

c=1
while [ $c -le "$CYCLES" ]; do
	echo "# cycle $c"
	# a different moment in the loops' rounds each time
	sleep "0.$((c * 37 % 9 + 1))"
	emu_cable 0
	wait_for 60 both_are detached ||
		emu_fail "cycle $c: the streams did not detach ($(cat "$EMU_SA/state") $(cat "$EMU_SB/state"))"
	sleep "0.$((c * 53 % 7 + 1))"
	emu_cable 1
	wait_for 60 both_are ready ||
		emu_fail "cycle $c: the streams are not ready after the replug ($(cat "$EMU_SA/state") $(cat "$EMU_SB/state"))"
	c=$((c + 1))
done
pass "$CYCLES unplugs and replugs under opens, I/O and closes on both hosts"
touch /tmp/stop
wait_for 60 sh -c "! kill -0 $ca 2>/dev/null && ! kill -0 $cb 2>/dev/null" ||
	emu_fail "the open/close loops did not stop"
wait $ca $cb
echo "# rounds: A $(cat /tmp/rounds."$(basename "$EMU_DEV_A")") B $(cat /tmp/rounds."$(basename "$EMU_DEV_B")")"
check "both loops ran rounds" test -s /tmp/rounds."$(basename "$EMU_DEV_A")" -a -s /tmp/rounds."$(basename "$EMU_DEV_B")"
check_eq "no session left open" "streams 2 sessions 0" "$(live)"

echo "# states: A $(cat "$EMU_SA/state") B $(cat "$EMU_SB/state"); $(live); ring_exhausted A $(cat "$EMU_SA/ring_exhausted") B $(cat "$EMU_SB/ring_exhausted")"
emu_check_copy afterwards 8
[ "$T_FAILED" -eq 0 ] || dmesg | tail -n 40 | sed 's/^/# /'

emu_stream_pair_remove
check_eq "no stream left" "streams 0 sessions 0" "$(live)"
check "rmmod tbstream" rmmod tbstream
emu_unload
summary
