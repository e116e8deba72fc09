# Runs inside the VM (bench/emu-throughput, on tests/vm/emu/boot): one way,
# host A to host B over the emulated cable, tbstream (kernel/nhi.c) vs
# Debian's thunderbolt_net + TCP, both loaded on the same cable and
# measured in alternation, round after round.  On 7.x, when the host put
# upstream's thunderbolt_stream.ko into /modules, upstream's USB4STREAM
# too: it and tbstream share the ConfigFS group, so each round has
# tbstream's half (with TCP beside it) and then upstream's.
. /lib/tbstream/emu.sh
bench=/modules/kernel-throughput
total=$TBS_TOTAL
sizes="4096 65536 262144 1048576"
ADDR_A=10.77.0.1
ADDR_B=10.77.0.2
upstream=0
# clear of thunderbolt_net's HopIDs, which 7.x allocates from 8 up
# shellcheck disable=SC2034 # read by emu_stream_pair (emu.sh)
EMU_HOPID=12
[ -f /modules/thunderbolt_stream.ko ] && upstream=1

emu_tbnet_module
emu_unload
emu_load_peers
# thunderbolt_net: B's interface in a namespace of its own, so TCP crosses
# the cable
emu_tbnet_up "$ADDR_A" "$ADDR_B"
ns=$EMU_NS

# run TRANSPORT BS: one measurement, appended to /tmp/r.TRANSPORT.BS
run() {
	case "$1" in
	tbstream | upstream) _out=$($bench stream "$2" "$total" "$EMU_DEV_A" "$EMU_DEV_B") ;;
	tcp) _out=$($bench tcp "$2" "$total" "$ADDR_B" "$ns") ;;
	esac || emu_fail "$1 at $2 bytes a write failed"
	echo "$_out" >>"/tmp/r.$1.$2"
	echo "# round $r: $1 bs $2: $_out"
}

# pair_down DRIVER: its streams removed and the module out, so that the
# other stream driver can register the ConfigFS group
pair_down() {
	emu_stream_pair_remove
	rmmod "$1" || emu_fail "rmmod $1"
}

r=1
while [ $r -le "$TBS_ROUNDS" ]; do
	emu_stream_pair tbstream
	for bs in $sizes; do
		run tbstream "$bs"
		run tcp "$bs"
	done
	pair_down tbstream
	if [ $upstream = 1 ]; then
		emu_stream_pair thunderbolt_stream
		for bs in $sizes; do
			run upstream "$bs"
		done
		pair_down thunderbolt_stream
	fi
	r=$((r + 1))
done

# col FILE N: "median (min-max)" of column N
col() {
	cut -d' ' -f"$2" "$1" | sort -n | awk '{ v[NR] = $1 } END {
		printf "%s (%s-%s)", v[int((NR + 1) / 2)], v[1], v[NR] }'
}
med() { cut -d' ' -f"$2" "$1" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ratio() { awk "BEGIN { if ($2 > 0) printf \"%.2f\", $1 / $2; else print \"-\" }"; }
# table BASELINE-TRANSPORT BASELINE-TITLE: tbstream against it, MB/s and
# the whole guest's busy CPU per GiB, with the ratios tbstream/baseline
table() {
	printf '%-8s %-18s %-18s %6s   %-18s %-18s %6s\n' write "tbstream MB/s" "$2 MB/s" ratio \
		"tbstream s/GiB" "$2 s/GiB" ratio
	for bs in $sizes; do
		t=/tmp/r.tbstream.$bs
		n=/tmp/r.$1.$bs
		printf '%-8s %-18s %-18s %6s   %-18s %-18s %6s\n' "$bs" "$(col $t 1)" "$(col $n 1)" \
			"$(ratio "$(med $t 1)" "$(med $n 1)")" "$(col $t 2)" "$(col $n 2)" \
			"$(ratio "$(med $t 2)" "$(med $n 2)")"
	done
}
echo RESULTS
table tcp tbnet+TCP
if [ $upstream = 1 ]; then
	echo
	table upstream upstream
fi
echo "(medians of $TBS_ROUNDS rounds, min-max in brackets; MB/s = 10^6 bytes/s;"
if [ $upstream = 1 ]; then
	echo " s/GiB = the whole guest's busy CPU per GiB; $total bytes per run, A to B;"
	echo " upstream = Linux's own thunderbolt_stream.ko, built from Debian's source)"
else
	echo " s/GiB = the whole guest's busy CPU per GiB; $total bytes per run, A to B)"
fi
echo END

kill "$ns"
exit 0
