/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <glib.h>

#include "util.h"

bool tbs_stream_name_is_valid(const char *name)
{
	size_t n;

	if (!name)
		return false;
	n = strlen(name);
	if (n < 1 || n > TBS_STREAM_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!(isascii(c) && (isalnum(c) || c == '_' || c == '-')))
			return false;
	}
	/* a leading '-' reads as an option to every tool that gets the name */
	if (name[0] == '-')
		return false;
	/*
	 * The stream service's own keys: the kernel refuses them, because a peer
	 * looking up such a stream would find the protocol value instead.
	 */
	return strcmp(name, "prtcid") && strcmp(name, "prtcvers") && strcmp(name, "prtcrevs") &&
	       strcmp(name, "prtcstns") && strcmp(name, "padding");
}

int tbs_uuid_normalize(const char *in, char out[static 37])
{
	if (!in || strlen(in) != 36)
		return -EINVAL;
	for (size_t i = 0; i < 36; i++) {
		char c = in[i];
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return -EINVAL;
		} else if (!isxdigit((unsigned char)c) || !isascii(c))
			return -EINVAL;
		out[i] = (char)tolower((unsigned char)c);
	}
	out[36] = '\0';
	return 0;
}

/* strtoull accepts signs, spaces and "0x": too lenient for names the kernel prints. */
static int parse_uint(const char **p, int base, uint64_t max, uint64_t *ret)
{
	const char *s = *p;
	uint64_t v = 0;
	int digits = 0;

	for (;; s++, digits++) {
		int d;
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			break;
		if (v > (max - (uint64_t)d) / (uint64_t)base)
			return -ERANGE;
		v = v * (uint64_t)base + (uint64_t)d;
	}
	if (digits == 0 || digits > 20)
		return -EINVAL;
	*p = s;
	*ret = v;
	return 0;
}

int tbs_xdomain_name_parse(const char *s, unsigned *domain, uint64_t *route)
{
	uint64_t d, r;

	if (!s || parse_uint(&s, 10, UINT_MAX, &d) < 0 || *s++ != '-' ||
	    parse_uint(&s, 16, UINT64_MAX, &r) < 0 || *s != '\0')
		return -EINVAL;
	if (domain)
		*domain = (unsigned)d;
	if (route)
		*route = r;
	return 0;
}

int tbs_group_name_parse(const char *s, unsigned *domain, uint64_t *route, unsigned *svc)
{
	uint64_t d, r, v;

	if (!s || parse_uint(&s, 10, UINT_MAX, &d) < 0 || *s++ != '-' ||
	    parse_uint(&s, 16, UINT64_MAX, &r) < 0 || *s++ != '.' ||
	    parse_uint(&s, 10, UINT_MAX, &v) < 0 || *s != '\0')
		return -EINVAL;
	if (domain)
		*domain = (unsigned)d;
	if (route)
		*route = r;
	if (svc)
		*svc = (unsigned)v;
	return 0;
}

char *tbs_sanitize_string(const char *in, size_t len, size_t max)
{
	const char *p = in, *end;
	GString *out;

	len = strnlen(in, len);
	end = in + len;
	/* surrounding whitespace (the newline sysfs adds) is not part of the value */
	while (p < end && g_ascii_isspace(*p))
		p++;
	while (end > p && g_ascii_isspace(end[-1]))
		end--;
	out = g_string_sized_new((size_t)(end - p) < max ? (size_t)(end - p) : max);

	while (p < end) {
		gunichar c = g_utf8_get_char_validated(p, end - p);
		const char *next;

		if (c == (gunichar)-1 || c == (gunichar)-2) {
			g_string_append_c(out, '?');
			p++;
			continue;
		}
		next = g_utf8_next_char(p);
		if (g_unichar_iscntrl(c) || c == 0xfffd)
			g_string_append_c(out, '?');
		else
			g_string_append_len(out, p, next - p);
		p = next;
	}

	/* cut on a character boundary */
	if (out->len > max) {
		size_t cut = max;
		while (cut > 0 && (out->str[cut] & 0xc0) == 0x80)
			cut--;
		g_string_truncate(out, cut);
	}
	/* a cut may end inside the value's own spaces: what is kept ends clean too */
	while (out->len && g_ascii_isspace(out->str[out->len - 1]))
		g_string_truncate(out, out->len - 1);

	/* hand out malloc()ed memory so callers can use free() */
	char *r = strdup(out->str);
	g_string_free(out, TRUE);
	return r;
}

int tbs_parse_long(const char *s, long min, long max, long *ret)
{
	char *end;
	long v;

	/*
	 * Decimal digits only: strtol's base 0 made "010" octal and took "0x8" and
	 * "+8", while the documentation (and a user) reads numbers as decimal. A
	 * minus sign only where negative values are allowed (the kernel's -1).
	 */
	if (!s || !(isdigit((unsigned char)*s) || (*s == '-' && min < 0)))
		return -EINVAL;
	for (const char *c = *s == '-' ? s + 1 : s; *c; c++)
		if (!isdigit((unsigned char)*c))
			return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (*end != '\0' || end == s)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

int tbs_parse_seconds(const char *s, uint64_t max_sec, uint64_t *ret_usec)
{
	uint64_t sec = 0, usec = 0, scale = 100000;
	const char *c = s;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	for (; isdigit((unsigned char)*c); c++) {
		sec = sec * 10 + (uint64_t)(*c - '0');
		if (sec > max_sec)
			return -ERANGE;
	}
	if (*c == '.') {
		c++;
		if (!isdigit((unsigned char)*c))
			return -EINVAL;
		for (; isdigit((unsigned char)*c); c++) {
			if (scale == 0)
				return -EINVAL; /* finer than a microsecond */
			usec += (uint64_t)(*c - '0') * scale;
			scale /= 10;
		}
	}
	if (*c != '\0')
		return -EINVAL;
	if (sec == max_sec && usec > 0)
		return -ERANGE;
	*ret_usec = sec * 1000000 + usec;
	return 0;
}

int tbs_parse_bool(const char *s, bool *ret)
{
	static const char *const yes[] = {"1", "yes", "y", "true", "t", "on"};
	static const char *const no[] = {"0", "no", "n", "false", "f", "off"};

	for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*ret = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

int tbs_parse_speed(const char *s, unsigned *ret)
{
	const char *p = s;
	uint64_t v;

	if (!s || parse_uint(&p, 10, 100000, &v) < 0)
		return -EINVAL;
	if (strcmp(p, ".0 Gb/s") != 0 && strcmp(p, " Gb/s") != 0)
		return -EINVAL;
	*ret = (unsigned)v;
	return 0;
}

int tbs_read_attr(const char *dir, const char *name, char *buf, size_t size)
{
	_cleanup_free_ char *path = tbs_path_join(dir, name);
	_cleanup_close_ int fd = -1;
	ssize_t n;

	if (!path)
		return -ENOMEM;
	if (size == 0)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	do
		n = read(fd, buf, size - 1);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	/* an embedded NUL ends the value: nothing past it is meaningful text */
	n = (ssize_t)strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return (int)n;
}

int tbs_write_attr(const char *dir, const char *name, const char *value)
{
	_cleanup_free_ char *path = tbs_path_join(dir, name);
	_cleanup_close_ int fd = -1;
	size_t len = strlen(value);
	ssize_t n;

	if (!path)
		return -ENOMEM;
	/*
	 * No O_CREAT: a missing attribute is an error, never a new regular file.
	 * O_TRUNC as echo(1) does; sysfs and ConfigFS ignore it.
	 */
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	do
		n = write(fd, value, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n != len)
		return -EIO;
	return 0;
}

int tbs_write_file_atomic(const char *path, const char *data, size_t len, mode_t mode)
{
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int fd = -1;
	size_t done = 0;

	g_autofree char *dir = g_path_get_dirname(path);
	_cleanup_close_ int dfd = -1;
	struct stat st;

	if (asprintf(&tmp, "%s.tmp.%ld", path, (long)getpid()) < 0)
		return -ENOMEM;
	/* O_NONBLOCK and the check: a FIFO planted at the temporary name must not block us */
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, mode);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		unlink(tmp);
		return -EBADFD;
	}
	while (done < len) {
		ssize_t n = write(fd, data + done, len - done);
		if (n < 0) {
			int r = -errno;
			if (r == -EINTR)
				continue;
			unlink(tmp);
			return r;
		}
		done += (size_t)n;
	}
	/*
	 * fsync the data before the rename and the directory after it: without the
	 * first, XFS or btrfs may show an empty file after a crash (Trusted= and
	 * Label= lost, ownership of streams forgotten); without the second the
	 * rename itself may be lost. The files are small and written at most once
	 * per batch of events, so the cost on the loop is bounded by the disk's
	 * flush latency.
	 */
	if (fsync(fd) < 0) {
		int r = -errno;
		unlink(tmp);
		return r;
	}
	if (rename(tmp, path) < 0) {
		int r = -errno;
		unlink(tmp);
		return r;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0)
		return -errno;
	return 0;
}

int tbs_read_file(const char *path, size_t max, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t len = 0;

	/*
	 * O_NONBLOCK: a FIFO (or a device) put where a policy or state file belongs
	 * must not hang the event loop in open() or read(); only regular files pass.
	 */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EBADFD;
	if ((uint64_t)st.st_size > max)
		return -EFBIG;
	buf = malloc(max + 1);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n = read(fd, buf + len, max + 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max)
			return -EFBIG;
	}
	buf[len] = '\0';
	*ret = buf;
	buf = NULL;
	if (ret_len)
		*ret_len = len;
	return 0;
}

uint64_t tbs_now(int clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000ULL;
}

char *tbs_path_join(const char *a, const char *b)
{
	char *r;

	if (asprintf(&r, "%s/%s", a, b) < 0)
		return NULL;
	return r;
}

/* The xattr form of a POSIX ACL (linux/posix_acl_xattr.h), little-endian. */
#define ACL_XATTR_VERSION 2
enum {
	ACL_TAG_USER_OBJ = 0x01,
	ACL_TAG_USER = 0x02,
	ACL_TAG_GROUP_OBJ = 0x04,
	ACL_TAG_GROUP = 0x08,
	ACL_TAG_MASK = 0x10,
	ACL_TAG_OTHER = 0x20,
};

typedef struct AclEntry {
	unsigned tag, perm;
	uint32_t id;
} AclEntry;

static uint32_t le32_at(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static bool in_groups(gid_t g, const gid_t *gids, int n_gids)
{
	for (int i = 0; i < n_gids; i++)
		if (gids[i] == g)
			return true;
	return false;
}

/* The same walk as the kernel's posix_acl_permission(). */
static bool acl_permits(const struct stat *st, const unsigned char *acl, size_t len, uid_t uid,
			const gid_t *gids, int n_gids, unsigned want)
{
	bool found = false;
	unsigned mask = 7;
	size_t i, n;

	if (len < 4 || (len - 4) % 8 != 0 || le32_at(acl) != ACL_XATTR_VERSION)
		return false;
	n = (len - 4) / 8;
	for (i = 0; i < n; i++) {
		const unsigned char *e = acl + 4 + i * 8;
		if ((e[0] | e[1] << 8) == ACL_TAG_MASK)
			mask = (e[2] | e[3] << 8) & 7;
	}
	for (i = 0; i < n; i++) {
		const unsigned char *e = acl + 4 + i * 8;
		AclEntry a = {e[0] | e[1] << 8, (e[2] | e[3] << 8) & 7, le32_at(e + 4)};

		switch (a.tag) {
		case ACL_TAG_USER_OBJ:
			if (uid == st->st_uid)
				return (a.perm & want) == want;
			break;
		case ACL_TAG_USER:
			if (a.id == uid)
				return (a.perm & mask & want) == want;
			break;
		case ACL_TAG_GROUP_OBJ:
		case ACL_TAG_GROUP:
			if (in_groups(a.tag == ACL_TAG_GROUP ? (gid_t)a.id : st->st_gid, gids,
				      n_gids)) {
				found = true;
				if ((a.perm & want) == want)
					return (a.perm & mask & want) == want;
			}
			break;
		case ACL_TAG_MASK:
			break;
		case ACL_TAG_OTHER:
			return !found && n_gids >= 0 && (a.perm & want) == want;
		default:
			return false;
		}
	}
	return false;
}

bool tbs_node_permits(const struct stat *st, const void *acl, size_t acl_len, uid_t uid,
		      const gid_t *gids, int n_gids, unsigned want)
{
	unsigned bits;

	if (uid == 0)
		return true;
	if (acl)
		return acl_permits(st, acl, acl_len, uid, gids, n_gids, want);
	if (uid == st->st_uid)
		bits = st->st_mode >> 6;
	else if (n_gids < 0)
		return false; /* group or other: which one depends on groups we do not know */
	else if (in_groups(st->st_gid, gids, n_gids))
		bits = st->st_mode >> 3;
	else
		bits = st->st_mode;
	return (bits & want) == want;
}
