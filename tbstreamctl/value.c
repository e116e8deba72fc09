/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "value.h"

Value *value_free(Value *v)
{
	if (!v)
		return NULL;
	for (size_t i = 0; i < v->n_items; i++)
		value_free(v->items[i]);
	free(v->items);
	free(v->str);
	free(v);
	return NULL;
}

static int append(Value *parent, Value *child)
{
	Value **n = reallocarray(parent->items, parent->n_items + 1, sizeof(*n));

	if (!n)
		return -ENOMEM;
	parent->items = n;
	parent->items[parent->n_items++] = child;
	return 0;
}

static int read_basic(sd_bus_message *m, char type, Value *v)
{
	union {
		const char *s;
		int b;
		uint8_t y;
		int16_t n;
		uint16_t q;
		int32_t i;
		uint32_t u;
		int64_t x;
		uint64_t t;
		double d;
		int h;
	} x;
	int r;

	r = sd_bus_message_read_basic(m, type, &x);
	if (r <= 0)
		return r < 0 ? r : -EBADMSG;
	switch (type) {
	case 's':
	case 'o':
	case 'g':
		v->kind = VALUE_STRING;
		v->str = strdup(x.s);
		return v->str ? 0 : -ENOMEM;
	case 'b':
		v->kind = VALUE_BOOL;
		v->b = x.b;
		return 0;
	case 'y':
		v->kind = VALUE_UINT;
		v->u = x.y;
		return 0;
	case 'q':
		v->kind = VALUE_UINT;
		v->u = x.q;
		return 0;
	case 'u':
		v->kind = VALUE_UINT;
		v->u = x.u;
		return 0;
	case 't':
		v->kind = VALUE_UINT;
		v->u = x.t;
		return 0;
	case 'n':
		v->kind = VALUE_INT;
		v->i = x.n;
		return 0;
	case 'i':
		v->kind = VALUE_INT;
		v->i = x.i;
		return 0;
	case 'x':
		v->kind = VALUE_INT;
		v->i = x.x;
		return 0;
	case 'd':
		v->kind = VALUE_DOUBLE;
		v->d = x.d;
		return 0;
	case 'h':
		v->kind = VALUE_FD;
		v->i = x.h;
		return 0;
	default:
		return -EBADMSG;
	}
}

/* Reads every value of the container m is in, appending to parent. */
static int read_members(sd_bus_message *m, Value *parent)
{
	int r;

	for (;;) {
		Value *child = NULL;

		r = sd_bus_message_at_end(m, false);
		if (r < 0)
			return r;
		if (r > 0)
			return 0;
		r = value_read(m, &child);
		if (r >= 0)
			r = append(parent, child);
		if (r < 0) {
			value_free(child);
			return r;
		}
	}
}

int value_read(sd_bus_message *m, Value **ret)
{
	const char *contents = NULL;
	Value *v;
	char type;
	int r;

	r = sd_bus_message_peek_type(m, &type, &contents);
	if (r <= 0)
		return r < 0 ? r : -EBADMSG;
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	switch (type) {
	case SD_BUS_TYPE_VARIANT:
		free(v);
		r = sd_bus_message_enter_container(m, type, contents);
		if (r < 0)
			return r;
		r = value_read(m, ret);
		if (r < 0)
			return r;
		r = sd_bus_message_exit_container(m);
		if (r < 0)
			*ret = value_free(*ret);
		return r;
	case SD_BUS_TYPE_ARRAY:
	case SD_BUS_TYPE_STRUCT:
		v->kind = type == SD_BUS_TYPE_ARRAY && contents[0] == SD_BUS_TYPE_DICT_ENTRY_BEGIN
				  ? VALUE_DICT
				  : VALUE_ARRAY;
		r = sd_bus_message_enter_container(m, type, contents);
		if (r < 0)
			break;
		if (v->kind == VALUE_DICT) {
			/* "{sv}" -> "sv": what each entry holds */
			_cleanup_(freep) char *entry = strndup(contents + 1, strlen(contents) - 2);

			if (!entry) {
				r = -ENOMEM;
				break;
			}
			/* flatten the entries: key, value, key, value ... */
			while ((r = sd_bus_message_enter_container(m, SD_BUS_TYPE_DICT_ENTRY,
								   entry)) > 0) {
				r = read_members(m, v);
				if (r < 0)
					break;
				r = sd_bus_message_exit_container(m);
				if (r < 0)
					break;
			}
		} else
			r = read_members(m, v);
		if (r >= 0)
			r = sd_bus_message_exit_container(m);
		break;
	default:
		r = read_basic(m, type, v);
		break;
	}
	if (r < 0) {
		value_free(v);
		return r;
	}
	*ret = v;
	return 0;
}

const Value *value_get(const Value *dict, const char *key)
{
	if (!dict || dict->kind != VALUE_DICT)
		return NULL;
	for (size_t i = 0; i + 1 < dict->n_items; i += 2)
		if (dict->items[i]->kind == VALUE_STRING && strcmp(dict->items[i]->str, key) == 0)
			return dict->items[i + 1];
	return NULL;
}

const char *value_get_str(const Value *dict, const char *key, const char *fallback)
{
	const Value *v = value_get(dict, key);

	return v && v->kind == VALUE_STRING ? v->str : fallback;
}

bool value_get_bool(const Value *dict, const char *key, bool fallback)
{
	const Value *v = value_get(dict, key);

	return v && v->kind == VALUE_BOOL ? v->b : fallback;
}

int64_t value_get_int(const Value *dict, const char *key, int64_t fallback)
{
	const Value *v = value_get(dict, key);

	if (v && v->kind == VALUE_INT)
		return v->i;
	if (v && v->kind == VALUE_UINT && v->u <= INT64_MAX)
		return (int64_t)v->u;
	return fallback;
}

uint64_t value_get_uint(const Value *dict, const char *key, uint64_t fallback)
{
	const Value *v = value_get(dict, key);

	if (v && v->kind == VALUE_UINT)
		return v->u;
	if (v && v->kind == VALUE_INT && v->i >= 0)
		return (uint64_t)v->i;
	return fallback;
}

static bool string_keys(const Value *dict)
{
	for (size_t i = 0; i < dict->n_items; i += 2)
		if (dict->items[i]->kind != VALUE_STRING)
			return false;
	return true;
}

void value_to_json(const Value *v, JsonWriter *j)
{
	switch (v->kind) {
	case VALUE_STRING:
		json_string(j, v->str);
		break;
	case VALUE_BOOL:
		json_bool(j, v->b);
		break;
	case VALUE_INT:
	case VALUE_FD:
		json_int(j, v->i);
		break;
	case VALUE_UINT:
		json_uint(j, v->u);
		break;
	case VALUE_DOUBLE:
		json_double(j, v->d);
		break;
	case VALUE_ARRAY:
		json_begin_array(j);
		for (size_t i = 0; i < v->n_items; i++)
			value_to_json(v->items[i], j);
		json_end_array(j);
		break;
	case VALUE_DICT:
		if (string_keys(v)) {
			json_begin_object(j);
			for (size_t i = 0; i + 1 < v->n_items; i += 2) {
				json_key(j, v->items[i]->str);
				value_to_json(v->items[i + 1], j);
			}
			json_end_object(j);
			break;
		}
		json_begin_array(j);
		for (size_t i = 0; i + 1 < v->n_items; i += 2) {
			json_begin_array(j);
			value_to_json(v->items[i], j);
			value_to_json(v->items[i + 1], j);
			json_end_array(j);
		}
		json_end_array(j);
		break;
	}
}

Value *value_copy(const Value *v)
{
	Value *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	*c = *v;
	c->str = NULL;
	c->items = NULL;
	c->n_items = 0;
	if (v->str && !(c->str = strdup(v->str)))
		return value_free(c);
	for (size_t i = 0; i < v->n_items; i++) {
		Value *item = value_copy(v->items[i]);
		if (!item || append(c, item) < 0) {
			value_free(item);
			return value_free(c);
		}
	}
	return c;
}

bool value_equal(const Value *a, const Value *b)
{
	if (a->kind != b->kind || a->n_items != b->n_items)
		return false;
	switch (a->kind) {
	case VALUE_STRING:
		return strcmp(a->str, b->str) == 0;
	case VALUE_BOOL:
		return a->b == b->b;
	case VALUE_INT:
	case VALUE_FD:
		return a->i == b->i;
	case VALUE_UINT:
		return a->u == b->u;
	case VALUE_DOUBLE:
		return a->d == b->d;
	case VALUE_ARRAY:
	case VALUE_DICT:
		for (size_t i = 0; i < a->n_items; i++)
			if (!value_equal(a->items[i], b->items[i]))
				return false;
		return true;
	}
	return false;
}

int value_dict_set(Value *dict, const char *key, const Value *v)
{
	Value *copy, *k;

	if (dict->kind != VALUE_DICT)
		return -EINVAL;
	copy = value_copy(v);
	if (!copy)
		return -ENOMEM;
	for (size_t i = 0; i + 1 < dict->n_items; i += 2)
		if (dict->items[i]->kind == VALUE_STRING && strcmp(dict->items[i]->str, key) == 0) {
			value_free(dict->items[i + 1]);
			dict->items[i + 1] = copy;
			return 0;
		}
	k = calloc(1, sizeof(*k));
	if (!k || !(k->str = strdup(key)) || append(dict, k) < 0) {
		value_free(k);
		value_free(copy);
		return -ENOMEM;
	}
	k->kind = VALUE_STRING;
	if (append(dict, copy) < 0) {
		/* keep the dictionary in pairs */
		dict->n_items--;
		value_free(k);
		value_free(copy);
		return -ENOMEM;
	}
	return 0;
}
