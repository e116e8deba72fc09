// SPDX-License-Identifier: GPL-2.0
/*
 * tbstream_sim: a simulated Thunderbolt/USB4 fabric for tbstream, in the
 * spirit of netdevsim and mac80211_hwsim.  See README.md for the interface.
 *
 * ConfigFS:  /sys/kernel/config/tbstream_sim/<link>/   a simulated cable
 *                                            .../a/ .../b/  its two hosts
 * sysfs:     /sys/bus/tbstream_sim/devices/domainN, N-1, N-1.0
 *
 * Lifetimes:
 *
 *  - The module: ConfigFS items pin it, so it cannot be unloaded while a
 *    link exists; module exit therefore finds no link.
 *  - A link (struct tbsim_link, with both hosts embedded) is created by
 *    mkdir and torn down by rmdir (tbsim_drop_link()), in this order:
 *    unplug (ports removed, then services, then XDomains), both fabrics
 *    unregistered from the core, the link's works and both engines
 *    canceled, the announcements freed, the domain devices unregistered.
 *    The memory goes with the last reference to the ConfigFS item
 *    (tbsim_link_release()); the side groups "a" and "b" are embedded
 *    default groups and hold a reference to it while they exist.
 *  - Devices (domain, XDomain, service) are allocated apart and freed by
 *    their release(); see host.c.
 *  - Ring and frame lifetimes: see ring.c.
 *
 * Locks, outermost first: link->lock (mutex: plug state, devices,
 * configuration), host->domain_lock (mutex: the model of tb->lock, see
 * host.c), host->props_lock (mutex: announcements), link->q_lock
 * (spinlock: the data path).  link->lock and host->domain_lock are held
 * around tbs_port_remove(); enable_paths() and disable_paths() take
 * host->domain_lock, so the core must not hold a lock of its own that
 * tbs_port_remove() takes when it calls them.  Other port and fabric
 * operations take only the last two.
 */

#include <linux/configfs.h>
#include <linux/dma-mapping.h>
#include <linux/idr.h>
#include <linux/kstrtox.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "compat.h"
#include "sim.h"

/* The fabric interface (backend.h) is exported in this namespace. */
MODULE_IMPORT_NS(TBS_NS);

struct workqueue_struct *tbsim_wq;
struct device *tbsim_root;
static DEFINE_IDA(tbsim_link_ida);

struct bus_type tbsim_bus = {
	.name = "tbstream_sim",
};

static struct tbsim_link *tbsim_to_link(struct config_item *item)
{
	return container_of(to_config_group(item), struct tbsim_link, group);
}

static struct tbsim_host *tbsim_to_host(struct config_item *item)
{
	return container_of(to_config_group(item), struct tbsim_host, group);
}

static int tbsim_parse_uint(const char *page, unsigned int min,
			    unsigned int max, unsigned int *val)
{
	int ret = kstrtouint(page, 0, val);

	if (ret)
		return ret;
	return *val < min || *val > max ? -EINVAL : 0;
}

/* --- link attributes ----------------------------------------------------- */

static ssize_t tbsim_link_connected_show(struct config_item *item, char *page)
{
	struct tbsim_link *link = tbsim_to_link(item);
	bool connected;

	mutex_lock(&link->lock);
	connected = link->connected;
	mutex_unlock(&link->lock);
	return sysfs_emit(page, "%d\n", connected);
}

static ssize_t tbsim_link_connected_store(struct config_item *item,
					  const char *page, size_t count)
{
	struct tbsim_link *link = tbsim_to_link(item);
	bool plug;
	int ret;

	ret = kstrtobool(page, &plug);
	if (ret)
		return ret;

	mutex_lock(&link->lock);
	if (plug) {
		ret = tbsim_link_plug(link);
	} else {
		tbsim_link_unplug(link);
		ret = 0;
	}
	mutex_unlock(&link->lock);
	return ret ?: count;
}

/* A setting of the cable that may only change while it is unplugged. */
static ssize_t tbsim_link_store_unplugged(struct tbsim_link *link,
					  unsigned int *field, unsigned int val,
					  size_t count)
{
	ssize_t ret = count;

	mutex_lock(&link->lock);
	if (link->connected)
		ret = -EBUSY;
	else
		*field = val;
	mutex_unlock(&link->lock);
	return ret;
}

static ssize_t tbsim_link_maxhopid_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%u\n", tbsim_to_link(item)->maxhopid);
}

static ssize_t tbsim_link_maxhopid_store(struct config_item *item,
					 const char *page, size_t count)
{
	struct tbsim_link *link = tbsim_to_link(item);
	unsigned int val;
	ssize_t ret;

	ret = tbsim_parse_uint(page, TBS_MIN_HOPID, TBSIM_MAX_HOPID, &val);
	if (ret)
		return ret;
	return tbsim_link_store_unplugged(link, &link->maxhopid, val, count);
}

static ssize_t tbsim_link_speed_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%u\n", tbsim_to_link(item)->speed);
}

static ssize_t tbsim_link_speed_store(struct config_item *item,
				      const char *page, size_t count)
{
	struct tbsim_link *link = tbsim_to_link(item);
	unsigned int val;
	int ret;

	ret = kstrtouint(page, 0, &val);
	if (ret)
		return ret;
	/* Gb/s per lane: TBT3/USB4 Gen 2, Gen 3, USB4 v2 Gen 4 */
	if (val != 10 && val != 20 && val != 40)
		return -EINVAL;
	return tbsim_link_store_unplugged(link, &link->speed, val, count);
}

static ssize_t tbsim_link_lanes_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%u\n", tbsim_to_link(item)->lanes);
}

static ssize_t tbsim_link_lanes_store(struct config_item *item,
				      const char *page, size_t count)
{
	struct tbsim_link *link = tbsim_to_link(item);
	unsigned int val;
	int ret;

	ret = tbsim_parse_uint(page, 1, 2, &val);
	if (ret)
		return ret;
	return tbsim_link_store_unplugged(link, &link->lanes, val, count);
}

static ssize_t tbsim_link_unplug_after_show(struct config_item *item,
					    char *page)
{
	struct tbsim_link *link = tbsim_to_link(item);
	unsigned long flags;
	unsigned int val;

	spin_lock_irqsave(&link->q_lock, flags);
	val = link->unplug_after;
	spin_unlock_irqrestore(&link->q_lock, flags);
	return sysfs_emit(page, "%u\n", val);
}

static ssize_t tbsim_link_unplug_after_store(struct config_item *item,
					     const char *page, size_t count)
{
	struct tbsim_link *link = tbsim_to_link(item);
	unsigned long flags;
	unsigned int val;
	int ret;

	ret = kstrtouint(page, 0, &val);
	if (ret)
		return ret;
	spin_lock_irqsave(&link->q_lock, flags);
	link->unplug_after = val;
	spin_unlock_irqrestore(&link->q_lock, flags);
	return count;
}

static ssize_t tbsim_link_drop_on_unplug_show(struct config_item *item,
					      char *page)
{
	return sysfs_emit(page, "%d\n",
			  READ_ONCE(tbsim_to_link(item)->drop_on_unplug));
}

static ssize_t tbsim_link_drop_on_unplug_store(struct config_item *item,
					       const char *page, size_t count)
{
	struct tbsim_link *link = tbsim_to_link(item);
	unsigned long flags;
	bool val;
	int ret;

	ret = kstrtobool(page, &val);
	if (ret)
		return ret;
	spin_lock_irqsave(&link->q_lock, flags);
	link->drop_on_unplug = val;
	spin_unlock_irqrestore(&link->q_lock, flags);
	tbsim_kick(&link->host[0]);
	tbsim_kick(&link->host[1]);
	return count;
}

static ssize_t tbsim_link_path_delay_ms_show(struct config_item *item,
					     char *page)
{
	return sysfs_emit(page, "%u\n",
			  READ_ONCE(tbsim_to_link(item)->path_delay_ms));
}

static ssize_t tbsim_link_path_delay_ms_store(struct config_item *item,
					      const char *page, size_t count)
{
	unsigned int val;
	int ret;

	ret = tbsim_parse_uint(page, 0, TBSIM_PATH_DELAY_MAX, &val);
	if (ret)
		return ret;
	WRITE_ONCE(tbsim_to_link(item)->path_delay_ms, val);
	return count;
}

static ssize_t tbsim_link_path_hold_show(struct config_item *item, char *page)
{
	return sysfs_emit(page, "%d\n",
			  READ_ONCE(tbsim_to_link(item)->path_hold));
}

static ssize_t tbsim_link_path_hold_store(struct config_item *item,
					  const char *page, size_t count)
{
	struct tbsim_link *link = tbsim_to_link(item);
	bool val;
	int ret;

	ret = kstrtobool(page, &val);
	if (ret)
		return ret;
	WRITE_ONCE(link->path_hold, val);
	if (!val)
		wake_up_all(&link->hold_wq);
	return count;
}

static ssize_t tbsim_link_paths_held_show(struct config_item *item,
					  char *page)
{
	return sysfs_emit(page, "%d\n",
			  atomic_read(&tbsim_to_link(item)->paths_held));
}

/* Read-only views of one side, named a_<what> and b_<what> on the link. */
static ssize_t tbsim_side_domain(struct tbsim_host *host, char *page)
{
	return sysfs_emit(page, "%u\n", host->domain);
}

static ssize_t tbsim_side_service(struct tbsim_host *host, char *page)
{
	return sysfs_emit(page, "%u-%x.%u\n", host->domain, TBSIM_ROUTE,
			  TBSIM_SERVICE_ID);
}

static ssize_t tbsim_side_xdomain(struct tbsim_host *host, char *page)
{
	return sysfs_emit(page, "%u-%x\n", host->domain, TBSIM_ROUTE);
}

static ssize_t tbsim_side_hostname(struct tbsim_host *host, char *page)
{
	struct tbsim_link *link = host->link;
	ssize_t ret;

	mutex_lock(&link->lock);
	ret = sysfs_emit(page, "%s\n", host->hostname);
	mutex_unlock(&link->lock);
	return ret;
}

#define TBSIM_LINK_SIDE_ATTR(what)					\
static ssize_t tbsim_link_a_##what##_show(struct config_item *item,	\
					  char *page)			\
{									\
	return tbsim_side_##what(&tbsim_to_link(item)->host[0], page);	\
}									\
static ssize_t tbsim_link_b_##what##_show(struct config_item *item,	\
					  char *page)			\
{									\
	return tbsim_side_##what(&tbsim_to_link(item)->host[1], page);	\
}									\
CONFIGFS_ATTR_RO(tbsim_link_, a_##what);				\
CONFIGFS_ATTR_RO(tbsim_link_, b_##what)

TBSIM_LINK_SIDE_ATTR(domain);
TBSIM_LINK_SIDE_ATTR(service);
TBSIM_LINK_SIDE_ATTR(xdomain);
TBSIM_LINK_SIDE_ATTR(hostname);

CONFIGFS_ATTR(tbsim_link_, connected);
CONFIGFS_ATTR(tbsim_link_, maxhopid);
CONFIGFS_ATTR(tbsim_link_, speed);
CONFIGFS_ATTR(tbsim_link_, lanes);
CONFIGFS_ATTR(tbsim_link_, unplug_after);
CONFIGFS_ATTR(tbsim_link_, drop_on_unplug);
CONFIGFS_ATTR(tbsim_link_, path_delay_ms);
CONFIGFS_ATTR(tbsim_link_, path_hold);
CONFIGFS_ATTR_RO(tbsim_link_, paths_held);

static struct configfs_attribute *tbsim_link_attrs[] = {
	&tbsim_link_attr_connected,
	&tbsim_link_attr_maxhopid,
	&tbsim_link_attr_speed,
	&tbsim_link_attr_lanes,
	&tbsim_link_attr_unplug_after,
	&tbsim_link_attr_drop_on_unplug,
	&tbsim_link_attr_path_delay_ms,
	&tbsim_link_attr_path_hold,
	&tbsim_link_attr_paths_held,
	&tbsim_link_attr_a_domain,
	&tbsim_link_attr_b_domain,
	&tbsim_link_attr_a_service,
	&tbsim_link_attr_b_service,
	&tbsim_link_attr_a_xdomain,
	&tbsim_link_attr_b_xdomain,
	&tbsim_link_attr_a_hostname,
	&tbsim_link_attr_b_hostname,
	NULL,
};

/* --- side (host) attributes ---------------------------------------------- */

static ssize_t tbsim_host_domain_show(struct config_item *item, char *page)
{
	return tbsim_side_domain(tbsim_to_host(item), page);
}

static ssize_t tbsim_host_service_show(struct config_item *item, char *page)
{
	return tbsim_side_service(tbsim_to_host(item), page);
}

static ssize_t tbsim_host_hostname_show(struct config_item *item, char *page)
{
	return tbsim_side_hostname(tbsim_to_host(item), page);
}

static ssize_t tbsim_host_hostname_store(struct config_item *item,
					 const char *page, size_t count)
{
	struct tbsim_host *host = tbsim_to_host(item);
	struct tbsim_link *link = host->link;
	char name[TBSIM_HOSTNAME_MAX];
	ssize_t ret = count;
	char *p;

	if (strscpy(name, page, sizeof(name)) < 0)
		return -EINVAL;
	p = strim(name);
	if (!*p)
		return -EINVAL;

	mutex_lock(&link->lock);
	if (link->connected)
		ret = -EBUSY;
	else
		strscpy(host->hostname, p, sizeof(host->hostname));
	mutex_unlock(&link->lock);
	return ret;
}

static ssize_t tbsim_host_unique_id_show(struct config_item *item, char *page)
{
	struct tbsim_host *host = tbsim_to_host(item);
	struct tbsim_link *link = host->link;
	ssize_t ret;

	mutex_lock(&link->lock);
	ret = sysfs_emit(page, "%pUb\n", &host->uuid);
	mutex_unlock(&link->lock);
	return ret;
}

static ssize_t tbsim_host_unique_id_store(struct config_item *item,
					  const char *page, size_t count)
{
	struct tbsim_host *host = tbsim_to_host(item);
	struct tbsim_link *link = host->link;
	char text[UUID_STRING_LEN + 1];
	ssize_t ret = count;
	uuid_t uuid;

	if (count < UUID_STRING_LEN ||
	    (count > UUID_STRING_LEN &&
	     (count != UUID_STRING_LEN + 1 || page[UUID_STRING_LEN] != '\n')))
		return -EINVAL;
	memcpy(text, page, UUID_STRING_LEN);
	text[UUID_STRING_LEN] = '\0';
	if (uuid_parse(text, &uuid))
		return -EINVAL;

	mutex_lock(&link->lock);
	if (link->connected)
		ret = -EBUSY;
	else
		uuid_copy(&host->uuid, &uuid);
	mutex_unlock(&link->lock);
	return ret;
}

static ssize_t tbsim_host_nhi_rings_show(struct config_item *item, char *page)
{
	struct tbsim_host *host = tbsim_to_host(item);

	return sysfs_emit(page, "%u\n", READ_ONCE(host->nhi_rings));
}

static ssize_t tbsim_host_nhi_rings_store(struct config_item *item,
					  const char *page, size_t count)
{
	struct tbsim_host *host = tbsim_to_host(item);
	struct tbsim_link *link = host->link;
	unsigned long flags;
	unsigned int val;
	ssize_t ret;

	ret = tbsim_parse_uint(page, 2, TBSIM_MAX_RINGS, &val);
	if (ret)
		return ret;
	mutex_lock(&link->lock);
	if (link->connected) {
		ret = -EBUSY;
	} else {
		spin_lock_irqsave(&link->q_lock, flags);
		host->nhi_rings = val;
		spin_unlock_irqrestore(&link->q_lock, flags);
		ret = count;
	}
	mutex_unlock(&link->lock);
	return ret;
}

/* Fault knobs: unsigned values, applied from the next frame on. */
static ssize_t tbsim_knob_show(struct config_item *item, enum tbsim_knob knob,
			       char *page)
{
	struct tbsim_host *host = tbsim_to_host(item);
	unsigned long flags;
	unsigned int val;

	spin_lock_irqsave(&host->link->q_lock, flags);
	val = host->faults.knob[knob];
	spin_unlock_irqrestore(&host->link->q_lock, flags);
	return sysfs_emit(page, "%u\n", val);
}

static ssize_t tbsim_knob_store(struct config_item *item, enum tbsim_knob knob,
				const char *page, size_t count)
{
	static const unsigned int max[TBSIM_NR_KNOBS] = {
		[TBSIM_CRC_NEXT] = UINT_MAX,
		[TBSIM_CRC_EVERY] = UINT_MAX,
		[TBSIM_OVERRUN_NEXT] = UINT_MAX,
		[TBSIM_RX_DELAY_US] = TBSIM_RX_DELAY_MAX,
	};
	struct tbsim_host *host = tbsim_to_host(item);
	unsigned long flags;
	unsigned int val;
	int ret;

	ret = tbsim_parse_uint(page, 0, max[knob], &val);
	if (ret)
		return ret;
	spin_lock_irqsave(&host->link->q_lock, flags);
	host->faults.knob[knob] = val;
	if (knob == TBSIM_CRC_EVERY)
		host->faults.crc_count = 0;
	spin_unlock_irqrestore(&host->link->q_lock, flags);
	return count;
}

#define TBSIM_KNOB_ATTR(name, knob)					\
static const enum tbsim_knob tbsim_knob_##name = knob;			\
static ssize_t tbsim_host_##name##_show(struct config_item *item,	\
					char *page)			\
{									\
	return tbsim_knob_show(item, tbsim_knob_##name, page);		\
}									\
static ssize_t tbsim_host_##name##_store(struct config_item *item,	\
					 const char *page,		\
					 size_t count)			\
{									\
	return tbsim_knob_store(item, tbsim_knob_##name, page, count);	\
}									\
CONFIGFS_ATTR(tbsim_host_, name)

TBSIM_KNOB_ATTR(crc_next, TBSIM_CRC_NEXT);
TBSIM_KNOB_ATTR(crc_every, TBSIM_CRC_EVERY);
TBSIM_KNOB_ATTR(overrun_next, TBSIM_OVERRUN_NEXT);
TBSIM_KNOB_ATTR(rx_delay_us, TBSIM_RX_DELAY_US);

static ssize_t tbsim_host_frames_show(struct config_item *item, char *page)
{
	return tbsim_log_show(tbsim_to_host(item), page);
}

static ssize_t tbsim_host_frames_store(struct config_item *item,
				       const char *page, size_t count)
{
	unsigned int val;
	int ret;

	ret = tbsim_parse_uint(page, 0, 0, &val);
	if (ret)
		return ret;
	tbsim_log_clear(tbsim_to_host(item));
	return count;
}

static ssize_t tbsim_host_stats_show(struct config_item *item, char *page)
{
	return tbsim_stats_show(tbsim_to_host(item), page);
}

static ssize_t tbsim_host_announcement_show(struct config_item *item,
					    char *page)
{
	return tbsim_announcement_show(tbsim_to_host(item), page);
}

CONFIGFS_ATTR_RO(tbsim_host_, domain);
static ssize_t tbsim_host_dma_direct_show(struct config_item *item,
					  char *page)
{
	return sysfs_emit(page, "%d\n",
			  READ_ONCE(tbsim_to_host(item)->dma_direct));
}

/* Takes effect for the next dma-buf attachment; mapped ones stay mapped. */
static ssize_t tbsim_host_dma_direct_store(struct config_item *item,
					   const char *page, size_t count)
{
	unsigned int val;
	ssize_t ret;

	ret = tbsim_parse_uint(page, 0, 1, &val);
	if (ret)
		return ret;
	WRITE_ONCE(tbsim_to_host(item)->dma_direct, val);
	return count;
}

CONFIGFS_ATTR_RO(tbsim_host_, service);
CONFIGFS_ATTR(tbsim_host_, hostname);
CONFIGFS_ATTR(tbsim_host_, unique_id);
CONFIGFS_ATTR(tbsim_host_, nhi_rings);
CONFIGFS_ATTR(tbsim_host_, dma_direct);
CONFIGFS_ATTR(tbsim_host_, frames);
CONFIGFS_ATTR_RO(tbsim_host_, stats);
CONFIGFS_ATTR_RO(tbsim_host_, announcement);

static struct configfs_attribute *tbsim_host_attrs[] = {
	&tbsim_host_attr_domain,
	&tbsim_host_attr_service,
	&tbsim_host_attr_hostname,
	&tbsim_host_attr_unique_id,
	&tbsim_host_attr_nhi_rings,
	&tbsim_host_attr_dma_direct,
	&tbsim_host_attr_crc_next,
	&tbsim_host_attr_crc_every,
	&tbsim_host_attr_overrun_next,
	&tbsim_host_attr_rx_delay_us,
	&tbsim_host_attr_frames,
	&tbsim_host_attr_stats,
	&tbsim_host_attr_announcement,
	NULL,
};

static const struct config_item_type tbsim_host_type = {
	.ct_attrs = tbsim_host_attrs,
	.ct_owner = THIS_MODULE,
};

/* --- links --------------------------------------------------------------- */

static void tbsim_link_release(struct config_item *item)
{
	struct tbsim_link *link = tbsim_to_link(item);

	mutex_destroy(&link->lock);
	kfree(link);
}

static struct configfs_item_operations tbsim_link_item_ops = {
	.release = tbsim_link_release,
};

static const struct config_item_type tbsim_link_type = {
	.ct_item_ops = &tbsim_link_item_ops,
	.ct_attrs = tbsim_link_attrs,
	.ct_owner = THIS_MODULE,
};

/* Quiesce a link whose hosts are unregistered, free what it holds. */
static void tbsim_link_quiesce(struct tbsim_link *link)
{
	cancel_work_sync(&link->props_work);
	cancel_work_sync(&link->unplug_work);
	kthread_cancel_work_sync(&link->host[0].engine);
	kthread_cancel_work_sync(&link->host[1].engine);
	tbsim_host_free(&link->host[0]);
	tbsim_host_free(&link->host[1]);
	ida_free(&tbsim_link_ida, link->index);
}

static struct config_group *tbsim_make_link(struct config_group *group,
					    const char *name)
{
	struct tbsim_link *link;
	int ret;

	link = kzalloc(sizeof(*link), GFP_KERNEL);
	if (!link)
		return ERR_PTR(-ENOMEM);

	ret = ida_alloc_max(&tbsim_link_ida, TBSIM_MAX_LINKS - 1, GFP_KERNEL);
	if (ret < 0)
		goto err_free;
	link->index = ret;
	mutex_init(&link->lock);
	spin_lock_init(&link->q_lock);
	init_waitqueue_head(&link->transit_wq);
	init_waitqueue_head(&link->hold_wq);
	init_waitqueue_head(&link->ports_wq);
	link->maxhopid = TBSIM_DEFAULT_MAXHOPID;
	link->speed = 20;
	link->lanes = 2;
	INIT_WORK(&link->props_work, tbsim_props_work);
	INIT_WORK(&link->unplug_work, tbsim_unplug_work);
	tbsim_host_init(link, &link->host[0], 'a');
	tbsim_host_init(link, &link->host[1], 'b');

	ret = tbsim_host_register(&link->host[0]);
	if (ret)
		goto err_quiesce;
	ret = tbsim_host_register(&link->host[1]);
	if (ret)
		goto err_unregister;

	config_group_init_type_name(&link->group, name, &tbsim_link_type);
	config_group_init_type_name(&link->host[0].group, "a",
				    &tbsim_host_type);
	configfs_add_default_group(&link->host[0].group, &link->group);
	config_group_init_type_name(&link->host[1].group, "b",
				    &tbsim_host_type);
	configfs_add_default_group(&link->host[1].group, &link->group);
	return &link->group;

err_unregister:
	tbsim_host_unregister(&link->host[0]);
err_quiesce:
	tbsim_link_quiesce(link);
	mutex_destroy(&link->lock);
err_free:
	kfree(link);
	return ERR_PTR(ret);
}

static void tbsim_drop_link(struct config_group *group,
			    struct config_item *item)
{
	struct tbsim_link *link = tbsim_to_link(item);

	mutex_lock(&link->lock);
	tbsim_link_unplug(link);
	mutex_unlock(&link->lock);
	/* A session that was starting or closing at unplug lets go of its port. */
	wait_event(link->ports_wq, !atomic_read(&link->ports));

	tbsim_host_unregister(&link->host[0]);
	tbsim_host_unregister(&link->host[1]);
	tbsim_link_quiesce(link);
	config_item_put(item);
}

static struct configfs_group_operations tbsim_subsys_group_ops = {
	.make_group = tbsim_make_link,
	.drop_item = tbsim_drop_link,
};

static const struct config_item_type tbsim_subsys_type = {
	.ct_group_ops = &tbsim_subsys_group_ops,
	.ct_owner = THIS_MODULE,
};

static struct configfs_subsystem tbsim_subsys = {
	.su_group = {
		.cg_item = {
			.ci_namebuf = "tbstream_sim",
			.ci_type = &tbsim_subsys_type,
		},
	},
};

/* --- module -------------------------------------------------------------- */

static int __init tbsim_init(void)
{
	int ret;

	tbsim_wq = alloc_workqueue("tbstream_sim", WQ_UNBOUND, 0);
	if (!tbsim_wq)
		return -ENOMEM;

	ret = bus_register(&tbsim_bus);
	if (ret)
		goto err_wq;

	tbsim_root = root_device_register("tbstream_sim");
	if (IS_ERR(tbsim_root)) {
		ret = PTR_ERR(tbsim_root);
		goto err_bus;
	}
	/* One memory for every simulated host: see tbsim_dma_device(). */
	tbsim_root->coherent_dma_mask = DMA_BIT_MASK(64);
	tbsim_root->dma_mask = &tbsim_root->coherent_dma_mask;

	config_group_init(&tbsim_subsys.su_group);
	mutex_init(&tbsim_subsys.su_mutex);
	ret = configfs_register_subsystem(&tbsim_subsys);
	if (ret)
		goto err_root;
	return 0;

err_root:
	root_device_unregister(tbsim_root);
err_bus:
	bus_unregister(&tbsim_bus);
err_wq:
	destroy_workqueue(tbsim_wq);
	return ret;
}

static void __exit tbsim_exit(void)
{
	configfs_unregister_subsystem(&tbsim_subsys);
	root_device_unregister(tbsim_root);
	bus_unregister(&tbsim_bus);
	destroy_workqueue(tbsim_wq);
	ida_destroy(&tbsim_link_ida);
}

module_init(tbsim_init);
module_exit(tbsim_exit);

MODULE_DESCRIPTION("Simulated Thunderbolt/USB4 fabric for tbstream");
MODULE_LICENSE("GPL");
