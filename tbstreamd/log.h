/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdarg.h>
#include <syslog.h>

/*
 * Small logging helpers in the systemd style: every helper returns -abs(error)
 * so callers can write "return log_error_errno(r, ...)", "%m" prints the passed
 * error, and peer/stream context goes to the journal as structured fields
 * (TBSTREAM_PEER=, TBSTREAM_STREAM=) instead of being lost in the message.
 */

typedef enum TbsLogTarget {
	TBS_LOG_TARGET_AUTO, /* journal when stderr is connected to it, else stderr */
	TBS_LOG_TARGET_JOURNAL,
	TBS_LOG_TARGET_STDERR,
	TBS_LOG_TARGET_NULL,
} TbsLogTarget;

void tbs_log_set_max_level(int level);
int tbs_log_get_max_level(void);
void tbs_log_set_target(TbsLogTarget target);
TbsLogTarget tbs_log_get_target(void);
/* Names as systemd spells them ("err", "debug"; "console" for stderr), for LogControl1 too. */
int tbs_log_parse_level(const char *s);
const char *tbs_log_level_to_string(int level);
int tbs_log_parse_target(const char *s);
const char *tbs_log_target_to_string(TbsLogTarget target);

int tbs_log_internal(int level, int error, const char *peer, const char *stream, const char *file,
		     int line, const char *func, const char *format, ...)
	__attribute__((format(printf, 8, 9)));

#define tbs_log_full(level, error, peer, stream, ...)                                              \
	({                                                                                         \
		int _l = (level);                                                                  \
		int _e = (error);                                                                  \
		_l <= tbs_log_get_max_level() ? tbs_log_internal(_l, _e, peer, stream, __FILE__,   \
								 __LINE__, __func__, __VA_ARGS__)  \
					      : -((_e) < 0 ? -(_e) : (_e));                        \
	})

#define log_debug(...) tbs_log_full(LOG_DEBUG, 0, NULL, NULL, __VA_ARGS__)
#define log_info(...) tbs_log_full(LOG_INFO, 0, NULL, NULL, __VA_ARGS__)
#define log_notice(...) tbs_log_full(LOG_NOTICE, 0, NULL, NULL, __VA_ARGS__)
#define log_warning(...) tbs_log_full(LOG_WARNING, 0, NULL, NULL, __VA_ARGS__)
#define log_error(...) tbs_log_full(LOG_ERR, 0, NULL, NULL, __VA_ARGS__)
#define log_debug_errno(e, ...) tbs_log_full(LOG_DEBUG, e, NULL, NULL, __VA_ARGS__)
#define log_warning_errno(e, ...) tbs_log_full(LOG_WARNING, e, NULL, NULL, __VA_ARGS__)
#define log_error_errno(e, ...) tbs_log_full(LOG_ERR, e, NULL, NULL, __VA_ARGS__)

/* Context-carrying variants: peer is the UUID (may be NULL), stream the stream name. */
#define log_peer(level, e, peer, ...) tbs_log_full(level, e, peer, NULL, __VA_ARGS__)
#define log_stream(level, e, peer, stream, ...) tbs_log_full(level, e, peer, stream, __VA_ARGS__)
