#!/bin/sh
# shellcheck disable=SC2034 # read by dracut's init, which sources this
# Test-only cmdline hook (tests/vm/lib/dracut/99tbstream-test): the guest has
# no root file system; claim one so that dracut's init goes on to start udev
# and reach pre-mount, where tbstream-test-run.sh takes over.
root=tbstream-test
rootok=1
