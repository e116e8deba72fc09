# The announced property directory has upstream's layout: the `stream`
# service directory with the protocol UUID and prtcid/prtcvers/prtcrevs/
# prtcstns immediates, and one sub-directory per stream (random UUID,
# inhopid/outhopid immediates) only while both HopIDs are >= 8.
. /lib/tbstream/guest.sh
plug_cable
ann=$L/b/announcement
uuid='[0-9a-f]\{8\}-[0-9a-f]\{4\}-[0-9a-f]\{4\}-[0-9a-f]\{4\}-[0-9a-f]\{12\}'

cat $ann
check_eq "the service directory carries the protocol UUID" \
	"stream dir 3a1cb984-c4d9-4469-a277-ce2fdfd11f0d" "$(head -n1 $ann)"
check_eq "and upstream's four immediates, nothing else" \
	"stream/prtcid value 0x00000001
stream/prtcrevs value 0x00000000
stream/prtcstns value 0x00000000
stream/prtcvers value 0x00000001" "$(tail -n +2 $ann | sort)"

mkdir -p $B/backup
check "a stream without HopIDs is not announced" sh -c "! grep -q backup $ann"
echo -1 > $B/backup/in_hopid
check "one HopID is not enough" sh -c "! grep -q backup $ann"
echo -1 > $B/backup/out_hopid
wait_for 5 grep -q 'stream/backup' $ann
cat $ann
check "a configured stream is a directory with a random UUID" grep -q "^stream/backup dir $uuid\$" $ann
check_eq "with its HopIDs as immediates" \
	"stream/backup/inhopid value $(printf 0x%08x "$(cat $B/backup/in_hopid)")
stream/backup/outhopid value $(printf 0x%08x "$(cat $B/backup/out_hopid)")" \
	"$(grep '^stream/backup/' $ann | sort)"
echo 0 > $B/backup/in_hopid
check "releasing a HopID withdraws it" wait_for 5 sh -c "! grep -q backup $ann"
check_eq "and the other host announces nothing of it" "" "$(grep backup $L/a/announcement)"

rmdir $B/backup "$B"
echo 0 > $L/connected
rmdir $L
check "both modules unload" sh -c "rmmod tbstream_sim && rmmod tbstream"
summary
