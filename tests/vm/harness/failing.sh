# A failed assertion must fail the run.
. /lib/tbstream/guest.sh
check_eq "one equals two" 1 2
summary
