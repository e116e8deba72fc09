/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's sysfs attribute readers under libFuzzer (tbstreamd/udev.c):
 * what an XDomain or service device shows is the kernel's rendering of what a
 * peer announced (names, UUID, IDs, max HopID, service key and protocol
 * values), and a domain's attributes are the controller's; none of it is
 * ours.  The input becomes a fake device directory and every reader reads it.
 *
 * The input is a list of records,
 *
 *	<selector> <length> <content: length bytes>
 *	<selector> <size, 16 bits little-endian> <length> <content>   (mode 2)
 *
 * where a record cut short by the input's end keeps what there is.  The low
 * five bits of the selector pick an entry of attrs[] (modulo its size), the
 * top three bits what becomes of it:
 *
 *	0, 4-7	a regular file of the content, replacing what the entry had
 *	1	the content appended to the entry's file
 *	2	the content appended over and over until size bytes are added
 *	3	a directory where the file should be
 *
 * so a file may be empty, lack the newline, hold NULs, or run past every
 * buffer (files stop growing at FILE_MAX).  Entries without a record are
 * missing.  Two entries are not files: "sysname" names the device (its
 * content up to a NUL; else "0-1", "0-1.0" and "domain0" for the XDomain,
 * service and domain), and "gone" has the readers look at a device directory
 * that is gone, as after a late "add" event.
 *
 * What must hold is what udev.h promises: reads fail only for a bad sysname
 * or a vanished device, and then leave the struct zeroed; a UUID is kept only
 * in canonical lower-case form; names are sanitized peer strings (at most
 * TBS_PEER_STRING_MAX bytes, valid UTF-8, no controls, stable), and a clean
 * one is kept byte for byte; numbers are the attribute's value when it is one
 * (C's base 0, the reader's choice) within the reader's maximum, else 0;
 * speeds are 0 or what the kernel's "%u.0 Gb/s" would print; the security
 * level is the attribute exactly or "", the key too but printable ASCII ('?'
 * for any other byte: it is logged).  Each value is compared with a model
 * of tbs_read_attr()'s documented cut (one buffer, the first NUL, trailing
 * newlines), so a reader that trusted a file's size would show.  A cleared
 * XDomain info is reusable and reads the same again; LeakSanitizer sees the
 * rest.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

#include "fuzz.h"
#include "udev.h"
#include "util.h"

/* well past TBS_ATTR_MAX, the most any reader reads */
#define FILE_MAX (16 * TBS_ATTR_MAX)
/* the readers' buffers: read_string()'s, and the 64 bytes of everything else */
#define BUF_STRING TBS_ATTR_MAX
#define BUF_VALUE 64

enum {
	A_UNIQUE_ID,
	A_DEVICE_NAME,
	A_VENDOR_NAME,
	A_VENDOR,
	A_DEVICE,
	A_MAXHOPID,
	A_RX_SPEED,
	A_TX_SPEED,
	A_RX_LANES,
	A_TX_LANES,
	A_KEY,
	A_PRTCID,
	A_PRTCVERS,
	A_PRTCREVS,
	A_PRTCSTNS,
	A_SECURITY,
	A_IOMMU,
	N_FILES,
	A_SYSNAME = N_FILES,
	A_GONE,
	N_ATTRS
};

static const char *const attrs[N_ATTRS] = {
	[A_UNIQUE_ID] = "unique_id",
	[A_DEVICE_NAME] = "device_name",
	[A_VENDOR_NAME] = "vendor_name",
	[A_VENDOR] = "vendor",
	[A_DEVICE] = "device",
	[A_MAXHOPID] = "maxhopid",
	[A_RX_SPEED] = "rx_speed",
	[A_TX_SPEED] = "tx_speed",
	[A_RX_LANES] = "rx_lanes",
	[A_TX_LANES] = "tx_lanes",
	[A_KEY] = "key",
	[A_PRTCID] = "prtcid",
	[A_PRTCVERS] = "prtcvers",
	[A_PRTCREVS] = "prtcrevs",
	[A_PRTCSTNS] = "prtcstns",
	[A_SECURITY] = "security",
	[A_IOMMU] = "iommu_dma_protection",
	[A_SYSNAME] = "sysname",
	[A_GONE] = "gone",
};

typedef struct Entry {
	bool present, dir;
	GByteArray *content;
} Entry;

static char *dev_dir, *gone_dir, *paths[N_FILES];

/* the input is printed by libFuzzer; which promise broke is said here */
#define check(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			int _e = errno;                                                            \
			fprintf(stderr, "fuzz-sysfs: %s: ", #cond);                                \
			errno = _e;                                                                \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static const char *strnull(const char *s)
{
	return s ? s : "(none)";
}

static void remove_scratch(void)
{
	g_autofree char *cmd = NULL;

	if (!dev_dir)
		return;
	cmd = g_strdup_printf("rm -rf '%s'", dev_dir);
	(void)system(cmd);
}

/* tmpfs: a million inputs are a million sets of files */
static void setup(void)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : g_get_tmp_dir();
	g_autofree char *tmpl = g_build_filename(base, "fuzz-sysfs-XXXXXX", NULL);

	dev_dir = g_mkdtemp(g_steal_pointer(&tmpl));
	check(dev_dir, "cannot make a scratch directory in %s: %m", base);
	gone_dir = g_build_filename(dev_dir, "gone", NULL);
	for (int a = 0; a < N_FILES; a++)
		paths[a] = g_build_filename(dev_dir, attrs[a], NULL);
	atexit(remove_scratch);
}

static void entries_parse(Entry e[N_ATTRS], const uint8_t *data, size_t size)
{
	size_t i = 0;

	while (i < size) {
		unsigned sel = data[i++], a = (sel & 0x1f) % N_ATTRS, mode = sel >> 5;
		size_t add = 0, len;
		const uint8_t *c;

		if (mode == 2) {
			add = i < size ? data[i++] : 0;
			add |= (size_t)(i < size ? data[i++] : 0) << 8;
		}
		len = i < size ? data[i++] : 0;
		len = MIN(len, size - i);
		c = data + i;
		i += len;

		if (!e[a].content)
			e[a].content = g_byte_array_new();
		if (mode == 3) {
			e[a].present = e[a].dir = true;
			g_byte_array_set_size(e[a].content, 0);
			continue;
		}
		if (mode != 1 && mode != 2)
			g_byte_array_set_size(e[a].content, 0);
		e[a].present = true;
		e[a].dir = false;
		if (mode == 2 && len > 0)
			for (size_t n = 0; n < add && e[a].content->len < FILE_MAX; n += len)
				g_byte_array_append(e[a].content, c, (guint)MIN(len, add - n));
		else
			g_byte_array_append(e[a].content, c, (guint)len);
		if (e[a].content->len > FILE_MAX)
			g_byte_array_set_size(e[a].content, FILE_MAX);
	}
}

/* what the scratch directory holds from the input before: only changes cost syscalls */
typedef enum { ON_DISK_NONE, ON_DISK_FILE, ON_DISK_DIR } OnDisk;
static OnDisk on_disk[N_FILES];

static void write_all(const Entry e[N_ATTRS])
{
	for (int a = 0; a < N_FILES; a++) {
		const char *path = paths[a];
		OnDisk want = !e[a].present ? ON_DISK_NONE : e[a].dir ? ON_DISK_DIR : ON_DISK_FILE;
		int fd;

		if (on_disk[a] != want && on_disk[a] != ON_DISK_NONE)
			check((on_disk[a] == ON_DISK_DIR ? rmdir(path) : unlink(path)) == 0,
			      "%s: %m", path);
		if (want == ON_DISK_DIR && on_disk[a] != ON_DISK_DIR)
			check(mkdir(path, 0755) == 0, "%s: %m", path);
		on_disk[a] = want;
		if (want != ON_DISK_FILE)
			continue;
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		check(fd >= 0, "%s: %m", path);
		check(write(fd, e[a].content->data, e[a].content->len) ==
			      (ssize_t)e[a].content->len,
		      "%s: %m", path);
		close(fd);
	}
}

/*
 * What a reader with a buffer of bufsize bytes may see of an attribute, as
 * util.h documents tbs_read_attr(): NULL if it cannot be read, else at most
 * bufsize - 1 bytes, up to the first NUL, without trailing newlines.
 */
static char *seen(const Entry e[N_ATTRS], int a, size_t bufsize)
{
	size_t len;
	char *s;

	if (!e[a].present || e[a].dir)
		return NULL;
	len = MIN(e[a].content->len, bufsize - 1);
	s = g_malloc0(len + 1);
	if (len)
		memcpy(s, e[a].content->data, len);
	len = strlen(s);
	while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r'))
		s[--len] = '\0';
	return s;
}

/* C's base 0, as strtoul() reads it, without its leading spaces and signs */
static unsigned expect_uint(const char *s, unsigned long max)
{
	unsigned base = 10;
	unsigned long v = 0;
	bool over = false;

	if (!s || !g_ascii_isdigit(s[0]))
		return 0;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		if (!*s)
			return 0;
	} else if (s[0] == '0')
		base = 8;
	for (; *s; s++) {
		int d = g_ascii_xdigit_value(*s);

		if (d < 0 || (unsigned)d >= base)
			return 0;
		/* v <= max < 2^32 keeps this from wrapping */
		if (v * base + (unsigned long)d > max)
			over = true;
		else
			v = v * base + (unsigned long)d;
	}
	return over ? 0 : (unsigned)v;
}

/* "%u.0 Gb/s" and "%u Gb/s" with 1..20 digits up to 100000, else 0 (tbs_parse_speed) */
static unsigned expect_speed(const char *s)
{
	unsigned long v = 0;
	size_t digits = 0;

	if (!s)
		return 0;
	for (; g_ascii_isdigit(*s); s++, digits++) {
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > 100000)
			return 0;
	}
	if (digits == 0 || digits > 20 || (strcmp(s, ".0 Gb/s") && strcmp(s, " Gb/s")))
		return 0;
	return (unsigned)v;
}

static bool looks_like_uuid(const char *s)
{
	if (!s || strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : !g_ascii_isxdigit(s[i]))
			return false;
	}
	return true;
}

/* what tbs_sanitize_string() has nothing to replace or trim in, and need not cut below max */
static bool is_clean(const char *s, size_t max)
{
	size_t len = strlen(s);

	if (len > max || !g_utf8_validate(s, -1, NULL))
		return false;
	if (len && (g_ascii_isspace(s[0]) || g_ascii_isspace(s[len - 1])))
		return false;
	for (const char *p = s; *p; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);

		if (g_unichar_iscntrl(c) || c == 0xfffd)
			return false;
	}
	return true;
}

static void check_peer_string(const char *what, const char *got, const char *raw)
{
	g_autofree char *again = NULL;
	g_autofree char *trimmed = raw ? g_strstrip(g_strdup(raw)) : NULL;

	check(got, "%s is NULL", what);
	check(is_clean(got, TBS_PEER_STRING_MAX), "%s \"%s\" is not a sanitized peer string", what,
	      got);
	again = tbs_sanitize_string(got, strlen(got), TBS_PEER_STRING_MAX);
	check(again && !strcmp(again, got), "%s \"%s\" changes when sanitized again", what, got);
	if (!raw || !*trimmed)
		check(!*got, "%s \"%s\" from nothing", what, got);
	else if (is_clean(trimmed, TBS_PEER_STRING_MAX))
		check(!strcmp(got, trimmed), "%s \"%s\" from a clean \"%s\"", what, got, trimmed);
	else if (is_clean(trimmed, SIZE_MAX))
		/* a long clean name is cut, never rewritten */
		check(*got && g_str_has_prefix(trimmed, got), "%s \"%s\" from a clean \"%s\"", what,
		      got, trimmed);
}

static void check_xdomain(const TbsXdomainInfo *x, const Entry e[N_ATTRS])
{
	g_autofree char *uuid = seen(e, A_UNIQUE_ID, BUF_VALUE);
	g_autofree char *name = seen(e, A_DEVICE_NAME, BUF_STRING);
	g_autofree char *vendor_name = seen(e, A_VENDOR_NAME, BUF_STRING);
	const struct {
		int attr;
		unsigned got;
		unsigned long max;
	} uints[] = {
		{A_VENDOR, x->vendor, 0xffffffff}, {A_DEVICE, x->device, 0xffffffff},
		{A_MAXHOPID, x->maxhopid, 65535},  {A_RX_LANES, x->rx_lanes, 16},
		{A_TX_LANES, x->tx_lanes, 16},
	};

	check(memchr(x->uuid, 0, sizeof(x->uuid)), "unique_id is not terminated");
	if (looks_like_uuid(uuid)) {
		for (char *c = uuid; *c; c++)
			*c = g_ascii_tolower(*c);
		check(!strcmp(x->uuid, uuid), "unique_id \"%s\" read as \"%s\"", uuid, x->uuid);
	} else
		check(!*x->uuid, "unique_id \"%s\" accepted as \"%s\"", strnull(uuid), x->uuid);

	check_peer_string("device_name", x->name, name);
	check_peer_string("vendor_name", x->vendor_name, vendor_name);

	for (size_t i = 0; i < G_N_ELEMENTS(uints); i++) {
		g_autofree char *s = seen(e, uints[i].attr, BUF_VALUE);
		unsigned want = expect_uint(s, uints[i].max);

		check(uints[i].got == want && uints[i].got <= uints[i].max, "%s \"%s\": %u, not %u",
		      attrs[uints[i].attr], strnull(s), uints[i].got, want);
	}
	for (int a = A_RX_SPEED; a <= A_TX_SPEED; a++) {
		g_autofree char *s = seen(e, a, BUF_VALUE);
		g_autofree char *printed = NULL;
		unsigned got = a == A_RX_SPEED ? x->rx_speed : x->tx_speed, back = 0;

		check(got == expect_speed(s), "%s \"%s\": %u", attrs[a], strnull(s), got);
		if (!got)
			continue;
		/* what the kernel would print for it reads back the same */
		printed = g_strdup_printf("%u.0 Gb/s", got);
		check(tbs_parse_speed(printed, &back) == 0 && back == got, "%s %u", attrs[a], got);
	}
}

static void check_service(const TbsServiceInfo *s, const Entry e[N_ATTRS])
{
	g_autofree char *key = seen(e, A_KEY, BUF_VALUE);
	unsigned got[] = {s->prtcid, s->prtcvers, s->prtcrevs, s->prtcstns};

	check(!s->parent_syspath && !s->parent_sysname, "the parent is the caller's to fill");
	check(memchr(s->key, 0, sizeof(s->key)), "key is not terminated");
	/* the daemon compares it with "stream" and logs it: printable ASCII, else '?' */
	for (const char *c = s->key; *c; c++)
		check(*c >= 0x20 && *c < 0x7f, "key \"%s\" is not printable ASCII", s->key);
	if (key && strlen(key) < sizeof(s->key)) {
		for (char *c = key; *c; c++)
			if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
				*c = '?';
		check(!strcmp(s->key, key), "key \"%s\" read as \"%s\"", key, s->key);
	} else
		check(!*s->key, "key \"%s\" read as \"%s\"", strnull(key), s->key);
	for (int a = A_PRTCID; a <= A_PRTCSTNS; a++) {
		g_autofree char *v = seen(e, a, BUF_VALUE);

		check(got[a - A_PRTCID] == expect_uint(v, 0xffffffff), "%s \"%s\": %u", attrs[a],
		      strnull(v), got[a - A_PRTCID]);
	}
}

static void check_domain(const TbsDomainInfo *d, const Entry e[N_ATTRS])
{
	g_autofree char *level = seen(e, A_SECURITY, BUF_VALUE);
	g_autofree char *iommu = seen(e, A_IOMMU, BUF_VALUE);
	bool looks = level && *level && strlen(level) < sizeof(d->security);

	for (const char *c = level; looks && *c; c++)
		looks = g_ascii_islower(*c) || *c == '_';
	check(memchr(d->security, 0, sizeof(d->security)), "security is not terminated");
	check(!strcmp(d->security, looks ? level : ""), "security \"%s\" read as \"%s\"",
	      strnull(level), d->security);
	check(d->iommu == (expect_uint(iommu, 1) == 1), "iommu_dma_protection \"%s\": %d",
	      strnull(iommu), d->iommu);
}

static bool all_zero(const void *p, size_t size)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < size; i++)
		if (b[i])
			return false;
	return true;
}

static bool same_xdomain(const TbsXdomainInfo *a, const TbsXdomainInfo *b)
{
	return !strcmp(a->uuid, b->uuid) && !strcmp(a->name, b->name) &&
	       !strcmp(a->vendor_name, b->vendor_name) && a->vendor == b->vendor &&
	       a->device == b->device && a->maxhopid == b->maxhopid && a->rx_speed == b->rx_speed &&
	       a->tx_speed == b->tx_speed && a->rx_lanes == b->rx_lanes &&
	       a->tx_lanes == b->tx_lanes;
}

static void read_xdomain(const char *dir, const char *sysname, bool gone, const Entry e[N_ATTRS])
{
	TbsXdomainInfo x, first;
	int r, want;

	want = tbs_xdomain_name_parse(sysname, NULL, NULL) < 0 ? -EINVAL : gone ? -ENODEV : 0;
	/* whatever the struct held before, the reader must not rely on it */
	memset(&x, 0xa5, sizeof(x));
	r = tbs_xdomain_info_read(dir, sysname, &x);
	check(r == want, "XDomain %s: %d, not %d", sysname, r, want);
	if (r < 0) {
		check(all_zero(&x, sizeof(x)), "a failed read leaves fields behind");
		tbs_xdomain_info_clear(&x);
		return;
	}
	check(x.syspath == dir && x.sysname == sysname, "syspath and sysname are the caller's");
	check_xdomain(&x, e);

	/* cleared, it is reusable (twice cleared too) and reads the same */
	first = x;
	first.name = g_strdup(x.name);
	first.vendor_name = g_strdup(x.vendor_name);
	tbs_xdomain_info_clear(&x);
	check(!x.name && !x.vendor_name, "clear leaves pointers");
	tbs_xdomain_info_clear(&x);
	check(tbs_xdomain_info_read(dir, sysname, &x) == 0, "a second read fails");
	check(same_xdomain(&x, &first), "a second read differs");
	tbs_xdomain_info_clear(&x);
	g_free(first.name);
	g_free(first.vendor_name);
}

static void read_service(const char *dir, const char *sysname, bool gone, const Entry e[N_ATTRS])
{
	TbsServiceInfo s;
	int r, want;

	want = tbs_group_name_parse(sysname, NULL, NULL, NULL) < 0 ? -EINVAL : gone ? -ENODEV : 0;
	memset(&s, 0xa5, sizeof(s));
	r = tbs_service_info_read(dir, sysname, &s);
	check(r == want, "service %s: %d, not %d", sysname, r, want);
	if (r < 0) {
		check(all_zero(&s, sizeof(s)), "a failed read leaves fields behind");
		return;
	}
	check(s.syspath == dir && s.sysname == sysname, "syspath and sysname are the caller's");
	check_service(&s, e);
}

static void read_domain(const char *dir, const char *sysname, bool gone, const Entry e[N_ATTRS])
{
	static const char subsystem[] = "thunderbolt";
	TbsDomainInfo d;
	int r;

	memset(&d, 0xa5, sizeof(d));
	r = tbs_domain_info_read(dir, sysname, subsystem, &d);
	check(r == (gone ? -ENODEV : 0), "domain %s: %d", sysname, r);
	if (r < 0) {
		check(all_zero(&d, sizeof(d)), "a failed read leaves fields behind");
		return;
	}
	check(d.syspath == dir && d.sysname == sysname && d.subsystem == subsystem,
	      "syspath, sysname and subsystem are the caller's");
	check_domain(&d, e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Entry e[N_ATTRS] = {0};
	g_autofree char *sysname = NULL;
	const char *dir;
	bool gone;

	if (!dev_dir)
		setup();
	entries_parse(e, data, size);
	write_all(e);
	gone = e[A_GONE].present;
	dir = gone ? gone_dir : dev_dir;
	if (e[A_SYSNAME].present) {
		GByteArray *c = e[A_SYSNAME].content;

		sysname = g_malloc0(c->len + 1);
		if (c->len)
			memcpy(sysname, c->data, c->len);
	}

	read_xdomain(dir, sysname ? sysname : "0-1", gone, e);
	read_service(dir, sysname ? sysname : "0-1.0", gone, e);
	read_domain(dir, sysname ? sysname : "domain0", gone, e);

	for (int a = 0; a < N_ATTRS; a++)
		if (e[a].content)
			g_byte_array_unref(e[a].content);
	return 0;
}
