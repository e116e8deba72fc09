#!/bin/sh
# A guest that has given its verdict and then never powers off (as a guest
# whose shutdown crawls under load): the verdict stands, and the harness ends
# the VM at once instead of waiting for the timeout.
echo "ok - the test ran"
echo "1 passed, 0 failed"
echo "TBSTREAM-VM-RESULT: rc=0"
sleep 3600
