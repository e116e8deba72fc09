/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * LD_PRELOAD module for benchmarking the real tbstreamd binary: the fake
 * kernel of the integration tests (mkdir/rmdir on a test ConfigFS root
 * populate items and make device nodes), configured from the environment:
 *   TBS_FAKE_CONFIGFS=<configfs root>  TBS_FAKE_DEV=<dev root>
 * List it before umockdev's preload so its mkdir wraps umockdev's.
 */
#include <stdlib.h>

#include "fake-kernel.h"

static FakeKernel *fk;

__attribute__((constructor)) static void fake_init(void)
{
	const char *cfs = getenv("TBS_FAKE_CONFIGFS"), *dev = getenv("TBS_FAKE_DEV");

	if (cfs && dev)
		fk = fake_kernel_new(NULL, cfs, dev);
}

__attribute__((destructor)) static void fake_fini(void)
{
	fake_kernel_free(fk);
}
