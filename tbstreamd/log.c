/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "log.h"

static int max_level = LOG_INFO;
static TbsLogTarget target = TBS_LOG_TARGET_AUTO;
static int resolved = -1; /* resolved target for AUTO, computed once */

void tbs_log_set_max_level(int level)
{
	max_level = level;
}

int tbs_log_get_max_level(void)
{
	return max_level;
}

void tbs_log_set_target(TbsLogTarget t)
{
	target = t;
	resolved = -1;
}

TbsLogTarget tbs_log_get_target(void)
{
	return target;
}

static const char *const level_names[] = {"emerg",   "alert",  "crit", "err",
					  "warning", "notice", "info", "debug"};

int tbs_log_parse_level(const char *s)
{
	for (int i = 0; i < 8; i++)
		if (strcmp(s, level_names[i]) == 0)
			return i;
	if (strcmp(s, "error") == 0)
		return LOG_ERR;
	if (s[0] >= '0' && s[0] <= '7' && s[1] == '\0')
		return s[0] - '0';
	return -EINVAL;
}

const char *tbs_log_level_to_string(int level)
{
	return level >= 0 && level < 8 ? level_names[level] : NULL;
}

static const char *const target_names[] = {
	[TBS_LOG_TARGET_AUTO] = "auto",
	[TBS_LOG_TARGET_JOURNAL] = "journal",
	[TBS_LOG_TARGET_STDERR] = "console",
	[TBS_LOG_TARGET_NULL] = "null",
};

int tbs_log_parse_target(const char *s)
{
	for (size_t i = 0; i < sizeof(target_names) / sizeof(target_names[0]); i++)
		if (strcmp(s, target_names[i]) == 0)
			return (int)i;
	/* our command line said "stderr" before LogControl1 taught us systemd's word */
	if (strcmp(s, "stderr") == 0)
		return TBS_LOG_TARGET_STDERR;
	return -EINVAL;
}

const char *tbs_log_target_to_string(TbsLogTarget t)
{
	return (unsigned)t < sizeof(target_names) / sizeof(target_names[0]) ? target_names[t]
									    : NULL;
}

/* The systemd protocol: $JOURNAL_STREAM names the device:inode of the journal stream. */
static bool stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return st.st_dev == dev && st.st_ino == ino;
}

static TbsLogTarget effective_target(void)
{
	if (target != TBS_LOG_TARGET_AUTO)
		return target;
	if (resolved < 0)
		resolved = stderr_is_journal() ? TBS_LOG_TARGET_JOURNAL : TBS_LOG_TARGET_STDERR;
	return resolved;
}

int tbs_log_internal(int level, int error, const char *peer, const char *stream, const char *file,
		     int line, const char *func, const char *format, ...)
{
	char msg[2048];
	int saved_errno = errno;
	va_list ap;

	if (error < 0)
		error = -error;

	errno = error; /* for %m */
	va_start(ap, format);
	vsnprintf(msg, sizeof(msg), format, ap);
	va_end(ap);

	switch (effective_target()) {
	case TBS_LOG_TARGET_NULL:
		break;
	case TBS_LOG_TARGET_JOURNAL: {
		char f_msg[2100], f_prio[32], f_file[512], f_line[32], f_func[256], f_errno[32];
		char f_peer[128], f_stream[64];
		struct iovec iov[8];
		int n = 0;

#define ADD(buf, ...)                                                                              \
	do {                                                                                       \
		int _k = snprintf(buf, sizeof(buf), __VA_ARGS__);                                  \
		iov[n].iov_base = buf;                                                             \
		iov[n].iov_len = (size_t)_k < sizeof(buf) ? (size_t)_k : sizeof(buf) - 1;          \
		n++;                                                                               \
	} while (0)
		ADD(f_msg, "MESSAGE=%s", msg);
		ADD(f_prio, "PRIORITY=%d", level);
		ADD(f_file, "CODE_FILE=%s", file);
		ADD(f_line, "CODE_LINE=%d", line);
		ADD(f_func, "CODE_FUNC=%s", func);
		if (error > 0)
			ADD(f_errno, "ERRNO=%d", error);
		if (peer)
			ADD(f_peer, "TBSTREAM_PEER=%s", peer);
		if (stream)
			ADD(f_stream, "TBSTREAM_STREAM=%s", stream);
#undef ADD
		if (sd_journal_sendv(iov, n) >= 0)
			break;
	}
		/* journal gone: fall back to stderr rather than lose the message */
		__attribute__((fallthrough));
	case TBS_LOG_TARGET_STDERR:
	case TBS_LOG_TARGET_AUTO:
		if (peer && stream)
			fprintf(stderr, "%s [peer %s, stream %s]\n", msg, peer, stream);
		else if (peer)
			fprintf(stderr, "%s [peer %s]\n", msg, peer);
		else
			fprintf(stderr, "%s\n", msg);
		break;
	}

	errno = saved_errno;
	return -error;
}
