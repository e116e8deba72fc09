# Loads and unloads the debug-bug module with bug=$1; the module itself
# succeeds, so only the debug kernel's checkers can fail this run.
. /lib/tbstream/guest.sh
check "the module with bug=$1 loads" insmod /modules/tbstream_debugbug.ko "bug=$1"
check "and unloads" rmmod tbstream_debugbug
summary
