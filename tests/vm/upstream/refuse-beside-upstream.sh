# tbstream.ko and upstream's thunderbolt_stream.ko both want
# /sys/kernel/config/thunderbolt/stream: with upstream's loaded tbstream
# refuses to load, with one kernel log line saying why, and loads once it is
# removed.  /modules/thunderbolt_stream.ko is upstream's, built unmodified
# from Debian's linux-source by tools/build-upstream-stream.
. /lib/tbstream/guest.sh
C=/sys/kernel/config/thunderbolt/stream

check "upstream's thunderbolt_stream loads" insmod /modules/thunderbolt_stream.ko
check "it owns thunderbolt/stream" test -d $C
dmesg -c >/dev/null
# one finit_module(2), not busybox insmod, which retries with init_module(2)
check_errno "tbstream.ko refuses to load beside it: EBUSY" EBUSY load /modules/tbstream.ko
log=$(dmesg -c)
check_eq "the refusal is one kernel log line" 1 "$(printf '%s\n' "$log" | grep -c .)"
case "$log" in
*"upstream's thunderbolt_stream is loaded and owns thunderbolt/stream; not loading"*)
	pass "the line names thunderbolt_stream" ;;
*) fail "the line names thunderbolt_stream" "got '$log'" ;;
esac
check_fails "tbstream is not loaded" grep -q '^tbstream ' /proc/modules
check "upstream's still works: a group under its stream" mkdir $C/0-1.0
check "and goes" rmdir $C/0-1.0

check "thunderbolt_stream unloads" rmmod thunderbolt_stream
check "then tbstream.ko loads" load_tbstream
check "tbstream owns thunderbolt/stream now" mkdir $C/0-1.0
check "a stream in it" mkdir $C/0-1.0/s
check_eq "with tbstream's own state attribute" detached "$(cat $C/0-1.0/s/state)"
rmdir $C/0-1.0/s $C/0-1.0
check "tbstream unloads" rmmod tbstream
check "upstream's loads again after tbstream" insmod /modules/thunderbolt_stream.ko
check "and unloads" rmmod thunderbolt_stream
summary
