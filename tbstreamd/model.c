/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "model.h"

const char *tbs_stream_state_to_string(TbsStreamState s)
{
	static const char *const names[] = {
		[TBS_STREAM_CONFIGURING] = "configuring",
		[TBS_STREAM_WAITING_DEVICE] = "waiting-device",
		[TBS_STREAM_READY] = "ready",
		[TBS_STREAM_DETACHED] = "detached",
		[TBS_STREAM_FAILED] = "failed",
	};
	return (unsigned)s < ELEMENTSOF(names) ? names[s] : "unknown";
}

const char *tbs_stream_origin_to_string(TbsStreamOrigin o)
{
	static const char *const names[] = {
		[TBS_ORIGIN_POLICY] = "policy",
		[TBS_ORIGIN_REQUEST] = "request",
		[TBS_ORIGIN_ADOPTED] = "adopted",
	};
	return (unsigned)o < ELEMENTSOF(names) ? names[o] : "unknown";
}

const char *tbs_peer_display_name(const TbsPeer *p)
{
	if (p->record && p->record->label && *p->record->label)
		return p->record->label;
	if (p->name && *p->name)
		return p->name;
	return p->id;
}

TbsPeer *tbs_peer_new(const char *id)
{
	TbsPeer *p = g_new0(TbsPeer, 1);

	p->id = g_strdup(id);
	return p;
}

void tbs_peer_free(TbsPeer *p)
{
	if (!p)
		return;
	g_free(p->id);
	g_free(p->syspath);
	g_free(p->sysname);
	g_free(p->name);
	g_free(p->vendor_name);
	g_free(p->service_syspath);
	g_free(p->group);
	g_free(p->rule);
	g_free(p->override);
	g_free(p);
}

TbsStream *tbs_stream_new(TbsManager *m, const char *stream_dir, const char *group,
			  const char *name)
{
	TbsStream *s = g_new0(TbsStream, 1);

	s->manager = m;
	s->group = g_strdup(group);
	g_strlcpy(s->name, name, sizeof(s->name));
	s->key = g_strdup_printf("%s/%s", group, name);
	s->dir = g_build_filename(stream_dir, group, name, NULL);
	s->index = -1;
	s->info.index = -1;
	s->info.in_hopid = s->info.out_hopid = -1;
	return s;
}

void tbs_stream_free(TbsStream *s)
{
	if (!s)
		return;
	sd_event_source_disable_unref(s->attr_watch);
	sd_event_source_disable_unref(s->attr_timeout);
	sd_event_source_disable_unref(s->udev_timeout);
	g_free(s->key);
	g_free(s->group);
	g_free(s->dir);
	g_free(s->peer_id);
	g_free(s->devnode);
	g_free(s);
}
