/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <glib.h>

#include "bus-watch.h"
#include "log.h"

struct TbsNameWatch {
	sd_bus_slot *match; /* NameOwnerChanged for the name */
	sd_bus_slot *check; /* GetNameOwner, until it answers */
	char *name;
	TbsNameGone gone;
	void *userdata;
};

/* Once: no more signals or answers; the callback may free w, so nothing touches it after. */
static void fire(TbsNameWatch *w, int error)
{
	w->match = sd_bus_slot_unref(w->match);
	w->check = sd_bus_slot_unref(w->check);
	w->gone(w, error, w->userdata);
}

static int on_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	TbsNameWatch *w = userdata;
	const char *name, *old, *new;

	if (sd_bus_message_read(m, "sss", &name, &old, &new) < 0 || strcmp(name, w->name) != 0)
		return 0;
	if (!*new)
		fire(w, 0);
	return 0;
}

static int on_match_installed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	TbsNameWatch *w = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(m);

	if (!e)
		return 0;
	/* no match (the bus's limit on them): we would never hear it leave */
	log_warning("Cannot watch %s on the bus: %s: %s", w->name, e->name, e->message);
	fire(w, sd_bus_error_get_errno(e) > 0 ? -sd_bus_error_get_errno(e) : -EIO);
	return 0;
}

static int on_name_owner(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	TbsNameWatch *w = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(m);

	w->check = sd_bus_slot_unref(w->check);
	if (!e)
		return 0;
	if (sd_bus_error_has_name(e, SD_BUS_ERROR_NAME_HAS_NO_OWNER)) {
		fire(w, 0);
		return 0;
	}
	log_warning("Cannot learn whether %s is on the bus: %s: %s", w->name, e->name, e->message);
	fire(w, sd_bus_error_get_errno(e) > 0 ? -sd_bus_error_get_errno(e) : -EIO);
	return 0;
}

int tbs_name_watch_new(sd_bus *bus, const char *name, TbsNameGone gone, void *userdata,
		       TbsNameWatch **ret)
{
	g_autofree char *rule = NULL;
	TbsNameWatch *w;
	int r;

	if (!name || !*name || strchr(name, '\''))
		return -EINVAL;
	w = g_new0(TbsNameWatch, 1);
	w->name = g_strdup(name);
	w->gone = gone;
	w->userdata = userdata;
	rule = g_strdup_printf("type='signal',sender='org.freedesktop.DBus',"
			       "path='/org/freedesktop/DBus',interface='org.freedesktop.DBus',"
			       "member='NameOwnerChanged',arg0='%s'",
			       name);
	r = sd_bus_add_match_async(bus, &w->match, rule, on_owner_changed, on_match_installed, w);
	if (r >= 0)
		r = sd_bus_call_method_async(bus, &w->check, "org.freedesktop.DBus",
					     "/org/freedesktop/DBus", "org.freedesktop.DBus",
					     "GetNameOwner", on_name_owner, w, "s", name);
	if (r < 0) {
		tbs_name_watch_free(w);
		return r;
	}
	*ret = w;
	return 0;
}

TbsNameWatch *tbs_name_watch_free(TbsNameWatch *w)
{
	if (!w)
		return NULL;
	sd_bus_slot_unref(w->match);
	sd_bus_slot_unref(w->check);
	g_free(w->name);
	g_free(w);
	return NULL;
}

const char *tbs_name_watch_name(const TbsNameWatch *w)
{
	return w->name;
}
