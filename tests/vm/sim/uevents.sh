# shellcheck shell=sh
# What udev (and tbstreamd) hears: a plug is "add" of the XDomain, then of
# its service with MODALIAS; an unplug is "remove" of the service, then of
# the XDomain, on each side.
. /lib/tbstream/guest.sh
load_tbstream
load_sim

L=/sys/kernel/config/tbstream_sim/ev
sim-uevent tbstream_sim 8 > /tmp/ev &
listener=$!
check "listener ready" wait_for 5 grep -q READY /tmp/ev
mkdir $L
echo 1 > $L/connected
check "both services announced" wait_for 5 test -d /sys/bus/tbstream_sim/devices/1001-1.0
echo 0 > $L/connected
rmdir $L
sleep 0.5
kill $listener
cat /tmp/ev
alias=tbsvc:kstreamp00000001v00000001r00000000
expect_a="add domain1000 thunderbolt_domain
add 1000-1 thunderbolt_xdomain
add 1000-1.0 thunderbolt_service $alias
remove 1000-1.0 thunderbolt_service $alias
remove 1000-1 thunderbolt_xdomain
remove domain1000 thunderbolt_domain"
check_eq "side a: add, add, add, remove, remove, remove" "$expect_a" \
	"$(grep -E '^[a-z]+ (domain1000|1000-1|1000-1\.0) ' /tmp/ev)"
check "side b: service added with MODALIAS" grep -qx "add 1001-1.0 thunderbolt_service $alias" /tmp/ev
check "side b: service removed before its XDomain" \
	test "$(grep -n 'remove 1001-1.0 ' /tmp/ev | cut -d: -f1)" -lt "$(grep -n 'remove 1001-1 ' /tmp/ev | cut -d: -f1)"
check "no change event without a new announcement" test -z "$(grep '^change' /tmp/ev)"
summary
