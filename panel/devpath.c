/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include <glib.h>

#include "devpath.h"

/* tbstream-devname's clean(): head -c 64 | tr -c 'A-Za-z0-9._-' '_' */
static char *clean(const char *s)
{
	gsize n = s ? MIN(strlen(s), 64) : 0;
	char *out = g_strndup(s ? s : "", n);

	for (char *c = out; *c; c++)
		if (!g_ascii_isalnum(*c) && *c != '.' && *c != '_' && *c != '-')
			*c = '_';
	if (!*out || g_str_equal(out, ".") || g_str_equal(out, "..")) {
		g_free(out);
		return NULL;
	}
	if (out[0] == '-')
		out[0] = '_';
	return out;
}

static gboolean is_uuid(const char *s)
{
	if (!s || !*s)
		return FALSE;
	for (; *s; s++)
		if (!g_ascii_isxdigit(*s) && *s != '-')
			return FALSE;
	return TRUE;
}

char *tbs_stream_dev_path(const char *peer_name, const char *peer_uuid, const char *stream)
{
	g_autofree char *name = clean(peer_name), *sname = clean(stream);

	if (!sname)
		return NULL;
	if (name)
		return g_strdup_printf("/dev/tbstream/by-name/%s/%s", name, sname);
	if (is_uuid(peer_uuid))
		return g_strdup_printf("/dev/tbstream/by-uuid/%s/%s", peer_uuid, sname);
	return NULL;
}
