# examples/camera-send lends vivid (a V4L2 test camera) over a stream: the
# camera's own buffers are exported as dma-bufs and sent on the direct path,
# each requeued to the camera only once its frame left; the peer reads the
# frames intact with read(2).
. /lib/tbstream/guest.sh
plug_cable
stream_pair s

check "vivid gives a capture device" test -c /dev/video0
dd if=$devb of=/tmp/got bs=64k 2>/dev/null &
rd=$!
sleep 0.3
camera-send -n 30 -t /tmp/sent /dev/video0 "$deva" 2> /tmp/err
rc=$?
wait $rd
cat /tmp/err
check_eq "camera-send sends 30 frames" "0 camera-send: 30 frames sent" "$rc $(tail -n1 /tmp/err)"
check_eq "every buffer of the camera went on the direct path" 4 "$(grep -c 'path direct$' /tmp/err)"
frame=$(sed -n 's/.* \([0-9]*\) bytes per frame$/\1/p' /tmp/err)
check_eq "30 frames arrived" $((30 * ${frame:-0})) "$(wc -c < /tmp/got)"
check_eq "...intact" "$(sha /tmp/sent)" "$(sha /tmp/got)"
check "they are not all the same frame" test "$(head -c "$frame" /tmp/got | sha256sum)" != "$(tail -c "$frame" /tmp/got | sha256sum)"
check_eq "nothing left" "attachments 0 sends 0" "$(live_dmabuf)"
summary
