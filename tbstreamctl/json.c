/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "json.h"

void json_init(JsonWriter *j, FILE *f, bool pretty)
{
	*j = (JsonWriter){.f = f, .pretty = pretty};
}

static void newline_indent(JsonWriter *j)
{
	fputc('\n', j->f);
	for (unsigned i = 0; i < j->depth; i++)
		fputs("  ", j->f);
}

/* Separator before a value or a key at the current position. */
static void before_item(JsonWriter *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->need_comma)
		fputc(',', j->f);
	if (j->pretty && j->depth > 0)
		newline_indent(j);
	j->need_comma = true;
}

static void begin(JsonWriter *j, char c)
{
	before_item(j);
	fputc(c, j->f);
	j->depth++;
	j->need_comma = false;
}

static void end(JsonWriter *j, char c)
{
	bool had_members = j->need_comma;

	j->depth--;
	if (j->pretty && had_members)
		newline_indent(j);
	fputc(c, j->f);
	j->need_comma = true;
}

void json_begin_object(JsonWriter *j)
{
	begin(j, '{');
}

void json_end_object(JsonWriter *j)
{
	end(j, '}');
}

void json_begin_array(JsonWriter *j)
{
	begin(j, '[');
}

void json_end_array(JsonWriter *j)
{
	end(j, ']');
}

void json_key(JsonWriter *j, const char *key)
{
	before_item(j);
	json_write_escaped(j->f, key, strlen(key));
	fputs(j->pretty ? ": " : ":", j->f);
	j->after_key = true;
}

static bool is_cont(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

/*
 * Length of the well-formed UTF-8 sequence at p (Unicode table 3-7: no
 * overlong forms, no surrogates, nothing above U+10FFFF), 0 if there is none.
 */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	size_t len;
	unsigned char lo = 0x80, hi = 0xbf; /* allowed range of the second byte */

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (!is_cont(p[i]))
			return 0;
	return len;
}

void json_write_escaped(FILE *f, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;

	fputc('"', f);
	while (p < end) {
		unsigned char c = *p;
		size_t len;

		switch (c) {
		case '"':
			fputs("\\\"", f);
			p++;
			continue;
		case '\\':
			fputs("\\\\", f);
			p++;
			continue;
		case '\b':
			fputs("\\b", f);
			p++;
			continue;
		case '\f':
			fputs("\\f", f);
			p++;
			continue;
		case '\n':
			fputs("\\n", f);
			p++;
			continue;
		case '\r':
			fputs("\\r", f);
			p++;
			continue;
		case '\t':
			fputs("\\t", f);
			p++;
			continue;
		default:
			break;
		}
		/* DEL is legal JSON, but escaped so a terminal never sees it raw */
		if (c < 0x20 || c == 0x7f) {
			fprintf(f, "\\u%04x", c);
			p++;
			continue;
		}
		len = utf8_len(p, (size_t)(end - p));
		if (len == 0) {
			/* one replacement character per stray byte: lossy but never invalid output
			 */
			fputs("\\ufffd", f);
			p++;
			continue;
		}
		/* U+2028/U+2029 are valid JSON but end lines in JavaScript */
		if (len == 3 && p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) {
			fprintf(f, "\\u%04x", p[2] == 0xa8 ? 0x2028 : 0x2029);
			p += 3;
			continue;
		}
		fwrite(p, 1, len, f);
		p += len;
	}
	fputc('"', f);
}

void json_string_len(JsonWriter *j, const char *s, size_t n)
{
	before_item(j);
	json_write_escaped(j->f, s, n);
}

void json_string(JsonWriter *j, const char *s)
{
	if (!s) {
		json_null(j);
		return;
	}
	json_string_len(j, s, strlen(s));
}

void json_int(JsonWriter *j, int64_t v)
{
	before_item(j);
	fprintf(j->f, "%" PRId64, v);
}

void json_uint(JsonWriter *j, uint64_t v)
{
	before_item(j);
	fprintf(j->f, "%" PRIu64, v);
}

void json_double(JsonWriter *j, double v)
{
	if (!isfinite(v)) {
		json_null(j);
		return;
	}
	before_item(j);
	/* 17 significant digits round-trip every double */
	fprintf(j->f, "%.17g", v);
}

void json_bool(JsonWriter *j, bool v)
{
	before_item(j);
	fputs(v ? "true" : "false", j->f);
}

void json_null(JsonWriter *j)
{
	before_item(j);
	fputs("null", j->f);
}

void json_finish(JsonWriter *j)
{
	fputc('\n', j->f);
	fflush(j->f);
	j->need_comma = false;
}
