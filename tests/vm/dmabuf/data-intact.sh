# Bytes sent from dma-bufs arrive intact and in order with write(2) data
# around them; the direct path cuts frames at DMA segment ends and the
# simulated NHI reads them from the buffer's own pages (no copy by the core);
# the CPU path copies; a camera-style loop reuses buffers only after their
# sends completed.  Exporters: vgem (6.1, 6.12, 7.2), udmabuf (6.12, 7.2).
. /lib/tbstream/guest.sh
plug_cable
stream_pair s
stat_of() { awk -v k="$1" '$1 == k { print $2 }' "$L/b/stats"; }

# receive DEV OUT: read DEV into OUT until the sender closes, in the background
receive() {
	dd if="$1" of="$2" bs=64k 2>/dev/null &
	rd=$!
	sleep 0.3
}

check_eq "the stream offers direct DMA and CPU copy, no peer-to-peer" \
	"open OK
info abi=1 paths=direct|cpu max=64 frame=4096" "$(dmabuf-probe open:$deva info)"

# vgem: odd ranges, interleaved with write(2)
receive $devb /tmp/got
copied0=$(stat_of copied)
dmabuf-probe open:$deva record:/tmp/sent vgem:1048576 fill:1 attach query \
	send:100:10000 write:5000:2 send:0:1048576 send:4095:1 send:4096:8193 \
	write:1:3 send:1048575:1 waitdone:5000 close > /tmp/out
wait $rd
check_eq "vgem: attached on the direct path, sends queued whole" "open OK
vgem OK
attach OK direct
send OK queued=10000
write 5000
send OK queued=1048576
send OK queued=1
send OK queued=8193
write 1
send OK queued=1
waitdone yes
close OK" "$(grep -v '^query' /tmp/out)"
check "vgem: the mapping has DMA segments" grep -Eq '^query direct size=1048576 segments=[1-9][0-9]* sends=0$' /tmp/out
check_eq "vgem: every byte arrived, in order" "$(sha /tmp/sent)" "$(sha /tmp/got)"
check_eq "vgem: ...all of them" 1071772 "$(wc -c < /tmp/got)"
# 1 MiB from offset 0 is 256 whole frames; the 10000, 1, 8193 and 1 byte
# sends add at least 3 + 1 + 3 + 1
check "vgem: the NHI read >= 264 frames from the buffer itself" \
	test $(($(stat_of copied) - copied0)) -ge 264

# the CPU path: one copy into the frames' own buffers
rm -f /tmp/sent
receive $devb /tmp/got
copied0=$(stat_of copied)
check_eq "vgem: CPU copy when required" "open OK
vgem OK
attach OK cpu
query cpu size=262144 segments=0 sends=0
send OK queued=200000
write 7
send OK queued=62144
waitdone yes
close OK" "$(dmabuf-probe open:$deva record:/tmp/sent vgem:262144 fill:7 attach:cpu,require query \
	send:0:200000 write:7:4 send:200000:62144 waitdone:5000 close)"
wait $rd
check_eq "cpu: every byte arrived, in order" "$(sha /tmp/sent)" "$(sha /tmp/got)"
check_eq "cpu: the NHI read nothing from the dma-buf" "$copied0" "$(stat_of copied)"

# EPOLLPRI: completions that no WAIT has reported yet
receive $devb /tmp/got
check_eq "EPOLLPRI until a WAIT reports the completion" "open OK
vgem OK
attach OK direct
poll OUT
send OK queued=65536
poll PRI
wait completed=1 queued=1 status=OK
poll OUT
close OK" "$(dmabuf-probe open:$deva vgem:65536 attach poll:0 send:0:65536 pollpri:5000 \
	wait:0:0 poll:0 close)"
wait $rd

# a camera: 3 buffers, 24 frames of 256 KiB, each behind a 16-byte header
rm -f /tmp/sent
receive $devb /tmp/got
check_eq "camera loop" "open OK
camera 24 OK
close OK" "$(dmabuf-probe open:$deva record:/tmp/sent camera:3:24:262144 close)"
wait $rd
check_eq "camera: every frame and header arrived, in order" "$(sha /tmp/sent)" "$(sha /tmp/got)"
check_eq "camera: ...all of them" $((24 * (262144 + 16))) "$(wc -c < /tmp/got)"

# udmabuf: a frame never spans two DMA segments; on 6.12 a segment is a
# page, so frames end where pages end
if [ ! -e /dev/udmabuf ]; then
	# Debian builds 6.1 without CONFIG_UDMABUF; the debug kernel has it
	case $(uname -r) in
	6.1.*-amd64) pass "Debian's 6.1 has no udmabuf" ;;
	*) fail "no /dev/udmabuf on $(uname -r)" ;;
	esac
else
	rm -f /tmp/sent
	echo 0 > "$L/a/frames"
	receive $devb /tmp/got
	out=$(dmabuf-probe open:$deva record:/tmp/sent udmabuf:65536 fill:5 attach query \
		send:100:10000 waitdone:5000 close)
	segs=$(echo "$out" | sed -n 's/^query .* segments=\([0-9]*\) .*/\1/p')
	# 6.1's and 7.2's udmabuf build their tables with
	# sg_alloc_table_from_pages(), which merges physically contiguous pages:
	# 1 to 16 segments, as memory falls; 6.12's has one per page.
	case $(uname -r) in
	6.12.*) check_eq "udmabuf: one segment per page" 16 "$segs" ;;
	*) check "udmabuf: 1 to 16 segments ($segs)" test "${segs:-0}" -ge 1 -a "${segs:-0}" -le 16 ;;
	esac
	check_eq "udmabuf: attached on the direct path" "open OK
udmabuf OK
attach OK direct
query direct size=65536 segments=$segs sends=0
send OK queued=10000
waitdone yes
close OK" "$out"
	wait $rd
	sizes=$(awk '$4 == 2 { print $5 }' "$L/a/frames" | tr '\n' ' ' | sed 's/ $//')
	case $(uname -r) in
	6.12.*) check_eq "udmabuf: frames end where pages (segments) end" "3996 4096 1908" "$sizes" ;;
	*)
		# where segments merged, a frame may cross a page: only the 4 KiB
		# frame limit and the total are known in advance
		check_eq "udmabuf: no frame over 4 KiB, 10000 bytes in all" "ok 10000" \
			"$(echo "$sizes" | tr ' ' '\n' | awk '$1 > 4096 { big = 1 } { n += $1 }
				END { print (big ? "big" : "ok"), n }')"
		;;
	esac
	check_eq "udmabuf: every byte arrived" "$(sha /tmp/sent)" "$(sha /tmp/got)"
fi

check_eq "no attachment or send left" "attachments 0 sends 0" "$(live_dmabuf)"
rmdir "$A/s" "$B/s" "$A" "$B" "$L"
check "modules unload" sh -c 'rmmod tbstream_sim && rmmod tbstream'
check "vgem unloads: no dma-buf reference left behind" rmmod vgem
summary
