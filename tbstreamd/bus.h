/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "manager.h"

/*
 * The D-Bus face of tbstreamd: io.github.tbstream1 on the system bus (see
 * docs/dbus-api.md). It observes the manager and never is called by it.
 */

typedef struct TbsBus TbsBus;

/*
 * Connect (address NULL: the system bus, which honours $DBUS_SYSTEM_BUS_ADDRESS),
 * register the objects and start observing m. The name is requested by
 * tbs_bus_start(), once the manager has its initial state.
 */
int tbs_bus_new(sd_event *event, TbsManager *m, const char *address, TbsBus **ret);
/*
 * Ask for the name, asynchronously: started(b, error, userdata) once the bus
 * answered, with 0 when the name is ours, -EEXIST when another program has it,
 * or the bus's error (each logged). Returns a negative errno if it cannot ask.
 */
typedef void (*TbsBusStarted)(TbsBus *b, int error, void *userdata);
int tbs_bus_start(TbsBus *b, TbsBusStarted started, void *userdata);
TbsBus *tbs_bus_free(TbsBus *b);

/* Call handler(userdata) for every verb polkit authorized (NULL: stop). */
void tbs_bus_set_activity_handler(TbsBus *b, void (*handler)(void *userdata), void *userdata);
/*
 * Call handler(userdata) whenever a polkit check or credentials lookup ended,
 * whatever its answer: work that tbs_bus_has_work() counted may be gone.
 */
void tbs_bus_set_work_done_handler(TbsBus *b, void (*handler)(void *userdata), void *userdata);
/*
 * Work an exit would lose: polkit checks in flight, RequestStream calls waiting
 * for their stream, streams that live only as long as their caller is on the bus.
 */
bool tbs_bus_has_work(TbsBus *b);
/*
 * Give up the bus name, asynchronously; done(userdata) once the bus answered and
 * every call that reached us before has its reply (then the caller may exit).
 */
int tbs_bus_release_name(TbsBus *b, void (*done)(void *userdata), void *userdata);

/* For tests: how long RequestStream waits for a stream to be ready (default 10 s). */
void tbs_bus_set_request_timeout(TbsBus *b, uint64_t usec);
/* For tests: LinkState and Counters are read from ConfigFS at most once per usec (250 ms). */
void tbs_bus_set_live_interval(TbsBus *b, uint64_t usec);
/* For tests: polkit checks in flight and RequestStream calls waiting for their stream. */
unsigned tbs_bus_n_pending_checks(TbsBus *b);
/* Whether the throughput timer exists (someone watches); for tests. */
bool tbs_bus_throughput_sampling(TbsBus *b);
/* Throughput watches of every caller; for tests. */
unsigned tbs_bus_n_throughput_watches(TbsBus *b);
unsigned tbs_bus_n_pending_requests(TbsBus *b);
