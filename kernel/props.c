// SPDX-License-Identifier: GPL-2.0
/*
 * tbstream: XDomain announcements.
 *
 * A local host announces one `stream` service directory, as upstream:
 *
 *   stream/ (UUID 3a1cb984-c4d9-4469-a277-ce2fdfd11f0d)
 *	prtcid = 1, prtcvers = 1, prtcrevs = 0, prtcstns = 0
 *	<name>/ (a random UUID per stream)
 *		inhopid = N, outhopid = M	(only while both are >= 8)
 *
 * The directory is rebuilt from scratch on every change and handed to the
 * fabric, which swaps it in whole: a published directory is never mutated
 * (see nhi.c for why).  Where the thunderbolt core has per-service
 * properties (7.2), the host-wide directory holds the protocol keys alone
 * and each peer's service gets a directory of the streams configured for
 * that peer, so no peer learns the names of another's streams.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/thunderbolt.h>

#include "compat.h"
#include "tbstream.h"

/* 3a1cb984-c4d9-4469-a277-ce2fdfd11f0d */
const uuid_t tbs_service_uuid =
	UUID_INIT(0x3a1cb984, 0xc4d9, 0x4469,
		  0xa2, 0x77, 0xce, 0x2f, 0xdf, 0xd1, 0x1f, 0x0d);
EXPORT_SYMBOL_NS_GPL(tbs_service_uuid, TBS_NS);

/*
 * The service directory's own keys.  A stream of one of these names would be
 * announced beside the value of the same key, and a peer looking it up finds
 * the value first: it could never be configured by name.  "padding" is the
 * text nhi.c may add to keep the property block readable (tbs_nhi_pad()).
 */
static const char *const tbs_props_own_keys[] = {
	"prtcid", "prtcvers", "prtcrevs", "prtcstns", "padding",
};

/**
 * tbs_props_name_reserved() - whether @name collides with the service's keys
 * @name: a stream name
 *
 * Return: %true if no stream may be called @name.
 */
bool tbs_props_name_reserved(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tbs_props_own_keys); i++) {
		if (!strcmp(name, tbs_props_own_keys[i]))
			return true;
	}
	return false;
}

static int tbs_props_add_stream(struct tb_property_dir *dir,
				struct tbs_stream *s)
{
	struct tb_property_dir *sub;
	int ret;

	/* Names are unique per host; never announce one twice. */
	if (tb_property_find(dir, s->name, TB_PROPERTY_TYPE_DIRECTORY)) {
		pr_warn_ratelimited("stream name %s used twice on one host; announcing one\n",
				    s->name);
		return 0;
	}
	sub = tb_property_create_dir(&s->uuid);
	if (!sub)
		return -ENOMEM;
	ret = tb_property_add_immediate(sub, "inhopid", s->in_hopid);
	if (!ret)
		ret = tb_property_add_immediate(sub, "outhopid", s->out_hopid);
	if (!ret)
		ret = tb_property_add_dir(dir, s->name, sub);
	if (ret)
		tb_property_free_dir(sub);
	return ret;
}

/**
 * tbs_props_build() - build a local host's `stream` service directory
 * @fabric: announce the streams attached to any port of this local host,
 *	or %NULL
 * @port: announce only the streams attached to this port (@fabric is then
 *	ignored), or %NULL
 *
 * Only streams whose HopIDs are both reserved are announced.  With neither
 * @fabric nor @port the directory holds the protocol keys alone: what a
 * fabric with per-service announcements (backend.h, publish_port()) puts in
 * its host-wide one.  Call with tbs_lock held.
 *
 * Return: a new directory (the caller owns it) or %NULL without memory.
 */
struct tb_property_dir *tbs_props_build(struct tbs_fabric *fabric,
					struct tbs_port *port)
{
	struct tb_property_dir *dir;
	struct tbs_stream *s;
	struct tbs_group *g;
	int ret;

	lockdep_assert_held(&tbs_lock);
	dir = tb_property_create_dir(&tbs_service_uuid);
	if (!dir)
		return NULL;
	ret = tb_property_add_immediate(dir, "prtcid", TBS_PROTOCOL_ID);
	if (!ret)
		ret = tb_property_add_immediate(dir, "prtcvers",
						TBS_PROTOCOL_VERSION);
	if (!ret)
		ret = tb_property_add_immediate(dir, "prtcrevs",
						TBS_PROTOCOL_REVISION);
	if (!ret)
		ret = tb_property_add_immediate(dir, "prtcstns",
						TBS_PROTOCOL_SETTINGS);
	if (ret)
		goto err;

	list_for_each_entry(g, &tbs_groups, node) {
		if (!g->port || (port ? g->port != port :
				 !fabric || g->port->fabric != fabric))
			continue;
		list_for_each_entry(s, &g->streams, node) {
			mutex_lock(&s->lock);
			ret = 0;
			if (s->in_hopid >= TBS_MIN_HOPID &&
			    s->out_hopid >= TBS_MIN_HOPID)
				ret = tbs_props_add_stream(dir, s);
			mutex_unlock(&s->lock);
			if (ret)
				goto err;
		}
	}
	return dir;

err:
	tb_property_free_dir(dir);
	return NULL;
}

/* The property called @key whatever its type: peers may send anything. */
static struct tb_property *tbs_props_key(struct tb_property_dir *dir,
					 const char *key)
{
	struct tb_property *p;

	tb_property_for_each(dir, p) {
		if (!strncmp(p->key, key, sizeof(p->key)))
			return p;
	}
	return NULL;
}

static int tbs_props_hopid(struct tb_property_dir *dir, const char *key)
{
	struct tb_property *p;

	p = tbs_props_key(dir, key);
	if (!p)
		return -ENOENT;
	if (p->type != TB_PROPERTY_TYPE_VALUE)
		return -EINVAL;
	if (p->value.immediate < TBS_MIN_HOPID ||
	    p->value.immediate > TBS_MAX_HOPID)
		return -EINVAL;
	return p->value.immediate;
}

/**
 * tbs_props_find_stream() - a peer's announcement of stream @name
 * @stream_dir: the peer's `stream` service directory (untrusted)
 * @name: the stream name
 * @inhopid: the peer's input HopID, as announced (not swapped)
 * @outhopid: the peer's output HopID, as announced
 *
 * Accepts only a sub-directory named @name holding two immediate values in
 * [8, 2047]; everything else in the directory is ignored.  The caller holds
 * whatever lock protects @stream_dir (xd->lock for a real peer).
 *
 * Return: 0; -ENOENT if the peer announces no such stream (or lacks a
 * HopID); -EINVAL for a name that cannot be a key, a HopID of the wrong type
 * or out of range.
 */
int tbs_props_find_stream(const struct tb_property_dir *stream_dir,
			  const char *name, int *inhopid, int *outhopid)
{
	struct tb_property_dir *dir = (struct tb_property_dir *)stream_dir;
	struct tb_property *p;
	int in, out;

	if (!dir || !name || !*name || strlen(name) > TBS_NAME_MAX)
		return -EINVAL;
	p = tbs_props_key(dir, name);
	if (!p)
		return -ENOENT;
	if (p->type != TB_PROPERTY_TYPE_DIRECTORY || !p->value.dir)
		return -EINVAL;
	in = tbs_props_hopid(p->value.dir, "inhopid");
	if (in < 0)
		return in;
	out = tbs_props_hopid(p->value.dir, "outhopid");
	if (out < 0)
		return out;
	*inhopid = in;
	*outhopid = out;
	return 0;
}
EXPORT_SYMBOL_NS_GPL(tbs_props_find_stream, TBS_NS);
