# shellcheck shell=sh
# Plugging a simulated cable shows, on the tbstream_sim bus, the XDomain and
# service devices a real host shows, with the same DEVTYPEs, attributes and
# uevent variables; unplugging removes them, services first.
. /lib/tbstream/guest.sh

load_tbstream
load_sim

cfg=/sys/kernel/config/tbstream_sim
bus=/sys/bus/tbstream_sim/devices
l=$cfg/l0

check "the ConfigFS subsystem exists" test -d $cfg
check "the bus exists" test -d $bus
check "mkdir makes a link" mkdir $l
check "side a's group" test -d $l/a
check "side b's group" test -d $l/b
check_eq "a_domain" 1000 "$(cat $l/a_domain)"
check_eq "b_domain" 1001 "$(cat $l/b_domain)"
check_eq "a_service" 1000-1.0 "$(cat $l/a_service)"
check_eq "b_service" 1001-1.0 "$(cat $l/b_service)"
check_eq "a_xdomain" 1000-1 "$(cat $l/a_xdomain)"
check_eq "side group's service" 1000-1.0 "$(cat $l/a/service)"
check_eq "default hostname a" sim-a "$(cat $l/a_hostname)"
check_eq "default hostname b" sim-b "$(cat $l/b/hostname)"
check_eq "unplugged at first" 0 "$(cat $l/connected)"
check "domain devices exist at mkdir" test -d $bus/domain1000
check "domain1000 is a domain" grep -qx DEVTYPE=thunderbolt_domain $bus/domain1000/uevent
check "no XDomain while unplugged" test ! -e $bus/1000-1

echo host-b > $l/b/hostname
uuid_b=$(cat $l/b/unique_id)
uuid_a=$(cat $l/a/unique_id)
check "plug" sh -c "echo 1 > $l/connected"
check_eq "connected reads 1" 1 "$(cat $l/connected)"
check "XDomain 1000-1 appears" test -d $bus/1000-1
check "XDomain 1001-1 appears" test -d $bus/1001-1
check "1000-1 is a thunderbolt_xdomain" grep -qx DEVTYPE=thunderbolt_xdomain $bus/1000-1/uevent
check_eq "device_name is the peer's hostname" host-b "$(cat $bus/1000-1/device_name)"
check_eq "the other side sees sim-a" sim-a "$(cat $bus/1001-1/device_name)"
check_eq "unique_id is the peer's UUID" "$uuid_b" "$(cat $bus/1000-1/unique_id)"
check_eq "and on the other side" "$uuid_a" "$(cat $bus/1001-1/unique_id)"
check_eq "vendor" 0x8086 "$(cat $bus/1000-1/vendor)"
check_eq "vendor_name" "Intel Corp." "$(cat $bus/1000-1/vendor_name)"
check_eq "device" 0x1 "$(cat $bus/1000-1/device)"
check_eq "maxhopid" 19 "$(cat $bus/1000-1/maxhopid)"
check_eq "rx_speed" "20.0 Gb/s" "$(cat $bus/1000-1/rx_speed)"
check_eq "tx_speed" "20.0 Gb/s" "$(cat $bus/1000-1/tx_speed)"
check_eq "rx_lanes" 2 "$(cat $bus/1000-1/rx_lanes)"
check_eq "tx_lanes" 2 "$(cat $bus/1000-1/tx_lanes)"
check "no authorized attribute (XDomains have none)" test ! -e $bus/1000-1/authorized

check "service 1000-1.0 appears" wait_for 5 test -d $bus/1000-1.0
check "service 1001-1.0 appears" wait_for 5 test -d $bus/1001-1.0
s=$bus/1000-1.0
check "the service is a child of the XDomain" test -d $bus/1000-1/1000-1.0
check "1000-1.0 is a thunderbolt_service" grep -qx DEVTYPE=thunderbolt_service $s/uevent
check_eq "key" stream "$(cat $s/key)"
check_eq "prtcid" 1 "$(cat $s/prtcid)"
check_eq "prtcvers" 1 "$(cat $s/prtcvers)"
check_eq "prtcrevs" 0 "$(cat $s/prtcrevs)"
check_eq "prtcstns" 0x00000000 "$(cat $s/prtcstns)"
check_eq "modalias" tbsvc:kstreamp00000001v00000001r00000000 "$(cat $s/modalias)"
check "uevent carries MODALIAS" grep -qx MODALIAS=tbsvc:kstreamp00000001v00000001r00000000 $s/uevent

check_errno "hostname is fixed while plugged" EBUSY write $l/a/hostname other
check_errno "unique_id is fixed while plugged" EBUSY write $l/a/unique_id 01234567-89ab-cdef-0123-456789abcdef
check_errno "maxhopid is fixed while plugged" EBUSY write $l/maxhopid 15
check_errno "nhi_rings is fixed while plugged" EBUSY write $l/a/nhi_rings 8

check "unplug" sh -c "echo 0 > $l/connected"
check "service gone" test ! -e $bus/1000-1.0
check "other service gone" test ! -e $bus/1001-1.0
check "XDomain gone" test ! -e $bus/1000-1
check "other XDomain gone" test ! -e $bus/1001-1
check "domain stays" test -d $bus/domain1000

# A UUID change and a new hostname show after a replug, as on hardware.
check "new UUID accepted while unplugged" sh -c "echo 01234567-89ab-cdef-0123-456789abcdef > $l/b/unique_id"
echo 15 > $l/maxhopid
echo 1 > $l/lanes
echo 40 > $l/speed
echo 1 > $l/connected
check_eq "the new UUID shows" 01234567-89ab-cdef-0123-456789abcdef "$(cat $bus/1000-1/unique_id)"
check_eq "maxhopid follows the link" 15 "$(cat $bus/1000-1/maxhopid)"
check_eq "lanes follow the link" 1 "$(cat $bus/1000-1/rx_lanes)"
check_eq "speed follows the link" "40.0 Gb/s" "$(cat $bus/1000-1/tx_speed)"
check "service back" wait_for 5 test -d $bus/1000-1.0

# A second link gets the next domains.
check "second link" mkdir $cfg/l1
check_eq "second link's a_domain" 1002 "$(cat $cfg/l1/a_domain)"
check_eq "second link's b_service" 1003-1.0 "$(cat $cfg/l1/b_service)"
check "rmdir of the unplugged link" rmdir $cfg/l1
check "its domains are gone" test ! -e $bus/domain1002

check "rmdir of a plugged link" rmdir $l
check "its devices are gone" test ! -e $bus/1000-1.0 -o -e $bus/1000-1 -o -e $bus/domain1000
check "the bus is empty" test -z "$(ls $bus)"
check "the module unloads" rmmod tbstream_sim
check "the core unloads" rmmod tbstream
summary
