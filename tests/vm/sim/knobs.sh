# shellcheck shell=sh
# Every ConfigFS attribute of the simulator validates its input.
. /lib/tbstream/guest.sh
load_tbstream
load_sim

cfg=/sys/kernel/config/tbstream_sim
L=$cfg/knobs
mkdir $L

for v in 2 maybe; do
	check_errno "connected '$v'" EINVAL write $L/connected "$v"
done
for v in 7 64 -1 x; do
	check_errno "maxhopid '$v'" EINVAL write $L/maxhopid "$v"
done
check_errno "maxhopid 8" OK write $L/maxhopid 8
check_errno "maxhopid 63" OK write $L/maxhopid 63
for v in 0 5 30 80 x; do
	check_errno "speed '$v'" EINVAL write $L/speed "$v"
done
check_errno "speed 10" OK write $L/speed 10
for v in 0 3 x; do
	check_errno "lanes '$v'" EINVAL write $L/lanes "$v"
done
check_errno "unplug_after -1" EINVAL write $L/unplug_after -1
check_errno "unplug_after 10" OK write $L/unplug_after 10
check_errno "drop_on_unplug 'perhaps'" EINVAL write $L/drop_on_unplug perhaps
for v in -1 10001 x; do
	check_errno "path_delay_ms '$v'" EINVAL write $L/path_delay_ms "$v"
done
check_errno "path_delay_ms 10000" OK write $L/path_delay_ms 10000
check_eq "path_delay_ms reads back" 10000 "$(cat $L/path_delay_ms)"
check_errno "path_delay_ms 0" OK write $L/path_delay_ms 0
check_errno "path_hold 'perhaps'" EINVAL write $L/path_hold perhaps
check_eq "nothing waits at path_hold" 0 "$(cat $L/paths_held)"
for ro in a_domain b_domain a_service b_service a_xdomain b_xdomain a_hostname b_hostname paths_held; do
	check_errno "$ro is read-only" EACCES open $L/$ro wronly
done

for side in a b; do
	H=$L/$side
	for v in 1 33 x -3; do
		check_errno "$side/nhi_rings '$v'" EINVAL write $H/nhi_rings "$v"
	done
	check_errno "$side/nhi_rings 2" OK write $H/nhi_rings 2
	check_errno "$side/nhi_rings 32" OK write $H/nhi_rings 32
	for knob in crc_next crc_every overrun_next rx_delay_us; do
		check_errno "$side/$knob -1" EINVAL write $H/$knob -1
		check_errno "$side/$knob 'abc'" EINVAL write $H/$knob abc
		check_errno "$side/$knob 3" OK write $H/$knob 3
		check_eq "$side/$knob reads back" 3 "$(cat $H/$knob)"
	done
	check_errno "$side/rx_delay_us over a second" EINVAL write $H/rx_delay_us 1000001
	check_errno "$side/crc_next 4294967296 (out of range)" ERANGE write $H/crc_next 4294967296
	check_errno "$side/hostname empty" EINVAL write $H/hostname " "
	check_errno "$side/hostname too long" EINVAL write $H/hostname \
		0123456789012345678901234567890123456789012345678901234567890123456789
	check_errno "$side/hostname ok" OK write $H/hostname "host-$side"
	check_eq "$side/hostname reads back" "host-$side" "$(cat $H/hostname)"
	check_errno "$side/unique_id garbage" EINVAL write $H/unique_id not-a-uuid
	check_errno "$side/unique_id short" EINVAL write $H/unique_id 01234567-89ab-cdef-0123-456789abcde
	check_errno "$side/unique_id ok" OK write $H/unique_id 01234567-89ab-cdef-0123-456789abcde$side
	check_eq "$side/unique_id reads back" 01234567-89ab-cdef-0123-456789abcde$side "$(cat $H/unique_id)"
	check_errno "$side/frames 5" EINVAL write $H/frames 5
	check_errno "$side/stats is read-only" EACCES open $H/stats wronly
	check_errno "$side/domain is read-only" EACCES open $H/domain wronly
done
check_eq "a_hostname mirrors a/hostname" host-a "$(cat $L/a_hostname)"

# Links: names are free-form; at most 32.
i=1
while [ $i -lt 32 ]; do
	mkdir $cfg/extra$i || break
	i=$((i + 1))
done
check_eq "32 links fit" 32 "$i"
check_errno "the 33rd is refused" ENOSPC mkdir $cfg/one-too-many
check_eq "the last link has domains 1062/1063" "1062 1063" \
	"$(cat $cfg/extra31/a_domain) $(cat $cfg/extra31/b_domain)"
i=1
while [ $i -lt 32 ]; do
	rmdir $cfg/extra$i
	i=$((i + 1))
done
check_errno "the side groups cannot be removed" EPERM rmdir $L/a
check_errno "the link has no sub-groups to make" EPERM mkdir $L/c
check_fails "the module cannot go while a link exists" rmmod tbstream_sim
rmdir $L
check "tbstream_sim unloads" rmmod tbstream_sim
summary
