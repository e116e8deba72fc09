# Loads a module that oopses: the harness must fail this run fast.
. /lib/tbstream/guest.sh
insmod /modules/tbstream_oops.ko
# Not reached: oops=panic ends the boot inside insmod.
pass "the oops went unnoticed"
summary
