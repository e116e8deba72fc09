# Debian's own thunderbolt_net between the two hosts of this guest, over the
# emulated cable: neither end is this project's code, so what crosses is the
# emulator's doing alone (frame mode, TBIP frames of up to 4 KiB several to
# a packet, NAPI with the ring interrupt masked while polling, E2E on the RX
# rings).  Host B's interface goes into a network namespace of its own, so
# traffic between the two addresses leaves through A's NHI and comes in
# through B's rather than the kernel's local route (emu_tbnet_split).  Ping both ways, then
# 64 MiB of random bytes over TCP, A to B and B to A, sha256 compared.
# Needs the guest kernel's thunderbolt_net module (tests/vm/run --module
# thunderbolt_net; it is thunderbolt-net.ko on 6.1).
. /lib/tbstream/emu.sh
MIB=${TBNET_MIB:-64}
PORT=5201
ADDR_A=10.77.0.1
ADDR_B=10.77.0.2

# loaded at boot with thunderbolt.ko: out, so the load below has debug on
emu_tbnet_module
emu_unload
dmesg -c >/dev/null
emu_load_peers
da=$EMU_DOM_A
db=$EMU_DOM_B
insmod "$EMU_TBNET_KO" dyndbg=+p || emu_fail "insmod $EMU_TBNET_KO"

emu_tbnet_split "$da" "$db" "$ADDR_A" "$ADDR_B"
ifa=$EMU_IF_A
ifb=$EMU_IF_B
ns=$EMU_NS
echo "# host A: domain $da, $ifa; host B: domain $db, $ifb"
inb() { emu_inb "$@"; }

# carrier: both logins done, rings started, DMA paths enabled
carrier() { [ "$(cat "/sys/class/net/$1/carrier" 2>/dev/null)" = 1 ]; }
# (sysfs shows the namespace of its mount: B's interface is not in it)
inb_carrier() { inb ip link show "$1" | grep -q LOWER_UP; }
wait_for 60 carrier "$ifa" && wait_for 60 inb_carrier "$ifb" ||
	emu_fail "no carrier on $ifa and $ifb (the logins did not complete)"

check "ping A to B" ping -c 5 -W 10 "$ADDR_B"
check "ping B to A" inb ping -c 5 -W 10 "$ADDR_A"
# a packet bigger than a frame: split into several TBIP frames and joined
check "ping A to B, 12000 bytes" ping -c 3 -W 10 -s 12000 "$ADDR_B"

dd if=/dev/urandom of=/tmp/src bs=1M count="$MIB" 2>/dev/null
want=$(sha /tmp/src)

# copy WHAT RECV-NS-CMD SEND-NS-CMD DST-ADDR: the receiver listens (nc into
# /tmp/dst), the sender connects and sends /tmp/src; size and sha256 compared
copy() {
	rm -f /tmp/dst /tmp/recv.err /tmp/send.err
	# busybox nc ends at EOF from the network, and a listener whose
	# stdin ends sends one (the sender then quits after 1 KiB): the
	# receiver's stdin never ends; the copy ends at its size or EOF
	$2 nc -l -p "$PORT" </tmp/hold >/tmp/dst 2>/tmp/recv.err &
	_r=$!
	# the listener is up when its port is (B's namespace or ours)
	_i=0
	while ! $2 netstat -ltn 2>/dev/null | grep -q ":$PORT "; do
		_i=$((_i + 1))
		[ $_i -lt 100 ] || emu_fail "$1: the receiver never listened"
		sleep 0.1
	done
	$3 nc "$4" "$PORT" </tmp/src 2>/tmp/send.err &
	_s=$!
	# bounded: a stall is a failure, not a hang (TCG moves a few MB/s);
	# progress every 10 s
	_t0=$(date +%s)
	_next=10
	while running "$_r" && [ "$(wc -c </tmp/dst)" -lt $((MIB * 1048576)) ]; do
		_el=$(($(date +%s) - _t0))
		if [ $_el -ge $_next ]; then
			echo "# $1: $(wc -c </tmp/dst) bytes after $_el s"
			_next=$((_next + 10))
		fi
		if [ $_el -ge 300 ]; then
			echo "# $1: stalled; A: $(ip -s link show "$ifa" | tr '\n' ' ')"
			echo "# B: $(inb ip -s link show "$ifb" | tr '\n' ' ')"
			echo "# rx-dropped A $(emu_rx_dropped "$EMU_PCI_A") B $(emu_rx_dropped "$EMU_PCI_B")"
			kill "$_s" "$_r" 2>/dev/null
			emu_fail "$1: $MIB MiB did not arrive in 300 s"
		fi
		sleep 0.1
	done
	kill "$_s" "$_r" 2>/dev/null
	wait "$_s" "$_r" 2>/dev/null
	check_eq "$1: $MIB MiB arrive" "$((MIB * 1048576))" "$(wc -c </tmp/dst)"
	check_eq "$1: intact (sha256)" "$want" "$(sha /tmp/dst)"
	[ -z "$(cat /tmp/recv.err /tmp/send.err)" ] ||
		echo "# $1: nc said: $(cat /tmp/recv.err /tmp/send.err | tr '\n' ' ')"
	rm -f /tmp/dst
}
# a FIFO this shell holds open for writing: a stdin that never ends
mkfifo /tmp/hold && exec 4<>/tmp/hold || emu_fail "mkfifo"
copy "A to B" inb "" "$ADDR_B"
copy "B to A" "" inb "$ADDR_A"
# thunderbolt_net's TX rings have no E2E, so a full RX ring would drop:
# reported, not asserted (TCP recovers)
echo "# rx-dropped A $(emu_rx_dropped "$EMU_PCI_A") B $(emu_rx_dropped "$EMU_PCI_B")"

emu_assert_clean_log "the transfers"
ip link set "$ifa" down
kill "$ns"
wait "$ns" 2>/dev/null
check "rmmod thunderbolt_net" rmmod thunderbolt_net
emu_assert_clean_log "unload"
emu_peers_quiet unloaded
emu_unload
summary
