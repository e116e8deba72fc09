# Runs inside the VM (tests/vm/run --module vgem): CPU per GiB through one
# stream, write(2) vs dma-buf sends, rounds alternating.
. /lib/tbstream/guest.sh
plug_cable
mkdir "$A" "$B" "$A/bench" "$B/bench"
echo -1 > "$B/bench/in_hopid"
echo -1 > "$B/bench/out_hopid"
deva=/dev/tbstream$(cat "$A/bench/index")
devb=/dev/tbstream$(cat "$B/bench/index")
wait_for 5 sh -c "errno-of open $deva wronly | grep -qx OK"
bench=/modules/dmabuf-cpu
total=${TBS_TOTAL:-536870912}
bs=${TBS_BS:-1048576}
rounds=${TBS_ROUNDS:-3}
: > /tmp/runs
i=0
while [ $i -lt "$rounds" ]; do
	$bench write "$deva" "$devb" "$total" "$bs" >> /tmp/runs || echo "write run failed"
	$bench dmabuf "$deva" "$devb" "$total" "$bs" >> /tmp/runs || echo "dmabuf run failed"
	i=$((i + 1))
done
echo "RESULTS"
printf '%-8s %8s %16s %16s\n' mode "MB/s" "sender s/GiB" "system s/GiB"
sort /tmp/runs | while read -r mode mbs snd sys; do
	printf '%-8s %8s %16s %16s\n' "$mode" "$mbs" "$snd" "$sys"
done
# medians, then the ratios dma-buf / write(2)
med() { grep "^$1 " /tmp/runs | awk -v c="$2" '{ print $c }' | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ws=$(med write 3) wy=$(med write 4) ds=$(med dmabuf 3) dy=$(med dmabuf 4)
wm=$(med write 2) dm=$(med dmabuf 2)
printf '%-8s %8s %16s %16s\n' "median" "" "" ""
printf '%-8s %8s %16s %16s\n' write "$wm" "$ws" "$wy"
printf '%-8s %8s %16s %16s\n' dmabuf "$dm" "$ds" "$dy"
awk -v ws="$ws" -v ds="$ds" -v wy="$wy" -v dy="$dy" 'BEGIN {
	printf "dma-buf / write(2): sender CPU %.2f, system CPU %.2f\n", ds / ws, dy / wy }'
echo "($total bytes per run, $bs-byte sends, ring_size 256, $rounds rounds, ${TBS_SMP:-2} vCPUs)"
echo "END"
exit 0
