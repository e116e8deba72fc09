#!/bin/sh
# /init of the initramfs in the host and systemd modes of tests/vm/run: mount
# the host's root read-only over virtio-9p, lay a tmpfs overlay over it, put
# the guest kernel's modules at /lib/modules/KVER, the test in
# /tbstream-test (with the source tree in src/ and the build tree in build/),
# then switch to that root.
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
. /host.env

die() {
	echo "TBSTREAM-VM: host-init: $*"
	echo "TBSTREAM-VM-RESULT: rc=99"
	poweroff -f
}

while read -r m; do
	insmod "/lib/modules/$m" || echo "TBSTREAM-VM: insmod $m failed"
done </lib/modules/order

mkdir -p /mnt/host /mnt/rw /newroot
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,ro,cache=loose hostroot /mnt/host ||
	die "cannot mount the host's root"
mount -t tmpfs -o mode=0755 rw /mnt/rw
mkdir -p /mnt/rw/upper /mnt/rw/work /mnt/rw/mods/upper /mnt/rw/mods/work
# With --install, the staged installation (in this initramfs, which
# switch_root empties: hence the copy) is the top read-only layer: the guest
# boots with tbstream installed, as after `cmake --install`.
lower=/mnt/host
modlower=/mnt/host$TBSTREAM_KMODS
if [ -n "${TBSTREAM_STAGE:-}" ]; then
	mkdir -p /mnt/rw/stage
	cp -a "$TBSTREAM_STAGE/." /mnt/rw/stage/ || die "cannot copy the staged installation"
	lower=/mnt/rw/stage/root:$lower
	modlower=/mnt/rw/stage/modules:$modlower
fi
mount -t overlay -o "lowerdir=$lower,upperdir=/mnt/rw/upper,workdir=/mnt/rw/work" overlay /newroot ||
	die "cannot build the overlay root"
# A container marker on the host makes systemd believe it runs in one.
rm -f /newroot/.dockerenv

# The guest kernel's modules, writable so tests may add the project's.
mkdir -p "/newroot/usr/lib/modules/$TBSTREAM_KVER"
mount -t overlay -o "lowerdir=$modlower,upperdir=/mnt/rw/mods/upper,workdir=/mnt/rw/mods/work" \
	overlay "/newroot/usr/lib/modules/$TBSTREAM_KVER" || die "cannot mount the guest's modules"

mkdir -p /newroot/tbstream-test/bin /newroot/tbstream-test/lib /newroot/tbstream-test/results
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=mmap results /newroot/tbstream-test/results ||
	die "cannot mount the results share"
# The source and build trees at fixed places: their host paths may be under
# /tmp, which the guest mounts afresh.
mkdir -p /newroot/tbstream-test/src /newroot/tbstream-test/build
mount -o bind,ro "/mnt/host$TBSTREAM_HOST_TOP" /newroot/tbstream-test/src ||
	die "cannot bind the source tree"
[ -d "/mnt/host$TBSTREAM_HOST_BUILD" ] &&
	mount -o bind,ro "/mnt/host$TBSTREAM_HOST_BUILD" /newroot/tbstream-test/build
# The two layers of the root, for tests that ask what the guest changed
# on it (tests/vm/packages: what a purge leaves): every file written,
# created or deleted (a whiteout) is in rw/upper (rw/mods/upper for the
# kernel's modules), and host/ is what it was before.
mkdir -p /newroot/tbstream-test/rw /newroot/tbstream-test/host
mount -o bind /mnt/rw /newroot/tbstream-test/rw || die "cannot bind the overlay's upper layer"
mount -o bind,ro /mnt/host /newroot/tbstream-test/host || die "cannot bind the host's root"
cp /test.sh /test.args /host.env /newroot/tbstream-test/
cp /lib/tbstream/*.sh /newroot/tbstream-test/lib/
for b in /bin/*; do
	[ -L "$b" ] || [ "$b" = /bin/busybox ] || cp "$b" /newroot/tbstream-test/bin/
done
cp /modules/*.ko /newroot/tbstream-test/ 2>/dev/null

if [ "$TBSTREAM_USERSPACE" = systemd ]; then
	cp /lib/tbstream/tbstream-test.service /lib/tbstream/tbstream-test.target \
		/newroot/etc/systemd/system/
	exec switch_root /newroot /lib/systemd/systemd
fi
exec switch_root /newroot /bin/bash /tbstream-test/lib/host-runner.sh
