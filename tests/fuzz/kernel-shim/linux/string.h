/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/string.h>: props.c needs only libc's. */
#include <string.h>
