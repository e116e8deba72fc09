/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdlib.h>

#include <glib.h>
#include <umockdev.h>

/*
 * umockdev_testbed_new() of Debian 12's umockdev (0.17.16) starts its worker
 * thread, which calls getenv(), before it adds $UMOCKDEV_DIR; adding a
 * variable makes glibc move environ under that getenv (a SEGV in getenv seen
 * on CI under ASan). 0.17.17 sets the variable first (umockdev bd8757a). With
 * the variable already there, setenv() swaps one pointer in place. Until the
 * testbed names its root it points at scratch, a directory the test owns.
 *
 * For the same reason a test process never calls setenv() once a testbed
 * exists: children get their variables in the environment they are spawned
 * with.
 */
static inline UMockdevTestbed *testbed_new(const char *scratch)
{
	g_assert(setenv("UMOCKDEV_DIR", scratch, 0) == 0);
	return umockdev_testbed_new();
}
