# 7.2's per-service properties (kernel/nhi.c): each peer hears only of the
# streams configured for it.  One kernel drives both hosts of this guest, so
# on 6.1 and 6.12 the one global property directory told each host's peer
# about the other host's streams too, and two streams of one name clashed
# ("used twice on one host"; tbstream-transfer names them sa and sb for
# that).  Here both hosts call their stream "s": A's has HopIDs, B's takes
# them from A's announcement, and bytes cross it both ways, reopened, with
# no clash.  Then B gets a stream "echo" that A does not have, HopIDs
# allocated when the peer announces none (-1): at B's first open, a kprobe
# on tbs_props_find_stream() shows B looking it up in what A announces to
# B and not finding it (on 6.x it found its own announcement there).
. /lib/tbstream/emu.sh
MIB=8
SIZE=$((MIB * 1048576))

emu_unload
dmesg -c >/dev/null
emu_load_peers
emu_bind
A=$EMU_GA
B=$EMU_GB

mkdir "$A" "$B" "$A/s" || emu_fail "mkdir the stream groups and A's s"
echo 9 >"$A/s/in_hopid" && echo 8 >"$A/s/out_hopid" || emu_fail "setting A's HopIDs"
check "A's s is ready" wait_for 30 grep -qx ready "$A/s/state"
# B's s has no HopIDs: it takes A's when it attaches (made again, as a user
# would, until A's announcement has crossed the cable; interop.sh has the
# same) or at its first open
_i=0
until mkdir "$B/s" 2>/tmp/mkdir.err && grep -qx ready "$B/s/state"; do
	[ -d "$B/s" ] || emu_fail "mkdir B's s, the same name as A's: $(cat /tmp/mkdir.err)"
	rmdir "$B/s"
	_i=$((_i + 1))
	[ $_i -lt 60 ] || emu_fail "B's s never found A's announcement of s"
	sleep 0.5
done
check_eq "B's s has A's HopIDs, swapped" "8 9" "$(cat "$B/s/in_hopid") $(cat "$B/s/out_hopid")"
deva=/dev/tbstream$(cat "$A/s/index")
devb=/dev/tbstream$(cat "$B/s/index")

dd if=/dev/urandom of=/tmp/src.a bs=1M count=$MIB 2>/dev/null
dd if=/dev/urandom of=/tmp/src.b bs=1M count=$MIB 2>/dev/null

# copy WHAT SRC DEV-OUT DEV-IN DST: the reader first, then the writer
copy() {
	rm -f "$5"
	timeout 120 dd if="$4" of="$5" bs=256k 2>/tmp/rd.err &
	_r=$!
	sleep 1
	dd if="$2" of="$3" bs=256k 2>/tmp/wr.err
	check_eq "$1: the writer succeeds ($(tail -n1 /tmp/wr.err))" 0 $?
	wait $_r
	check_eq "$1: the reader ends at the writer's close ($(tail -n1 /tmp/rd.err))" 0 $?
	check_eq "$1: $MIB MiB arrived, sha256 equal" "$SIZE $(sha "$2")" \
		"$(wc -c <"$5") $(sha "$5")"
}

# Every first open reads the peer's announcement again (stream.c): a
# reopen would pick up B's own "s" if A's block carried it.
for round in 1 2; do
	copy "round $round, A to B" /tmp/src.a "$deva" "$devb" /tmp/dst.b
	copy "round $round, B to A" /tmp/src.b "$devb" "$deva" /tmp/dst.a
	check_eq "round $round: both streams keep their HopIDs" "9 8 8 9" \
		"$(cat "$A/s/in_hopid" "$A/s/out_hopid" "$B/s/in_hopid" "$B/s/out_hopid" | tr '\n' ' ' | sed 's/ $//')"
done
rm -f /tmp/dst.a /tmp/dst.b
check "no stream name announced twice" sh -c '! dmesg | grep "used twice on one host"'

trace=/sys/kernel/tracing
[ -d $trace/events ] || mount -t tracefs nodev $trace
mkdir "$B/echo" || emu_fail "mkdir B's echo"
echo -1 >"$B/echo/in_hopid" && echo -1 >"$B/echo/out_hopid" || emu_fail "setting echo's HopIDs to -1"
check "B's echo is ready with HopIDs of its own" wait_for 30 grep -qx ready "$B/echo/state"
# B's announcement has changed: A's XDomain reads it again (a 50 ms delay,
# then a request), and on 6.x A's block, which B reads, would change too
sleep 3
echo 'p:tbs/find tbstream:tbs_props_find_stream name=+0(%si):string' >$trace/kprobe_events &&
	echo 'r:tbs/found tbstream:tbs_props_find_stream ret=$retval:s32' >>$trace/kprobe_events &&
	echo 1 >$trace/events/tbs/enable || emu_fail "kprobes on tbs_props_find_stream"
timeout 3 cat "/dev/tbstream$(cat "$B/echo/index")" >/dev/null 2>&1
echo 0 >$trace/events/tbs/enable
grep -A1 'find:.*name="echo"' $trace/trace | sed 's/^/# /'
check "B's first open of echo looked it up in A's announcement" grep -q 'find:.*name="echo"' $trace/trace
check_eq "A announces no echo to B (-ENOENT)" "ret=-2" \
	"$(grep -A1 'find:.*name="echo"' $trace/trace | grep -o 'found:.*' | grep -o 'ret=-*[0-9]*' | sort -u)"
echo >$trace/kprobe_events

rmdir "$B/echo" "$A/s" "$B/s" "$A" "$B" || emu_fail "rmdir"
check "tbstream unloads" rmmod tbstream
emu_assert_clean_log "the per-peer announcements"
emu_peers_quiet unloaded
emu_unload
pass "thunderbolt.ko unloads after tbstream"
summary
