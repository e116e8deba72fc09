# The kernel ABI fuzzer (tests/vm/guest/abi-fuzz.c): eight threads issue
# random but seeded ConfigFS, file, ioctl and dma-buf operations on three
# stream names per side while the simulated cable is plugged, unplugged,
# slowed and corrupted.  Every call must return, nothing may oops or warn
# (the harness fails the run on either; the debug kernel also on KASAN,
# lockdep, UBSAN and kmemleak reports), no object may outlive its stream,
# and both modules must unload.
#   tests/vm/run --kernel ... tests/vm/kernel/abi-fuzz.sh [SEED [SECONDS]]
# replays a seed (each run prints its own; by default a new one each run,
# so CI explores a little more every time).
. /lib/tbstream/guest.sh
seed=${1:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
seconds=${2:-20}
plug_cable
mkdir "$A" "$B"
# any dma-buf exporter the kernel has (udmabuf on 6.12; vgem when loaded)
modprobe udmabuf 2>/dev/null || true

abi-fuzz "$seed" "$seconds" 8 "$A" "$B" "$L" > /tmp/fuzz.out 2>&1
rc=$?
cat /tmp/fuzz.out
check_eq "every call returned (seed $seed)" 0 "$rc"
total=$(sed -n 's/.*: \([0-9]*\) operations.*/\1/p' /tmp/fuzz.out)
check "it did something (seed $seed: $total operations)" test "${total:-0}" -gt 1000

# what the fuzzer left behind (it removed its items at the end) goes away
echo 0 > "$L/path_delay_ms"
echo 0 > "$L/unplug_after"
for g in "$A" "$B"; do
	for s in "$g"/*/; do
		[ -d "$s" ] && rmdir "$s"
	done
done
check_eq "no stream and no session outlive their items" "streams 0 sessions 0" "$(live)"
echo 1 > "$L/connected"
rmdir "$A" "$B"
rmdir "$L"
check "modules unload" sh -c 'rmmod tbstream_sim && rmmod tbstream'
summary
