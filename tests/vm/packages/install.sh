#!/bin/bash
# The Debian packages on a machine as an administrator meets them (opt-in:
# CTest label vm-packages, not run by tools/test-all; about 15 minutes under
# TCG, most of it DKMS compiling): the guest runs the host's userspace with
# systemd and Debian's 6.1 kernel, with its headers; the packages built by
# tools/build-packages are installed with dpkg, DKMS builds tbstream.ko
# inside the guest, the daemon from the package streams across a simulated
# cable by name, polkit's `manage` authorizes every other action,
# tbstream-recovery's hook puts the DKMS module and the tool into an
# initramfs, then remove and purge leave nothing.  The simulator is the
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
			/usr/share/polkit-1 /usr/share/bash-completion /usr/share/initramfs-tools \
			/lib/systemd/system /lib/udev -xdev
		ls -d /usr/bin/tbstream* /usr/sbin/tbstream* /usr/libexec/tbstream* /usr/share/doc/tbstream* \
			/usr/share/man/man*/tbstream*
	} 2>/dev/null | sort
}

# man-db's trigger re-indexes every manual page of the host's root: minutes
# under TCG, and nothing this test looks at
rm -f /var/lib/man-db/auto-update

# "apt install linux-headers-$(uname -r)": the host's copy of them
ln -sfn "/usr/src/linux-headers-$kver" "/lib/modules/$kver/build"
# and the kernel's config, as its image package installs it (mkinitramfs
# reads it; the headers carry the same file)
[ -e "/boot/config-$kver" ] || cp "/usr/src/linux-headers-$kver/.config" "/boot/config-$kver"
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

# The recovery initramfs (README: "Recovery initramfs") as the package makes
# it: its hook, the DKMS module, the kernel's.  mkinitramfs's own
# configuration is cut to MODULES=list: the default (most) copies hundreds
# of drivers, minutes under TCG, and none is tbstream's.  tests/vm/recovery
# boots an initramfs made by this hook and sends a disk with it.
check "dpkg installs tbstream-recovery" dpkg -i "$(deb tbstream-recovery all)"
check "its hook is where initramfs-tools looks" test -x /usr/share/initramfs-tools/hooks/tbstream
check "installing it has update-initramfs run (a dpkg trigger)" sh -c \
	"dpkg-deb --ctrl-tarfile '$(deb tbstream-recovery all)' | tar -xO ./triggers | grep -qx 'activate-noawait update-initramfs'"
conf=/tmp/initramfs-conf
mkdir -p "$conf"
printf 'MODULES=list\nBUSYBOX=y\nCOMPRESS=gzip\n' >"$conf/initramfs.conf"
: >"$conf/modules"
check "mkinitramfs builds an initramfs for $kver with the packaged hook" \
	mkinitramfs -d "$conf" -o /tmp/initrd.img "$kver"
lsinitramfs /tmp/initrd.img >/tmp/initrd.list 2>&1
for f in "updates/dkms/tbstream.ko" "kernel/drivers/thunderbolt/thunderbolt.ko" \
	"kernel/fs/configfs/configfs.ko"; do
	check "lsinitramfs: the initramfs has $f (for $kver)" \
		grep -Eq "^(usr/)?lib/modules/$kver/$f\$" /tmp/initrd.list
done
check "lsinitramfs: the initramfs has tbstream-recovery" grep -Eq '^(usr/)?sbin/tbstream-recovery$' /tmp/initrd.list
check "lsinitramfs: and the busybox it runs on" grep -Eq '^(usr/)?bin/busybox$' /tmp/initrd.list
mkdir /tmp/initrd
(cd /tmp/initrd && unmkinitramfs /tmp/initrd.img .) 2>&1
ko=$(find /tmp/initrd -path "*/lib/modules/$kver/updates/dkms/tbstream.ko" | head -n 1)
check_eq "its tbstream.ko is the DKMS build, byte for byte" \
	"$(sha "/lib/modules/$kver/updates/dkms/tbstream.ko")" "$(sha "${ko:-/dev/null}")"
rm -rf /tmp/initrd /tmp/initrd.img /tmp/initrd.list "$conf"

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

# polkit: `manage` (a panel's lock button) implies every fine-grained action
# (docs/dbus-api.md), as the installed action file says and polkitd reads
# it, even one a rule refuses (remove-stream here: the documented way
# implication works).  Asked of polkitd itself (pkcheck) and through the
# daemon (a request by a user who holds only `manage`); a user holding only
# `reload` is the control.
id tbs-admin >/dev/null 2>&1 || useradd --system --no-create-home tbs-admin
id tbs-user >/dev/null 2>&1 || useradd --system --no-create-home tbs-user
cat >/etc/polkit-1/rules.d/50-tbstream-packages.rules <<'RULES'
polkit.addRule(function(action, subject) {
	if (action.id == "io.github.tbstream1.manage" && subject.user == "tbs-admin")
		return polkit.Result.YES;
	if (action.id == "io.github.tbstream1.remove-stream" && subject.user == "tbs-admin")
		return polkit.Result.NO;
	if (action.id == "io.github.tbstream1.reload" && subject.user == "tbs-user")
		return polkit.Result.YES;
});
RULES
# polkitd notices a new rule through inotify
sleep 2
actions=$(sed -n 's/.*<action id="\(io\.github\.tbstream1\.[a-z-]*\)".*/\1/p' \
	/usr/share/polkit-1/actions/io.github.tbstream1.policy)
check "the installed action file has manage and five more" test "$(echo "$actions" | wc -l)" = 6
for a in $actions; do
	check "polkitd: holding manage authorizes ${a#io.github.tbstream1.}" \
		runuser -u tbs-admin -- sh -c "pkcheck --action-id $a --process \$\$"
done
check "polkitd: holding reload authorizes reload" \
	runuser -u tbs-user -- sh -c 'pkcheck --action-id io.github.tbstream1.reload --process $$'
for a in manage request-stream; do
	check_fails "polkitd: holding reload does not authorize $a (the implication goes one way)" \
		runuser -u tbs-user -- sh -c "pkcheck --action-id io.github.tbstream1.$a --process \$\$"
done
check "tbstreamd: a user holding only manage creates a stream" \
	runuser -u tbs-admin -- tbstreamctl --no-ask-password request desktop mgr --persistent
check "it is on the bus" sh -c "tbstreamctl --json=short list | grep -q '\"mgr\"'"
runuser -u tbs-user -- tbstreamctl --no-ask-password request desktop usr --persistent >/dev/null 2>&1
check_eq "tbstreamd: a user holding reload only is refused the request (exit 4)" 4 "$?"
check "tbstreamd: the user holding manage removes it although a rule says no to remove-stream" \
	runuser -u tbs-admin -- tbstreamctl --no-ask-password remove desktop/mgr
rm /etc/polkit-1/rules.d/50-tbstream-packages.rules
userdel tbs-admin
userdel tbs-user

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

check "remove" dpkg -r tbstream-recovery tbstream-panel tbstreamctl tbstreamd tbstream-dkms
check_fails "the module is gone from the kernel's tree" modinfo tbstream
check_fails "the unit is gone" systemctl cat tbstreamd.service
check "purge" dpkg -P tbstream-recovery tbstream-panel tbstreamctl tbstreamd tbstream-dkms
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
