/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "value.h"

/*
 * Human output: sizes, speeds, times, masked UUIDs, tree glyphs, and strings
 * made safe for a terminal (peer names and labels come from elsewhere and may
 * hold escape sequences).
 */

/* "1.5 MiB"; buf of at least FORMAT_BYTES_MAX */
#define FORMAT_BYTES_MAX 16
char *format_bytes(char *buf, size_t size, uint64_t v);
/* "2 × 20 Gb/s" (or "rx ..., tx ..." when the directions differ), "speed unknown" */
char *format_speed(char *buf, size_t size, const Value *peer);
/* CLOCK_REALTIME microseconds as local "YYYY-MM-DD HH:MM:SS", "never" for 0 */
char *format_time(char *buf, size_t size, uint64_t usec);

/*
 * The first group of a UUID and the rest as 'x' ("3a1cb984-xxxx-..."): enough
 * to tell peers apart and to name one (a unique prefix), without pasting a
 * machine's identity into a bug report. show: the UUID as it is.
 */
char *format_uuid(const char *uuid, bool show);
/* A peer's identity for people: its (masked) UUID, else its Id. */
char *format_peer_id(const Value *peer, bool show);

/* s with control characters (C0, DEL, C1) written as \xNN. */
void fputs_safe(const char *s, FILE *f);
/* Same, padded with spaces to width columns (counted in characters). */
void fputs_safe_pad(const char *s, size_t width, FILE *f);
/* The width of s as fputs_safe writes it, counted in characters. */
size_t width_safe(const char *s);

/* Box-drawing tree glyphs on a UTF-8 terminal, ASCII otherwise. */
const char *glyph_branch(bool last);
const char *glyph_bullet(void);

/* A value on one line for people: strings as they are (made safe), booleans yes/no, [a, b]. */
void format_value(const Value *v, FILE *f);
