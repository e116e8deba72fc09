/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/*
 * The stable device path udev gives a stream (systemd/60-tbstream.rules with
 * tbstream-devname): /dev/tbstream/by-name/<peer host name>/<stream>, the
 * host name cleaned the same way (only [A-Za-z0-9._-], others "_", at most 64
 * bytes, never "." or "..", no leading "-"). Falls back to by-uuid when the
 * name cleans to nothing, and NULL when neither is usable. Free the result.
 */
char *tbs_stream_dev_path(const char *peer_name, const char *peer_uuid, const char *stream);
