# shellcheck shell=sh
# The recovery initramfs, as Debian's mkinitramfs builds it with the project's
# hook (recovery) or dracut with its module (recovery-dracut), booted with no
# root file system; tbstream-recovery (no daemon, no networking) sends the
# virtio disk across a simulated cable to a receiving stream.
# Both hosts of the cable live in this one guest: a receives, b sends.
. /lib/tbstream/guest.sh

check "tbstream-recovery is in the initramfs" test -x /usr/sbin/tbstream-recovery
check "tbstream.ko is in its module tree" sh -c "modinfo -n tbstream | grep -q /updates/dkms/tbstream.ko"
check_fails "tbstream is not loaded before the tool runs" grep -q '^tbstream ' /proc/modules
check "peers: the tool loads tbstream (and configfs, thunderbolt) by itself" tbstream-recovery peers
check "tbstream is loaded" grep -q '^tbstream ' /proc/modules
check "configfs is mounted" grep -q ' /sys/kernel/config configfs ' /proc/mounts

# the simulated cable; its hosts are named for the by-name lookup
insmod /modules/tbstream_sim.ko
L=/sys/kernel/config/tbstream_sim/cable
mkdir $L
echo rescue > $L/a/hostname
echo workstation > $L/b/hostname
echo 1 > $L/connected
C=/sys/kernel/config/thunderbolt/stream
check "both peers' stream services are listed" wait_for 10 sh -c \
	"tbstream-recovery peers | grep -q '^$(cat $L/a_service) workstation ' &&
	 tbstream-recovery peers | grep -q '^$(cat $L/b_service) rescue '"

check "the disk is there" wait_for 10 test -b /dev/vda
want=$(cat /disk.sha256)
check_eq "the guest reads the disk the host made" "$want" "$(sha /dev/vda)"

# host a receives from its peer "workstation" (by host name) ...
tbstream-recovery receive workstation disk /tmp/disk.img 2>/tmp/recv.err &
recv=$!
check "the receiving stream opens" wait_for 10 sh -c "grep -qx open $C/*/disk/state"
# ... host b sends its disk to its peer by service name
check "send succeeds" tbstream-recovery send "$(cat $L/b_service)" disk /dev/vda
wait $recv
check_eq "receive succeeds" 0 "$?"
cat /tmp/recv.err
check_eq "the bytes across are the disk's" "$want" "$(sha /tmp/disk.img)"
check "the receiver printed the same sha256" grep -q "sha256 $want" /tmp/recv.err
check "both streams are removed afterwards" sh -c "! ls -d $C/*/disk 2>/dev/null | grep -q ."

# a peer nobody has
check_fails "an unknown peer is refused" tbstream-recovery send nobody disk /dev/vda

echo 0 > $L/connected
rmdir $L
check "the simulator unloads" rmmod tbstream_sim
check "tbstream unloads" rmmod tbstream
summary
