/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <systemd/sd-event.h>

/*
 * ConfigFS removals off the event loop. An rmdir(2) of a stream item that is
 * open waits in the kernel until the session's CLOSE has left (bounded by the
 * module, about 1 s) and a path teardown may wait for the thunderbolt core's
 * domain lock: neither may stall every other caller of the daemon. One worker
 * thread removes items in the order they were queued; each result comes back
 * on the loop. The thread touches nothing but the path it was given.
 */

typedef struct TbsRemover TbsRemover;

/* r: 0 (removed, or it was not there) or a negative errno of rmdir(2). */
typedef void (*TbsRemoveDone)(int r, void *userdata);

int tbs_remover_new(sd_event *event, TbsRemover **ret);
/*
 * Queue an rmdir of path; done runs on the loop, never from inside this call.
 * Returns 0 or a negative errno (then done never runs).
 */
int tbs_remover_queue(TbsRemover *rm, const char *path, TbsRemoveDone done, void *userdata);
/* Removals queued and not yet reported back. */
unsigned tbs_remover_pending(const TbsRemover *rm);
/*
 * Wait for every queued removal and report each (for a stopping daemon, which
 * must not leave items half removed behind its own records).
 */
void tbs_remover_drain(TbsRemover *rm);
/* Drains first. */
TbsRemover *tbs_remover_free(TbsRemover *rm);
