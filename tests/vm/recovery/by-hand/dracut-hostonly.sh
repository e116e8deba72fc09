# shellcheck shell=sh
# dracut --hostonly with the project's module (recovery/dracut/90tbstream),
# in a guest that has /proc/modules (a container, where CI may run, has
# none, and dracut then builds a generic image: tests/vm/build-dracut) and
# has not loaded tbstream: in both hostonly modes the image still gets
# tbstream.ko, thunderbolt.ko, configfs.ko and the tool, and without the
# module's hostonly='' before instmods it would not get tbstream.ko.
# By hand, not in CI: dracut on the host's root over 9p under TCG takes
# about 290 s (13 of 13 passed on 2026-12-07).
#   tests/vm/run --userspace host --timeout 580 tests/vm/recovery/by-hand/dracut-hostonly.sh
. "$TBSTREAM_GUEST_LIB/guest.sh"
exec 2>&1
kver=$(uname -r)
src=$TBSTREAM_TOP
check_fails "tbstream is not loaded" grep -q '^tbstream ' /proc/modules
# tbstream.ko where DKMS puts it
mkdir -p "/lib/modules/$kver/updates/dkms"
cp "$TBSTREAM_BUILD/kernel/$kver/tbstream.ko" "/lib/modules/$kver/updates/dkms/"
depmod -a "$kver"
# dracut's base and udev, and the module from the source tree
b=/tmp/dracutbase
mkdir -p $b/modules.d /tmp/conf.d
for f in /usr/lib/dracut/*; do
	[ "$(basename "$f")" = modules.d ] || ln -s "$f" $b/
done
for d in 99base 95udev-rules; do
	ln -s "/usr/lib/dracut/modules.d/$d" $b/modules.d/
done
cp -r "$src/recovery/dracut/90tbstream" $b/modules.d/
build() { # MODE OUT
	TBSTREAM_RECOVERY_TOOL=$src/recovery/tbstream-recovery dracutbasedir=$b \
		dracut --force --conf /dev/null --confdir /tmp/conf.d --hostonly \
		--hostonly-mode "$1" --no-hostonly-default-device --no-compress \
		--no-early-microcode "$2" "$kver" >/tmp/dracut.log 2>&1 || {
		tail -n 20 /tmp/dracut.log
		return 1
	}
}
for mode in sloppy strict; do
	check "dracut --hostonly-mode $mode builds" build $mode "/tmp/$mode.img"
	lsinitrd "/tmp/$mode.img" >/tmp/list 2>/dev/null
	check "$mode: tbstream.ko is in the image" grep -q 'updates/dkms/tbstream.ko$' /tmp/list
	check "$mode: thunderbolt.ko is in the image" grep -q 'thunderbolt/thunderbolt.ko$' /tmp/list
	check "$mode: configfs.ko is in the image" grep -q 'configfs/configfs.ko$' /tmp/list
	check "$mode: tbstream-recovery is in the image" grep -q 'sbin/tbstream-recovery$' /tmp/list
done
# what hostonly='' is for
sed -i "s/hostonly='' instmods/instmods/" $b/modules.d/90tbstream/module-setup.sh
check "without hostonly='': dracut builds" build sloppy /tmp/plain.img
lsinitrd /tmp/plain.img >/tmp/list 2>/dev/null
check_fails "without hostonly='': tbstream.ko is not in the image" \
	grep -q 'updates/dkms/tbstream.ko$' /tmp/list
summary
