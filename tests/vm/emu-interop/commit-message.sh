# Upstream's commit message's scenarios, verbatim, between tbstream and
# upstream's own USB4STREAM driver on the emulated cable
# (tests/vm/lib/interop.sh): host2 makes stream "backup" with automatic
# HopIDs (-1) and reads, host1 makes "backup" by name only (its HopIDs from
# host2's announcement) and writes: a 16 MiB dd (bs=256k), then a
# `tar cf - mydir | gzip` directory copy, then `rmdir -p` on both.  Then
# the same the other way round: host2 writes to host1, so bytes cross
# both ways.  Twice: upstream as host2 and tbstream as host1, then
# tbstream as host2 and upstream as host1.  sha256 compared every time.
. /lib/tbstream/interop.sh
MIB=16
SIZE=$((MIB * 1048576))

ip_start
dd if=/dev/urandom of=/tmp/src bs=1M count=$MIB 2>/dev/null
mkdir -p /tmp/mydir/sub/deeper
head -c 300000 /dev/urandom >/tmp/mydir/random.bin
echo "hello from $IP_DRV" >/tmp/mydir/sub/hello.txt
seq 1 20000 >/tmp/mydir/sub/deeper/numbers
ln -s ../random.bin /tmp/mydir/sub/link

# round TAG HOST2: one run of the scenarios; HOST2 is 1 when this guest is
# host2 (the receiver of the first copies)
round() {
	cd "$C" || emu_fail "cd $C"
	grp=$(basename "$G")
	if [ "$2" = 1 ]; then
		# host2 # mkdir .../0-1.0; mkdir .../0-1.0/backup; echo -1 > ...
		mkdir "$grp" && mkdir "$grp/backup" &&
			echo -1 >"$grp/backup/in_hopid" && echo -1 >"$grp/backup/out_hopid" ||
			emu_fail "$1: host2 configures backup"
		emu_tell "$1-announced $(ip_hopids "$grp/backup")"
	else
		mkdir "$grp" || emu_fail "mkdir $grp"
		emu_expect_value "$1-announced"
		_l=$EMU_VALUE
		# host1 # mkdir .../0-503.0/backup  (by name only)
		ip_mkdir_by_name "$grp/backup"
		_mine=$(ip_hopids "$grp/backup")
		check_eq "$1: host1 ($IP_DRV) took host2's HopIDs by name, crossed" "$_l" "${_mine#* } ${_mine% *}"
	fi
	D=$(ip_dev "$grp/backup")
	emu_barrier "$1-configured"

	# host2 # dd if=/dev/tbstream0 of=/tmp/host1.backup bs=256k
	# host1 # dd if=/dev/nvme0n1 of=/dev/tbstream0 bs=256k
	if [ "$2" = 1 ]; then
		ip_recv "$1: dd host1 to host2" "$D" /tmp/dst $SIZE
	else
		ip_send "$1: dd host1 to host2" /tmp/src "$D"
	fi

	# host2 # gunzip < /dev/tbstream0 | tar xf -
	# host1 # tar cf - mydir | gzip > /dev/tbstream0
	if [ "$2" = 1 ]; then
		rm -rf /tmp/out && mkdir /tmp/out
		(cd /tmp/out && timeout 120 gunzip <"$D" | tar xf -) &
		_r=$!
		# host1 writes once the open has returned (ip_flow_start says why)
		wait_for 60 emu_has_open "$D" || emu_fail "$1: tar: the reader never opened $D"
		emu_tell "$1-tar-reading"
		wait $_r
		check_eq "$1: tar: host2's ($IP_DRV) gunzip | tar xf - succeeds" 0 $?
		emu_expect_value "$1-tree"
		check_eq "$1: tar: the directory tree arrived equal" "$EMU_VALUE" "$(manifest /tmp/out/mydir)"
		check_eq "$1: tar: the symlink is preserved" ../random.bin "$(readlink /tmp/out/mydir/sub/link)"
	else
		emu_expect "$1-tar-reading"
		(cd /tmp && tar cf - mydir | gzip >"$D")
		check_eq "$1: tar: host1's ($IP_DRV) tar | gzip succeeds" 0 $?
		emu_tell "$1-tree $(manifest /tmp/mydir)"
	fi
	emu_barrier "$1-host1-to-host2"

	# The other way: host1 reads, host2 writes.
	if [ "$2" = 1 ]; then
		ip_send "$1: dd host2 to host1" /tmp/src "$D"
	else
		ip_recv "$1: dd host2 to host1" "$D" /tmp/dst $SIZE
	fi
	emu_barrier "$1-host2-to-host1"

	# host1 # rmdir -p 0-503.0/backup ; host2 # rmdir -p 0-1.0/backup
	check "$1: rmdir -p $grp/backup" rmdir -p "$grp/backup"
	check "$1: the group and device node are gone" test ! -e "$grp" -a ! -e "$D"
	cd / || emu_fail "cd /"
	emu_barrier "$1-removed"
}

round "upstream host2" "$IP_UP"
round "tbstream host2" $((1 - IP_UP))

rm -rf /tmp/src /tmp/mydir /tmp/out
ip_finish
