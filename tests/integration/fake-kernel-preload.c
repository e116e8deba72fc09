/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The fake kernel (fake-kernel.h) as an LD_PRELOAD library, for tests that run
 * the real tbstreamd binary in its own process: the daemon's mkdir/rmdir of
 * ConfigFS items under $TBS_FAKE_CONFIGFS_ROOT get the attributes a real item
 * has and a node in $TBS_FAKE_DEV_ROOT, at once (no event loop to defer on).
 * Without both variables it does nothing.
 */
#include <stdlib.h>

#include "fake-kernel.h"

static void __attribute__((constructor)) fake_kernel_preload_init(void)
{
	const char *cfs = getenv("TBS_FAKE_CONFIGFS_ROOT");
	const char *dev = getenv("TBS_FAKE_DEV_ROOT");

	if (cfs && *cfs && dev && *dev)
		(void)fake_kernel_new(NULL, cfs, dev);
}
