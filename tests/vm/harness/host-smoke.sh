# The host and systemd modes give a test the host's userspace.
. "$TBSTREAM_GUEST_LIB/guest.sh"

check "configfs is mounted" grep -q ' /sys/kernel/config configfs ' /proc/mounts
check "the host's bash runs the test" test -n "$BASH_VERSION"
check "the guest kernel's modules are visible" test -f "/lib/modules/$(uname -r)/modules.dep"
check "modprobe works" modprobe vgem
check "the source tree is visible" test -d "$TBSTREAM_TOP/kernel"
check "the build tree is visible" test -d "$TBSTREAM_BUILD"
check "the results share is writable" touch "$TBSTREAM_RESULTS/probe"
check "udevadm is there" command -v udevadm
if [ -d /run/systemd/system ]; then
	check "dbus answers" busctl --system status
	check "polkit is on the bus" busctl --system status org.freedesktop.PolicyKit1
fi
summary
