/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

#define TBS_ERROR_PREFIX "io.github.tbstream1.Error."

/*
 * What the panel tells a person when a call fails: translated text chosen by
 * the error's stable name, never the daemon's English message (which goes to
 * the log for whoever reads it). action says what was being done, already
 * translated ("Could not rename the computer").
 */
char *tbs_error_describe(const char *action, const GError *error);
/* The sentence for one tbstream error code ("NoSuchPeer"...), or NULL if unknown. */
const char *tbs_error_code_text(const char *code);
