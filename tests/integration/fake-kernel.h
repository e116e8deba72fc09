/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-event.h>

/*
 * A stand-in for the stream module's ConfigFS behaviour on a plain test
 * directory. The test executable overrides mkdir(2) and rmdir(2): a mkdir of
 * <root>/thunderbolt/stream/<group>/<name> gets the attributes a real item has
 * (index last), and /dev/tbstreamN appears in the fake dev root (optionally
 * late); an rmdir of an item takes its attributes and node away first, as
 * ConfigFS does. Only one instance at a time.
 */

typedef struct FakeKernel FakeKernel;

FakeKernel *fake_kernel_new(sd_event *event, const char *configfs_root, const char *dev_root);
void fake_kernel_free(FakeKernel *fk);
/* Create device nodes this long after mkdir (0: at once, like devtmpfs). */
void fake_kernel_set_device_delay(FakeKernel *fk, uint64_t usec);
/* Populate items from the event loop instead of inside mkdir. */
void fake_kernel_set_async(FakeKernel *fk, bool async);
unsigned fake_kernel_live_items(FakeKernel *fk);
/*
 * Called after every successful mkdir and rmdir ("mkdir", "rmdir") of a group
 * or item, from the thread that made the call: each is a step after which a
 * daemon may be killed.
 */
void fake_kernel_set_step_hook(FakeKernel *fk,
			       void (*hook)(const char *op, const char *path, void *userdata),
			       void *userdata);
/*
 * While held, an rmdir of an item waits (in whichever thread made it), as the
 * kernel's does for an open stream whose CLOSE has not left yet. A hold that
 * lasts 10 s ends by itself and is remembered as expired: a daemon that
 * removes on its own loop would otherwise never let the test go on.
 */
void fake_kernel_hold_rmdir(FakeKernel *fk, bool hold);
unsigned fake_kernel_rmdirs_held(FakeKernel *fk);
bool fake_kernel_rmdir_hold_expired(FakeKernel *fk);
/*
 * As tbstream before Linux 7.2: an item's mkdir fails with EEXIST, creating
 * nothing, while another group has an item of that name.
 */
void fake_kernel_set_names_per_host(FakeKernel *fk, bool on);
/*
 * Called right after an item's mkdir succeeded: what is on disk then is what a
 * daemon killed at that instant leaves behind.
 */
void fake_kernel_set_mkdir_hook(FakeKernel *fk, void (*hook)(const char *path, void *userdata),
				void *userdata);
