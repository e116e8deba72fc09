/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/kernel.h>: ARRAY_SIZE is in kernel-shim.h. */
#include "../kernel-shim.h"
