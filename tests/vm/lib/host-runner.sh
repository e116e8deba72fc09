#!/bin/bash
# Runs the test in the host and systemd modes of tests/vm/run, on the host's
# own userspace.  As PID 1 (host mode) it first mounts what systemd would.
set -a
. /tbstream-test/host.env
set +a
export PATH=/tbstream-test/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export TBSTREAM_RESULTS=/tbstream-test/results TBSTREAM_GUEST_LIB=/tbstream-test/lib
export TBSTREAM_TOP=/tbstream-test/src TBSTREAM_BUILD=/tbstream-test/build
export HOME=/root LANG=C.UTF-8

if [ $$ = 1 ]; then
	mount -t proc proc /proc
	mount -t sysfs sys /sys
	mount -t devtmpfs dev /dev 2>/dev/null
	mkdir -p /dev/pts /dev/shm
	mount -t devpts devpts /dev/pts
	mount -t tmpfs -o mode=0755 run /run
	mount -t tmpfs -o mode=1777 tmp /tmp
	mount -t configfs configfs /sys/kernel/config
	# the driver's live-object counters (lib/guest.sh: live)
	mount -t debugfs debugfs /sys/kernel/debug
	echo 30 >/proc/sys/kernel/hung_task_timeout_secs
	echo 1 >/proc/sys/kernel/hung_task_panic
fi

cd /tmp || exit 1
echo "TBSTREAM-VM: running test on the host's userspace ($TBSTREAM_USERSPACE)"
eval "set -- $(cat /tbstream-test/test.args)"
bash /tbstream-test/test.sh "$@"
rc=$?
echo "$rc" >/tbstream-test/results/rc
sync
# the harness ends the VM as soon as it reads this line
echo "TBSTREAM-VM-RESULT: rc=$rc" >/dev/console
if [ $$ = 1 ]; then
	/bin/busybox poweroff -f
else
	systemctl poweroff --no-block
fi
exit "$rc"
