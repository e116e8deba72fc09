/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdint.h>

#include <systemd/sd-event.h>

#include "bus.h"
#include "manager.h"

/*
 * Exit on idle. tbstreamd is started on demand (udev's SYSTEMD_WANTS when a
 * peer appears, D-Bus activation, or at boot), so it need not stay when there
 * is nothing to do: no peer connected, no stream being set up, no bus work in
 * flight (polkit checks, waiting RequestStream calls, streams that live only
 * as long as their caller), and no bus message for timeout. Whatever it
 * leaves in ConfigFS the next instance adopts.
 *
 * The watch runs on the manager's observer callbacks and the bus's activity
 * hook, never polls, and calls handler once when the time has come.
 */

typedef struct TbsIdle TbsIdle;
typedef void (*TbsIdleHandler)(TbsIdle *idle, void *userdata);

/* bus may be NULL (no D-Bus API); timeout_usec > 0 */
int tbs_idle_new(sd_event *event, TbsManager *m, TbsBus *bus, uint64_t timeout_usec,
		 TbsIdleHandler handler, void *userdata, TbsIdle **ret);
TbsIdle *tbs_idle_free(TbsIdle *idle);
