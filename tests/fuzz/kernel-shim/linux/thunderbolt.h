/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The part of <linux/thunderbolt.h> that kernel/props.c uses, for building
 * it in userspace under a fuzzer: the property directory model (a directory
 * is a list of keyed properties, a property is an immediate value, a
 * sub-directory, text or data) and the calls that build and search it,
 * written here for the harness; the core's own parser of the wire format is
 * not ours to test, its output (any directory a peer can make it produce) is
 * what the fuzzer feeds to tbstream's validation.
 */
#ifndef TBS_SHIM_THUNDERBOLT_H
#define TBS_SHIM_THUNDERBOLT_H

#include "kernel-shim.h"

enum tb_property_type {
	TB_PROPERTY_TYPE_UNKNOWN = 0x00,
	TB_PROPERTY_TYPE_DIRECTORY = 0x44,
	TB_PROPERTY_TYPE_DATA = 0x64,
	TB_PROPERTY_TYPE_TEXT = 0x74,
	TB_PROPERTY_TYPE_VALUE = 0x76,
};

#define TB_PROPERTY_KEY_SIZE 8

struct tb_property_dir {
	const uuid_t *uuid;
	struct list_head properties;
};

struct tb_property {
	struct list_head list;
	char key[TB_PROPERTY_KEY_SIZE + 1];
	enum tb_property_type type;
	size_t length;
	union {
		struct tb_property_dir *dir;
		u8 *data;
		char *text;
		u32 immediate;
	} value;
};

#define tb_property_for_each(dir, property) list_for_each_entry(property, &(dir)->properties, list)

struct tb_property_dir *tb_property_create_dir(const uuid_t *uuid);
void tb_property_free_dir(struct tb_property_dir *dir);
int tb_property_add_immediate(struct tb_property_dir *parent, const char *key, u32 value);
int tb_property_add_text(struct tb_property_dir *parent, const char *key, const char *text);
int tb_property_add_dir(struct tb_property_dir *parent, const char *key,
			struct tb_property_dir *dir);
struct tb_property *tb_property_find(struct tb_property_dir *dir, const char *key,
				     enum tb_property_type type);

#endif
