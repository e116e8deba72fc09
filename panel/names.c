/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "names.h"

#define MAX_PROFILE_STREAMS 16

gboolean tbs_stream_name_is_valid(const char *name)
{
	static const char *const reserved[] = {"prtcid", "prtcvers", "prtcrevs", "prtcstns"};
	size_t n = name ? strlen(name) : 0;

	if (n < 1 || n > 8 || name[0] == '-')
		return FALSE;
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_isalnum(name[i]) && name[i] != '_' && name[i] != '-')
			return FALSE;
	for (size_t i = 0; i < G_N_ELEMENTS(reserved); i++)
		if (g_str_equal(name, reserved[i]))
			return FALSE;
	return TRUE;
}

char **tbs_parse_stream_names(const char *text, char **bad)
{
	g_auto(GStrv) parts = g_strsplit_set(text ? text : "", ", \t", -1);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);

	for (char **p = parts; *p; p++) {
		if (!**p)
			continue;
		if (!tbs_stream_name_is_valid(*p) || names->len >= MAX_PROFILE_STREAMS) {
			if (bad)
				*bad = g_strdup(*p);
			return NULL;
		}
		if (!g_ptr_array_find_with_equal_func(names, *p, g_str_equal, NULL))
			g_ptr_array_add(names, g_strdup(*p));
	}
	g_ptr_array_add(names, NULL);
	return (char **)g_ptr_array_free(g_steal_pointer(&names), FALSE);
}
