# Without Thunderbolt hardware the real fabric still registers: the
# XDomain service driver is on the thunderbolt bus with the upstream
# modalias, the `stream` directory is published (and withdrawn on unload)
# without a warning, and loading twice is refused cleanly.
. /lib/tbstream/guest.sh
check "tbstream loads" load_tbstream
check "its service driver is on the thunderbolt bus" test -d /sys/bus/thunderbolt/drivers/tbstream
check "it matches protocol key stream, id 1" grep -aq 'tbsvc:kstreamp00000001v\*r\*' /modules/tbstream.ko
check "ConfigFS: thunderbolt/stream" test -d /sys/kernel/config/thunderbolt/stream
sleep 0.2
check "no warning while publishing" sh -c '! dmesg | grep -q "WARNING\|announcement"'
check "it unloads" rmmod tbstream
check "the driver is gone" test ! -e /sys/bus/thunderbolt/drivers/tbstream
check "thunderbolt/stream is gone" test ! -e /sys/kernel/config/thunderbolt/stream
# 6.1/6.12: tbstream registered the subsystem; from 7.x thunderbolt.ko owns it
case $(uname -r) in
[1-6].*) check "the ConfigFS subsystem is gone" test ! -e /sys/kernel/config/thunderbolt ;;
*) check "the core's ConfigFS subsystem stays" test -d /sys/kernel/config/thunderbolt ;;
esac
check "it loads again" load_tbstream
check "and unloads again" rmmod tbstream
summary
