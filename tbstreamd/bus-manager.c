/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * io.github.tbstream1.Manager at /io/github/tbstream1: state, and the verbs.
 * Every method validates its arguments first (bad input never reaches polkit
 * or the core), then asks polkit asynchronously, then acts from the callback.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "bus-private.h"
#include "log.h"

static const char *manager_state(TbsBus *b)
{
	if (tbs_manager_configfs_state(b->m) != TBS_CONFIGFS_READY)
		return "waiting";
	if (tbs_manager_policy_errors(b->m)->len > 0)
		return "degraded";
	return "running";
}

void bus_manager_emit_state(TbsBus *b)
{
	(void)sd_bus_emit_properties_changed(b->bus, TBS_BUS_PATH, TBS_BUS_IFACE_MANAGER, "State",
					     "Status", "StatusCode", "KernelInterface", "ConfigFS",
					     "StreamModule", "PolicyErrors", "PolicyErrorList",
					     NULL);
}

/* ---- properties ------------------------------------------------------------------------- */

static int get_version(sd_bus *bus, const char *path, const char *interface, const char *property,
		       sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	return sd_bus_message_append(reply, "s", TBSTREAM_VERSION);
}

static int get_state(sd_bus *bus, const char *path, const char *interface, const char *property,
		     sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	return sd_bus_message_append(reply, "s", manager_state(userdata));
}

static int get_status(sd_bus *bus, const char *path, const char *interface, const char *property,
		      sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	TbsBus *b = userdata;
	return sd_bus_message_append(reply, "s", tbs_manager_status(b->m));
}

static int get_kernel_interface(sd_bus *bus, const char *path, const char *interface,
				const char *property, sd_bus_message *reply, void *userdata,
				sd_bus_error *error)
{
	TbsBus *b = userdata;
	return sd_bus_message_append(
		reply, "s", tbs_configfs_state_to_string(tbs_manager_configfs_state(b->m)));
}

static int get_policy_errors(sd_bus *bus, const char *path, const char *interface,
			     const char *property, sd_bus_message *reply, void *userdata,
			     sd_bus_error *error)
{
	TbsBus *b = userdata;
	const GPtrArray *errors = tbs_manager_policy_errors(b->m);
	int r;

	r = sd_bus_message_open_container(reply, 'a', "s");
	for (unsigned i = 0; r >= 0 && i < errors->len; i++)
		r = sd_bus_message_append(reply, "s", (const char *)errors->pdata[i]);
	return r < 0 ? r : sd_bus_message_close_container(reply);
}

static int get_status_code(sd_bus *bus, const char *path, const char *interface,
			   const char *property, sd_bus_message *reply, void *userdata,
			   sd_bus_error *error)
{
	TbsBus *b = userdata;
	return sd_bus_message_append(reply, "s", tbs_manager_status_code(b->m));
}

static int get_configfs(sd_bus *bus, const char *path, const char *interface, const char *property,
			sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	TbsBus *b = userdata;
	return sd_bus_message_append(
		reply, "b", (int)(tbs_manager_configfs_state(b->m) != TBS_CONFIGFS_NOT_MOUNTED));
}

static int get_stream_module(sd_bus *bus, const char *path, const char *interface,
			     const char *property, sd_bus_message *reply, void *userdata,
			     sd_bus_error *error)
{
	TbsBus *b = userdata;
	return sd_bus_message_append(reply, "b",
				     (int)(tbs_manager_configfs_state(b->m) == TBS_CONFIGFS_READY));
}

static int get_policy_error_list(sd_bus *bus, const char *path, const char *interface,
				 const char *property, sd_bus_message *reply, void *userdata,
				 sd_bus_error *error)
{
	TbsBus *b = userdata;
	const GPtrArray *errors = tbs_manager_policy_error_details(b->m);
	int r;

	r = sd_bus_message_open_container(reply, 'a', "(ssus)");
	for (unsigned i = 0; r >= 0 && i < errors->len; i++) {
		const TbsPolicyError *e = errors->pdata[i];
		r = sd_bus_message_append(reply, "(ssus)", e->code, e->file, (uint32_t)e->line,
					  e->message);
	}
	return r < 0 ? r : sd_bus_message_close_container(reply);
}

static int get_controllers(sd_bus *bus, const char *path, const char *interface,
			   const char *property, sd_bus_message *reply, void *userdata,
			   sd_bus_error *error)
{
	TbsBus *b = userdata;
	g_autoptr(GPtrArray) cs = tbs_manager_controllers(b->m);
	int r;

	r = sd_bus_message_open_container(reply, 'a', "a{sv}");
	for (unsigned i = 0; r >= 0 && i < cs->len; i++) {
		const TbsController *c = cs->pdata[i];
		r = sd_bus_message_append(reply, "a{sv}", 4, "Name", "s", c->name, "Subsystem", "s",
					  c->subsystem, "SecurityLevel", "s", c->security,
					  "IOMMUProtection", "b", (int)c->iommu);
	}
	return r < 0 ? r : sd_bus_message_close_container(reply);
}

/* ---- RequestStream ---------------------------------------------------------------------- */

#define TEMPORARY_STREAM "a stream that lives as long as its caller"

typedef struct Request {
	BusCreation c; /* persistent at once; key and call (referenced) once authorized */
	TbsBus *b;
	char *peer_id;
	TbsStreamTemplate t;
	bool answered; /* refused in its batch before anything was made */
} Request;

static void request_free(void *userdata)
{
	Request *rq = userdata;

	if (!rq)
		return;
	g_free(rq->c.key);
	sd_bus_message_unref(rq->c.m);
	g_free(rq->peer_id);
	g_free(rq);
}

static int expect_type(sd_bus_message *m, const char *key, const char *want, sd_bus_error *error)
{
	const char *contents = NULL;
	char type;
	int r;

	r = sd_bus_message_peek_type(m, &type, &contents);
	if (r < 0)
		return r;
	if (type != SD_BUS_TYPE_VARIANT || !contents || strcmp(contents, want) != 0)
		return tbs_bus_error_set_name(error, TBS_BUS_ERROR_INVALID_ARGUMENT, EINVAL,
					      "Option %s must be of type %s, got %s", key, want,
					      contents ? contents : "?");
	return 0;
}

/* Options of RequestStream into t and *persistent. Pure validation: nothing changes. */
static int parse_options(sd_bus_message *m, const TbsPeer *p, TbsStreamTemplate *t,
			 bool *persistent, sd_bus_error *error)
{
	int r;

	r = sd_bus_message_enter_container(m, 'a', "{sv}");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		const char *key, *s;
		uint32_t u;
		int bv;

		r = sd_bus_message_read(m, "s", &key);
		if (r < 0)
			return r;
		if (strcmp(key, "HopIDs") == 0) {
			if ((r = expect_type(m, key, "s", error)) < 0 ||
			    (r = sd_bus_message_read(m, "v", "s", &s)) < 0)
				return r;
			if (tbs_policy_parse_hopids(s, &t->hopid_mode, &t->in_hopid,
						    &t->out_hopid) < 0)
				return tbs_bus_error_set_name(
					error, TBS_BUS_ERROR_INVALID_ARGUMENT, EINVAL,
					"HopIDs must be \"auto\", \"peer\" or \"IN,OUT\" with each "
					"HopID in 8..2047, got \"%s\"",
					s);
			if (t->hopid_mode == TBS_HOPIDS_FIXED && p->maxhopid > 0 &&
			    ((unsigned)t->in_hopid > p->maxhopid ||
			     (unsigned)t->out_hopid > p->maxhopid))
				return tbs_bus_error_set_name(
					error, TBS_BUS_ERROR_INVALID_ARGUMENT, EINVAL,
					"HopIDs %d,%d exceed the peer's largest HopID %u",
					t->in_hopid, t->out_hopid, p->maxhopid);
		} else if (strcmp(key, "RingSize") == 0) {
			if ((r = expect_type(m, key, "u", error)) < 0 ||
			    (r = sd_bus_message_read(m, "v", "u", &u)) < 0)
				return r;
			if (u < 32 || u > 4096)
				return tbs_bus_error_set_name(
					error, TBS_BUS_ERROR_INVALID_ARGUMENT, EINVAL,
					"RingSize must be 32..4096, got %u", u);
			t->ring_size = (int)u;
		} else if (strcmp(key, "Throttling") == 0) {
			if ((r = expect_type(m, key, "u", error)) < 0 ||
			    (r = sd_bus_message_read(m, "v", "u", &u)) < 0)
				return r;
			if (u > 16776960)
				return tbs_bus_error_set_name(
					error, TBS_BUS_ERROR_INVALID_ARGUMENT, EINVAL,
					"Throttling must be 0..16776960 (ns), got %u", u);
			t->throttling = (int)u;
		} else if (strcmp(key, "Persistent") == 0) {
			if ((r = expect_type(m, key, "b", error)) < 0 ||
			    (r = sd_bus_message_read(m, "v", "b", &bv)) < 0)
				return r;
			*persistent = bv;
		} else if (strcmp(key, "OnUnplug") == 0) {
			if ((r = expect_type(m, key, "s", error)) < 0 ||
			    (r = sd_bus_message_read(m, "v", "s", &s)) < 0)
				return r;
			if (tbs_policy_parse_unplug(s, &t->on_unplug) < 0)
				return tbs_bus_error_set_name(
					error, TBS_BUS_ERROR_INVALID_ARGUMENT, EINVAL,
					"OnUnplug must be \"remove\" or \"keep\", got \"%s\"", s);
		} else
			return tbs_bus_error_set_name(
				error, TBS_BUS_ERROR_UNKNOWN_OPTION, EINVAL,
				"Unknown option \"%s\"; known: HopIDs, RingSize, Throttling, "
				"Persistent, OnUnplug",
				key);
		r = sd_bus_message_exit_container(m);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	return sd_bus_message_exit_container(m);
}

static int request_error(sd_bus_error *e, int r, const TbsPeer *p, const char *name)
{
	switch (r) {
	case -ENOTCONN:
		return tbs_bus_error_set(e, r, "Peer %s is not connected; plug it in and retry",
					 tbs_peer_display_name(p));
	case -ENODEV:
		return tbs_bus_error_set(e, r,
					 "No stream support in the kernel (ConfigFS or the "
					 "tbstream module missing); try modprobe tbstream");
	case -EEXIST:
		return tbs_bus_error_set(e, r, "Peer %s already has a stream named \"%s\"",
					 tbs_peer_display_name(p), name);
	case -EADDRINUSE:
		return tbs_bus_error_set_name(
			e, TBS_BUS_ERROR_EXISTS, EEXIST,
			"Another peer has a stream named \"%s\"; before Linux "
			"7.2 a stream name is the host's, not the peer's",
			name);
	case -EINPROGRESS:
		return tbs_bus_error_set_name(e, TBS_BUS_ERROR_EXISTS, EEXIST,
					      "Stream \"%s\" of peer %s is still being removed; "
					      "retry once it is gone",
					      name, tbs_peer_display_name(p));
	case -ENOSPC:
		return tbs_bus_error_set(e, r, "Too many streams; remove some first");
	case -EBUSY:
		return tbs_bus_error_set(e, r, "The HopIDs are taken; choose others or \"auto\"");
	case -EINVAL:
		return tbs_bus_error_set_name(e, TBS_BUS_ERROR_INVALID_ARGUMENT, EINVAL,
					      "The kernel refused the settings of stream \"%s\"",
					      name);
	default:
		return tbs_bus_error_set(e, r, "Cannot create stream \"%s\" for peer %s: %s", name,
					 tbs_peer_display_name(p), strerror(-r));
	}
}

/* Make the stream of an authorized request whose owner (if any) is on disk already. */
static void request_create(TbsBus *b, Request *rq, TbsPeer *p)
{
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	sd_bus_message *m = rq->c.m;
	TbsStream *s = NULL;
	BusStream *bs;
	int r;

	b->creating = &rq->c;
	/* a temporary stream is removed when its caller leaves: only one we make can be */
	r = tbs_manager_request_stream(b->m, p, &rq->t, !rq->c.persistent, &s);
	b->creating = NULL;
	/* nothing made for this caller (it failed, or the item was someone else's): no owner */
	if (rq->c.key && (r < 0 || !s->made))
		bus_owners_save_later(b);
	if (r < 0) {
		request_error(&e, r, p, rq->t.name);
		tbs_polkit_reply_error(m, &e);
		return;
	}
	log_stream(LOG_INFO, 0, p->id, s->name, "Stream %s requested by %s (%s)", s->key,
		   strna(sd_bus_message_get_sender(m)),
		   rq->c.persistent ? "persistent" : "while the caller lives");
	bs = g_hash_table_lookup(b->streams, s->key);
	if (!bs) {
		/* the core created and dropped it within the call (it failed at once) */
		tbs_bus_error_set_name(&e, TBS_BUS_ERROR_STREAM_FAILED, EIO,
				       "Stream \"%s\" failed as it was created; see journalctl -u "
				       "tbstreamd",
				       rq->t.name);
		tbs_polkit_reply_error(m, &e);
		return;
	}
	if (!bs->persistent && !bs->track) {
		/* the caller left between polkit's answer and now: nothing is done for it */
		r = tbs_manager_remove_stream(b->m, s, false, NULL, NULL);
		if (r < 0)
			log_stream(LOG_ERR, r, p->id, rq->t.name,
				   "Cannot remove stream of departed caller %s: %m",
				   strna(sd_bus_message_get_sender(m)));
		tbs_bus_error_set_name(&e, TBS_BUS_ERROR_STREAM_REMOVED, ECANCELED,
				       "Cannot watch the caller of stream \"%s\"; removed it",
				       rq->t.name);
		tbs_polkit_reply_error(m, &e);
		return;
	}
	r = bus_stream_wait_ready(bs, m);
	if (r < 0) {
		tbs_bus_error_set(&e, r, "Cannot wait for stream %s: %s", s->key, strerror(-r));
		tbs_polkit_reply_error(m, &e);
	}
}

/*
 * The requests authorized since the last batch, made together: who asked for
 * each (the owners file) and that each item is ours (configfs.state) are
 * written once for all of them, before the first mkdir, instead of twice per
 * stream with their fsyncs. Idle priority: the polkit answers already queued
 * are handled first and join the batch.
 */
static int on_create_batch(sd_event_source *src, void *userdata)
{
	TbsBus *b = userdata;
	g_autoptr(GPtrArray) batch = g_steal_pointer(&b->queued);
	g_autoptr(GPtrArray) creations = g_ptr_array_new();

	b->queued = g_ptr_array_new_with_free_func(request_free);
	for (unsigned i = 0; i < batch->len; i++) {
		Request *rq = batch->pdata[i];
		TbsPeer *p = tbs_manager_find_peer(b->m, rq->peer_id);
		_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;

		/* the name was let go of since polkit answered */
		if (!rq->c.persistent &&
		    bus_refuse_if_exiting(b, rq->c.m, TEMPORARY_STREAM, &e) < 0) {
			tbs_polkit_reply_error(rq->c.m, &e);
			rq->answered = true;
			continue;
		}
		if (!p || !p->group)
			continue;
		rq->c.key = g_strdup_printf("%s/%s", p->group, rq->t.name);
		tbs_manager_intend_stream(b->m, p, &rq->t);
		g_ptr_array_add(creations, &rq->c);
	}
	/* intent before acting: a daemon killed after a mkdir still knows who asked */
	if (creations->len > 0) {
		b->batch = creations;
		bus_owners_save(b);
		(void)tbs_manager_intend_commit(b->m);
	}
	for (unsigned i = 0; i < batch->len; i++) {
		Request *rq = batch->pdata[i];
		TbsPeer *p = tbs_manager_find_peer(b->m, rq->peer_id);

		if (rq->answered)
			continue;
		if (!p) {
			_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;

			tbs_bus_error_set_name(&e, TBS_BUS_ERROR_NO_SUCH_PEER, ENOENT,
					       "Peer %s went away while authorizing", rq->peer_id);
			tbs_polkit_reply_error(rq->c.m, &e);
			continue;
		}
		request_create(b, rq, p);
	}
	b->batch = NULL;
	tbs_manager_intend_end(b->m);
	return 0;
}

static void on_request_authorized(sd_bus_message *m, int r, const sd_bus_error *error,
				  void *userdata)
{
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	Request *rq = userdata;
	TbsBus *b = rq->b;

	if (r == -ECANCELED)
		goto done;
	if (r < 0) {
		tbs_polkit_reply_error(m, error);
		goto done;
	}
	/* authorized while the daemon let go of its name: it would stay as long as the caller */
	if (!rq->c.persistent && bus_refuse_if_exiting(b, m, TEMPORARY_STREAM, &e) < 0) {
		tbs_polkit_reply_error(m, &e);
		goto done;
	}
	if (!b->create_batch) {
		r = sd_event_add_defer(b->event, &b->create_batch, on_create_batch, b);
		if (r >= 0)
			r = sd_event_source_set_priority(b->create_batch, SD_EVENT_PRIORITY_IDLE);
		if (r >= 0)
			(void)sd_event_source_set_description(b->create_batch, "create-streams");
	} else
		r = sd_event_source_set_enabled(b->create_batch, SD_EVENT_ONESHOT);
	if (r < 0) {
		log_error_errno(r, "Cannot queue the creation of stream %s for %s: %m", rq->t.name,
				strna(sd_bus_message_get_sender(m)));
		tbs_bus_error_set(&e, r, "Cannot queue the creation of stream \"%s\": %s",
				  rq->t.name, strerror(-r));
		tbs_polkit_reply_error(m, &e);
		goto done;
	}
	rq->c.m = sd_bus_message_ref(m);
	g_ptr_array_add(b->queued, rq);
	return;
done:
	request_free(rq);
}

void bus_manager_stop_requests(TbsBus *b)
{
	b->create_batch = sd_event_source_disable_unref(b->create_batch);
	if (!b->queued)
		return;
	for (unsigned i = 0; i < b->queued->len; i++) {
		Request *rq = b->queued->pdata[i];

		(void)sd_bus_reply_method_errorf(
			rq->c.m, SD_BUS_ERROR_NO_SERVER,
			"tbstreamd is stopping; stream \"%s\" was not made, retry", rq->t.name);
	}
	g_clear_pointer(&b->queued, g_ptr_array_unref);
}

static int method_request_stream(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	TbsBus *b = userdata;
	const char *peer_arg, *name, *details[7];
	const TbsStreamTemplate *base;
	Request *rq;
	TbsStream *s;
	TbsPeer *p;
	int r;

	r = sd_bus_message_read(m, "ss", &peer_arg, &name);
	if (r < 0)
		return r;
	p = bus_lookup_peer(b, peer_arg);
	if (!p)
		return tbs_bus_error_set_name(error, TBS_BUS_ERROR_NO_SUCH_PEER, ENOENT,
					      "No peer \"%s\"; see the Peer objects for UUIDs",
					      peer_arg);
	if (!tbs_stream_name_is_valid(name))
		return tbs_bus_error_set_name(
			error, TBS_BUS_ERROR_INVALID_NAME, EINVAL,
			"Invalid stream name \"%s\": 1 to %d characters of A-Z a-z 0-9 _ -, not "
			"starting with '-'",
			name, TBS_STREAM_NAME_MAX);

	rq = g_new0(Request, 1);
	rq->b = b;
	rq->peer_id = g_strdup(p->id);
	/* a stream the policy describes keeps its settings (owner, mode...); options override */
	base = tbs_policy_find_stream(tbs_manager_policy(b->m), name);
	if (base)
		rq->t = *base;
	else {
		rq->t.hopid_mode = TBS_HOPIDS_AUTO;
		rq->t.in_hopid = rq->t.out_hopid = -1;
		rq->t.throttling = -1;
		rq->t.owner = (uid_t)-1;
		rq->t.group = (gid_t)-1;
		rq->t.mode = (mode_t)-1;
		rq->t.on_unplug = tbs_manager_policy(b->m)->on_unplug;
	}
	g_strlcpy(rq->t.name, name, sizeof(rq->t.name));
	r = parse_options(m, p, &rq->t, &rq->c.persistent, error);
	if (r < 0) {
		request_free(rq);
		if (!sd_bus_error_is_set(error))
			return tbs_bus_error_set_name(error, TBS_BUS_ERROR_INVALID_ARGUMENT, EINVAL,
						      "Malformed options: %s", strerror(-r));
		return r;
	}
	/* cheap to answer now, and nothing to authorize for */
	if (!p->connected) {
		request_free(rq);
		return request_error(error, -ENOTCONN, p, name);
	}
	s = p->group ? tbs_manager_find_stream(b->m, p->group, name) : NULL;
	if (s) {
		request_free(rq);
		return request_error(error, tbs_stream_is_removing(s) ? -EINPROGRESS : -EEXIST, p,
				     name);
	}
	/* before polkit: nobody is asked for a password for what will be refused */
	if (!rq->c.persistent && (r = bus_refuse_if_exiting(b, m, TEMPORARY_STREAM, error)) < 0) {
		request_free(rq);
		return r;
	}

	details[0] = "peer";
	details[1] = rq->peer_id;
	details[2] = "peer_name";
	details[3] = tbs_peer_display_name(p);
	details[4] = "stream";
	details[5] = rq->t.name;
	details[6] = NULL;
	if (!b->queued)
		b->queued = g_ptr_array_new_with_free_func(request_free);
	/* the callback keeps rq for the batch or frees it */
	r = tbs_polkit_check(b->polkit, m, TBS_ACTION_REQUEST_STREAM, details,
			     on_request_authorized, rq, NULL);
	if (r < 0) {
		request_free(rq);
		return tbs_bus_error_set(error, r, "Cannot check authorization: %s", strerror(-r));
	}
	return 1;
}

/* ---- RemoveStream, OpenStream ----------------------------------------------------------- */

typedef struct StreamCall {
	TbsBus *b;
	char *key;
	uint32_t flags;
	TbsCallerCreds creds; /* OpenStream: who asks, for the node's permissions */
} StreamCall;

static void stream_call_free(void *userdata)
{
	StreamCall *sc = userdata;

	tbs_caller_creds_clear(&sc->creds);
	g_free(sc->key);
	g_free(sc);
}

/* The next stage of a call: its userdata goes with the stage that ends. */
static StreamCall *stream_call_next(const StreamCall *sc)
{
	StreamCall *n = g_new0(StreamCall, 1);

	n->b = sc->b;
	n->key = g_strdup(sc->key);
	n->flags = sc->flags;
	n->creds.uid = sc->creds.uid;
	n->creds.n_gids = sc->creds.n_gids;
	if (sc->creds.gids)
		n->creds.gids =
			g_memdup2(sc->creds.gids, sizeof(gid_t) * (size_t)MAX(sc->creds.n_gids, 0));
	return n;
}

/*
 * The end of a stream method's polkit check: the stream to act on, or NULL
 * when the caller was denied, left, or the stream went away meanwhile (the
 * caller, if still there, has its reply then).
 */
static BusStream *authorized_stream(StreamCall *sc, sd_bus_message *m, int r,
				    const sd_bus_error *error)
{
	BusStream *bs;

	if (r == -ECANCELED)
		return NULL;
	if (r < 0) {
		tbs_polkit_reply_error(m, error);
		return NULL;
	}
	bs = g_hash_table_lookup(sc->b->streams, sc->key);
	if (!bs)
		(void)sd_bus_reply_method_errorf(m, TBS_BUS_ERROR_NO_SUCH_STREAM,
						 "Stream %s went away while authorizing", sc->key);
	return bs;
}

static int stream_arg(TbsBus *b, sd_bus_message *m, BusStream **ret, sd_bus_error *error)
{
	const char *path;
	int r;

	r = sd_bus_message_read(m, "o", &path);
	if (r < 0)
		return r;
	*ret = bus_lookup_stream(b, path);
	if (!*ret)
		return tbs_bus_error_set_name(error, TBS_BUS_ERROR_NO_SUCH_STREAM, ENOENT,
					      "No stream %s; see GetManagedObjects for the list",
					      path);
	return 0;
}

static int check_stream(TbsBus *b, sd_bus_message *m, BusStream *bs, const char *action,
			TbsPolkitCallback cb, uint32_t flags, sd_bus_error *error)
{
	const char *details[5] = {"stream", bs->s->key, "peer", strempty(bs->s->peer_id), NULL};
	StreamCall *sc = g_new0(StreamCall, 1);
	int r;

	sc->b = b;
	sc->key = g_strdup(bs->s->key);
	sc->flags = flags;
	r = tbs_polkit_check(b->polkit, m, action, details, cb, sc, stream_call_free);
	if (r < 0)
		return tbs_bus_error_set(error, r, "Cannot check authorization: %s", strerror(-r));
	return 1;
}

/* A RemoveStream whose rmdir is under way: answered when it is done. */
typedef struct RemoveCall {
	sd_bus_message *m;
	char *key;
} RemoveCall;

static void reply_remove_error(sd_bus_message *m, const char *key, int r)
{
	if (r == -EPERM)
		(void)sd_bus_reply_method_errorf(
			m, TBS_BUS_ERROR_NOT_OURS,
			"Stream %s was not created by tbstreamd; remove it by hand (rmdir its "
			"ConfigFS directory) if you are sure",
			key);
	else
		(void)sd_bus_reply_method_errorf(m, tbs_bus_error_name(r),
						 "Cannot remove stream %s: %s", key, strerror(-r));
}

static void on_stream_removed(int r, void *userdata)
{
	RemoveCall *rc = userdata;

	if (r < 0)
		reply_remove_error(rc->m, rc->key, r);
	else {
		log_info("Stream %s removed on request of %s", rc->key,
			 strna(sd_bus_message_get_sender(rc->m)));
		(void)sd_bus_reply_method_return(rc->m, NULL);
	}
	sd_bus_message_unref(rc->m);
	g_free(rc->key);
	g_free(rc);
}

static void on_remove_authorized(sd_bus_message *m, int r, const sd_bus_error *error,
				 void *userdata)
{
	StreamCall *sc = userdata;
	RemoveCall *rc;
	BusStream *bs;

	bs = authorized_stream(sc, m, r, error);
	if (!bs)
		return;
	rc = g_new0(RemoveCall, 1);
	rc->m = sd_bus_message_ref(m);
	rc->key = g_strdup(sc->key);
	r = tbs_manager_remove_stream(sc->b->m, bs->s, false, on_stream_removed, rc);
	if (r < 0) {
		reply_remove_error(m, sc->key, r);
		sd_bus_message_unref(rc->m);
		g_free(rc->key);
		g_free(rc);
	}
}

static int method_remove_stream(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	TbsBus *b = userdata;
	BusStream *bs;
	int r;

	r = stream_arg(b, m, &bs, error);
	if (r < 0)
		return r;
	if (!bs->s->owned)
		return tbs_bus_error_set_name(
			error, TBS_BUS_ERROR_NOT_OURS, EPERM,
			"Stream %s was not created by tbstreamd; remove it by hand (rmdir its "
			"ConfigFS directory) if you are sure",
			bs->s->key);
	return check_stream(b, m, bs, TBS_ACTION_REMOVE_STREAM, on_remove_authorized, 0, error);
}

/*
 * Open without blocking the loop: O_NONBLOCK makes the kernel answer ENXIO at
 * once if no peer stream is attached (instead of waiting for one), and is taken
 * away afterwards unless the caller wants it. path is the node, or the
 * /proc/self/fd link of the O_PATH descriptor whose permissions were checked
 * (a magic link: it must be followed, and it reaches that same inode).
 */
static int open_device(const char *path, uint32_t flags, bool nofollow, int *ret)
{
	int mode, fd;

	mode = (flags & TBS_OPEN_READ) && (flags & TBS_OPEN_WRITE) ? O_RDWR
	       : (flags & TBS_OPEN_WRITE)			   ? O_WRONLY
								   : O_RDONLY;
	fd = open(path, mode | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | (nofollow ? O_NOFOLLOW : 0));
	if (fd < 0)
		return -errno;
	if (!(flags & TBS_OPEN_NONBLOCK)) {
		int fl = fcntl(fd, F_GETFL);
		if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
			int r = -errno;
			close(fd);
			return r;
		}
	}
	*ret = fd;
	return 0;
}

/* NULL (and the caller has its reply) unless the stream can be opened now. */
static BusStream *ready_stream(StreamCall *sc, sd_bus_message *m, int r, const sd_bus_error *error)
{
	BusStream *bs = authorized_stream(sc, m, r, error);

	if (bs && (bs->s->state != TBS_STREAM_READY || !bs->s->devnode)) {
		(void)sd_bus_reply_method_errorf(m, TBS_BUS_ERROR_NOT_READY,
						 "Stream %s is %s, not configured; wait for its "
						 "State to be \"configured\"",
						 sc->key, bus_stream_state(bs->s));
		return NULL;
	}
	return bs;
}

static void open_and_reply(StreamCall *sc, sd_bus_message *m, BusStream *bs, const char *path,
			   bool nofollow)
{
	_cleanup_close_ int fd = -1;
	int r;

	r = open_device(path, sc->flags, nofollow, &fd);
	if (r == -ENXIO) {
		(void)sd_bus_reply_method_errorf(
			m, TBS_BUS_ERROR_NOT_ATTACHED,
			"Stream %s has no peer stream attached yet: the peer must create a stream "
			"of the same name; retry when LinkState is \"attached\"",
			sc->key);
		return;
	}
	if (r < 0) {
		log_stream(LOG_ERR, r, bs->s->peer_id, bs->s->name, "Cannot open %s: %m",
			   bs->s->devnode);
		(void)sd_bus_reply_method_errorf(m, tbs_bus_error_name(r), "Cannot open %s: %s",
						 bs->s->devnode, strerror(-r));
		return;
	}
	log_stream(LOG_INFO, 0, bs->s->peer_id, bs->s->name, "Handing %s (flags 0x%x) to %s",
		   bs->s->devnode, sc->flags, strna(sd_bus_message_get_sender(m)));
	/* sd-bus duplicates the fd into the message; ours closes on return */
	r = sd_bus_reply_method_return(m, "h", fd);
	if (r < 0)
		log_debug_errno(r, "Cannot send the fd of %s: %m", sc->key);
}

static const char *access_words(uint32_t flags)
{
	if ((flags & TBS_OPEN_READ) && (flags & TBS_OPEN_WRITE))
		return "read and write";
	return flags & TBS_OPEN_WRITE ? "write" : "read";
}

/* The node's permissions refused the caller: only "manage" (an administrator) overrides them. */
static void on_open_manage_authorized(sd_bus_message *m, int r, const sd_bus_error *error,
				      void *userdata)
{
	StreamCall *sc = userdata;
	BusStream *bs;

	if (r < 0 && r != -ECANCELED && sd_bus_error_has_name(error, SD_BUS_ERROR_ACCESS_DENIED)) {
		(void)sd_bus_reply_method_errorf(
			m, SD_BUS_ERROR_ACCESS_DENIED,
			"The device node of stream %s does not let uid %u %s it (its Owner=, "
			"Group= and Mode=), and the caller is not authorized for %s",
			sc->key, (unsigned)sc->creds.uid, access_words(sc->flags),
			TBS_ACTION_MANAGE);
		return;
	}
	bs = ready_stream(sc, m, r, error);
	if (!bs)
		return;
	log_stream(LOG_NOTICE, 0, bs->s->peer_id, bs->s->name,
		   "uid %u may not %s %s, opening it anyway: authorized for %s",
		   (unsigned)sc->creds.uid, access_words(sc->flags), bs->s->devnode,
		   TBS_ACTION_MANAGE);
	open_and_reply(sc, m, bs, bs->s->devnode, true);
}

/*
 * OpenStream is a way to get the descriptor without the node's path (a
 * sandbox, no udev ACL), not a way around its permissions: the caller must
 * be one the node lets in, as the kernel would decide for the caller's uid
 * and groups (mode bits and an access ACL), unless polkit says it may manage
 * tbstream. Checked on an O_PATH descriptor, which is then reopened: the node
 * checked is the node opened.
 */
static void on_open_creds(sd_bus_message *m, int r, const sd_bus_error *error, void *userdata)
{
	StreamCall *sc = userdata;
	unsigned want = 0;
	_cleanup_close_ int pfd = -1;
	unsigned char acl[1024];
	ssize_t acl_len;
	char proc[64];
	struct stat st;
	BusStream *bs;

	bs = ready_stream(sc, m, r, error);
	if (!bs)
		return;
	pfd = open(bs->s->devnode, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (pfd < 0 || fstat(pfd, &st) < 0) {
		r = -errno;
		log_stream(LOG_ERR, r, bs->s->peer_id, bs->s->name, "Cannot open %s: %m",
			   bs->s->devnode);
		(void)sd_bus_reply_method_errorf(m, tbs_bus_error_name(r), "Cannot open %s: %s",
						 bs->s->devnode, strerror(-r));
		return;
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pfd);
	acl_len = getxattr(proc, "system.posix_acl_access", acl, sizeof(acl));
	if (acl_len < 0 && errno != ENODATA && errno != EOPNOTSUPP) {
		/* ERANGE (an ACL longer than any udev makes) or worse: nothing it says counts */
		log_stream(LOG_WARNING, errno, bs->s->peer_id, bs->s->name,
			   "Cannot read the ACL of %s, going by the administrator's word only: %m",
			   bs->s->devnode);
		acl_len = 0;
	} else if (acl_len < 0)
		acl_len = -1;
	want |= sc->flags & TBS_OPEN_READ ? TBS_ACCESS_READ : 0;
	want |= sc->flags & TBS_OPEN_WRITE ? TBS_ACCESS_WRITE : 0;
	if (tbs_node_permits(&st, acl_len >= 0 ? acl : NULL, acl_len >= 0 ? (size_t)acl_len : 0,
			     sc->creds.uid, sc->creds.gids, sc->creds.n_gids, want)) {
		open_and_reply(sc, m, bs, proc, false);
		return;
	}

	char owner[16], group[16], mode[8];
	const char *details[] = {"stream",     bs->s->key, "peer",	 strempty(bs->s->peer_id),
				 "node_owner", owner,	   "node_group", group,
				 "node_mode",  mode,	   NULL};
	snprintf(owner, sizeof(owner), "%u", (unsigned)st.st_uid);
	snprintf(group, sizeof(group), "%u", (unsigned)st.st_gid);
	snprintf(mode, sizeof(mode), "%04o", (unsigned)(st.st_mode & 07777));
	log_stream(LOG_INFO, 0, bs->s->peer_id, bs->s->name,
		   "uid %u may not %s %s (owner %s, group %s, mode %s%s); asking polkit for %s",
		   (unsigned)sc->creds.uid, access_words(sc->flags), bs->s->devnode, owner, group,
		   mode, acl_len >= 0 ? ", ACL" : "", TBS_ACTION_MANAGE);
	r = tbs_polkit_check(sc->b->polkit, m, TBS_ACTION_MANAGE, details,
			     on_open_manage_authorized, stream_call_next(sc), stream_call_free);
	if (r < 0)
		(void)sd_bus_reply_method_errorf(m, tbs_bus_error_name(r),
						 "Cannot check authorization: %s", strerror(-r));
}

static void on_open_authorized(sd_bus_message *m, int r, const sd_bus_error *error, void *userdata)
{
	StreamCall *sc = userdata;

	StreamCall *next;

	if (!ready_stream(sc, m, r, error))
		return;
	next = stream_call_next(sc);
	r = tbs_polkit_caller_creds(sc->b->polkit, m, &next->creds, on_open_creds, next,
				    stream_call_free);
	if (r < 0)
		(void)sd_bus_reply_method_errorf(m, tbs_bus_error_name(r),
						 "Cannot learn who the caller is: %s",
						 strerror(-r));
}

static int method_open_stream(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	TbsBus *b = userdata;
	BusStream *bs;
	uint32_t flags;
	int r;

	r = stream_arg(b, m, &bs, error);
	if (r < 0)
		return r;
	r = sd_bus_message_read(m, "u", &flags);
	if (r < 0)
		return r;
	if (flags & ~TBS_OPEN_ALL)
		return tbs_bus_error_set_name(error, TBS_BUS_ERROR_INVALID_ARGUMENT, EINVAL,
					      "Unknown OpenStream flags 0x%x; known: 1 read, 2 "
					      "write, 4 nonblock",
					      flags & ~TBS_OPEN_ALL);
	if (!(flags & (TBS_OPEN_READ | TBS_OPEN_WRITE)))
		return tbs_bus_error_set_name(error, TBS_BUS_ERROR_INVALID_ARGUMENT, EINVAL,
					      "OpenStream needs read (1), write (2) or both");
	return check_stream(b, m, bs, TBS_ACTION_OPEN_STREAM, on_open_authorized, flags, error);
}

/* ---- Reload ----------------------------------------------------------------------------- */

/* Reload callers wait in b->reloads in the order they asked, which is the order of the answers. */
static void on_reloaded(TbsManager *mgr, int r, void *userdata)
{
	TbsBus *b = userdata;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = g_ptr_array_steal_index(b->reloads, 0);
	const GPtrArray *errors;

	bus_manager_emit_state(b);
	errors = tbs_manager_policy_errors(mgr);
	if (r < 0 && errors->len > 0)
		(void)sd_bus_reply_method_errorf(
			m, TBS_BUS_ERROR_POLICY_INVALID,
			"The policy has %u error(s), %s; first: %s", errors->len,
			tbs_manager_policy_loaded(mgr) ? "the last good one stays"
						       : "every peer stays denied",
			(const char *)errors->pdata[0]);
	else if (r < 0)
		(void)sd_bus_reply_method_errorf(m, tbs_bus_error_name(r), "Reload failed: %s",
						 strerror(-r));
	else
		(void)sd_bus_reply_method_return(m, NULL);
}

void bus_manager_stop_reloads(TbsBus *b)
{
	if (!b->reloads)
		return;
	tbs_manager_reload_cancel(b->m, on_reloaded, b);
	for (unsigned i = 0; i < b->reloads->len; i++)
		(void)sd_bus_reply_method_errorf(
			b->reloads->pdata[i], SD_BUS_ERROR_NO_SERVER,
			"tbstreamd is stopping; Reload was not done, retry");
	g_clear_pointer(&b->reloads, g_ptr_array_unref);
}

static void on_reload_authorized(sd_bus_message *m, int r, const sd_bus_error *error,
				 void *userdata)
{
	TbsBus *b = userdata;

	if (r == -ECANCELED)
		return;
	if (r < 0) {
		tbs_polkit_reply_error(m, error);
		return;
	}
	log_info("Reloading policy on request of %s", strna(sd_bus_message_get_sender(m)));
	/* answered once the new policy is applied; the loop serves others meanwhile */
	r = tbs_manager_reload(b->m, on_reloaded, b);
	if (r >= 0)
		g_ptr_array_add(b->reloads, sd_bus_message_ref(m));
	else
		(void)sd_bus_reply_method_errorf(m, tbs_bus_error_name(r), "Reload failed: %s",
						 strerror(-r));
}

static int method_reload(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	TbsBus *b = userdata;
	int r;

	r = tbs_polkit_check(b->polkit, m, TBS_ACTION_RELOAD, NULL, on_reload_authorized, b, NULL);
	if (r < 0)
		return tbs_bus_error_set(error, r, "Cannot check authorization: %s", strerror(-r));
	return 1;
}

const sd_bus_vtable bus_manager_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Version", "s", get_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("State", "s", get_state, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Status", "s", get_status, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("StatusCode", "s", get_status_code, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("KernelInterface", "s", get_kernel_interface, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("ConfigFS", "b", get_configfs, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("StreamModule", "b", get_stream_module, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Controllers", "aa{sv}", get_controllers, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("PolicyErrors", "as", get_policy_errors, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("PolicyErrorList", "a(ssus)", get_policy_error_list, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_METHOD_WITH_ARGS(
		"RequestStream", SD_BUS_ARGS("s", peer, "s", name, "a{sv}", options),
		SD_BUS_RESULT("o", stream), method_request_stream, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("RemoveStream", SD_BUS_ARGS("o", stream), SD_BUS_NO_RESULT,
				method_remove_stream, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("OpenStream", SD_BUS_ARGS("o", stream, "u", flags),
				SD_BUS_RESULT("h", fd), method_open_stream,
				SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("Reload", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_reload,
				SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("WatchThroughput", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT,
				bus_throughput_method_watch, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("UnwatchThroughput", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT,
				bus_throughput_method_unwatch, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_VTABLE_END,
};
