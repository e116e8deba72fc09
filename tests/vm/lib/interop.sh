# shellcheck shell=sh disable=SC2034
# (sourced by the tests/vm/emu-interop scripts: the variables are used there)
# Helpers for tbstream against upstream's own USB4STREAM driver on the
# emulated cable: two guests (tests/vm/emu/pair), one running tbstream.ko,
# the other Linux 7.2 with upstream's thunderbolt_stream.ko (its guest has
# /modules/thunderbolt_stream.ko: tests/vm/emu/pair --b-args "--ko ...").
# Both guests run the same script in lock step over their test channel
# (emu_tell/emu_expect); each asks IP_UP whether it is the upstream one.
#
#   IP_DRV   this guest's driver: tbstream or thunderbolt_stream
#   IP_UP    1 on the upstream guest, 0 on tbstream's
#   C        the ConfigFS stream directory
#   G        this guest's group for the peer's service (not created)
#   D        the configured stream's device node (ip_configure_*)
#   IP_LOG_EXPECTED  set by a script: one more kernel log line (a grep
#            pattern) that its own doing makes expected, for ip_finish
. /lib/tbstream/emu.sh
C=/sys/kernel/config/thunderbolt/stream

if [ -f /modules/thunderbolt_stream.ko ]; then
	IP_DRV=thunderbolt_stream IP_UP=1
else
	IP_DRV=tbstream IP_UP=0
fi

# ip_start: both guests fresh (thunderbolt.ko reloaded, so the cable comes
# up with both drivers' announcements), this guest's driver bound to the
# peer's stream service; sets G
ip_start() {
	emu_pair_start
	emu_unload
	dmesg -c >/dev/null
	emu_barrier unloaded
	emu_load
	emu_wait_xdomain 0 "$EMU_UUID_PEER" "load"
	insmod /modules/$IP_DRV.ko || emu_fail "insmod $IP_DRV"
	wait_for 60 emu_service $IP_DRV ||
		emu_fail "$IP_DRV bound no stream service of the peer ($(ls "$TB" | tr '\n' ' '))"
	G=$C/$(emu_service $IP_DRV)
	emu_barrier bound
}

# ip_dev STREAM: its device node
ip_dev() {
	echo "/dev/tbstream$(cat "$1/index")"
}

# ip_hopids STREAM: "IN OUT"
ip_hopids() {
	echo "$(cat "$1/in_hopid") $(cat "$1/out_hopid")"
}

# ip_mkdir_by_name STREAM: mkdir STREAM with no HopIDs, so that it takes
# them from the peer's announcement of the same name.  Upstream looks at
# the announcement only when the stream attaches (mkdir, or the service
# appearing), so until the announcement has crossed the cable it is
# removed and made again, as a user would; tbstream would also look again
# at the first open, but is treated the same here.
ip_mkdir_by_name() {
	_i=0
	while [ $_i -lt 120 ]; do
		mkdir "$1" || emu_fail "mkdir $1"
		[ "$(cat "$1/in_hopid")" -gt 0 ] && [ "$(cat "$1/out_hopid")" -gt 0 ] && return 0
		rmdir "$1" || emu_fail "rmdir $1"
		sleep 0.5
		_i=$((_i + 1))
	done
	emu_fail "$1 never found the peer's announcement of its name"
}

# ip_configure_fixed STREAM: STREAM with explicit crossed HopIDs (tbstream
# in 9, out 8; upstream in 8, out 9), upstream's first: had tbstream's
# announcement of the name arrived before upstream's mkdir, upstream would
# take those HopIDs by name there, and then refuse the same HopID written
# again (EBUSY: kernel/README.md).  Sets D.
ip_configure_fixed() {
	[ "$IP_UP" = 0 ] && emu_expect up-configured
	mkdir -p "$1" || emu_fail "mkdir $1"
	if [ "$IP_UP" = 0 ]; then
		echo 9 >"$1/in_hopid" && echo 8 >"$1/out_hopid"
	else
		echo 8 >"$1/in_hopid" && echo 9 >"$1/out_hopid"
	fi || emu_fail "setting the HopIDs of $1"
	[ "$IP_UP" = 1 ] && emu_tell up-configured
	D=$(ip_dev "$1")
}

# ip_configure_by_name TAG STREAM: upstream makes STREAM with automatic
# HopIDs (-1) unless it has it, tbstream makes it by name only after
# upstream's announcement (again, after a replug or an rmdir: it looks at
# attach and open); both guests then pass TAG-configured.  Sets D.
ip_configure_by_name() {
	if [ "$IP_UP" = 1 ]; then
		[ -d "$2" ] || {
			mkdir "$2" && echo -1 >"$2/in_hopid" && echo -1 >"$2/out_hopid"
		} || emu_fail "$1: upstream configures $2"
		emu_tell "$1-announced"
	else
		emu_expect "$1-announced"
		[ ! -d "$2" ] || rmdir "$2" || emu_fail "$1: rmdir $2"
		ip_mkdir_by_name "$2"
	fi
	D=$(ip_dev "$2")
	emu_barrier "$1-configured"
}

# ip_send TAG FILE DEV: once the other guest's reader is open (TAG-reading),
# write FILE into DEV with dd (256 KiB writes), tell the other guest its
# sha256, and close only once the reader has it all (TAG-got).  A close
# stops waiting for the TX ring to drain after a while (tbstream 1 s,
# upstream 500 ms) and the frames still in it are lost, as the protocol
# has it; a TCG guest under load can read 1 MiB (the ring) slower than
# that, which on silicon takes microseconds.
ip_send() {
	emu_expect "$1-reading"
	exec 4>"$3" || emu_fail "$1: open $3"
	dd if="$2" bs=256k 2>/tmp/wr.err >&4
	check_eq "$1: $IP_DRV's writer succeeds ($(tail -n1 /tmp/wr.err))" 0 $?
	emu_tell "$1-sha $(sha "$2")"
	emu_expect "$1-got"
	exec 4>&-
}

# ip_recv_check TAG FILE SIZE: FILE, which a reader wrote, has SIZE bytes
# and the sha256 the writer's guest sent
ip_recv_check() {
	check_eq "$1: $IP_DRV received $3 bytes" "$3" "$(wc -c <"$2")"
	emu_expect_value "$1-sha"
	check_eq "$1: sha256 equal" "$EMU_VALUE" "$(sha "$2")"
}

# ip_size_at_least FILE SIZE
ip_size_at_least() {
	[ "$(wc -c <"$1")" -ge "$2" ]
}

# ip_recv TAG DEV FILE SIZE: the other side of ip_send: open DEV, read it
# to end of file (the writer's close) into FILE, which must be SIZE bytes
# with the writer's sha256
ip_recv() {
	rm -f "$3"
	timeout 120 dd if="$2" of="$3" bs=256k 2>/tmp/rd.err &
	_r=$!
	wait_for 10 test -e "$3"
	emu_tell "$1-reading"
	wait_for 120 ip_size_at_least "$3" "$4"
	emu_tell "$1-got"
	wait $_r
	check_eq "$1: $IP_DRV's reader ends at the peer's close ($(tail -n1 /tmp/rd.err))" 0 $?
	ip_recv_check "$1" "$3" "$4"
	rm -f "$3"
}

# ip_flow_start TAG WRITER-IS-UPSTREAM SECONDS: a copy of zeros, far more
# than crosses before the test disrupts it, bounded by SECONDS; the writer
# waits for the reader to open, the reader returns once more than 1 MiB
# arrived (the first 2 MiB kept in /tmp/dst, the rest dropped).  Sets
# IP_PID (wait for it) and IP_WHAT (writer or reader); dd's exit status goes to
# /tmp/io.rc and its messages to /tmp/io.err.
ip_flow_start() {
	rm -f /tmp/io.rc /tmp/dst
	if [ "$IP_UP" = "$2" ]; then
		emu_expect "$1-reading"
		{ timeout "$3" dd if=/dev/zero of="$D" bs=256k count=4096 2>/tmp/io.err; echo $? >/tmp/io.rc; } &
		IP_PID=$!
		IP_WHAT=writer
	else
		{ timeout "$3" dd if="$D" bs=256k 2>/tmp/io.err; echo $? >/tmp/io.rc; } |
			{ head -c 2097152 >/tmp/dst; cat >/dev/null; } &
		IP_PID=$!
		IP_WHAT=reader
		# the writer starts once our open has returned: upstream's
		# reader loses count of frames that arrive while its open
		# still posts its RX buffers (kernel/README.md)
		wait_for 60 emu_has_open "$D" || emu_fail "$1: the reader never opened $D"
		emu_tell "$1-reading"
		check "$1: data flows" wait_for 60 sh -c "[ \$(wc -c </tmp/dst 2>/dev/null || echo 0) -gt 1048576 ]"
	fi
}

# ip_copy TAG WRITER-IS-UPSTREAM MIB: MIB random MiB from the writer's guest
# to the other, read to the writer's close and compared by sha256
ip_copy() {
	if [ "$IP_UP" = "$2" ]; then
		dd if=/dev/urandom of=/tmp/src bs=1M count="$3" 2>/dev/null
		ip_send "$1" /tmp/src "$D"
		rm -f /tmp/src
	else
		ip_recv "$1" "$D" /tmp/dst $(($3 * 1048576))
	fi
}

# ip_finish: every stream removed by the script; the driver and
# thunderbolt.ko unload, the kernel log has no trouble, both guests are done
ip_finish() {
	check "$IP_DRV unloads" rmmod $IP_DRV
	# Beside emu_assert_clean_log's own: loading an unsigned test module
	# taints (not an error), and a properties request that crossed the
	# peer's properties change (its driver loading, a stream announced) is
	# retried by the protocol.
	_bad=$(dmesg | grep -Ei "thunderbolt.*(timeout|timed out|crc|invalid|unexpected|error|fail|refus)|WARNING:|BUG:|$IP_DRV.*(error|fail)" |
		grep -v -e 'module verification failed' -e 'failed to request remote properties, retrying$' \
			-e 'failed to request UUID, retrying$' -e 'failed to send properties changed notification$' \
			-e 'failed to send properties changed notification, retrying$' \
			-e 'failed to send XDomain response for 0x3$' \
			${IP_LOG_EXPECTED:+-e "$IP_LOG_EXPECTED"} | head -n 10)
	[ -z "$_bad" ] || { echo "$_bad" | sed 's/^/# /'; emu_fail "the kernel logged trouble"; }
	dmesg -c >/dev/null
	emu_peers_quiet drivers-unloaded
	emu_unload
	emu_finish
	summary
}
