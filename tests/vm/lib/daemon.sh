# shellcheck shell=sh disable=SC2034
# (sourced by the daemon suites, tests/vm/daemon and tests/vm/emu-daemon, on
# the host's userspace: D and daemon_pid are used there)
# The build tree's tbstreamd as those suites run it: no bus, debug log, its
# policy in $D/etc (the test writes tbstreamd.conf there), its state in
# $D/state, its log appended to $D/log; started and stopped by the test, so
# that a restart in the middle of a transfer can be tried.
D=/tmp/tbstreamd
daemon_pid=
mkdir -p $D/etc $D/state

start_daemon() {
	"$TBSTREAM_BUILD/tbstreamd/tbstreamd" --no-bus --log-target=stderr --log-level=debug \
		--config-dir=$D/etc --vendor-dir="$TBSTREAM_TOP/tbstreamd/vendor" \
		--state-dir=$D/state >>$D/log 2>&1 &
	daemon_pid=$!
}

stop_daemon() {
	kill "$daemon_pid" 2>/dev/null
	wait "$daemon_pid" 2>/dev/null
}
