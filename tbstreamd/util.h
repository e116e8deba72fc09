/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

/* Stream names as the kernel accepts them, minus anything that is awkward in a path or shell. */
#define TBS_STREAM_NAME_MAX 8
/* Peer-supplied strings are cut to this many bytes (a hostname is at most 64). */
#define TBS_PEER_STRING_MAX 64
/* sysfs attributes are at most a page; we never read more than this. */
#define TBS_ATTR_MAX 4096

bool tbs_stream_name_is_valid(const char *name);

/* Accepts 8-4-4-4-12 hex, any case; writes the lower-case form (37 bytes incl. NUL). */
int tbs_uuid_normalize(const char *in, char out[static 37]);

/* "<domain>-<route hex>.<svc>" (ConfigFS group, service device) and "<domain>-<route hex>". */
int tbs_group_name_parse(const char *s, unsigned *domain, uint64_t *route, unsigned *svc);
int tbs_xdomain_name_parse(const char *s, unsigned *domain, uint64_t *route);

/*
 * Make an untrusted byte string safe to log, store and show: invalid UTF-8 and
 * control characters become '?', surrounding whitespace goes, and the result
 * is cut to at most max bytes on a character boundary. Returns NULL only on OOM.
 */
char *tbs_sanitize_string(const char *in, size_t len, size_t max);

/* Decimal only (no base prefix, no '+', '-' only if min < 0); -ERANGE outside min..max. */
int tbs_parse_long(const char *s, long min, long max, long *ret);
int tbs_parse_bool(const char *s, bool *ret);
/* "N" or "N.FRACTION" seconds (at most microseconds, at most max_sec) -> microseconds */
int tbs_parse_seconds(const char *s, uint64_t max_sec, uint64_t *ret_usec);
/* "%u.0 Gb/s" as the thunderbolt driver prints link speeds. */
int tbs_parse_speed(const char *s, unsigned *ret);

/*
 * Read at most size-1 bytes of dir/name into buf, strip trailing newlines.
 * Returns the length or negative errno. Longer files are cut (sysfs is one page).
 */
int tbs_read_attr(const char *dir, const char *name, char *buf, size_t size);
int tbs_write_attr(const char *dir, const char *name, const char *value);

/* Write via a temporary file in the same directory, fsync, rename(2) over path, fsync the
 * directory. */
int tbs_write_file_atomic(const char *path, const char *data, size_t len, mode_t mode);

/* Read a whole small regular file (else -EBADFD, never blocking); -EFBIG if larger than max. */
int tbs_read_file(const char *path, size_t max, char **ret, size_t *ret_len);

uint64_t tbs_now(int clock); /* microseconds */

char *tbs_path_join(const char *a, const char *b);

/*
 * Whether the kernel's permission check would let a caller open a node for
 * want (TBS_ACCESS_READ | TBS_ACCESS_WRITE): the mode bits of st, or its POSIX
 * access ACL when acl (the "system.posix_acl_access" xattr, acl_len bytes) is
 * given. gids: every group of the caller (primary and supplementary); n_gids < 0
 * when the groups are not known, and then only an owner or named-user entry can
 * allow. uid 0 is allowed (CAP_DAC_OVERRIDE). A malformed ACL allows nothing.
 */
#define TBS_ACCESS_READ 4u
#define TBS_ACCESS_WRITE 2u
bool tbs_node_permits(const struct stat *st, const void *acl, size_t acl_len, uid_t uid,
		      const gid_t *gids, int n_gids, unsigned want);
