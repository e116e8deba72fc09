/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tbstreamctl's JSON writer under libFuzzer.  Peers name themselves, so any
 * bytes reach `tbstreamctl --json`.  The input becomes keys and string values
 * of a nested document, compact or pretty; the output must be valid UTF-8,
 * parse as RFC 8259 JSON (a strict parser below, this harness's own), and
 * give back every string that was valid UTF-8 byte for byte.
 */
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "fuzz.h"
#include "json.h"

struct parser {
	const char *p, *end;
};

static void ws(struct parser *ps)
{
	while (ps->p < ps->end && strchr(" \t\r\n", *ps->p) && *ps->p)
		ps->p++;
}

static bool lit(struct parser *ps, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n))
		return false;
	ps->p += n;
	return true;
}

static int hex4(struct parser *ps)
{
	int v = 0;

	if (ps->end - ps->p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		int c = g_ascii_xdigit_value(*ps->p++);

		if (c < 0)
			return -1;
		v = v << 4 | c;
	}
	return v;
}

/* A string; its decoded bytes appended to out (if not NULL). */
static bool string(struct parser *ps, GString *out)
{
	if (!lit(ps, "\""))
		return false;
	while (ps->p < ps->end) {
		unsigned char c = (unsigned char)*ps->p++;

		if (c == '"')
			return true;
		if (c < 0x20)
			return false;
		if (c != '\\') {
			if (out)
				g_string_append_c(out, (char)c);
			continue;
		}
		if (ps->p == ps->end)
			return false;
		c = (unsigned char)*ps->p++;
		const char *simple = strchr("\"\\/bfnrt", c);
		if (simple && c) {
			static const char decoded[] = "\"\\/\b\f\n\r\t";

			if (out)
				g_string_append_c(out, decoded[simple - "\"\\/bfnrt"]);
			continue;
		}
		if (c != 'u')
			return false;
		int u = hex4(ps);
		if (u < 0)
			return false;
		if (u >= 0xd800 && u <= 0xdbff) {
			int lo;

			if (!lit(ps, "\\u") || (lo = hex4(ps)) < 0xdc00 || lo > 0xdfff)
				return false;
			u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
		} else if (u >= 0xdc00 && u <= 0xdfff) {
			return false;
		}
		if (out)
			g_string_append_unichar(out, (gunichar)u);
	}
	return false;
}

static bool value(struct parser *ps, int depth, GPtrArray *strings);

static bool container(struct parser *ps, int depth, GPtrArray *strings, char open, char close)
{
	bool object = open == '{';

	ps->p++;
	ws(ps);
	if (lit(ps, (char[]){close, 0}))
		return true;
	for (;;) {
		ws(ps);
		if (object) {
			GString *key = g_string_new(NULL);

			if (!string(ps, key)) {
				g_string_free(key, TRUE);
				return false;
			}
			g_ptr_array_add(strings, key);
			ws(ps);
			if (!lit(ps, ":"))
				return false;
		}
		if (!value(ps, depth + 1, strings))
			return false;
		ws(ps);
		if (lit(ps, (char[]){close, 0}))
			return true;
		if (!lit(ps, ","))
			return false;
	}
}

static bool value(struct parser *ps, int depth, GPtrArray *strings)
{
	if (depth > 64)
		return false;
	ws(ps);
	if (ps->p == ps->end)
		return false;
	switch (*ps->p) {
	case '{':
		return container(ps, depth, strings, '{', '}');
	case '[':
		return container(ps, depth, strings, '[', ']');
	case '"': {
		GString *s = g_string_new(NULL);

		g_ptr_array_add(strings, s);
		return string(ps, s);
	}
	default:
		if (lit(ps, "true") || lit(ps, "false") || lit(ps, "null"))
			return true;
		/* integers only: the writer's numbers in this harness */
		if (*ps->p == '-')
			ps->p++;
		if (ps->p == ps->end || !g_ascii_isdigit(*ps->p))
			return false;
		if (*ps->p == '0' && ps->p + 1 < ps->end && g_ascii_isdigit(ps->p[1]))
			return false;
		while (ps->p < ps->end && g_ascii_isdigit(*ps->p))
			ps->p++;
		return true;
	}
}

static void free_gstring(gpointer s)
{
	g_string_free(s, TRUE);
}

/* Valid UTF-8 apart from NULs, which JSON carries as \u0000. */
static bool utf8_with_nuls(const char *s, size_t len)
{
	const char *end;

	if (!len)
		return true; /* an empty GByteArray has no data at all */
	end = s + len;

	while (s < end) {
		const char *nul = memchr(s, 0, (size_t)(end - s));
		const char *stop = nul ? nul : end;

		if (!g_utf8_validate_len(s, (gsize)(stop - s), NULL))
			return false;
		s = nul ? nul + 1 : end;
	}
	return true;
}

static void free_bytes(gpointer b)
{
	g_byte_array_unref(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(GPtrArray) wrote = g_ptr_array_new_with_free_func(free_bytes);
	g_autoptr(GPtrArray) read = g_ptr_array_new_with_free_func(free_gstring);
	char *out = NULL;
	size_t out_len = 0, i, start = 0;
	FILE *f;
	JsonWriter j;
	struct parser ps;

	if (size < 1)
		return 0;
	f = open_memstream(&out, &out_len);
	if (!f)
		abort();
	json_init(&j, f, data[0] & 1);
	json_begin_object(&j);
	/*
	 * The rest, cut at 0xff bytes, alternates key and value; a value of odd
	 * length goes into an array beside a number.
	 */
	for (i = 1; i <= size; i++) {
		const char *piece = (const char *)data + start + 1;
		size_t len = i - start - 1;
		GByteArray *b = g_byte_array_new();

		if (i < size && data[i] != 0xff) {
			g_byte_array_unref(b);
			continue;
		}
		if (wrote->len % 2 == 0) {
			/* keys are C strings: a NUL ends them */
			g_autofree char *key = g_strndup(piece, len);

			json_key(&j, key);
			g_byte_array_append(b, (const guint8 *)key, (guint)strlen(key));
		} else {
			if (len & 1)
				json_begin_array(&j);
			json_string_len(&j, piece, len);
			if (len & 1) {
				json_int(&j, (int64_t)len - 3);
				json_end_array(&j);
			}
			g_byte_array_append(b, (const guint8 *)piece, (guint)len);
		}
		g_ptr_array_add(wrote, b);
		start = i;
	}
	if (wrote->len % 2)
		json_null(&j);
	json_end_object(&j);
	json_finish(&j);
	fclose(f);

	if (!g_utf8_validate_len(out, (gsize)out_len, NULL))
		abort();
	ps = (struct parser){out, out + out_len};
	if (!value(&ps, 0, read))
		abort();
	ws(&ps);
	if (ps.p != ps.end || read->len != wrote->len)
		abort();
	for (i = 0; i < wrote->len; i++) {
		GByteArray *w = wrote->pdata[i];
		GString *r = read->pdata[i];

		if (!utf8_with_nuls((const char *)w->data, w->len))
			continue; /* replaced by U+FFFD: checked valid above */
		if (r->len != w->len || (w->len && memcmp(r->str, w->data, w->len)))
			abort();
	}
	free(out);
	return 0;
}
