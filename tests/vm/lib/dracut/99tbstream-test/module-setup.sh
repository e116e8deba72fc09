#!/bin/bash
# shellcheck disable=SC2154 # dracut sets kernel, srcmods, moddir, initdir
# Test-only dracut module of `tests/vm/run --userspace dracut`: the test
# script, its assertions and helpers, and the simulator (never tbstream.ko
# or tbstream-recovery: they must come from the project's 90tbstream), and
# the hooks that run the test in place of mounting a root file system.
# $TBSTREAM_VM_ROOT is the root tests/vm/run staged for a busybox guest.

# called by dracut
check() {
	# only when asked for (--add tbstream-test)
	return 255
}

# called by dracut
depends() {
	# not tbstream: the test proves it is in the image by default
	return 0
}

# called by dracut
install() {
	local r=${TBSTREAM_VM_ROOT:?} f
	inst_simple "$r/test.sh" /test.sh
	inst_simple "$r/test.args" /test.args
	[[ ! -f $r/disk.sha256 ]] || inst_simple "$r/disk.sha256" /disk.sha256
	for f in "$r"/lib/tbstream/*.sh; do
		inst_simple "$f" "/lib/tbstream/${f##*/}"
	done
	[[ ! -f $r/modules/tbstream_sim.ko ]] ||
		inst_simple "$r/modules/tbstream_sim.ko" /modules/tbstream_sim.ko
	# the static guest helpers (not busybox and its applet links)
	for f in "$r"/bin/*; do
		[[ -L $f || ${f##*/} == busybox ]] || inst_simple "$f" "/usr/local/bin/${f##*/}"
	done
	# what the assertions run beyond dracut's base and 90tbstream
	inst_multiple cut head insmod modinfo
	# after 99base's parse-root-opts (10), which reads root= from the
	# command line
	inst_hook cmdline 99 "$moddir/tbstream-test-root.sh"
	inst_hook pre-mount 00 "$moddir/tbstream-test-run.sh"
}
