#!/bin/bash
# shellcheck disable=SC2154 # dracut sets kernel, srcmods, moddir, initdir
# dracut module (installed as /usr/lib/dracut/modules.d/90tbstream): the
# dracut counterpart of recovery/initramfs-tools/hook.  tbstream.ko with what
# it needs (thunderbolt, configfs) and tbstream-recovery go into every
# initramfs dracut builds, so a machine that cannot mount its root file
# system can still send its disk over a Thunderbolt/USB4 cable, or receive
# one: boot with `rd.break=pre-mount`, then `tbstream-recovery ...` at the
# shell.  dracut sources this file with bash.

# called by dracut
check() {
	# A kernel DKMS could not build tbstream for (an unsupported release,
	# no headers) still gets its initramfs: 1 leaves the module out, and the
	# image builds.  (255 would not do: it means "only on request", and a
	# module asked for would then go in without its driver.)  modules.dep
	# is where modprobe looks too, in the tree dracut reads ($srcmods
	# follows --kmoddir and --sysroot).
	if ! grep -Eq '(^|/)tbstream\.ko(\.[a-z]+)?:' "$srcmods/modules.dep" 2>/dev/null; then
		dwarn "tbstream: no tbstream.ko for $kernel; the initramfs has no tbstream recovery"
		return 1
	fi
	require_binaries "${TBSTREAM_RECOVERY_TOOL:-/usr/sbin/tbstream-recovery}" || return 1
	# 0, with or without --hostonly: in every image by default, as the
	# initramfs-tools hook is.  A recovery path must already be there on
	# the day the root file system fails; whether this host "uses"
	# Thunderbolt at build time (nothing plugged in, tbstream not loaded)
	# says nothing about that day.
	return 0
}

# called by dracut
depends() {
	return 0
}

# called by dracut
installkernel() {
	# hostonly='': in --hostonly mode instmods would skip modules the host
	# has not loaded at this moment, and tbstream, thunderbolt and configfs
	# often are not (no cable in).  thunderbolt and configfs are tbstream's
	# dependencies anyway; named so the image keeps them should a build
	# link them differently.
	hostonly='' instmods tbstream thunderbolt configfs
}

# called by dracut
install() {
	# The tool's path may be overridden (tests run it from the source tree).
	inst_script "${TBSTREAM_RECOVERY_TOOL:-/usr/sbin/tbstream-recovery}" /usr/sbin/tbstream-recovery
	# What it runs beyond dracut's base (an image has no busybox to lean
	# on, unlike initramfs-tools').
	inst_multiple awk basename cat dirname grep mktemp rmdir sha256sum sync tee
}
