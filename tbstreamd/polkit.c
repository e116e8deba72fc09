/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "bus-watch.h"
#include "log.h"
#include "polkit.h"
#include "util.h"

static inline const char *strna(const char *s)
{
	return s ? s : "n/a";
}

#define POLKIT_NAME "org.freedesktop.PolicyKit1"
#define POLKIT_PATH "/org/freedesktop/PolicyKit1/Authority"
#define POLKIT_IFACE "org.freedesktop.PolicyKit1.Authority"
/* CheckAuthorizationFlags: AllowUserInteraction */
#define POLKIT_FLAG_ALLOW_INTERACTION 1u
/* An interactive check waits for a human; polkit itself gives up after minutes. */
#define POLKIT_TIMEOUT_USEC (25ULL * 60 * 1000000)

typedef struct Check Check;

struct TbsPolkit {
	sd_bus *bus;
	GHashTable *checks; /* Check* set: pending */
	uint64_t next_id;
	void (*authorized)(void *userdata);
	void *authorized_userdata;
	void (*done)(void *userdata);
	void *done_userdata;
};

struct Check {
	TbsPolkit *pk;
	sd_bus_message *m;
	sd_bus_slot *slot;   /* the CheckAuthorization call */
	TbsNameWatch *watch; /* the caller, to cancel when it leaves */
	char *action;
	char cancel_id[64];
	bool interactive;
	TbsCallerCreds *creds; /* a credentials lookup, not a polkit check */
	TbsPolkitCallback callback;
	void *userdata;
	void (*userdata_free)(void *);
};

static void check_free(Check *c)
{
	if (!c)
		return;
	sd_bus_slot_unref(c->slot);
	tbs_name_watch_free(c->watch);
	sd_bus_message_unref(c->m);
	if (c->userdata_free)
		c->userdata_free(c->userdata);
	g_free(c->action);
	g_free(c);
}

/* Run the callback once and forget the check. */
static void check_finish(Check *c, int r, const sd_bus_error *error)
{
	TbsPolkit *pk = c->pk;

	g_hash_table_steal(c->pk->checks, c);
	/* no more answers or disconnect notifications for this one */
	c->slot = sd_bus_slot_unref(c->slot);
	c->watch = tbs_name_watch_free(c->watch);
	if (r >= 0 && !c->creds && c->pk->authorized)
		c->pk->authorized(c->pk->authorized_userdata);
	c->callback(c->m, r, error, c->userdata);
	check_free(c);
	if (pk->done)
		pk->done(pk->done_userdata);
}

static void check_cancel_in_polkit(Check *c)
{
	/* Only interactive checks can be waiting for an agent; the rest answer at once. */
	if (!c->interactive || c->creds)
		return;
	(void)sd_bus_call_method_async(c->pk->bus, NULL, POLKIT_NAME, POLKIT_PATH, POLKIT_IFACE,
				       "CancelCheckAuthorization", NULL, NULL, "s", c->cancel_id);
}

static void on_caller_gone(TbsNameWatch *w, int error, void *userdata)
{
	Check *c = userdata;

	if (error < 0) {
		/* the answer still goes to the caller; only an early cancel is lost */
		log_debug_errno(error, "Not watching the caller of %s: %m", c->action);
		c->watch = tbs_name_watch_free(c->watch);
		return;
	}
	log_debug("Caller %s of %s left while its authorization for %s was pending",
		  strna(sd_bus_message_get_sender(c->m)), strna(sd_bus_message_get_member(c->m)),
		  c->action);
	check_cancel_in_polkit(c);
	check_finish(c, -ECANCELED, NULL);
}

/* What a caller hears when no polkit answered: the details are for the journal. */
static void deny_without_polkit(Check *c)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;

	sd_bus_error_setf(&error, SD_BUS_ERROR_ACCESS_DENIED,
			  "Authorization for %s is not available (polkit did not answer; see "
			  "journalctl -u tbstreamd); denied",
			  c->action);
	check_finish(c, -EACCES, &error);
}

static int on_caller_uid(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
	Check *c = userdata;
	uint32_t uid;

	if (!sd_bus_message_is_method_error(reply, NULL) &&
	    sd_bus_message_read(reply, "u", &uid) >= 0 && uid == 0) {
		log_info("polkit is not on the bus; allowing %s for root (%s)", c->action,
			 strna(sd_bus_message_get_sender(c->m)));
		check_finish(c, 0, NULL);
		return 0;
	}
	log_warning("polkit is not on the bus; denying %s to %s, which is not root", c->action,
		    strna(sd_bus_message_get_sender(c->m)));
	deny_without_polkit(c);
	return 0;
}

static int on_check_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	Check *c = userdata;
	const sd_bus_error *e;
	int authorized, challenge, r;

	e = sd_bus_message_get_error(reply);
	if (e && (sd_bus_error_has_name(e, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
		  sd_bus_error_has_name(e, SD_BUS_ERROR_NAME_HAS_NO_OWNER))) {
		/*
		 * No polkit on this bus at all (not installed: common on servers).
		 * As systemd's daemons do, root may still act; everyone else is
		 * denied.  Asked of the bus without blocking, like polkit would be.
		 */
		c->slot = sd_bus_slot_unref(c->slot);
		r = sd_bus_call_method_async(c->pk->bus, &c->slot, "org.freedesktop.DBus",
					     "/org/freedesktop/DBus", "org.freedesktop.DBus",
					     "GetConnectionUnixUser", on_caller_uid, c, "s",
					     sd_bus_message_get_sender(c->m));
		if (r >= 0)
			return 0;
		log_error_errno(r, "Cannot ask the bus who is asking for %s: %m", c->action);
		deny_without_polkit(c);
		return 0;
	}
	if (e) {
		/* polkit is there but failed (crashed, timed out): deny, and say why. */
		log_warning("Cannot check authorization for %s with polkit, denying: %s: %s",
			    c->action, e->name, strna(e->message));
		deny_without_polkit(c);
		return 0;
	}
	r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
	if (r >= 0)
		r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
	if (r < 0) {
		log_error_errno(r, "Cannot parse polkit's answer for %s: %m", c->action);
		sd_bus_error_setf(&error, SD_BUS_ERROR_ACCESS_DENIED,
				  "polkit's answer for %s could not be understood; denied",
				  c->action);
		check_finish(c, -EACCES, &error);
		return 0;
	}
	if (authorized) {
		check_finish(c, 0, NULL);
		return 0;
	}
	if (challenge && !c->interactive) {
		sd_bus_error_setf(&error, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED,
				  "Authentication is required for %s; retry allowing interactive "
				  "authorization (busctl --allow-interactive-authorization=yes)",
				  c->action);
		check_finish(c, -EACCES, &error);
		return 0;
	}
	sd_bus_error_setf(&error, SD_BUS_ERROR_ACCESS_DENIED,
			  "Not authorized for %s (polkit said no)", c->action);
	check_finish(c, -EACCES, &error);
	return 0;
}

void tbs_polkit_set_authorized_hook(TbsPolkit *pk, void (*hook)(void *userdata), void *userdata)
{
	pk->authorized = hook;
	pk->authorized_userdata = userdata;
}

void tbs_polkit_set_done_hook(TbsPolkit *pk, void (*hook)(void *userdata), void *userdata)
{
	pk->done = hook;
	pk->done_userdata = userdata;
}

int tbs_polkit_new(sd_bus *bus, TbsPolkit **ret)
{
	TbsPolkit *pk = g_new0(TbsPolkit, 1);

	pk->bus = sd_bus_ref(bus);
	pk->checks = g_hash_table_new(g_direct_hash, g_direct_equal);
	*ret = pk;
	return 0;
}

TbsPolkit *tbs_polkit_free(TbsPolkit *pk)
{
	GHashTableIter it;
	Check *c;

	if (!pk)
		return NULL;
	while (g_hash_table_size(pk->checks) > 0) {
		_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;

		g_hash_table_iter_init(&it, pk->checks);
		g_hash_table_iter_next(&it, (gpointer *)&c, NULL);
		check_cancel_in_polkit(c);
		/* the caller is still there (else the check would be gone): it gets a reply */
		sd_bus_error_setf(&error, SD_BUS_ERROR_NO_SERVER,
				  "tbstreamd is stopping; %s was not done, retry",
				  strna(sd_bus_message_get_member(c->m)));
		check_finish(c, -ESHUTDOWN, &error);
	}
	g_hash_table_unref(pk->checks);
	sd_bus_unref(pk->bus);
	g_free(pk);
	return NULL;
}

unsigned tbs_polkit_n_pending(TbsPolkit *pk)
{
	return pk ? g_hash_table_size(pk->checks) : 0;
}

void tbs_polkit_reply_error(sd_bus_message *m, const sd_bus_error *error)
{
	int r = sd_bus_reply_method_error(m, error);
	if (r < 0)
		log_debug_errno(r, "Cannot reply to %s: %m", strna(sd_bus_message_get_sender(m)));
}

static Check *check_new(TbsPolkit *pk, sd_bus_message *m, const char *action,
			TbsPolkitCallback callback, void *userdata, void (*userdata_free)(void *))
{
	Check *c = g_new0(Check, 1);

	c->pk = pk;
	c->m = sd_bus_message_ref(m);
	c->action = g_strdup(action);
	c->callback = callback;
	c->userdata = userdata;
	c->userdata_free = userdata_free;
	c->interactive = sd_bus_message_get_allow_interactive_authorization(m) > 0;
	snprintf(c->cancel_id, sizeof(c->cancel_id), "tbstreamd-%d-%llu", (int)getpid(),
		 (unsigned long long)++pk->next_id);
	return c;
}

/* Watch the caller first: if it leaves, we drop the call and never act for it. */
static int check_track(Check *c)
{
	return tbs_name_watch_new(c->pk->bus, sd_bus_message_get_sender(c->m), on_caller_gone, c,
				  &c->watch);
}

int tbs_polkit_check(TbsPolkit *pk, sd_bus_message *m, const char *action,
		     const char *const *details, TbsPolkitCallback callback, void *userdata,
		     void (*userdata_free)(void *))
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
	const char *sender = sd_bus_message_get_sender(m);
	Check *c;
	int r;

	c = check_new(pk, m, action, callback, userdata, userdata_free);
	if (!sender) {
		/* a direct (peer-to-peer) connection has no bus name polkit could look at */
		r = -EACCES;
		goto fail;
	}
	r = sd_bus_message_new_method_call(pk->bus, &call, POLKIT_NAME, POLKIT_PATH, POLKIT_IFACE,
					   "CheckAuthorization");
	if (r >= 0)
		r = sd_bus_message_append(call, "(sa{sv})s", "system-bus-name", 1, "name", "s",
					  sender, action);
	if (r >= 0)
		r = sd_bus_message_open_container(call, 'a', "{ss}");
	for (const char *const *d = details; r >= 0 && d && d[0] && d[1]; d += 2)
		r = sd_bus_message_append(call, "{ss}", d[0], d[1]);
	if (r >= 0)
		r = sd_bus_message_close_container(call);
	if (r >= 0)
		r = sd_bus_message_append(call, "us",
					  c->interactive ? POLKIT_FLAG_ALLOW_INTERACTION : 0,
					  c->cancel_id);
	if (r < 0)
		goto fail;
	r = check_track(c);
	if (r < 0)
		goto fail;
	r = sd_bus_call_async(pk->bus, &c->slot, call, on_check_reply, c, POLKIT_TIMEOUT_USEC);
	if (r < 0)
		goto fail;
	g_hash_table_add(pk->checks, c);
	log_debug("Checking %s for %s (%s)", action, sender,
		  c->interactive ? "interactive" : "non-interactive");
	return 0;
fail:
	log_error_errno(r, "Cannot check authorization for %s: %m", action);
	c->callback = NULL;
	check_free(c);
	return r;
}

void tbs_caller_creds_clear(TbsCallerCreds *c)
{
	g_clear_pointer(&c->gids, g_free);
	c->n_gids = -1;
}

/* "UnixGroupIDs" is all or nothing (the D-Bus specification): absent means unknown. */
static int read_creds(sd_bus_message *reply, TbsCallerCreds *out)
{
	bool have_uid = false;
	int r;

	out->n_gids = -1;
	r = sd_bus_message_enter_container(reply, 'a', "{sv}");
	while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
		const char *key;

		r = sd_bus_message_read(reply, "s", &key);
		if (r < 0)
			break;
		if (strcmp(key, "UnixUserID") == 0) {
			uint32_t uid;
			r = sd_bus_message_read(reply, "v", "u", &uid);
			out->uid = uid;
			have_uid = r >= 0;
		} else if (strcmp(key, "UnixGroupIDs") == 0) {
			const void *a;
			size_t n;
			r = sd_bus_message_enter_container(reply, 'v', "au");
			if (r >= 0)
				r = sd_bus_message_read_array(reply, 'u', &a, &n);
			if (r >= 0) {
				g_free(out->gids);
				out->gids = g_memdup2(a, n);
				out->n_gids = (int)(n / sizeof(uint32_t));
				r = sd_bus_message_exit_container(reply);
			}
		} else
			r = sd_bus_message_skip(reply, "v");
		if (r >= 0)
			r = sd_bus_message_exit_container(reply);
	}
	if (r >= 0)
		r = sd_bus_message_exit_container(reply);
	if (r >= 0 && !have_uid)
		r = -ENODATA;
	if (r < 0)
		tbs_caller_creds_clear(out);
	return r;
}

static int on_creds_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	Check *c = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(reply);
	int r;

	r = e ? -EIO : read_creds(reply, c->creds);
	if (r < 0) {
		if (e)
			log_warning("Cannot learn who %s is: %s: %s",
				    strna(sd_bus_message_get_sender(c->m)), e->name,
				    strna(e->message));
		else
			log_warning_errno(r, "Cannot read the credentials of %s: %m",
					  strna(sd_bus_message_get_sender(c->m)));
		sd_bus_error_setf(&error, SD_BUS_ERROR_ACCESS_DENIED,
				  "The bus did not say who the caller is; denied");
		check_finish(c, -EACCES, &error);
		return 0;
	}
	check_finish(c, 0, NULL);
	return 0;
}

int tbs_polkit_caller_creds(TbsPolkit *pk, sd_bus_message *m, TbsCallerCreds *out,
			    TbsPolkitCallback callback, void *userdata,
			    void (*userdata_free)(void *))
{
	const char *sender = sd_bus_message_get_sender(m);
	Check *c;
	int r;

	c = check_new(pk, m, "caller credentials", callback, userdata, userdata_free);
	c->creds = out;
	out->n_gids = -1;
	if (!sender) {
		r = -EACCES;
		goto fail;
	}
	r = check_track(c);
	if (r >= 0)
		r = sd_bus_call_method_async(pk->bus, &c->slot, "org.freedesktop.DBus",
					     "/org/freedesktop/DBus", "org.freedesktop.DBus",
					     "GetConnectionCredentials", on_creds_reply, c, "s",
					     sender);
	if (r < 0)
		goto fail;
	g_hash_table_add(pk->checks, c);
	return 0;
fail:
	log_error_errno(r, "Cannot ask the bus who %s is: %m", strna(sender));
	c->callback = NULL;
	check_free(c);
	return r;
}
