#!/bin/sh
# Test-only pre-mount hook (tests/vm/lib/dracut/99tbstream-test): dracut's
# init has started udev and let it settle (virtio_blk is loaded); instead of
# mounting a root file system, run the test and power off.
export PATH=/usr/local/bin:$PATH
mkdir -p /tmp
cd /tmp || exit 1
# a blocked task is a hang: make it an oops the harness sees in seconds
echo 30 >/proc/sys/kernel/hung_task_timeout_secs 2>/dev/null
echo 1 >/proc/sys/kernel/hung_task_panic 2>/dev/null
echo "TBSTREAM-VM: running test"
eval "set -- $(cat /test.args)"
sh /test.sh "$@"
rc=$?
echo "TBSTREAM-VM-RESULT: rc=$rc"
sync
# no poweroff in a dracut image without systemd; the kernel's own
echo o >/proc/sysrq-trigger
