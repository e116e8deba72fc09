/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * io.github.tbstream1.Peer at /io/github/tbstream1/peer/<escaped peer id>: one
 * object per peer the manager knows. Label and Trusted are writable, through
 * polkit (action manage-peers).
 */
#include <errno.h>
#include <string.h>

#include "bus-private.h"
#include "log.h"

char *bus_peer_path(const char *id)
{
	char *path = NULL;

	return sd_bus_path_encode(TBS_BUS_PEER_PREFIX, id, &path) < 0 ? NULL : path;
}

static BusPeer *peer_from_path(TbsBus *b, const char *path)
{
	_cleanup_free_ char *id = NULL;

	if (sd_bus_path_decode(path, TBS_BUS_PEER_PREFIX, &id) <= 0 || !id)
		return NULL;
	return g_hash_table_lookup(b->peers, id);
}

int bus_peer_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
		  void **found, sd_bus_error *error)
{
	BusPeer *bp = peer_from_path(userdata, path);

	if (!bp)
		return 0;
	*found = bp;
	return 1;
}

int bus_peer_enumerate(sd_bus *bus, const char *prefix, void *userdata, char ***nodes,
		       sd_bus_error *error)
{
	TbsBus *b = userdata;

	return bus_object_paths(b->peers, offsetof(BusPeer, path), nodes);
}

TbsPeer *bus_lookup_peer(TbsBus *b, const char *arg)
{
	char uuid[37];
	BusPeer *bp;

	if (!arg || !*arg)
		return NULL;
	if (arg[0] == '/') {
		bp = peer_from_path(b, arg);
		return bp ? bp->p : NULL;
	}
	/* UUIDs in any case, as people copy them from boltctl or sysfs */
	if (tbs_uuid_normalize(arg, uuid) >= 0) {
		TbsPeer *p = tbs_manager_find_peer(b->m, uuid);
		if (p)
			return p;
	}
	return tbs_manager_find_peer(b->m, arg);
}

/* ---- properties ------------------------------------------------------------------------- */

#define PEER(u) (((BusPeer *)(u))->p)

static int get_string(sd_bus_message *reply, const char *s)
{
	return sd_bus_message_append(reply, "s", strempty(s));
}

#define STRING_GETTER(fn, expr)                                                                    \
	static int fn(sd_bus *bus, const char *path, const char *interface, const char *property,  \
		      sd_bus_message *reply, void *userdata, sd_bus_error *error)                  \
	{                                                                                          \
		const TbsPeer *p = PEER(userdata);                                                 \
		return get_string(reply, (expr));                                                  \
	}

#define U32_GETTER(fn, expr)                                                                       \
	static int fn(sd_bus *bus, const char *path, const char *interface, const char *property,  \
		      sd_bus_message *reply, void *userdata, sd_bus_error *error)                  \
	{                                                                                          \
		const TbsPeer *p = PEER(userdata);                                                 \
		return sd_bus_message_append(reply, "u", (uint32_t)(expr));                        \
	}

#define BOOL_GETTER(fn, expr)                                                                      \
	static int fn(sd_bus *bus, const char *path, const char *interface, const char *property,  \
		      sd_bus_message *reply, void *userdata, sd_bus_error *error)                  \
	{                                                                                          \
		const TbsPeer *p = PEER(userdata);                                                 \
		return sd_bus_message_append(reply, "b", (int)!!(expr));                           \
	}

#define U64_GETTER(fn, expr)                                                                       \
	static int fn(sd_bus *bus, const char *path, const char *interface, const char *property,  \
		      sd_bus_message *reply, void *userdata, sd_bus_error *error)                  \
	{                                                                                          \
		const TbsPeer *p = PEER(userdata);                                                 \
		return sd_bus_message_append(reply, "t", (uint64_t)(expr));                        \
	}

STRING_GETTER(get_id, p->id)
STRING_GETTER(get_uuid, p->uuid)
STRING_GETTER(get_name, p->name ? p->name : (p->record ? p->record->name : NULL))
STRING_GETTER(get_vendor, p->vendor_name ? p->vendor_name : (p->record ? p->record->vendor : NULL))
STRING_GETTER(get_label, p->record ? p->record->label : NULL)
STRING_GETTER(get_display_name, tbs_peer_display_name(p))
STRING_GETTER(get_group, p->group)
STRING_GETTER(get_rule, p->rule)
U32_GETTER(get_vendor_id, p->vendor)
U32_GETTER(get_device_id, p->device)
U32_GETTER(get_max_hopid, p->maxhopid)
U32_GETTER(get_rx_speed, p->rx_speed)
U32_GETTER(get_tx_speed, p->tx_speed)
U32_GETTER(get_rx_lanes, p->rx_lanes)
U32_GETTER(get_tx_lanes, p->tx_lanes)
BOOL_GETTER(get_trusted, p->record && p->record->trusted)
BOOL_GETTER(get_enrolled, p->record && p->record->enrolled)
STRING_GETTER(get_policy_override, p->override)
BOOL_GETTER(get_connected, p->connected)
BOOL_GETTER(get_allowed, p->allowed)
U64_GETTER(get_first_seen, p->record ? p->record->first_seen : 0)
U64_GETTER(get_last_seen, p->record ? p->record->last_seen : 0)

static bool stream_belongs_to(const TbsStream *s, const TbsPeer *p)
{
	if (s->peer_id)
		return strcmp(s->peer_id, p->id) == 0;
	return p->group && strcmp(s->group, p->group) == 0;
}

static int get_streams(sd_bus *bus, const char *path, const char *interface, const char *property,
		       sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	BusPeer *bp = userdata;
	g_autoptr(GPtrArray) paths = g_ptr_array_new();
	GHashTableIter it;
	BusStream *bs;
	int r;

	g_hash_table_iter_init(&it, bp->b->streams);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&bs))
		if (stream_belongs_to(bs->s, bp->p))
			g_ptr_array_add(paths, bs->path);
	/* a stable order for clients that compare lists */
	g_ptr_array_sort(paths, (GCompareFunc)g_strcmp0);
	r = sd_bus_message_open_container(reply, 'a', "o");
	for (unsigned i = 0; r >= 0 && i < paths->len; i++)
		r = sd_bus_message_append(reply, "o", paths->pdata[i]);
	return r < 0 ? r : sd_bus_message_close_container(reply);
}

static int get_profile(sd_bus *bus, const char *path, const char *interface, const char *property,
		       sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	const TbsPeer *p = PEER(userdata);
	const TbsEnrollment *e;
	char *const empty[] = {NULL};
	int r;

	r = sd_bus_message_open_container(reply, 'a', "{sv}");
	if (r < 0 || !p->record || !p->record->enrolled)
		return r < 0 ? r : sd_bus_message_close_container(reply);
	e = &p->record->enrollment;
	r = sd_bus_message_open_container(reply, 'e', "sv");
	if (r >= 0)
		r = sd_bus_message_append(reply, "s", "Streams");
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'v', "as");
	if (r >= 0)
		r = sd_bus_message_append_strv(reply, e->streams ? e->streams : (char **)empty);
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	if (r >= 0)
		r = sd_bus_message_append(reply, "{sv}{sv}{sv}{sv}", "Persistent", "b",
					  (int)e->persistent, "Owner", "u", e->owner, "Group", "u",
					  e->group, "Mode", "u", e->mode);
	return r < 0 ? r : sd_bus_message_close_container(reply);
}

/* Never reached: bus_peer_filter_set answers first. Kept so introspection says "readwrite". */
static int set_refused(sd_bus *bus, const char *path, const char *interface, const char *property,
		       sd_bus_message *value, void *userdata, sd_bus_error *error)
{
	return sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED, "Not authorized");
}

/* ---- Properties.Set through polkit ------------------------------------------------------ */

typedef struct PeerSet {
	TbsBus *b;
	char *id;
	bool is_label;
	char *label;
	bool trusted;
} PeerSet;

static void peer_set_free(void *userdata)
{
	PeerSet *ps = userdata;

	g_free(ps->id);
	g_free(ps->label);
	g_free(ps);
}

static void on_set_authorized(sd_bus_message *m, int r, const sd_bus_error *error, void *userdata)
{
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	PeerSet *ps = userdata;
	TbsPeer *p;

	if (r == -ECANCELED)
		return;
	if (r < 0) {
		tbs_polkit_reply_error(m, error);
		return;
	}
	p = tbs_manager_find_peer(ps->b->m, ps->id);
	if (!p) {
		tbs_bus_error_set_name(&e, TBS_BUS_ERROR_NO_SUCH_PEER, ENOENT,
				       "Peer %s went away while authorizing", ps->id);
		tbs_polkit_reply_error(m, &e);
		return;
	}
	r = ps->is_label ? tbs_manager_set_peer_label(ps->b->m, p, ps->label)
			 : tbs_manager_set_peer_trusted(ps->b->m, p, ps->trusted);
	if (r < 0) {
		log_peer(LOG_ERR, r, p->id, "Cannot set %s of peer %s: %m",
			 ps->is_label ? "label" : "trust", p->id);
		tbs_bus_error_set(&e, r, "Cannot save the %s of peer %s: %s",
				  ps->is_label ? "label" : "trust", p->id, strerror(-r));
		tbs_polkit_reply_error(m, &e);
		return;
	}
	log_peer(LOG_INFO, 0, p->id, "%s of peer %s set by %s", ps->is_label ? "Label" : "Trust",
		 p->id, strna(sd_bus_message_get_sender(m)));
	(void)sd_bus_reply_method_return(m, NULL);
}

int bus_peer_filter_set(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	TbsBus *b = userdata;
	const char *iface, *prop, *details[7];
	BusPeer *bp;
	PeerSet *ps;
	int r;

	if (!sd_bus_message_is_method_call(m, "org.freedesktop.DBus.Properties", "Set"))
		return 0;
	r = sd_bus_message_read(m, "ss", &iface, &prop);
	if (r < 0 || strcmp(iface, TBS_BUS_IFACE_PEER) != 0 ||
	    (strcmp(prop, "Label") != 0 && strcmp(prop, "Trusted") != 0) ||
	    !(bp = peer_from_path(b, sd_bus_message_get_path(m)))) {
		/* not ours to intercept: let sd-bus answer (and reject what is read-only) */
		(void)sd_bus_message_rewind(m, true);
		return 0;
	}

	if (!bp->p->record)
		return tbs_bus_error_set_name(
			error, TBS_BUS_ERROR_NOT_SUPPORTED, EOPNOTSUPP,
			"Peer %s has no UUID: the daemon cannot remember a label or trust for it",
			bp->p->id);

	ps = g_new0(PeerSet, 1);
	ps->b = b;
	ps->id = g_strdup(bp->p->id);
	ps->is_label = strcmp(prop, "Label") == 0;
	if (ps->is_label) {
		const char *label;
		r = sd_bus_message_read(m, "v", "s", &label);
		if (r < 0) {
			peer_set_free(ps);
			return tbs_bus_error_set_name(error, TBS_BUS_ERROR_INVALID_ARGUMENT, EINVAL,
						      "Label must be a string (type s)");
		}
		if (strlen(label) > TBS_PEER_STRING_MAX || !g_utf8_validate(label, -1, NULL)) {
			peer_set_free(ps);
			return tbs_bus_error_set_name(
				error, TBS_BUS_ERROR_INVALID_ARGUMENT, EINVAL,
				"Label must be valid UTF-8 of at most %d bytes",
				TBS_PEER_STRING_MAX);
		}
		ps->label = g_strdup(label);
	} else {
		int v;
		r = sd_bus_message_read(m, "v", "b", &v);
		if (r < 0) {
			peer_set_free(ps);
			return tbs_bus_error_set_name(error, TBS_BUS_ERROR_INVALID_ARGUMENT, EINVAL,
						      "Trusted must be a boolean (type b)");
		}
		if (!v && bp->p->record->enrolled) {
			peer_set_free(ps);
			return tbs_bus_error_set_name(
				error, TBS_BUS_ERROR_INVALID_ARGUMENT, EINVAL,
				"Peer %s is enrolled, which implies Trusted; call Revoke to "
				"withdraw both",
				bp->p->id);
		}
		ps->trusted = v;
	}
	details[0] = "peer";
	details[1] = ps->id;
	details[2] = "property";
	details[3] = prop;
	details[4] = NULL;
	r = tbs_polkit_check(b->polkit, m, TBS_ACTION_MANAGE_PEERS, details, on_set_authorized, ps,
			     peer_set_free);
	if (r < 0)
		return tbs_bus_error_set(error, r, "Cannot check authorization: %s", strerror(-r));
	return 1;
}

/* ---- Enroll, Revoke, Forget ------------------------------------------------------------- */

typedef enum PeerVerb {
	VERB_ENROLL,
	VERB_REVOKE,
	VERB_FORGET,
} PeerVerb;

static const char *const verb_names[] = {"Enroll", "Revoke", "Forget"};

typedef struct PeerCall {
	TbsBus *b;
	char *id;
	PeerVerb verb;
	TbsEnrollment e;
} PeerCall;

static void peer_call_free(void *userdata)
{
	PeerCall *pc = userdata;

	tbs_enrollment_clear(&pc->e);
	g_free(pc->id);
	g_free(pc);
}

static int profile_type(sd_bus_message *m, const char *key, const char *want,
			sd_bus_error *error)
{
	const char *contents = NULL;
	char type;
	int r;

	r = sd_bus_message_peek_type(m, &type, &contents);
	if (r < 0)
		return r;
	if (type != SD_BUS_TYPE_VARIANT || !contents || strcmp(contents, want) != 0)
		return tbs_bus_error_set_name(error, TBS_BUS_ERROR_INVALID_ARGUMENT, EINVAL,
					      "Profile key %s must be of type %s, got %s", key,
					      want, contents ? contents : "?");
	return 0;
}

/* Enroll's profile into e. Pure validation: nothing changes. */
static int parse_profile(sd_bus_message *m, TbsEnrollment *e, sd_bus_error *error)
{
	const char *what = NULL;
	int r;

	tbs_enrollment_clear(e);
	e->streams = g_new0(char *, 1);
	r = sd_bus_message_enter_container(m, 'a', "{sv}");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		const char *key;

		r = sd_bus_message_read(m, "s", &key);
		if (r < 0)
			return r;
		if (strcmp(key, "Streams") == 0) {
			r = profile_type(m, key, "as", error);
			if (r < 0)
				return r;
			g_strfreev(e->streams);
			e->streams = NULL;
			r = sd_bus_message_enter_container(m, 'v', "as");
			if (r >= 0)
				r = sd_bus_message_read_strv(m, &e->streams);
			if (r >= 0)
				r = sd_bus_message_exit_container(m);
		} else if (strcmp(key, "Persistent") == 0) {
			int v = 0;
			r = profile_type(m, key, "b", error);
			if (r >= 0)
				r = sd_bus_message_read(m, "v", "b", &v);
			e->persistent = v;
		} else if (strcmp(key, "Owner") == 0 || strcmp(key, "Group") == 0 ||
			   strcmp(key, "Mode") == 0) {
			uint32_t v = 0;
			r = profile_type(m, key, "u", error);
			if (r >= 0)
				r = sd_bus_message_read(m, "v", "u", &v);
			if (r >= 0 && v == TBS_ENROLL_UNSET)
				return tbs_bus_error_set_name(
					error, TBS_BUS_ERROR_INVALID_ARGUMENT, EINVAL,
					"%s 4294967295 is not a valid value; leave the key out "
					"instead",
					key);
			*(key[0] == 'O' ? &e->owner : key[0] == 'G' ? &e->group : &e->mode) = v;
		} else
			return tbs_bus_error_set_name(
				error, TBS_BUS_ERROR_UNKNOWN_OPTION, EINVAL,
				"Unknown profile key %s (known: Streams, Persistent, Owner, "
				"Group, Mode)",
				key);
		if (r < 0)
			return r;
		r = sd_bus_message_exit_container(m);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	r = sd_bus_message_exit_container(m);
	if (r < 0)
		return r;
	if (tbs_enrollment_validate(e, &what) < 0) {
		if (strcmp(what, "Streams") == 0)
			return tbs_bus_error_set_name(
				error, TBS_BUS_ERROR_INVALID_ARGUMENT, EINVAL,
				"Streams must be at most %d distinct names of 1 to %d characters "
				"of A-Z a-z 0-9 _ -, not starting with '-'",
				TBS_ENROLL_STREAMS_MAX, TBS_STREAM_NAME_MAX);
		if (strcmp(what, "Mode") == 0)
			return tbs_bus_error_set_name(error, TBS_BUS_ERROR_INVALID_ARGUMENT,
						      EINVAL,
						      "Mode must be permission bits 0..0777 (no "
						      "set-id or sticky bits), got %#o",
						      e->mode);
		return tbs_bus_error_set_name(error, TBS_BUS_ERROR_INVALID_ARGUMENT, EINVAL,
					      "%s must be a uid or gid below 2147483648", what);
	}
	return 0;
}

static void on_peer_call_authorized(sd_bus_message *m, int r, const sd_bus_error *error,
				    void *userdata)
{
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	PeerCall *pc = userdata;
	const char *verb = verb_names[pc->verb];
	TbsPeer *p;

	if (r == -ECANCELED)
		return;
	if (r < 0) {
		tbs_polkit_reply_error(m, error);
		return;
	}
	/* looked up again: the peer may have gone while polkit was asked */
	p = tbs_manager_find_peer(pc->b->m, pc->id);
	if (!p) {
		tbs_bus_error_set_name(&e, TBS_BUS_ERROR_NO_SUCH_PEER, ENOENT,
				       "Peer %s went away while authorizing", pc->id);
		tbs_polkit_reply_error(m, &e);
		return;
	}
	switch (pc->verb) {
	case VERB_ENROLL:
		r = tbs_manager_enroll_peer(pc->b->m, p, &pc->e);
		break;
	case VERB_REVOKE:
		r = tbs_manager_revoke_peer(pc->b->m, p);
		break;
	case VERB_FORGET:
		r = tbs_manager_forget_peer(pc->b->m, p);
		p = NULL; /* may be freed */
		break;
	}
	if (r < 0) {
		log_peer(LOG_ERR, r, pc->id, "%s of peer %s failed: %m", verb, pc->id);
		tbs_bus_error_set(&e, r, "Cannot save the %s of peer %s: %s", verb, pc->id,
				  strerror(-r));
		tbs_polkit_reply_error(m, &e);
		return;
	}
	log_peer(LOG_INFO, 0, pc->id, "%s of peer %s by %s", verb, pc->id,
		 strna(sd_bus_message_get_sender(m)));
	(void)sd_bus_reply_method_return(m, NULL);
}

static int peer_call(sd_bus_message *m, BusPeer *bp, PeerVerb verb, sd_bus_error *error)
{
	const char *details[5];
	PeerCall *pc;
	int r;

	pc = g_new0(PeerCall, 1);
	pc->b = bp->b;
	pc->verb = verb;
	tbs_enrollment_clear(&pc->e);
	if (verb == VERB_ENROLL) {
		r = parse_profile(m, &pc->e, error);
		if (r < 0) {
			peer_call_free(pc);
			if (sd_bus_error_is_set(error))
				return r;
			return tbs_bus_error_set_name(error, TBS_BUS_ERROR_INVALID_ARGUMENT,
						      EINVAL, "Malformed profile: %s",
						      strerror(-r));
		}
	}
	if (!bp->p->record) {
		peer_call_free(pc);
		return tbs_bus_error_set_name(
			error, TBS_BUS_ERROR_NOT_SUPPORTED, EOPNOTSUPP,
			"Peer %s has no UUID: the daemon cannot remember an enrollment for it",
			bp->p->id);
	}
	pc->id = g_strdup(bp->p->id);
	details[0] = "peer";
	details[1] = pc->id;
	details[2] = "property";
	details[3] = verb_names[verb];
	details[4] = NULL;
	r = tbs_polkit_check(bp->b->polkit, m, TBS_ACTION_MANAGE_PEERS, details,
			     on_peer_call_authorized, pc, peer_call_free);
	if (r < 0)
		return tbs_bus_error_set(error, r, "Cannot check authorization: %s", strerror(-r));
	return 1;
}

static int method_enroll(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	return peer_call(m, userdata, VERB_ENROLL, error);
}

static int method_revoke(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	return peer_call(m, userdata, VERB_REVOKE, error);
}

static int method_forget(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	return peer_call(m, userdata, VERB_FORGET, error);
}

const sd_bus_vtable bus_peer_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Id", "s", get_id, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("UUID", "s", get_uuid, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Name", "s", get_name, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Vendor", "s", get_vendor, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("VendorId", "u", get_vendor_id, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("DeviceId", "u", get_device_id, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_WRITABLE_PROPERTY("Label", "s", get_label, set_refused, 0,
				 SD_BUS_VTABLE_UNPRIVILEGED | SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("DisplayName", "s", get_display_name, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_WRITABLE_PROPERTY("Trusted", "b", get_trusted, set_refused, 0,
				 SD_BUS_VTABLE_UNPRIVILEGED | SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Allowed", "b", get_allowed, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Rule", "s", get_rule, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Enrolled", "b", get_enrolled, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Profile", "a{sv}", get_profile, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("PolicyOverride", "s", get_policy_override, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Connected", "b", get_connected, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Group", "s", get_group, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("MaxHopID", "u", get_max_hopid, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("RxSpeed", "u", get_rx_speed, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("TxSpeed", "u", get_tx_speed, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("RxLanes", "u", get_rx_lanes, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("TxLanes", "u", get_tx_lanes, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("FirstSeen", "t", get_first_seen, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("LastSeen", "t", get_last_seen, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Streams", "ao", get_streams, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_METHOD_WITH_ARGS("Enroll", SD_BUS_ARGS("a{sv}", profile), SD_BUS_NO_RESULT,
				method_enroll, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("Revoke", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_revoke,
				SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("Forget", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_forget,
				SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_VTABLE_END,
};
