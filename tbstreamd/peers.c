/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>

#include "log.h"
#include "manager-private.h"

/* ---- peers and policy ------------------------------------------------------------------- */

GPtrArray *mgr_streams_in_group(TbsManager *m, const char *group)
{
	GPtrArray *a = g_ptr_array_new();
	GHashTableIter it;
	TbsStream *s;

	g_hash_table_iter_init(&it, m->streams);
	while (group && g_hash_table_iter_next(&it, NULL, (gpointer *)&s))
		if (strcmp(s->group, group) == 0)
			g_ptr_array_add(a, s);
	return a;
}

static bool decision_has(const TbsDecision *d, const char *name)
{
	for (unsigned i = 0; i < d->streams->len; i++)
		if (strcmp(((const TbsStreamTemplate *)d->streams->pdata[i])->name, name) == 0)
			return true;
	return false;
}

bool mgr_peer_enrolled(const TbsPeer *p)
{
	return p->record && p->record->enrolled;
}

/*
 * The enrollment's streams join an allowed peer's decision. The administrator's
 * [Stream NAME] section, where there is one, supplies the settings: the policy
 * has the last word. Returns the templates made here (the caller frees them).
 */
static GPtrArray *add_enrollment(TbsManager *m, const TbsPeer *p, TbsDecision *d)
{
	GPtrArray *made = g_ptr_array_new_with_free_func(g_free);
	const TbsEnrollment *e;

	if (!d->allowed || !mgr_peer_enrolled(p))
		return made;
	e = &p->record->enrollment;
	for (unsigned i = 0; e->streams && e->streams[i]; i++) {
		const TbsStreamTemplate *pt = tbs_policy_find_stream(m->policy, e->streams[i]);
		TbsStreamTemplate *t;

		if (decision_has(d, e->streams[i]))
			continue;
		if (pt) {
			g_ptr_array_add(d->streams, (gpointer)pt);
			continue;
		}
		t = g_new0(TbsStreamTemplate, 1);
		g_strlcpy(t->name, e->streams[i], sizeof(t->name));
		t->hopid_mode = TBS_HOPIDS_AUTO;
		t->throttling = -1;
		t->owner = e->owner == TBS_ENROLL_UNSET ? (uid_t)-1 : (uid_t)e->owner;
		t->group = e->group == TBS_ENROLL_UNSET ? (gid_t)-1 : (gid_t)e->group;
		t->mode = e->mode == TBS_ENROLL_UNSET ? (mode_t)-1 : (mode_t)e->mode;
		t->on_unplug = e->persistent ? TBS_UNPLUG_KEEP : TBS_UNPLUG_REMOVE;
		g_ptr_array_add(made, t);
		g_ptr_array_add(d->streams, t);
	}
	return made;
}

void mgr_evaluate_peer(TbsManager *m, TbsPeer *p)
{
	TbsPeerFacts facts = {
		.uuid = p->uuid[0] ? p->uuid : NULL,
		.name = p->name,
		.trusted = p->record && p->record->trusted,
		.enrolled = mgr_peer_enrolled(p),
	};
	TbsDecision d = {0};
	g_autoptr(GPtrArray) current = NULL;
	g_autoptr(GPtrArray) enroll_tmpls = NULL;
	bool was_allowed = p->allowed, same;
	unsigned n_rule_streams;
	g_autofree char *was_override = g_strdup(p->override);

	if (!p->connected || !p->group || m->cfs_state != TBS_CONFIGFS_READY)
		return;

	tbs_policy_decide(m->policy, &facts, &d);
	/* add_enrollment appends: the first n_rule_streams are the rules' own */
	n_rule_streams = d.streams->len;
	enroll_tmpls = add_enrollment(m, p, &d);
	/* every announcement change re-evaluates: say it once per connection and change */
	same = p->decided && was_allowed == d.allowed && g_strcmp0(p->rule, d.rule) == 0;
	p->decided = true;
	p->allowed = d.allowed;
	g_free(p->rule);
	p->rule = g_strdup(d.rule);
	/* only a denying rule can override: tbs_policy_decide names the rule that denied */
	g_free(p->override);
	p->override = facts.enrolled && !d.allowed && d.rule ? g_strdup(d.rule) : NULL;
	if (d.allowed)
		log_peer(same ? LOG_DEBUG : LOG_INFO, 0, p->id,
			 "Peer %s allowed by [Peer %s]: %u stream(s)%s", tbs_peer_display_name(p),
			 d.rule, d.streams->len,
			 facts.enrolled && n_rule_streams ? " (policy and enrollment)"
			 : facts.enrolled		  ? " (enrollment)"
							  : "");
	else if (p->override)
		log_peer(same ? LOG_DEBUG : LOG_NOTICE, 0, p->id,
			 "Peer %s is enrolled but denied by [Peer %s]: the policy overrides the "
			 "enrollment",
			 tbs_peer_display_name(p), d.rule);
	else if (d.rule)
		log_peer(same ? LOG_DEBUG : LOG_NOTICE, 0, p->id, "Peer %s denied by [Peer %s]",
			 tbs_peer_display_name(p), d.rule);
	else
		log_peer(same ? LOG_DEBUG : LOG_INFO, 0, p->id,
			 "Peer %s: no policy rule allows it, no streams", tbs_peer_display_name(p));
	if (was_allowed != p->allowed || g_strcmp0(was_override, p->override) != 0)
		mgr_notify_peer(m, p, TBS_CHANGED);

	current = mgr_streams_in_group(m, p->group);
	for (unsigned i = 0; i < current->len; i++) {
		TbsStream *s = current->pdata[i];

		if (s->owned && s->peer_id && strcmp(s->peer_id, p->id) != 0)
			/* kept for another peer that used this port: not for this one */
			(void)mgr_stream_remove(m, s, false, "kept for a different peer", NULL,
						NULL);
		else if (s->owned && s->origin == TBS_ORIGIN_POLICY && !decision_has(&d, s->name))
			(void)mgr_stream_remove(m, s, false,
						s->enrollment ? "no longer enrolled"
							      : "no longer in the policy",
						NULL, NULL);
		else if (s->state == TBS_STREAM_DETACHED || s->state == TBS_STREAM_FAILED) {
			if (s->owned && !s->peer_id)
				s->peer_id = g_strdup(p->id);
			mgr_stream_refresh(s);
		}
	}

	mgr_streams_intend(m, p, d.streams);
	for (unsigned i = 0; i < d.streams->len; i++) {
		const TbsStreamTemplate *t = d.streams->pdata[i];
		TbsStream *s = tbs_manager_find_stream(m, p->group, t->name);
		/* a rule's stream is the policy's; one only the enrollment lists is the user's */
		bool from_enrollment = i >= n_rule_streams;
		int r;

		if (s && s->removal) {
			/* the directory is still there: make it again once it is gone */
			mgr_stream_removal_wanted(s);
			continue;
		}
		if (s) {
			/* the policy may have changed the unplug action or permissions */
			if (s->owned) {
				s->tmpl = *t;
				s->has_template = true;
			}
			if (s->owned && s->origin == TBS_ORIGIN_POLICY) {
				if (s->enrollment != from_enrollment) {
					s->enrollment = from_enrollment;
					mgr_notify_stream(m, s, TBS_CHANGED);
				}
			}
			continue;
		}
		s = mgr_stream_create(m, p, t, TBS_ORIGIN_POLICY, &r);
		if (s && s->enrollment != from_enrollment) {
			s->enrollment = from_enrollment;
			mgr_notify_stream(m, s, TBS_CHANGED);
		}
	}
	mgr_streams_intend_end(m);
	tbs_decision_clear(&d);
	mgr_update_status(m);
}

/*
 * The unplug action of a stream: its template once a decision gave it one;
 * after a restart, before any decision, the policy's [Stream] section or the
 * enrollment of the peer it was made for, as mgr_evaluate_peer would choose.
 */
static TbsUnplugAction unplug_action(TbsManager *m, const TbsStream *s)
{
	const TbsStreamTemplate *t;
	TbsPeer *p;

	if (s->has_template)
		return s->tmpl.on_unplug;
	t = tbs_policy_find_stream(m->policy, s->name);
	if (t)
		return t->on_unplug;
	p = s->peer_id ? g_hash_table_lookup(m->peers, s->peer_id) : NULL;
	if (p && mgr_peer_enrolled(p) && p->record->enrollment.streams &&
	    g_strv_contains((const char *const *)p->record->enrollment.streams, s->name))
		return p->record->enrollment.persistent ? TBS_UNPLUG_KEEP : TBS_UNPLUG_REMOVE;
	/* nothing says: keeping is what can be undone */
	return TBS_UNPLUG_KEEP;
}

static void unplug_streams(TbsManager *m, const char *group, const char *why)
{
	g_autoptr(GPtrArray) current = mgr_streams_in_group(m, group);

	for (unsigned i = 0; i < current->len; i++) {
		TbsStream *s = current->pdata[i];

		mgr_attr_wait_stop(s);
		if (s->owned && s->origin != TBS_ORIGIN_REQUEST &&
		    unplug_action(m, s) == TBS_UNPLUG_REMOVE &&
		    mgr_stream_remove(m, s, false, why, NULL, NULL) == 0)
			continue;
		mgr_stream_set_state(s, TBS_STREAM_DETACHED);
	}
}

TbsPeer *mgr_group_peer(TbsManager *m, const char *group)
{
	GHashTableIter it;
	TbsPeer *p;

	g_hash_table_iter_init(&it, m->peers);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&p))
		if (p->connected && p->group && strcmp(p->group, group) == 0)
			return p;
	return NULL;
}

static bool group_has_peer(TbsManager *m, const char *group)
{
	return mgr_group_peer(m, group);
}

/*
 * A restart (or a module that came late) finds items whose peer left while
 * nobody watched: no remove event will come for them, so they get now what
 * an unplug would have given them. Called once udev's first enumeration has
 * announced every peer that is here.
 */
void mgr_reconcile_unplugged(TbsManager *m)
{
	g_autoptr(GHashTable) groups = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	GHashTableIter it;
	const char *group;
	TbsStream *s;

	g_hash_table_iter_init(&it, m->streams);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&s))
		if (s->state != TBS_STREAM_DETACHED && !group_has_peer(m, s->group))
			g_hash_table_add(groups, g_strdup(s->group));
	g_hash_table_iter_init(&it, groups);
	while (g_hash_table_iter_next(&it, (gpointer *)&group, NULL)) {
		log_info("No peer at %s: its streams get the unplug treatment", group);
		unplug_streams(m, group, "peer left while tbstreamd was not running");
	}

	/* a group of ours left empty by a daemon killed between its two rmdirs */
	g_autoptr(GPtrArray) empty = g_ptr_array_new_with_free_func(g_free);
	const char *key;

	g_hash_table_iter_init(&it, m->owned);
	while (g_hash_table_iter_next(&it, (gpointer *)&key, NULL))
		if (!strchr(key, '/') && !group_has_peer(m, key))
			g_ptr_array_add(empty, g_strdup(key));
	for (unsigned i = 0; i < empty->len; i++)
		mgr_group_remove_if_unused(m, empty->pdata[i]);
}

static TbsPeer *find_by_syspath(TbsManager *m, const char *syspath, bool service)
{
	GHashTableIter it;
	TbsPeer *p;

	g_hash_table_iter_init(&it, m->peers);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&p)) {
		const char *sp = service ? p->service_syspath : p->syspath;
		if (p->connected && sp && strcmp(sp, syspath) == 0)
			return p;
	}
	return NULL;
}

static bool str_update(char **field, const char *value)
{
	if (g_strcmp0(*field, value) == 0)
		return false;
	g_free(*field);
	*field = g_strdup(value);
	return true;
}

/*
 * IdentifyByName=: some controllers make up a new UUID every boot. When allowed,
 * an unknown UUID whose hostname matches a known, unplugged peer takes over that
 * peer's record (label, first seen). Never a trusted or enrolled one: the name
 * is whatever the peer announces, so taking that record over would either hand
 * its trust to any peer that claims the name or strip it from the real one. A
 * policy that trusts a name says so with MatchName=.
 */
static TbsPeerRecord *identify(TbsManager *m, const TbsXdomainInfo *x)
{
	TbsPeerRecord *rec = tbs_store_lookup(m->store, x->uuid);
	TbsPeer *old;

	if (rec || !m->policy->identify_by_name)
		return rec;
	rec = tbs_store_lookup_by_name(m->store, x->name);
	if (!rec)
		return NULL;
	old = g_hash_table_lookup(m->peers, rec->uuid);
	if (old && old->connected)
		return NULL;
	if (rec->trusted || rec->enrolled) {
		log_peer(LOG_NOTICE, 0, x->uuid,
			 "Peer %s has the host name of %s peer %s, but a name proves nothing: "
			 "it is a new peer, and %s keeps its record",
			 x->name, rec->trusted ? "trusted" : "enrolled", rec->uuid, rec->uuid);
		return NULL;
	}
	log_peer(LOG_NOTICE, 0, x->uuid, "Peer %s changed its UUID from %s, identified by name",
		 x->name, rec->uuid);
	if (old) {
		mgr_notify_peer(m, old, TBS_REMOVED);
		g_hash_table_remove(m->peers, old->id);
	}
	if (tbs_store_rename(m->store, rec, x->uuid) < 0)
		return tbs_store_lookup(m->store, x->uuid);
	return rec;
}

static void peer_disconnect(TbsManager *m, TbsPeer *p);

/*
 * A peer chooses its UUID: one that makes up a new one every plug must not grow
 * the store without bound. Before a new record, the longest unseen records that
 * nobody trusted or enrolled and whose peer is not here expire.
 */
static void store_make_room(TbsManager *m)
{
	GHashTable *records = tbs_store_records(m->store);

	while (g_hash_table_size(records) >= m->store_peers_max) {
		TbsPeerRecord *r, *oldest = NULL;
		GHashTableIter it;
		TbsPeer *p;

		g_hash_table_iter_init(&it, records);
		while (g_hash_table_iter_next(&it, NULL, (gpointer *)&r)) {
			p = g_hash_table_lookup(m->peers, r->uuid);
			/* an approval (trust, or the panel's Allow) is worth more than room */
			if (r->trusted || r->enrolled || (p && p->connected))
				continue;
			if (!oldest || r->last_seen < oldest->last_seen)
				oldest = r;
		}
		if (!oldest) {
			log_warning("%u known peers, all approved or connected: the store grows",
				    g_hash_table_size(records));
			return;
		}
		g_autofree char *uuid = g_strdup(oldest->uuid);
		log_peer(LOG_NOTICE, 0, uuid, "Forgetting peer %s (%s), the longest unseen of %u",
			 uuid, oldest->name ? oldest->name : "no name", m->store_peers_max);
		p = g_hash_table_lookup(m->peers, uuid);
		if (p) {
			mgr_notify_peer(m, p, TBS_REMOVED);
			g_hash_table_remove(m->peers, uuid);
		}
		g_hash_table_remove(m->dirty_records, uuid);
		(void)tbs_store_forget(m->store, uuid);
	}
}

static void on_xdomain(void *userdata, const TbsXdomainInfo *x, bool change)
{
	TbsManager *m = userdata;
	g_autofree char *id = NULL;
	bool added = false, changed = false, connected_now;
	g_autofree char *moved_group = NULL, *moved_service = NULL;
	TbsPeer *p;

	if (x->uuid[0])
		id = g_strdup(x->uuid);
	else {
		id = g_strdup_printf("sysname:%s", x->sysname);
		log_peer(LOG_WARNING, 0, NULL,
			 "XDomain %s has no valid unique_id; it can only match by name",
			 x->sysname);
	}

	/* the same device may show up under a new identity (change event): drop the old one */
	p = find_by_syspath(m, x->syspath, false);
	if (p && strcmp(p->id, id) != 0) {
		/* its stream service stays with the device: no new service event will come */
		if (p->group)
			unplug_streams(m, p->group, "peer unplugged");
		moved_group = g_steal_pointer(&p->group);
		moved_service = g_steal_pointer(&p->service_syspath);
		peer_disconnect(m, p);
		p = NULL;
	}

	if (x->uuid[0])
		(void)identify(m, x);
	p = g_hash_table_lookup(m->peers, id);
	if (!p) {
		unsigned n = 0;
		GHashTableIter it;
		TbsPeer *q;
		g_hash_table_iter_init(&it, m->peers);
		while (g_hash_table_iter_next(&it, NULL, (gpointer *)&q))
			n += q->connected;
		if (n >= PEERS_CONNECTED_MAX) {
			log_peer(LOG_ERR, 0, id, "More than %d peers connected, ignoring %s",
				 PEERS_CONNECTED_MAX, x->sysname);
			return;
		}
		p = tbs_peer_new(id);
		if (x->uuid[0])
			g_strlcpy(p->uuid, x->uuid, sizeof(p->uuid));
		g_hash_table_insert(m->peers, p->id, p);
		added = true;
	}
	connected_now = !p->connected;
	p->connected = true;
	if (moved_group && !p->group) {
		p->group = g_steal_pointer(&moved_group);
		p->service_syspath = g_steal_pointer(&moved_service);
		changed = true;
	}
	changed |= str_update(&p->syspath, x->syspath);
	changed |= str_update(&p->sysname, x->sysname);
	changed |= str_update(&p->name, x->name);
	changed |= str_update(&p->vendor_name, x->vendor_name);
	if (p->vendor != x->vendor || p->device != x->device || p->maxhopid != x->maxhopid ||
	    p->rx_speed != x->rx_speed || p->tx_speed != x->tx_speed ||
	    p->rx_lanes != x->rx_lanes || p->tx_lanes != x->tx_lanes) {
		p->vendor = x->vendor;
		p->device = x->device;
		p->maxhopid = x->maxhopid;
		p->rx_speed = x->rx_speed;
		p->tx_speed = x->tx_speed;
		p->rx_lanes = x->rx_lanes;
		p->tx_lanes = x->tx_lanes;
		changed = true;
	}

	if (p->uuid[0]) {
		TbsPeerRecord *rec;

		if (!tbs_store_lookup(m->store, p->uuid))
			store_make_room(m);
		rec = tbs_store_ensure(m->store, p->uuid);
		uint64_t now = tbs_now(CLOCK_REALTIME);
		if (rec) {
			p->record = rec;
			if (!rec->first_seen)
				rec->first_seen = now;
			if (connected_now || changed) {
				rec->last_seen = now;
				free(rec->name);
				rec->name = strdup(p->name);
				free(rec->vendor);
				rec->vendor = strdup(p->vendor_name);
				mgr_record_save(m, rec);
			}
		}
	}

	if (connected_now)
		log_peer(LOG_INFO, 0, p->id, "Peer %s (%s) connected at %s",
			 tbs_peer_display_name(p), p->vendor_name, p->sysname);
	if (added)
		mgr_notify_peer(m, p, TBS_ADDED);
	else if (changed || connected_now)
		mgr_notify_peer(m, p, TBS_CHANGED);
	if (change || connected_now)
		mgr_evaluate_peer(m, p);
	mgr_update_status(m);
}

static void peer_disconnect(TbsManager *m, TbsPeer *p)
{
	if (p->group)
		unplug_streams(m, p->group, "peer unplugged");
	p->connected = false;
	p->decided = false;
	g_clear_pointer(&p->syspath, g_free);
	g_clear_pointer(&p->service_syspath, g_free);
	g_clear_pointer(&p->group, g_free);
	if (p->record) {
		p->record->last_seen = tbs_now(CLOCK_REALTIME);
		mgr_record_save(m, p->record);
	}
	log_peer(LOG_INFO, 0, p->id, "Peer %s disconnected", tbs_peer_display_name(p));
	if (!p->record) {
		/* nothing to remember a peer without a UUID by */
		mgr_notify_peer(m, p, TBS_REMOVED);
		g_hash_table_remove(m->peers, p->id);
	} else
		mgr_notify_peer(m, p, TBS_CHANGED);
	mgr_update_status(m);
}

static void on_xdomain_removed(void *userdata, const char *syspath)
{
	TbsManager *m = userdata;
	TbsPeer *p = find_by_syspath(m, syspath, false);

	if (p)
		peer_disconnect(m, p);
}

static int on_service(void *userdata, const TbsServiceInfo *s)
{
	TbsManager *m = userdata;
	TbsPeer *p = find_by_syspath(m, s->parent_syspath, false);

	if (!p)
		return -ENOENT;
	if (p->group && strcmp(p->group, s->sysname) != 0) {
		/* only one stream service per peer makes sense; the newest wins */
		unplug_streams(m, p->group, "peer unplugged");
	}
	bool group_changed = str_update(&p->group, s->sysname);
	bool path_changed = str_update(&p->service_syspath, s->syspath);

	if (group_changed || path_changed)
		mgr_notify_peer(m, p, TBS_CHANGED);
	mgr_evaluate_peer(m, p);
	return 0;
}

static void on_service_removed(void *userdata, const char *syspath)
{
	TbsManager *m = userdata;
	TbsPeer *p = find_by_syspath(m, syspath, true);

	if (!p)
		return;
	unplug_streams(m, p->group, "peer unplugged");
	g_clear_pointer(&p->service_syspath, g_free);
	g_clear_pointer(&p->group, g_free);
	mgr_notify_peer(m, p, TBS_CHANGED);
	mgr_update_status(m);
}

static void on_module(void *userdata, const char *name)
{
	TbsManager *m = userdata;

	/* also when ready: an rmmod and modprobe between two looks leave a new directory */
	log_debug("Module %s loaded, probing ConfigFS again", name);
	mgr_probe_configfs(m);
}

/* ---- enrollment ------------------------------------------------------------------------- */

/*
 * While the daemon runs, a peer with a record keeps its object after unplug
 * (peer_disconnect); an idle exit and re-activation must not make the known
 * ones vanish, so every stored record gets its object back, disconnected, and
 * a plug finds it by UUID in on_xdomain. Records are bounded by the store
 * (store_make_room): the objects with them.
 */
void mgr_add_known_peers(TbsManager *m)
{
	GHashTableIter it;
	TbsPeerRecord *rec;

	g_hash_table_iter_init(&it, tbs_store_records(m->store));
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&rec)) {
		TbsPeer *p;

		if (g_hash_table_contains(m->peers, rec->uuid))
			continue;
		p = tbs_peer_new(rec->uuid);
		g_strlcpy(p->uuid, rec->uuid, sizeof(p->uuid));
		/* what it announced last: the list names it before it plugs in */
		p->name = g_strdup(rec->name);
		p->vendor_name = g_strdup(rec->vendor);
		p->record = rec;
		g_hash_table_insert(m->peers, p->id, p);
		mgr_notify_peer(m, p, TBS_ADDED);
	}
}

/*
 * A disconnected peer is not evaluated, so its kept (detached) enrollment
 * streams are removed here; a connected one is evaluated again instead.
 */
static void drop_enrollment_streams(TbsManager *m, TbsPeer *p, char **names)
{
	g_autoptr(GPtrArray) gone = g_ptr_array_new();
	GHashTableIter it;
	TbsStream *s;

	if (p->connected) {
		mgr_evaluate_peer(m, p);
		return;
	}
	g_hash_table_iter_init(&it, m->streams);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&s))
		if (s->owned && s->origin == TBS_ORIGIN_POLICY && s->peer_id &&
		    strcmp(s->peer_id, p->id) == 0 && names &&
		    g_strv_contains((const char *const *)names, s->name))
			g_ptr_array_add(gone, s);
	for (unsigned i = 0; i < gone->len; i++)
		(void)mgr_stream_remove(m, gone->pdata[i], false, "no longer enrolled", NULL, NULL);
}

int tbs_manager_enroll_peer(TbsManager *m, TbsPeer *p, const TbsEnrollment *e)
{
	TbsPeerRecord *rec = p->record;
	TbsEnrollment old = {0};
	bool was_enrolled, was_trusted;
	int r;

	if (!rec)
		return -EOPNOTSUPP;
	was_enrolled = rec->enrolled;
	was_trusted = rec->trusted;
	old = rec->enrollment;
	rec->enrollment = (TbsEnrollment){0};
	tbs_enrollment_copy(&rec->enrollment, e);
	rec->enrolled = true;
	rec->trusted = true;
	/* written before the reply: an answered enrollment survives a crash */
	r = tbs_store_save(m->store, rec);
	if (r < 0) {
		tbs_enrollment_clear(&rec->enrollment);
		rec->enrollment = old;
		rec->enrolled = was_enrolled;
		rec->trusted = was_trusted;
		return r;
	}
	g_hash_table_remove(m->dirty_records, rec->uuid);
	log_peer(LOG_INFO, 0, p->id, "Peer %s enrolled: %u stream(s)%s", tbs_peer_display_name(p),
		 g_strv_length(rec->enrollment.streams),
		 rec->enrollment.persistent ? ", kept on unplug" : "");
	mgr_notify_peer(m, p, TBS_CHANGED);
	if (p->connected)
		mgr_evaluate_peer(m, p);
	else if (was_enrolled && old.streams) {
		/* names the new profile drops: their kept streams go now */
		g_auto(GStrv) dropped = NULL;
		GPtrArray *d = g_ptr_array_new();
		for (unsigned i = 0; old.streams[i]; i++)
			if (!g_strv_contains((const char *const *)rec->enrollment.streams,
					     old.streams[i]))
				g_ptr_array_add(d, g_strdup(old.streams[i]));
		g_ptr_array_add(d, NULL);
		dropped = (char **)g_ptr_array_free(d, false);
		drop_enrollment_streams(m, p, dropped);
	}
	tbs_enrollment_clear(&old);
	return 0;
}

int tbs_manager_revoke_peer(TbsManager *m, TbsPeer *p)
{
	TbsPeerRecord *rec = p->record;
	TbsEnrollment old;
	bool was_trusted;
	int r;

	if (!rec)
		return -EOPNOTSUPP;
	if (!rec->enrolled)
		return 0;
	old = rec->enrollment;
	was_trusted = rec->trusted;
	rec->enrollment = (TbsEnrollment){0};
	tbs_enrollment_clear(&rec->enrollment);
	rec->enrolled = false;
	rec->trusted = false;
	r = tbs_store_save(m->store, rec);
	if (r < 0) {
		rec->enrollment = old;
		rec->enrolled = true;
		rec->trusted = was_trusted;
		return r;
	}
	g_hash_table_remove(m->dirty_records, rec->uuid);
	log_peer(LOG_INFO, 0, p->id, "Enrollment of peer %s revoked", tbs_peer_display_name(p));
	mgr_notify_peer(m, p, TBS_CHANGED);
	drop_enrollment_streams(m, p, old.streams);
	tbs_enrollment_clear(&old);
	return 0;
}

int tbs_manager_forget_peer(TbsManager *m, TbsPeer *p)
{
	g_autofree char *uuid = NULL;
	TbsPeerRecord *rec;
	int r;

	if (!p->record)
		return -EOPNOTSUPP;
	r = tbs_manager_revoke_peer(m, p);
	if (r < 0)
		return r;
	uuid = g_strdup(p->uuid);
	g_hash_table_remove(m->dirty_records, uuid);
	r = tbs_store_forget(m->store, uuid);
	/* the in-memory record is gone even if the file could not be removed */
	p->record = NULL;
	log_peer(LOG_INFO, 0, p->id, "Peer %s forgotten", tbs_peer_display_name(p));
	if (!p->connected) {
		mgr_notify_peer(m, p, TBS_REMOVED);
		g_hash_table_remove(m->peers, p->id);
		mgr_update_status(m);
		return r < 0 ? r : 1;
	}
	rec = tbs_store_ensure(m->store, uuid);
	if (rec) {
		uint64_t now = tbs_now(CLOCK_REALTIME);
		rec->first_seen = rec->last_seen = now;
		rec->name = g_strdup(p->name);
		rec->vendor = g_strdup(p->vendor_name);
		p->record = rec;
		mgr_record_save(m, rec);
	}
	mgr_notify_peer(m, p, TBS_CHANGED);
	return r < 0 ? r : 0;
}

const TbsUdevHandler mgr_udev_handler = {
	.xdomain_added = on_xdomain,
	.xdomain_removed = on_xdomain_removed,
	.service_added = on_service,
	.service_removed = on_service_removed,
	.module_added = on_module,
	.domain_added = mgr_domain_added,
	.domain_removed = mgr_domain_removed,
	.node_processed = mgr_node_processed,
};
