/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-bus.h>

#include "json.h"

/*
 * A D-Bus value read out of a message into a small tree, so the same property
 * dictionary can be printed for people, written as JSON, and looked up by
 * name after the message is gone. Variants are unwrapped when read.
 */

typedef enum ValueKind {
	VALUE_STRING, /* s, o, g */
	VALUE_BOOL,
	VALUE_INT,  /* n, i, x */
	VALUE_UINT, /* y, q, u, t */
	VALUE_DOUBLE,
	VALUE_FD,    /* h: only the number, never kept open */
	VALUE_ARRAY, /* a of anything but dict entries; also structs (r) */
	VALUE_DICT,  /* a{..}: items alternate key, value */
} ValueKind;

typedef struct Value Value;
struct Value {
	ValueKind kind;
	char *str;
	union {
		bool b;
		int64_t i;
		uint64_t u;
		double d;
	};
	Value **items;
	size_t n_items;
};

/* Reads the next complete value of m (any type, including containers). */
int value_read(sd_bus_message *m, Value **ret);
Value *value_free(Value *v);
static inline void value_freep(Value **v)
{
	if (*v)
		value_free(*v);
}

/* For a dictionary with string keys (a{sv}, a{st}): the value of key, or NULL. */
const Value *value_get(const Value *dict, const char *key);
/* Typed accessors of dict[key] with a fallback when missing or of another kind. */
const char *value_get_str(const Value *dict, const char *key, const char *fallback);
bool value_get_bool(const Value *dict, const char *key, bool fallback);
int64_t value_get_int(const Value *dict, const char *key, int64_t fallback);
uint64_t value_get_uint(const Value *dict, const char *key, uint64_t fallback);

/* JSON form: dictionaries with string keys become objects, other dictionaries arrays of pairs. */
void value_to_json(const Value *v, JsonWriter *j);

Value *value_copy(const Value *v); /* NULL on ENOMEM */
bool value_equal(const Value *a, const Value *b);
/* dict[key] = a copy of v (added if missing). */
int value_dict_set(Value *dict, const char *key, const Value *v);
