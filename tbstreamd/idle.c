/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <time.h>

#include <glib.h>

#include "idle.h"
#include "log.h"

struct TbsIdle {
	sd_event *event;
	TbsManager *m;
	TbsBus *bus;
	uint64_t timeout_usec;
	sd_event_source *timer;
	TbsIdleHandler handler;
	void *userdata;
	bool fired;
};

static bool idle_busy(TbsIdle *i)
{
	return tbs_manager_is_busy(i->m) || (i->bus && tbs_bus_has_work(i->bus));
}

/* Something happened: the quiet period starts again, or waits while there is work. */
static void idle_restart(TbsIdle *i)
{
	uint64_t now;
	int r;

	if (i->fired)
		return;
	if (idle_busy(i)) {
		(void)sd_event_source_set_enabled(i->timer, SD_EVENT_OFF);
		return;
	}
	r = sd_event_now(i->event, CLOCK_MONOTONIC, &now);
	if (r >= 0)
		r = sd_event_source_set_time(i->timer, now + i->timeout_usec);
	if (r >= 0)
		r = sd_event_source_set_enabled(i->timer, SD_EVENT_ONESHOT);
	if (r < 0)
		log_warning_errno(r, "Cannot arm the idle timer: %m");
}

/*
 * Work ended without an event that restarts the quiet period (a check polkit
 * refused, a lookup of who a caller is): the timer, off while there was work,
 * is armed now. A timer already running is left alone, so what is not work
 * never postpones the exit.
 */
static void idle_recheck(TbsIdle *i)
{
	int enabled = SD_EVENT_OFF;

	if (i->fired || idle_busy(i))
		return;
	if (sd_event_source_get_enabled(i->timer, &enabled) >= 0 && enabled != SD_EVENT_OFF)
		return;
	idle_restart(i);
}

static int on_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	TbsIdle *i = userdata;

	/* work that began without an event we watch: look again one period later */
	if (idle_busy(i)) {
		(void)sd_event_source_set_time(s, usec + i->timeout_usec);
		return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
	}
	i->fired = true;
	i->handler(i, i->userdata);
	return 0;
}

static void on_peer(TbsManager *m, TbsPeer *p, TbsChange change, void *userdata)
{
	idle_restart(userdata);
}

static void on_stream(TbsManager *m, TbsStream *s, TbsChange change, void *userdata)
{
	idle_restart(userdata);
}

static void on_status(TbsManager *m, const char *status, void *userdata)
{
	idle_restart(userdata);
}

/* a removal that failed leaves no stream change behind to notice */
static void on_removals_done(TbsManager *m, void *userdata)
{
	idle_restart(userdata);
}

static const TbsObserver idle_observer = {
	.removals_done = on_removals_done,
	.peer = on_peer,
	.stream = on_stream,
	.status = on_status,
};

static void on_bus_activity(void *userdata)
{
	idle_restart(userdata);
}

static void on_bus_work_done(void *userdata)
{
	idle_recheck(userdata);
}

int tbs_idle_new(sd_event *event, TbsManager *m, TbsBus *bus, uint64_t timeout_usec,
		 TbsIdleHandler handler, void *userdata, TbsIdle **ret)
{
	TbsIdle *i;
	int r;

	if (timeout_usec == 0 || !handler)
		return -EINVAL;
	i = g_new0(TbsIdle, 1);
	i->event = sd_event_ref(event);
	i->m = m;
	i->bus = bus;
	i->timeout_usec = timeout_usec;
	i->handler = handler;
	i->userdata = userdata;
	r = sd_event_add_time(event, &i->timer, CLOCK_MONOTONIC, 0, 0, on_timer, i);
	if (r < 0) {
		log_error_errno(r, "Cannot create the idle timer: %m");
		tbs_idle_free(i);
		return r;
	}
	/* after the streams' own work at the same instant */
	(void)sd_event_source_set_priority(i->timer, SD_EVENT_PRIORITY_IDLE);
	(void)sd_event_source_set_description(i->timer, "idle-exit");
	r = tbs_manager_add_observer(m, &idle_observer, i);
	if (r < 0) {
		tbs_idle_free(i);
		return r;
	}
	if (bus) {
		tbs_bus_set_activity_handler(bus, on_bus_activity, i);
		tbs_bus_set_work_done_handler(bus, on_bus_work_done, i);
	}
	idle_restart(i);
	*ret = i;
	return 0;
}

TbsIdle *tbs_idle_free(TbsIdle *i)
{
	if (!i)
		return NULL;
	tbs_manager_remove_observer(i->m, &idle_observer, i);
	if (i->bus) {
		tbs_bus_set_activity_handler(i->bus, NULL, NULL);
		tbs_bus_set_work_done_handler(i->bus, NULL, NULL);
	}
	sd_event_source_disable_unref(i->timer);
	sd_event_unref(i->event);
	g_free(i);
	return NULL;
}
