#!/bin/bash
# The Debian packages on a machine as an administrator meets them (opt-in:
# CTest label vm-packages, not run by tools/test-all; about 15 minutes under
# TCG, most of it DKMS compiling): the guest runs the host's userspace with
# systemd and Debian's 6.1 kernel, with its headers; the packages built by
# tools/build-packages are installed with dpkg, DKMS builds tbstream.ko
# inside the guest, the daemon from the package streams across a simulated
# cable by name, then remove and purge leave nothing.  The simulator is the
# build tree's (same source, same kernel: it links against the DKMS copy);
# tbstream-sim-dkms would compile the whole tree a second time, and
# lint/packages already builds its tree as DKMS does.
. "$TBSTREAM_GUEST_LIB/guest.sh"
. "$TBSTREAM_GUEST_LIB/e2e.sh"
exec 2>&1
kver=$(uname -r)
pkgs=$TBSTREAM_BUILD/packages
version=$(dpkg-parsechangelog -l "$TBSTREAM_TOP/debian/changelog" -S Version)
deb() { echo "$pkgs/${1}_${version}_$2.deb"; }

# Where the packages put files, and where anything of theirs could stay
# (not all of / : the host's root over 9p is slow to walk under TCG).
snapshot() {
	{
		find /etc /var/lib/dkms /var/lib/tbstreamd /usr/src /usr/lib/tbstreamd /usr/share/dbus-1 \
			/usr/share/polkit-1 /usr/share/bash-completion /lib/systemd/system /lib/udev -xdev
		ls -d /usr/bin/tbstream* /usr/sbin/tbstream* /usr/libexec/tbstream* /usr/share/doc/tbstream* \
			/usr/share/man/man*/tbstream*
	} 2>/dev/null | sort
}

# man-db's trigger re-indexes every manual page of the host's root: minutes
# under TCG, and nothing this test looks at
rm -f /var/lib/man-db/auto-update

# "apt install linux-headers-$(uname -r)": the host's copy of them
ln -sfn "/usr/src/linux-headers-$kver" "/lib/modules/$kver/build"
snapshot >/tmp/files-before

check "dpkg installs tbstream-dkms (DKMS builds the module)" \
	dpkg -i "$(deb tbstream-dkms all)"
check "dpkg installs tbstreamd and tbstreamctl" \
	dpkg -i "$(deb tbstreamd amd64)" "$(deb tbstreamctl amd64)"
check_eq "modinfo finds the DKMS copy" "/lib/modules/$kver/updates/dkms/tbstream.ko" \
	"$(modinfo -n tbstream 2>&1)"
check "the DKMS copy loads" modprobe tbstream
install -D -m 0644 /tbstream-test/tbstream_sim.ko "/lib/modules/$kver/extra/tbstream_sim.ko"
depmod -a
check "the build tree's simulator links against it" modprobe tbstream_sim
check "dkms status says installed" sh -c "dkms status | grep -q '^tbstream/$version, $kver, .*: installed'"
check_eq "tbstreamctl is the packaged version" "tbstreamctl $version" "$(tbstreamctl --version)"
check "dpkg installs tbstream-panel" dpkg -i "$(deb tbstream-panel amd64)"
# --help needs no display: GApplication answers it before GTK opens one
check "the packaged panel starts" sh -c "tbstream-panel --help | grep -q help-gapplication"
check "its desktop entry is valid" \
	sh -c "! command -v desktop-file-validate || desktop-file-validate /usr/share/applications/io.github.tbstream.Panel.desktop"

e2e_policy
e2e_cable || bail_out "create the simulated cable"
plug
check "udev starts the packaged tbstreamd" wait_for 60 service_active
L1=/dev/tbstream/by-name/desktop/backup
L2=/dev/tbstream/by-name/my-laptop/backup
check "'backup' appears by name on both sides" wait_for 60 sh -c "[ -c $L1 ] && [ -c $L2 ]"
random_source
copy_across "$L1" "$L2" /tmp/copy
check_eq "64 MiB across, sha256 equal" "$(sha "$E2E_SRC")" "$(sha /tmp/copy)"
unplug
rmdir "$E2E_LINK"
systemctl stop tbstreamd.service
# the policy's streams outlive the daemon (adoption) and pin the module
for d in /sys/kernel/config/thunderbolt/stream/*/*/; do rmdir "$d"; done
rmdir /sys/kernel/config/thunderbolt/stream/* 2>/dev/null
rmmod tbstream_sim
modprobe -r tbstream
rm "/lib/modules/$kver/extra/tbstream_sim.ko"
depmod -a
check_fails "tbstream is unloaded" grep -q '^tbstream ' /proc/modules

check "remove" dpkg -r tbstream-panel tbstreamctl tbstreamd tbstream-dkms
check_fails "the module is gone from the kernel's tree" modinfo tbstream
check_fails "the unit is gone" systemctl cat tbstreamd.service
check "purge" dpkg -P tbstream-panel tbstreamctl tbstreamd tbstream-dkms
check "no /etc/tbstreamd" test ! -e /etc/tbstreamd
check "no /var/lib/tbstreamd" test ! -e /var/lib/tbstreamd
rm -rf /tmp/copy
snapshot >/tmp/files-after
# dpkg's own bookkeeping and logs change with any installation, DKMS keeps
# its signing key for every module; the tbstream group is the test's
left=$(comm -13 /tmp/files-before /tmp/files-after |
	grep -Ev '^/(var/lib/dpkg|var/log|var/cache|var/lib/systemd|var/lib/dkms/mok\.|etc/(group|gshadow|passwd|shadow)-?$)' || true)
check_eq "nothing left behind" "" "$left"
summary
