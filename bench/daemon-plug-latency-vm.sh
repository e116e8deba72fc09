#!/bin/bash
# Benchmark (not a test): time from plugging a simulated cable (the uevent is
# emitted synchronously by the write to `connected`) to a configured, openable
# /dev/tbstreamN made by tbstreamd, over many plugs, in the VM on the real
# driver.  Run it on the host's userspace:
#
#   tests/vm/run --userspace host bench/daemon-plug-latency-vm.sh [PLUGS]
#
# The VM is emulated (TCG), so the figures are far slower than hardware; the
# umockdev benchmark (bench/daemon-*) measures the daemon alone.
plugs=${1:-40}
S=/sys/kernel/config/thunderbolt/stream
L=/sys/kernel/config/tbstream_sim/cable
D=/tmp/tbstreamd

insmod /tbstream-test/tbstream.ko
insmod /tbstream-test/tbstream_sim.ko
/lib/systemd/systemd-udevd --daemon
mkdir -p $D/etc $D/state
cat >$D/etc/tbstreamd.conf <<'POLICY'
[Daemon]
Subsystems=tbstream_sim
OnUnplug=remove
[Stream backup]
HopIDs=9,9
[Peer any]
MatchAny=yes
Streams=backup
POLICY
"$TBSTREAM_BUILD/tbstreamd/tbstreamd" --no-bus --log-target=null --config-dir=$D/etc \
	--vendor-dir="$TBSTREAM_TOP/tbstreamd/vendor" --state-dir=$D/state &
daemon=$!
mkdir $L
sleep 1

now_us() { echo $(($(date +%s%N) / 1000)); }
openable() {
	local idx
	idx=$(cat "$S/$1/backup/index" 2>/dev/null) || return 1
	[ "$(errno-of open "/dev/tbstream$idx" rdwr,nonblock)" = OK ]
}

samples=()
for ((i = 0; i < plugs; i++)); do
	t0=$(now_us)
	echo 1 >$L/connected
	A=$(cat $L/a_service)
	until openable "$A"; do :; done
	samples+=($(($(now_us) - t0)))
	echo 0 >$L/connected
	while [ -d "$S/$A/backup" ]; do sleep 0.01; done
done
kill $daemon

# (no process substitution: /dev/fd does not exist in this minimal guest)
read -r -a sorted <<<"$(printf '%s\n' "${samples[@]}" | sort -n | tr '\n' ' ')"
n=${#sorted[@]}
median=${sorted[$((n / 2))]}
p99=${sorted[$(((n * 99 + 99) / 100 - 1))]}
echo "plug -> openable /dev/tbstreamN via tbstreamd, $n plugs (TCG VM):"
printf '  median %6.1f ms   p99 %6.1f ms   min %6.1f ms   max %6.1f ms\n' \
	"$(echo "$median / 1000" | bc -l)" "$(echo "$p99 / 1000" | bc -l)" \
	"$(echo "${sorted[0]} / 1000" | bc -l)" "$(echo "${sorted[$((n - 1))]} / 1000" | bc -l)"
