/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include <umockdev.h>

#include "fake-kernel.h"
#include "manager.h"

/*
 * One test world: a umockdev testbed for udev, temporary ConfigFS/dev/state/etc
 * roots, the fake kernel, an sd-event loop and (once started) the daemon core.
 * The process must run under umockdev-wrapper.
 */
typedef struct World {
	UMockdevTestbed *tb;
	char *tmp, *cfs, *stream_dir, *dev, *state, *etc, *vendor;
	sd_event *event;
	FakeKernel *fk;
	TbsManager *m;
	TbsManagerConfig config;
	char *subsystems[3];
	unsigned n_ready;   /* stream changes to READY seen by the observer */
	unsigned n_waiting; /* stream changes to WAITING_DEVICE */
	unsigned n_removed; /* streams removed */
	uint64_t last_ready_usec;
} World;

void world_init(World *w);
void world_start(World *w);
void world_stop(World *w); /* frees the manager, keeps the world */
void world_destroy(World *w);
void world_policy(World *w, const char *content);
/* Reload the policy as SIGHUP does, running the loop until it is applied; returns the result. */
int world_reload(World *w);

/*
 * Adds <xd> (e.g. "0-1") with a "stream" service "<xd>.0" on subsystem; returns
 * the xd syspath. umockdev sends the "add" uevents itself: before the daemon
 * starts that is coldplug (nobody listens), afterwards hotplug.
 */
char *world_add_peer(World *w, const char *subsystem, const char *xd, const char *uuid,
		     const char *name);
void world_remove_peer(World *w, const char *xd_syspath);
/* Runs the loop until cond(w, data) or timeout_ms; returns cond's last value. */
bool world_run_until(World *w, bool (*cond)(World *, const void *), const void *data,
		     unsigned timeout_ms);
/*
 * Dispatch what is already pending (write-behind state files), after the
 * daemon's stream removals under way have come back.
 */
void world_settle(World *w);
TbsStream *world_stream(World *w, const char *group, const char *name);
unsigned world_count_ready(World *w);
