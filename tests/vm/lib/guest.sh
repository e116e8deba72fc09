# shellcheck shell=sh disable=SC2034,SC2120
# (sourced by the test scripts: the variables and arguments are used there)
# Assertions for VM test scripts (busybox ash).  Source it, assert, end with
# `summary`, whose status is the script's verdict:
#
#   . /lib/tbstream/guest.sh
#   check "stream device appears" test -c /dev/tbstream0
#   check_eq "checksums match" "$a" "$b"
#   check_errno "long name refused" ENAMETOOLONG mkdir "$g/123456789"
#   summary
#
# Output is TAP-like ("ok - ...", "not ok - ...") and ends with the plain
# "N passed, M failed" line.

T_PASSED=0
T_FAILED=0

pass() {
	T_PASSED=$((T_PASSED + 1))
	echo "ok - $1"
}

fail() {
	T_FAILED=$((T_FAILED + 1))
	echo "not ok - $1${2:+: $2}"
}

# check NAME CMD...: CMD must succeed
check() {
	_name=$1
	shift
	if _out=$("$@" 2>&1); then
		pass "$_name"
	else
		fail "$_name" "'$*' failed: $_out"
	fi
}

# check_fails NAME CMD...: CMD must fail
check_fails() {
	_name=$1
	shift
	if _out=$("$@" 2>&1); then
		fail "$_name" "'$*' succeeded: $_out"
	else
		pass "$_name"
	fi
}

# check_eq NAME EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "expected '$2', got '$3'"
	fi
}

# check_errno NAME ERRNO OP ARGS...: the operation must fail with ERRNO.
# errno-of (tests/vm/guest/errno-of.c) performs one system call and prints
# the errno's name ("OK" on success), so no test parses strerror text.
#   check_errno "long name" ENAMETOOLONG errno-of mkdir "$g/123456789"
# OP is one of: mkdir DIR | rmdir DIR | write FILE VALUE | open FILE FLAGS
check_errno() {
	_name=$1
	_want=$2
	shift 2
	_got=$(errno-of "$@" 2>&1)
	check_eq "$_name" "$_want" "$_got"
}

# wait_for SECONDS CMD...: poll CMD every 0.1 s until it succeeds
wait_for() {
	_limit=$(($1 * 10))
	shift
	_i=0
	while ! "$@" >/dev/null 2>&1; do
		_i=$((_i + 1))
		[ $_i -ge $_limit ] && return 1
		sleep 0.1
	done
	return 0
}

# running PID: PID exists and has not exited.  `kill -0` is not enough: it
# succeeds on a child that exited and was not yet reaped (a zombie), so a
# check that a writer "still waits" would pass for a writer that failed.
running() {
	[ -r /proc/$1/stat ] || return 1
	# the state follows the command name in parentheses, which may hold spaces
	case "$(sed 's/.*) //' /proc/$1/stat 2>/dev/null)" in
	Z* | X* | '') return 1 ;;
	esac
	return 0
}

# sha FILE: the sha256 of FILE, digits only
sha() {
	sha256sum "$1" | cut -d' ' -f1
}

# manifest DIR: one line per entry of the tree (path, and its sha256 or
# link target), sorted; its sha256 says whether two trees are equal
manifest() {
	(cd "$1" && find . | sort | while read -r _f; do
		if [ -L "$_f" ]; then
			echo "$_f -> $(readlink "$_f")"
		elif [ -f "$_f" ]; then
			echo "$_f $(sha "$_f")"
		else
			echo "$_f/"
		fi
	done) | sha256sum | cut -d' ' -f1
}

summary() {
	echo "$T_PASSED passed, $T_FAILED failed"
	[ "$T_FAILED" -eq 0 ]
}

# live, live_dmabuf: tbstream's live-object counters (debugfs), for leak
# checks: "streams N sessions N", "attachments N sends N"
live() {
	cat /sys/kernel/debug/tbstream/live
}

live_dmabuf() {
	cat /sys/kernel/debug/tbstream/live_dmabuf
}

load_tbstream() {
	insmod /modules/tbstream.ko "$@"
}

load_sim() {
	insmod /modules/tbstream_sim.ko "$@"
}

# plug_cable [LINK]: load both modules and plug a simulated cable.  Sets C
# (the stream ConfigFS directory), L (the link) and A, B (the group each side
# uses for the other: host a's view of b, host b's view of a), not yet created.
plug_cable() {
	lay_cable "$@"
	echo 1 > "$L/connected"
}

# lay_cable [LINK]: the same cable, left unplugged (groups made now attach
# when it is plugged in)
lay_cable() {
	load_tbstream
	load_sim
	C=/sys/kernel/config/thunderbolt/stream
	L=/sys/kernel/config/tbstream_sim/${1:-cable}
	mkdir "$L"
	A=$C/$(cat "$L/a_service")
	B=$C/$(cat "$L/b_service")
}

# stream_pair NAME: the stream NAME on both sides of the cable, b with
# automatic HopIDs, a by name only (HopIDs from b's announcement).  Sets deva
# and devb and waits until a has seen b's announcement.
stream_pair() {
	mkdir -p "$A/$1" "$B/$1"
	echo -1 > "$B/$1/in_hopid"
	echo -1 > "$B/$1/out_hopid"
	deva=/dev/tbstream$(cat "$A/$1/index")
	devb=/dev/tbstream$(cat "$B/$1/index")
	check "a finds b's announcement" wait_for 5 sh -c "errno-of open $deva wronly | grep -qx OK"
}

# crossed_stream_pair NAME: the stream NAME on both sides with fixed, crossed
# HopIDs (b: in 8, out 9; a: in 9, out 8).  Sets da and db.
crossed_stream_pair() {
	mkdir -p "$A/$1" "$B/$1"
	echo 8 > "$B/$1/in_hopid"
	echo 9 > "$B/$1/out_hopid"
	echo 9 > "$A/$1/in_hopid"
	echo 8 > "$A/$1/out_hopid"
	da=/dev/tbstream$(cat "$A/$1/index")
	db=/dev/tbstream$(cat "$B/$1/index")
}
