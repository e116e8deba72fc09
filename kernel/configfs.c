// SPDX-License-Identifier: GPL-2.0
/*
 * tbstream: the ConfigFS ABI, as upstream's thunderbolt_stream:
 *
 *   /sys/kernel/config/thunderbolt/stream/<domain>-<route>.<service>/<name>/
 *	index (ro), in_hopid, out_hopid, ring_size, throttling
 *   plus read-only state and counters (tbstream's own, see README.md):
 *	state, rx_bytes, tx_bytes, rx_frames, tx_frames, rx_errors, tx_errors
 *
 * 6.1 and 6.12 have no core-owned `thunderbolt` subsystem, so tbstream
 * registers it; from 7.x (CONFIG_USB4_CONFIGFS) thunderbolt.ko owns it and
 * `stream` is registered under it with tb_configfs_register_group(), as
 * upstream's driver does, so the path is the same everywhere.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/configfs.h>
#include <linux/ctype.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/thunderbolt.h>

#include "compat.h"
#include "tbstream.h"

/**
 * tbs_item_to_stream() - the stream behind a ConfigFS stream item
 * @item: the item
 *
 * Return: the stream.
 */
struct tbs_stream *tbs_item_to_stream(struct config_item *item)
{
	return container_of(item, struct tbs_stream, item);
}

static struct tbs_group *tbs_to_group(struct config_item *item)
{
	return container_of(to_config_group(item), struct tbs_group, group);
}

/* ---- stream item attributes --------------------------------------------- */

static ssize_t tbs_stream_index_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%d\n", tbs_item_to_stream(item)->index);
}

static ssize_t tbs_hopid_show(struct config_item *item, char *page, bool in)
{
	struct tbs_stream *s = tbs_item_to_stream(item);
	int v;

	mutex_lock(&s->lock);
	if (in)
		v = s->in_hopid ? s->in_hopid : s->cfg_in_hopid;
	else
		v = s->out_hopid ? s->out_hopid : s->cfg_out_hopid;
	mutex_unlock(&s->lock);
	return sysfs_emit(page, "%d\n", v);
}

static ssize_t tbs_hopid_store(struct config_item *item, const char *page,
			       size_t len, bool in)
{
	int v, ret;

	ret = kstrtoint(page, 0, &v);
	if (ret)
		return -EINVAL;
	ret = tbs_stream_set_hopid(tbs_item_to_stream(item), in, v);
	return ret ? ret : len;
}

static ssize_t tbs_stream_in_hopid_show(struct config_item *item, char *page)
{
	return tbs_hopid_show(item, page, true);
}

static ssize_t tbs_stream_in_hopid_store(struct config_item *item,
					 const char *page, size_t len)
{
	return tbs_hopid_store(item, page, len, true);
}

static ssize_t tbs_stream_out_hopid_show(struct config_item *item, char *page)
{
	return tbs_hopid_show(item, page, false);
}

static ssize_t tbs_stream_out_hopid_store(struct config_item *item,
					  const char *page, size_t len)
{
	return tbs_hopid_store(item, page, len, false);
}

static ssize_t tbs_uint_store(struct tbs_stream *s, unsigned int *field,
			      const char *page, size_t len, unsigned int min,
			      unsigned int max)
{
	unsigned int v;
	int ret;

	ret = kstrtouint(page, 0, &v);
	if (ret || v < min || v > max)
		return -EINVAL;
	mutex_lock(&s->lock);
	if (s->session || s->pending)
		ret = -EBUSY;
	else
		*field = v;
	mutex_unlock(&s->lock);
	return ret ? ret : len;
}

static ssize_t tbs_stream_ring_size_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%u\n",
			  READ_ONCE(tbs_item_to_stream(item)->ring_size));
}

static ssize_t tbs_stream_ring_size_store(struct config_item *item,
					  const char *page, size_t len)
{
	struct tbs_stream *s = tbs_item_to_stream(item);

	return tbs_uint_store(s, &s->ring_size, page, len, TBS_RING_SIZE_MIN,
			      TBS_RING_SIZE_MAX);
}

static ssize_t tbs_stream_throttling_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%u\n",
			  READ_ONCE(tbs_item_to_stream(item)->throttling));
}

static ssize_t tbs_stream_throttling_store(struct config_item *item,
					   const char *page, size_t len)
{
	struct tbs_stream *s = tbs_item_to_stream(item);

	return tbs_uint_store(s, &s->throttling, page, len, 0,
			      TBS_THROTTLING_MAX);
}

static ssize_t tbs_stream_state_show(struct config_item *item, char *page)
{
	struct tbs_stream *s = tbs_item_to_stream(item);
	const char *state;

	mutex_lock(&s->lock);
	state = tbs_stream_state(s);
	mutex_unlock(&s->lock);
	return sysfs_emit(page, "%s\n", state);
}

#define TBS_COUNTER_ATTR(_name, _counter)				\
static ssize_t tbs_stream_##_name##_show(struct config_item *item,	\
					 char *page)			\
{									\
	struct tbs_stream *s = tbs_item_to_stream(item);		\
									\
	return sysfs_emit(page, "%lld\n",				\
			  atomic64_read(&s->counters[_counter]));	\
}									\
CONFIGFS_ATTR_RO(tbs_stream_, _name)

TBS_COUNTER_ATTR(rx_bytes, TBS_RX_BYTES);
TBS_COUNTER_ATTR(tx_bytes, TBS_TX_BYTES);
TBS_COUNTER_ATTR(rx_frames, TBS_RX_FRAMES);
TBS_COUNTER_ATTR(tx_frames, TBS_TX_FRAMES);
TBS_COUNTER_ATTR(rx_errors, TBS_RX_ERRORS);
TBS_COUNTER_ATTR(tx_errors, TBS_TX_ERRORS);
TBS_COUNTER_ATTR(ring_exhausted, TBS_RING_EXHAUSTED);
CONFIGFS_ATTR_RO(tbs_stream_, index);
CONFIGFS_ATTR(tbs_stream_, in_hopid);
CONFIGFS_ATTR(tbs_stream_, out_hopid);
CONFIGFS_ATTR(tbs_stream_, ring_size);
CONFIGFS_ATTR(tbs_stream_, throttling);
CONFIGFS_ATTR_RO(tbs_stream_, state);

static struct configfs_attribute *tbs_stream_attrs[] = {
	&tbs_stream_attr_index,
	&tbs_stream_attr_in_hopid,
	&tbs_stream_attr_out_hopid,
	&tbs_stream_attr_ring_size,
	&tbs_stream_attr_throttling,
	&tbs_stream_attr_state,
	&tbs_stream_attr_rx_bytes,
	&tbs_stream_attr_tx_bytes,
	&tbs_stream_attr_rx_frames,
	&tbs_stream_attr_tx_frames,
	&tbs_stream_attr_rx_errors,
	&tbs_stream_attr_tx_errors,
	&tbs_stream_attr_ring_exhausted,
	NULL,
};

static void tbs_stream_item_release(struct config_item *item)
{
	tbs_stream_put(tbs_item_to_stream(item));
}

static struct configfs_item_operations tbs_stream_item_ops = {
	.release	= tbs_stream_item_release,
};

static const struct config_item_type tbs_stream_type = {
	.ct_item_ops	= &tbs_stream_item_ops,
	.ct_attrs	= tbs_stream_attrs,
	.ct_owner	= THIS_MODULE,
};

/* ---- service groups ------------------------------------------------------ */

static struct config_item *tbs_group_make_item(struct config_group *group,
					       const char *name)
{
	struct tbs_stream *s;

	if (strlen(name) > TBS_NAME_MAX)
		return ERR_PTR(-ENAMETOOLONG);
	if (tbs_props_name_reserved(name))
		return ERR_PTR(-EINVAL);
	s = tbs_stream_create(tbs_to_group(&group->cg_item), name);
	if (IS_ERR(s))
		return ERR_CAST(s);
	config_item_init_type_name(&s->item, name, &tbs_stream_type);
	return &s->item;
}

static void tbs_group_drop_item(struct config_group *group,
				struct config_item *item)
{
	tbs_stream_drop(tbs_item_to_stream(item));
	config_item_put(item);
}

static struct configfs_group_operations tbs_group_group_ops = {
	.make_item	= tbs_group_make_item,
	.drop_item	= tbs_group_drop_item,
};

static void tbs_group_release(struct config_item *item)
{
	kfree(tbs_to_group(item));
}

static struct configfs_item_operations tbs_group_item_ops = {
	.release	= tbs_group_release,
};

static const struct config_item_type tbs_group_type = {
	.ct_item_ops	= &tbs_group_item_ops,
	.ct_group_ops	= &tbs_group_group_ops,
	.ct_owner	= THIS_MODULE,
};

/* "<domain>-<route>.<service>": decimal, hexadecimal, decimal; nothing else. */
static int tbs_parse_group_name(const char *name, u32 *domain, u64 *route,
				u32 *service)
{
	char buf[48], *dash, *dot;
	const char *p;

	if (strscpy(buf, name, sizeof(buf)) < 0)
		return -EINVAL;
	dash = strchr(buf, '-');
	dot = dash ? strchr(dash, '.') : NULL;
	if (!dash || !dot || dash == buf || dot == dash + 1 || !dot[1])
		return -EINVAL;
	*dash = '\0';
	*dot = '\0';
	for (p = buf; *p; p++)
		if (!isdigit(*p))
			return -EINVAL;
	for (p = dash + 1; *p; p++)
		if (!isxdigit(*p))
			return -EINVAL;
	for (p = dot + 1; *p; p++)
		if (!isdigit(*p))
			return -EINVAL;
	if (kstrtou32(buf, 10, domain) || kstrtou64(dash + 1, 16, route) ||
	    kstrtou32(dot + 1, 10, service))
		return -EINVAL;
	return 0;
}

static struct config_group *tbs_root_make_group(struct config_group *group,
						const char *name)
{
	struct tbs_group *g;
	int ret;

	g = kzalloc(sizeof(*g), GFP_KERNEL);
	if (!g)
		return ERR_PTR(-ENOMEM);
	ret = tbs_parse_group_name(name, &g->domain, &g->route, &g->service);
	if (ret) {
		pr_warn_ratelimited("\"%s\" is not <domain>-<route>.<service> (e.g. 0-1.0)\n",
				    name);
		kfree(g);
		return ERR_PTR(ret);
	}
	INIT_LIST_HEAD(&g->streams);
	config_group_init_type_name(&g->group, name, &tbs_group_type);

	mutex_lock(&tbs_lock);
	g->port = tbs_find_port(g->domain, g->route, g->service);
	list_add_tail(&g->node, &tbs_groups);
	mutex_unlock(&tbs_lock);
	return &g->group;
}

static void tbs_root_drop_item(struct config_group *group,
			       struct config_item *item)
{
	struct tbs_group *g = tbs_to_group(item);

	mutex_lock(&tbs_lock);
	WARN_ON(!list_empty(&g->streams));
	list_del(&g->node);
	mutex_unlock(&tbs_lock);
	config_item_put(item);
}

static struct configfs_group_operations tbs_root_group_ops = {
	.make_group	= tbs_root_make_group,
	.drop_item	= tbs_root_drop_item,
};

static const struct config_item_type tbs_root_type = {
	.ct_group_ops	= &tbs_root_group_ops,
	.ct_owner	= THIS_MODULE,
};

static struct config_group tbs_stream_root;

#if TBS_CORE_CONFIGFS
/*
 * configfs_register_group() does not refuse a name its parent holds already
 * (only mkdir(2) checks), so tbstream's `stream` would sit beside upstream's
 * thunderbolt_stream's: look for a twin once linked in.  Nothing but
 * upstream's driver registers `stream` under the core's subsystem.
 */
static bool tbs_root_has_twin(void)
{
	struct config_group *parent = tbs_stream_root.cg_item.ci_group;
	struct mutex *lock = &tbs_stream_root.cg_subsys->su_mutex;
	struct config_item *item;
	bool twin = false;

	mutex_lock(lock);
	list_for_each_entry(item, &parent->cg_children, ci_entry) {
		if (item != &tbs_stream_root.cg_item &&
		    !strcmp(config_item_name(item), "stream"))
			twin = true;
	}
	mutex_unlock(lock);
	return twin;
}

static int tbs_register_root(void)
{
	int ret;

	ret = tb_configfs_register_group(&tbs_stream_root);
	if (ret)
		return ret;
	if (tbs_root_has_twin()) {
		tb_configfs_unregister_group(&tbs_stream_root);
		return -EBUSY;
	}
	return 0;
}

static void tbs_unregister_root(void)
{
	tb_configfs_unregister_group(&tbs_stream_root);
}
#else
static const struct config_item_type tbs_subsys_type = {
	.ct_owner	= THIS_MODULE,
};

static struct configfs_subsystem tbs_subsys = {
	.su_group = {
		.cg_item = {
			.ci_namebuf	= "thunderbolt",
			.ci_type	= &tbs_subsys_type,
		},
	},
};

static int tbs_register_root(void)
{
	config_group_init(&tbs_subsys.su_group);
	mutex_init(&tbs_subsys.su_mutex);
	configfs_add_default_group(&tbs_stream_root, &tbs_subsys.su_group);
	return configfs_register_subsystem(&tbs_subsys);
}

static void tbs_unregister_root(void)
{
	configfs_unregister_subsystem(&tbs_subsys);
}
#endif

/**
 * tbs_configfs_init() - register /sys/kernel/config/thunderbolt/stream
 *
 * Return: 0, or -EBUSY with one line saying why when upstream's
 * thunderbolt_stream (in-tree USB4STREAM) owns the path already (-EBUSY, as
 * finit_module(2) reserves -EEXIST for "this module is loaded").
 */
int tbs_configfs_init(void)
{
	int ret;

	config_group_init_type_name(&tbs_stream_root, "stream", &tbs_root_type);
	ret = tbs_register_root();
	if (ret == -EBUSY)
		pr_err("upstream's thunderbolt_stream is loaded and owns thunderbolt/stream; not loading (rmmod thunderbolt_stream to use tbstream)\n");
	else if (ret)
		pr_err("cannot register thunderbolt/stream in ConfigFS: %d\n",
		       ret);
	return ret;
}

/**
 * tbs_configfs_exit() - unregister thunderbolt/stream (no group is left)
 */
void tbs_configfs_exit(void)
{
	tbs_unregister_root();
}
