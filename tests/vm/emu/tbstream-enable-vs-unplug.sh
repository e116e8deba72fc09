# An open whose tb_xdomain_enable_paths() waits for tb->lock across a
# hot-unplug, on the real thunderbolt core.  The hotplug worker holds
# tb->lock while it removes the XDomain (tbstream's service remove runs
# there) and tears its DMA tunnels down; the open, which holds no tbstream
# lock while it waits (stream.c), then gets the lock and the core builds a
# tunnel for the unplugged XDomain that nothing ever removes
# (tb_approve_xdomain_paths() does not look at is_unplugged, and
# tb_xdomain_disable_paths() skips an unplugged XDomain; 6.1 and 7.2
# alike).  That tunnel keeps the stream's HopIDs and ring, so after the
# replug every open failed with ENOMEM until thunderbolt.ko was reloaded
# (tbstream-unplug-races, then run by hand, met it by chance: 1 run in 3
# under load).
# nhi.c now removes such a leftover when the core refuses the paths.
#
# Lined up, not left to chance: debugfs's nhi_remove_delay_ms holds the
# service remove (and with it the worker, tb->lock held) for 3 s, and A's
# open starts once the core has logged the unplug.  Checked: the open
# returns (bounded) and nothing of its session is left; after the replug
# the core's leftover is found and removed, and 8 MiB then cross intact.
. /lib/tbstream/emu.sh
DELAY=/sys/kernel/debug/tbstream/nhi_remove_delay_ms

emu_unload
dmesg -c >/dev/null
emu_load_peers
emu_stream_pair

echo 3000 >"$DELAY" || emu_fail "cannot set $DELAY"
emu_cable 0
wait_for 10 sh -c 'dmesg | grep -q "xdomain unplugged"' ||
	emu_fail "the core logged no unplug"
check_eq "the service remove is held up: A's stream is still ready" ready "$(cat "$EMU_SA/state")"
# A's open starts its session and waits in tb_xdomain_enable_paths()
# (ENXIO on 6.x; 7.2 has given OK, the session then ended by the remove)
rc=$(timeout 30 errno-of open "$EMU_DEV_A" wronly)
check "the open behind the unplug returns (${rc:-no answer in 30 s})" test -n "$rc"
echo 0 >"$DELAY"
check "A's stream detaches" wait_for 30 grep -qx detached "$EMU_SA/state"
check "B's stream detaches" wait_for 30 grep -qx detached "$EMU_SB/state"
check_eq "no session left" "streams 2 sessions 0" "$(live)"

emu_cable 1
check "replug: A's stream is ready again" wait_for 60 grep -qx ready "$EMU_SA/state"
check "replug: B's stream is ready again" wait_for 60 grep -qx ready "$EMU_SB/state"
emu_check_copy "after the replug" 8
check "the core's leftover tunnel was found and removed" \
	sh -c 'dmesg | grep -q "DMA paths refused; removing what the core left"'
dmesg | grep -E "tbstream.*(refused|cannot start)" | sed 's/^/# /'
emu_assert_clean_log "the open behind the unplug"

emu_stream_pair_remove
check_eq "no stream left" "streams 0 sessions 0" "$(live)"
check "rmmod tbstream" rmmod tbstream
emu_peers_quiet unloaded
emu_unload
summary
