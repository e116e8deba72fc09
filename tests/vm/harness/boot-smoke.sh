# The guest the harness boots has what every VM test relies on.
. /lib/tbstream/guest.sh

check "configfs is mounted" grep -q ' /sys/kernel/config configfs ' /proc/mounts
check "thunderbolt.ko is loaded" grep -q '^thunderbolt ' /proc/modules
check "guest helpers are on PATH" errno-of mkdir /tmp/x
check_errno "errno-of names errnos" EEXIST mkdir /tmp/x
check "the kernel is the pinned one" test -n "$(uname -r)"
summary
