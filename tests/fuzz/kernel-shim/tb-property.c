// SPDX-License-Identifier: GPL-2.0
/*
 * The property directory calls of <linux/thunderbolt.h> for the fuzz build
 * of kernel/props.c.  Allocation failure aborts: the fuzzer looks for bugs
 * in tbstream's validation, not in this stand-in.
 */
#include <string.h>

#include <linux/thunderbolt.h>

static void *xzalloc(size_t n)
{
	void *p = calloc(1, n);

	if (!p)
		abort();
	return p;
}

struct tb_property_dir *tb_property_create_dir(const uuid_t *uuid)
{
	struct tb_property_dir *dir = xzalloc(sizeof(*dir));

	INIT_LIST_HEAD(&dir->properties);
	if (uuid) {
		uuid_t *copy = xzalloc(sizeof(*copy));

		*copy = *uuid;
		dir->uuid = copy;
	}
	return dir;
}

static void tb_property_free(struct tb_property *p)
{
	if (p->type == TB_PROPERTY_TYPE_DIRECTORY)
		tb_property_free_dir(p->value.dir);
	else if (p->type == TB_PROPERTY_TYPE_TEXT)
		free(p->value.text);
	else if (p->type == TB_PROPERTY_TYPE_DATA)
		free(p->value.data);
	free(p);
}

void tb_property_free_dir(struct tb_property_dir *dir)
{
	struct tb_property *p, *n;

	if (!dir)
		return;
	list_for_each_entry_safe(p, n, &dir->properties, list)
	{
		list_del(&p->list);
		tb_property_free(p);
	}
	free((void *)dir->uuid);
	free(dir);
}

/* As the core: keys are 1..8 characters; anything else is refused. */
static struct tb_property *tb_property_alloc(const char *key, enum tb_property_type type)
{
	struct tb_property *p;
	size_t len = strlen(key);

	if (!len || len > TB_PROPERTY_KEY_SIZE)
		return NULL;
	p = xzalloc(sizeof(*p));
	memcpy(p->key, key, len);
	p->type = type;
	return p;
}

int tb_property_add_immediate(struct tb_property_dir *parent, const char *key, u32 value)
{
	struct tb_property *p = tb_property_alloc(key, TB_PROPERTY_TYPE_VALUE);

	if (!p)
		return -EINVAL;
	p->length = 1;
	p->value.immediate = value;
	list_add_tail(&p->list, &parent->properties);
	return 0;
}

int tb_property_add_text(struct tb_property_dir *parent, const char *key, const char *text)
{
	struct tb_property *p = tb_property_alloc(key, TB_PROPERTY_TYPE_TEXT);

	if (!p)
		return -EINVAL;
	p->value.text = strdup(text);
	if (!p->value.text)
		abort();
	p->length = (strlen(text) + 4) / 4;
	list_add_tail(&p->list, &parent->properties);
	return 0;
}

int tb_property_add_dir(struct tb_property_dir *parent, const char *key,
			struct tb_property_dir *dir)
{
	struct tb_property *p = tb_property_alloc(key, TB_PROPERTY_TYPE_DIRECTORY);

	if (!p)
		return -EINVAL;
	p->value.dir = dir;
	list_add_tail(&p->list, &parent->properties);
	return 0;
}

struct tb_property *tb_property_find(struct tb_property_dir *dir, const char *key,
				     enum tb_property_type type)
{
	struct tb_property *p;

	tb_property_for_each(dir, p)
	{
		if (p->type == type && !strcmp(p->key, key))
			return p;
	}
	return NULL;
}
