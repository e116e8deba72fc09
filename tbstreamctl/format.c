/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <inttypes.h>
#include <langinfo.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format.h"

char *format_bytes(char *buf, size_t size, uint64_t v)
{
	static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	double d = (double)v;
	size_t u = 0;

	if (v < 1024) {
		snprintf(buf, size, "%" PRIu64 " B", v);
		return buf;
	}
	d /= 1024;
	while (d >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		d /= 1024;
		u++;
	}
	snprintf(buf, size, "%.1f %s", d, units[u]);
	return buf;
}

static const char *glyph_times(void);

char *format_speed(char *buf, size_t size, const Value *peer)
{
	const char *x = glyph_times();
	uint64_t rs = value_get_uint(peer, "RxSpeed", 0), ts = value_get_uint(peer, "TxSpeed", 0);
	uint64_t rl = value_get_uint(peer, "RxLanes", 0), tl = value_get_uint(peer, "TxLanes", 0);

	if (!rs && !ts)
		snprintf(buf, size, "speed unknown");
	else if (rs == ts && rl == tl)
		snprintf(buf, size, "%" PRIu64 " %s %" PRIu64 " Gb/s", rl ? rl : 1, x, rs);
	else
		snprintf(buf, size,
			 "rx %" PRIu64 " %s %" PRIu64 " Gb/s, tx %" PRIu64 " %s %" PRIu64 " Gb/s",
			 rl ? rl : 1, x, rs, tl ? tl : 1, x, ts);
	return buf;
}

char *format_time(char *buf, size_t size, uint64_t usec)
{
	time_t t = (time_t)(usec / 1000000);
	struct tm tm;

	if (!usec || !localtime_r(&t, &tm) || !strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, size, "never");
	return buf;
}

char *format_uuid(const char *uuid, bool show)
{
	char *s = strdup(uuid);

	if (!s || show)
		return s;
	for (size_t i = 8; s[i]; i++)
		if (isxdigit((unsigned char)s[i]))
			s[i] = 'x';
	return s;
}

char *format_peer_id(const Value *peer, bool show)
{
	const char *uuid = value_get_str(peer, "UUID", "");

	return *uuid ? format_uuid(uuid, show) : strdup(value_get_str(peer, "Id", "?"));
}

/* Bytes to escape at p: 1 for C0 and DEL, 2 for a C1 control in UTF-8, else 0. */
static size_t control_len(const unsigned char *p)
{
	if (*p < 0x20 || *p == 0x7f)
		return 1;
	if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
		return 2;
	return 0;
}

void fputs_safe(const char *s, FILE *f)
{
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		size_t n = control_len(p);
		if (!n) {
			fputc(*p++, f);
			continue;
		}
		for (size_t i = 0; i < n; i++)
			fprintf(f, "\\x%02x", p[i]);
		p += n;
	}
}

size_t width_safe(const char *s)
{
	size_t w = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		size_t n = control_len(p);
		if (n) {
			w += 4 * n;
			p += n;
			continue;
		}
		/* count characters, not bytes: skip UTF-8 continuation bytes */
		if ((*p & 0xc0) != 0x80)
			w++;
		p++;
	}
	return w;
}

void fputs_safe_pad(const char *s, size_t width, FILE *f)
{
	fputs_safe(s, f);
	for (size_t w = width_safe(s); w < width; w++)
		fputc(' ', f);
}

static bool utf8_terminal(void)
{
	static int cached = -1;

	if (cached < 0) {
		const char *cs = nl_langinfo(CODESET);
		cached = cs && strcmp(cs, "UTF-8") == 0;
	}
	return cached;
}

const char *glyph_branch(bool last)
{
	if (utf8_terminal())
		return last ? "└─ " : "├─ ";
	return last ? "`- " : "|- ";
}

const char *glyph_bullet(void)
{
	return utf8_terminal() ? "●" : "*";
}

static const char *glyph_times(void)
{
	return utf8_terminal() ? "×" : "x";
}

void format_value(const Value *v, FILE *f)
{
	switch (v->kind) {
	case VALUE_STRING:
		fputs_safe(v->str, f);
		break;
	case VALUE_BOOL:
		fputs(v->b ? "yes" : "no", f);
		break;
	case VALUE_INT:
	case VALUE_FD:
		fprintf(f, "%" PRId64, v->i);
		break;
	case VALUE_UINT:
		fprintf(f, "%" PRIu64, v->u);
		break;
	case VALUE_DOUBLE:
		fprintf(f, "%g", v->d);
		break;
	case VALUE_ARRAY:
	case VALUE_DICT:
		fputc('[', f);
		for (size_t i = 0; i < v->n_items; i++) {
			bool pair = v->kind == VALUE_DICT && i % 2 == 1;
			if (i)
				fputs(pair ? "=" : ", ", f);
			format_value(v->items[i], f);
		}
		fputc(']', f);
		break;
	}
}
