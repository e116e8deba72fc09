#!/bin/bash
# The Debian packages on a machine as an administrator meets them (opt-in:
# CTest label vm-packages, not run by tools/test-all; 20-55 minutes under
# TCG, most of it DKMS compiling): the guest runs the host's userspace with
# systemd and Debian's 6.1 kernel, with its headers; the packages built by
# tools/build-packages are installed with dpkg, DKMS builds tbstream.ko
# inside the guest, the daemon from the package streams across a simulated
# cable by name, polkit's `manage` authorizes every other action,
# tbstream-recovery's hook puts the DKMS module and the tool into an
# initramfs; packages of a higher version are installed over them while a
# copy runs (it arrives intact, the daemon adopts its streams), the next
# kernel's headers get the module built by DKMS's kernel hook
# (tests/vm/run passes KVER2 HEADERS-ROOT), an older kernel with headers
# gets it at install, then remove and purge leave nothing anywhere on the
# root file system.  The simulator is the
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

# What the guest has changed on the host's root, one line per path: each
# entry of the overlay's upper layer (tests/vm/lib/host-init.sh) that
# differs from the host's root, with a file's sha256, a link's target, or
# "deleted" for a whiteout; a directory only when the host has none there.
# Two of these compare the whole file system, not just the places the
# packages are known to write.  The guest's modules are an overlay of
# their own: what is in its upper layer is new.
rootdiff() {
	_rw=/tbstream-test/rw _host=/tbstream-test/host
	(cd "$_rw/upper" && find . -path ./tbstream-test -prune -o -path ./tmp -prune -o -print) |
		while IFS= read -r _p; do
			_p=${_p#.}
			if [ -z "$_p" ]; then
				continue
			elif [ -c "$_rw/upper$_p" ]; then
				echo "deleted $_p"
			elif [ -L "$_rw/upper$_p" ]; then
				[ "$(readlink "$_rw/upper$_p")" = "$(readlink "$_host$_p" 2>/dev/null)" ] ||
					echo "link $_p -> $(readlink "$_rw/upper$_p")"
			elif [ -d "$_rw/upper$_p" ]; then
				[ -d "$_host$_p" ] && [ ! -L "$_host$_p" ] || echo "dir $_p"
			elif cmp -s "$_rw/upper$_p" "$_host$_p"; then
				continue
			else
				echo "file $_p $(sha256sum <"$_rw/upper$_p" | cut -d' ' -f1)"
			fi
		done
	(cd "$_rw/mods/upper" && find . -mindepth 1 ! -name 'modules.*') |
		sed "s|^\.|module /lib/modules/$kver|"
}

# man-db's trigger re-indexes every manual page of the host's root: minutes
# under TCG, and nothing this test looks at
rm -f /var/lib/man-db/auto-update
# The host may be a container image whose policy-rc.d (exit 101) forbids
# maintainer scripts to start or restart services; a real machine has none,
# and without this the upgrade below would not restart the daemon.
rm -f /usr/sbin/policy-rc.d

# "apt install linux-headers-$(uname -r)": the host's copy of them
ln -sfn "/usr/src/linux-headers-$kver" "/lib/modules/$kver/build"
# and the kernel's config, as its image package installs it (mkinitramfs
# reads it; the headers carry the same file)
[ -e "/boot/config-$kver" ] || cp "/usr/src/linux-headers-$kver/.config" "/boot/config-$kver"
# An older kernel of the series, still in the boot menu with its headers
# (the same headers under another release: what is tested is which kernels
# DKMS builds for, not the build).  DKMS's own postinst builds for the
# running and the newest kernel only; tbstream-dkms's builds for this one too.
prev=${kver%%-*}-0-${kver##*-}
mkdir -p "/lib/modules/$prev"
ln -sfn "/usr/src/linux-headers-$kver" "/lib/modules/$prev/build"
cp "/boot/config-$kver" "/boot/config-$prev"
rootdiff | sort >/tmp/files-before

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
check "and for the older kernel $prev (every kernel with headers)" \
	sh -c "dkms status | grep -q '^tbstream/$version, $prev, .*: installed'"
check "its module is in $prev's tree" test -e "/lib/modules/$prev/updates/dkms/tbstream.ko"
check_eq "tbstreamctl is the packaged version" "tbstreamctl $version" "$(tbstreamctl --version)"
rootdiff >/tmp/files-installed
check "the file system's diff sees the daemon dpkg installed (as it would a file purge left)" \
	grep -q '^file /usr/libexec/tbstreamd ' /tmp/files-installed
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
# The same package's dracut module, installed where dracut looks, with the
# paths it has there (the tool in /usr/sbin, not the source tree's).  The
# host has dracut-core beside initramfs-tools; an image with base and this
# module only (dracut's default, all of the host's modules, takes minutes
# under TCG; tests/vm/recovery-dracut proves tbstream is in it by default).
check "its dracut module is where dracut looks" test -x /usr/lib/dracut/modules.d/90tbstream/module-setup.sh
check "dracut builds an image for $kver with the packaged module" \
	dracut --force --quiet --no-hostonly --no-compress --no-early-microcode \
	--modules "base tbstream" /tmp/dracut.img "$kver"
lsinitrd /tmp/dracut.img >/tmp/dracut.list 2>&1
for f in "updates/dkms/tbstream.ko" "kernel/drivers/thunderbolt/thunderbolt.ko" \
	"kernel/fs/configfs/configfs.ko"; do
	check "lsinitrd: the image has $f (for $kver)" \
		grep -Eq " (usr/)?lib/modules/$kver/$f\$" /tmp/dracut.list
done
check "lsinitrd: the image has tbstream-recovery" grep -Eq ' (usr/)?sbin/tbstream-recovery$' /tmp/dracut.list
rm -f /tmp/dracut.img /tmp/dracut.list

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

# What comes next on a real machine, on the packaged daemon: root asks for
# a stream over D-Bus; a user whom polkit and the node's group let in opens
# one through tbstreamctl (OpenStream); one polkit does not is refused.
request() { # peer-uuid name
	busctl call io.github.tbstream1 /io/github/tbstream1 io.github.tbstream1.Manager \
		RequestStream 'ssa{sv}' "$1" "$2" 1 Persistent b true | sed -n 's/^o "\(.*\)"$/\1/p'
}
pa=$(request "$UB" extra)
pb=$(request "$UA" extra)
check "busctl RequestStream returns the laptop's stream" test -n "$pa"
check "and the desktop's" test -n "$pb"
X1=/dev/tbstream/by-name/desktop/extra
X2=/dev/tbstream/by-name/my-laptop/extra
check "'extra' appears by name on both sides" wait_for 60 sh -c "[ -c $X1 ] && [ -c $X2 ]"
rm -f /tmp/copy
copy_across "$X1" "$X2" /tmp/copy
check_eq "64 MiB across the requested stream, sha256 equal" "$(sha "$E2E_SRC")" "$(sha /tmp/copy)"
for p in "$pa" "$pb"; do
	check "busctl RemoveStream ${p##*/}" busctl call io.github.tbstream1 /io/github/tbstream1 \
		io.github.tbstream1.Manager RemoveStream o "$p"
done
check "'extra' is gone on both sides" wait_for 30 sh -c "[ ! -e $X1 ] && [ ! -e $X2 ]"
e2e_users
rm -f /tmp/alice.img
runuser -u alice -- timeout 180 tbstreamctl --no-ask-password open my-laptop/backup --read -- \
	dd of=/tmp/alice.img bs=256k status=none &
reader=$!
sleep 1
runuser -u alice -- timeout 180 tbstreamctl --no-ask-password open desktop/backup --write -- \
	dd if="$E2E_SRC" bs=256k status=none
check_eq "alice (polkit's rule, the node's group) writes through OpenStream" 0 $?
wait $reader
check_eq "and reads at the other end" 0 $?
check_eq "64 MiB across OpenStream, sha256 equal" "$(sha "$E2E_SRC")" "$(sha /tmp/alice.img)"
runuser -u bob -- tbstreamctl --no-ask-password open desktop/backup --write -- true >/dev/null 2>&1
check_eq "bob (no polkit rule) is refused: exit 4" 4 $?
rm -f /tmp/alice.img /etc/polkit-1/rules.d/50-tbstream-e2e.rules
for u in alice bob carol; do userdel "$u"; done

# An upgrade while a copy runs: packages of a higher version, built from
# the same tree (tools/build-packages --version; the CTest command builds
# both sets), installed over these with dpkg -i while a copy holds
# 'backup' open at both ends.  tbstream-dkms's prerm takes the old version
# out of DKMS and its postinst builds and installs the new one for this
# kernel (the loaded module stays in use while its streams exist);
# tbstreamd's postinst restarts the daemon, which adopts its streams.  The
# writer pauses halfway until dpkg is done, so the copy spans the upgrade.
upd=$(ls "$TBSTREAM_BUILD"/packages-upgrade/tbstreamd_*_amd64.deb 2>/dev/null | head -n1)
[ -n "$upd" ] || bail_out "no upgrade packages in $TBSTREAM_BUILD/packages-upgrade"
up_version=${upd##*/tbstreamd_}
up_version=${up_version%_amd64.deb}
up() { echo "$TBSTREAM_BUILD/packages-upgrade/${1}_${up_version}_$2.deb"; }
pid_before=$(service_pid)
dev_before=$(readlink -f "$L1")
rm -f /tmp/copy /tmp/upgraded
timeout 1800 dd if="$L2" of=/tmp/copy bs=256k status=none &
reader=$!
sleep 1
(dd if="$E2E_SRC" bs=256k count=128 status=none
 while [ ! -e /tmp/upgraded ]; do sleep 1; done
 dd if="$E2E_SRC" bs=256k skip=128 status=none) >"$L1" &
writer=$!
check "dpkg upgrades all five packages from $version to $up_version while the copy is open" \
	dpkg -i "$(up tbstream-dkms all)" "$(up tbstreamd amd64)" "$(up tbstreamctl amd64)" \
	"$(up tbstream-panel amd64)" "$(up tbstream-recovery all)"
touch /tmp/upgraded
wait $writer
check_eq "upgrade: the writer succeeds" 0 $?
wait $reader
check_eq "upgrade: the reader ends at the writer's close" 0 $?
check_eq "upgrade: 64 MiB across the upgrade, sha256 equal" "$(sha "$E2E_SRC")" "$(sha /tmp/copy)"
check "upgrade: tbstreamd runs" wait_for 60 service_active
check "upgrade: a new process (the postinst restarted it)" test "$(service_pid)" != "$pid_before"
check_eq "upgrade: 'backup' is the same device (adopted, not made again)" "$dev_before" "$(readlink -f "$L1")"
check "upgrade: dkms status says $up_version installed for $kver" \
	sh -c "dkms status | grep -q '^tbstream/$up_version, $kver, .*: installed'"
check "upgrade: and for $prev" \
	sh -c "dkms status | grep -q '^tbstream/$up_version, $prev, .*: installed'"
check_fails "upgrade: and knows $version no more" sh -c "dkms status | grep -q '^tbstream/$version,'"
check_eq "upgrade: modinfo finds the new DKMS copy" "/lib/modules/$kver/updates/dkms/tbstream.ko" \
	"$(modinfo -n tbstream 2>&1)"
check_eq "upgrade: dpkg has tbstreamctl at the new version" "$up_version" "$(dpkg-query -W -f='${Version}' tbstreamctl)"
check_eq "upgrade: tbstreamctl --version says so" "tbstreamctl $up_version" "$(tbstreamctl --version)"
check_eq "upgrade: and tbstreamd --version" "tbstreamd $up_version" "$(/usr/libexec/tbstreamd --version)"
version=$up_version

# A kernel upgrade: the next kernel's headers appear where its
# linux-headers package puts them (links to the host's cache of Debian's
# 6.12 headers, tools/fetch-kernels), and the hook every kernel package
# runs, /etc/kernel/postinst.d/dkms, has DKMS build tbstream for it.
kv2=$1
hr=$2
if [ -d "$hr/usr/src/linux-headers-$kv2" ]; then
	for d in "linux-headers-$kv2" "linux-headers-${kv2%-amd64}-common" "linux-kbuild-${kv2%-amd64}"; do
		ln -sfn "$(readlink -f "$hr/usr/src/$d")" "/usr/src/$d"
	done
	mkdir -p "/lib/modules/$kv2"
	ln -sfn "/usr/src/linux-headers-$kv2" "/lib/modules/$kv2/build"
	check "a kernel upgrade to $kv2: its DKMS hook builds tbstream" /etc/kernel/postinst.d/dkms "$kv2"
	check "dkms status says installed for $kv2 too" \
		sh -c "dkms status | grep -q '^tbstream/$version, $kv2, .*: installed'"
	check_eq "the module is built for $kv2" "$kv2" \
		"$(modinfo -F vermagic "/lib/modules/$kv2/updates/dkms/tbstream.ko" 2>&1 | cut -d' ' -f1)"
else
	fail "a kernel upgrade to $kv2" "no headers at $hr (tools/fetch-kernels $kv2)"
fi

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
rm "/lib/modules/$kver/extra/tbstream_sim.ko"
rmdir "/lib/modules/$kver/extra"
depmod -a
check "tbstream is still loaded before the removal" grep -q '^tbstream ' /proc/modules

check "remove" dpkg -r tbstream-recovery tbstream-panel tbstreamctl tbstreamd tbstream-dkms
check_fails "the removal unloaded tbstream" grep -q '^tbstream ' /proc/modules
check_fails "the module is gone from the kernel's tree" modinfo tbstream
check_fails "and from $kv2's" test -e "/lib/modules/$kv2/updates/dkms/tbstream.ko"
check_fails "and from $prev's" test -e "/lib/modules/$prev/updates/dkms/tbstream.ko"
# the next kernel's headers were the test's, not the packages'
rm -f "/usr/src/linux-headers-$kv2" "/usr/src/linux-headers-${kv2%-amd64}-common" \
	"/usr/src/linux-kbuild-${kv2%-amd64}"
rm -rf "/lib/modules/$kv2" "/lib/modules/$prev" "/boot/config-$prev"
check_fails "the unit is gone" systemctl cat tbstreamd.service
check "purge" dpkg -P tbstream-recovery tbstream-panel tbstreamctl tbstreamd tbstream-dkms
check "no /etc/tbstreamd" test ! -e /etc/tbstreamd
check "no /var/lib/tbstreamd" test ! -e /var/lib/tbstreamd
rm -rf /tmp/copy
rootdiff | sort >/tmp/files-after
# dpkg's own bookkeeping and log change with any installation (status-old,
# dpkg.log), DKMS keeps its signing key for every module; the tbstream
# group and the users (with useradd's backup files) are the test's
left=$(comm -13 /tmp/files-before /tmp/files-after |
	grep -Ev '^[a-z]+ /(var/lib/dpkg/|var/log/|var/lib/dkms/mok\.|etc/(group|gshadow|passwd|shadow|subuid|subgid)-? )' || true)
check_eq "nothing left behind anywhere on the root file system" "" "$left"
summary
