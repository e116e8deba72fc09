/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

/* The daemon's rule for stream names (docs/dbus-api.md, RequestStream). */
gboolean tbs_stream_name_is_valid(const char *name);
/*
 * "a, b c" -> {"a", "b", "c"}: names split at commas and spaces, empty ones
 * and repeats dropped. NULL (and *bad set to the first offender) if one is
 * not a valid stream name or there are more than 16 (Peer.Enroll's limit).
 */
char **tbs_parse_stream_names(const char *text, char **bad);
