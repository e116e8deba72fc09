/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * A streaming JSON (RFC 8259) writer: the caller opens and closes containers
 * in order and the writer places commas, colons and (pretty) indentation.
 * Strings are escaped per RFC 8259; bytes that are not valid UTF-8 each become
 * U+FFFD, so the output is always valid UTF-8 whatever the input.
 */

typedef struct JsonWriter {
	FILE *f;
	bool pretty;
	unsigned depth;
	bool need_comma; /* the current container already has a member */
	bool after_key;	 /* the next value completes "key": */
} JsonWriter;

void json_init(JsonWriter *j, FILE *f, bool pretty);
void json_begin_object(JsonWriter *j);
void json_end_object(JsonWriter *j);
void json_begin_array(JsonWriter *j);
void json_end_array(JsonWriter *j);
void json_key(JsonWriter *j, const char *key);
void json_string(JsonWriter *j, const char *s); /* NULL writes null */
void json_string_len(JsonWriter *j, const char *s, size_t n);
void json_int(JsonWriter *j, int64_t v);
void json_uint(JsonWriter *j, uint64_t v);
void json_double(JsonWriter *j, double v); /* not finite: null (JSON has no NaN) */
void json_bool(JsonWriter *j, bool v);
void json_null(JsonWriter *j);
/* Ends the document with a newline and flushes (one document per line in short mode). */
void json_finish(JsonWriter *j);

/* The quoted, escaped form of s[0..n) (exposed for tests). */
void json_write_escaped(FILE *f, const char *s, size_t n);
