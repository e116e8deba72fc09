// SPDX-License-Identifier: GPL-2.0
/*
 * tbstream_sim: simulated hosts, their announcements, and the devices each
 * host sees of the other.
 *
 * Each host is a struct tbs_fabric (a local host to the core) and shows the
 * device tree a real host shows, on the bus "tbstream_sim" (tb_bus_type is
 * not exported), here for link 0 seen from host a:
 *
 *   domain1000       DEVTYPE thunderbolt_domain   (host a's NHI)
 *     1000-1         DEVTYPE thunderbolt_xdomain  (host b, plugged)
 *       1000-1.0     DEVTYPE thunderbolt_service  (b announces `stream`)
 *
 * As on real hardware, the service device on a exists only while the cable
 * is plugged *and* b announces its `stream` directory; a withdrawn
 * announcement (publish(NULL)) removes it.  The service's port is added to
 * the core after device_add() and removed (tbs_port_remove()) before
 * device_unregister().  Unplug removes both ports, then both services, then
 * both XDomains.
 *
 * Locking:
 *  - link->lock serialises plug, unplug and re-enumeration and protects
 *    host->xd, host->svc and the configuration.  Port operations never take
 *    it: tbs_port_add() and tbs_port_remove() are called with it held.
 *  - host->domain_lock models the thunderbolt core's tb->lock, and is no
 *    kinder: enable_paths() and disable_paths() sleep on it (and for
 *    link->path_delay_ms while they hold it), and the removal of a service
 *    holds it across tbs_port_remove(), as the core's hotplug worker holds
 *    tb->lock across tb_xdomain_remove().  As upstream, disable_paths() of
 *    a service already being removed does not take it (xd->is_unplugged).
 *    A core that called a path operation holding a lock of its own that
 *    tbs_port_remove() takes deadlocks here as it would on hardware.
 *  - host->props_lock protects host->props and host->props_gen; publish()
 *    takes only it, then queues link->props_work: the core may publish from
 *    any context of its own, and real hosts also learn about announcement
 *    changes asynchronously ("properties changed" notification).
 *  - The data path (HopIDs, paths, rings) is under link->q_lock (ring.c).
 *
 * Lifetimes: XDomain and service structures are freed by their devices'
 * release(); the domain device likewise.  They keep no pointer that a late
 * put_device() could follow into a freed link: their sysfs attributes read
 * only the snapshot taken when they were created.
 */

#include <linux/delay.h>
#include <linux/kobject.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/thunderbolt.h>

#include "sim.h"

/* What a Linux host announces about itself (drivers/thunderbolt/xdomain.c) */
#define TBSIM_VENDOR_ID		0x8086
#define TBSIM_VENDOR_NAME	"Intel Corp."
#define TBSIM_DEVICE_ID		0x1

/* --- the domain device (one per host) ------------------------------------ */

static void tbsim_domain_release(struct device *dev)
{
	kfree(dev);
}

static const struct device_type tbsim_domain_type = {
	.name = "thunderbolt_domain",
	.release = tbsim_domain_release,
};

/* --- the XDomain device --------------------------------------------------- */

static struct tbsim_xdomain *tbsim_to_xd(struct device *dev)
{
	return container_of(dev, struct tbsim_xdomain, dev);
}

static ssize_t device_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%#x\n", TBSIM_DEVICE_ID);
}
static DEVICE_ATTR_RO(device);

static ssize_t device_name_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", tbsim_to_xd(dev)->device_name);
}
static DEVICE_ATTR_RO(device_name);

static ssize_t maxhopid_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%d\n", tbsim_to_xd(dev)->maxhopid);
}
static DEVICE_ATTR_RO(maxhopid);

static ssize_t rx_speed_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%u.0 Gb/s\n", tbsim_to_xd(dev)->speed);
}
static DEVICE_ATTR_RO(rx_speed);

static ssize_t tx_speed_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	return rx_speed_show(dev, attr, buf);
}
static DEVICE_ATTR_RO(tx_speed);

static ssize_t rx_lanes_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%u\n", tbsim_to_xd(dev)->lanes);
}
static DEVICE_ATTR_RO(rx_lanes);

static ssize_t tx_lanes_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	return rx_lanes_show(dev, attr, buf);
}
static DEVICE_ATTR_RO(tx_lanes);

static ssize_t unique_id_show(struct device *dev, struct device_attribute *attr,
			      char *buf)
{
	return sysfs_emit(buf, "%pUb\n", &tbsim_to_xd(dev)->remote_uuid);
}
static DEVICE_ATTR_RO(unique_id);

static ssize_t vendor_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%#x\n", TBSIM_VENDOR_ID);
}
static DEVICE_ATTR_RO(vendor);

static ssize_t vendor_name_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", TBSIM_VENDOR_NAME);
}
static DEVICE_ATTR_RO(vendor_name);

static struct attribute *tbsim_xdomain_attrs[] = {
	&dev_attr_device.attr,
	&dev_attr_device_name.attr,
	&dev_attr_maxhopid.attr,
	&dev_attr_rx_lanes.attr,
	&dev_attr_rx_speed.attr,
	&dev_attr_tx_lanes.attr,
	&dev_attr_tx_speed.attr,
	&dev_attr_unique_id.attr,
	&dev_attr_vendor.attr,
	&dev_attr_vendor_name.attr,
	NULL,
};
ATTRIBUTE_GROUPS(tbsim_xdomain);

static void tbsim_xdomain_release(struct device *dev)
{
	kfree(tbsim_to_xd(dev));
}

static const struct device_type tbsim_xdomain_type = {
	.name = "thunderbolt_xdomain",
	.groups = tbsim_xdomain_groups,
	.release = tbsim_xdomain_release,
};

/* --- the service device --------------------------------------------------- */

static struct tbsim_service *tbsim_to_svc(struct device *dev)
{
	return container_of(dev, struct tbsim_service, dev);
}

static int tbsim_modalias(const struct tbsim_service *svc, char *buf,
			  size_t size)
{
	return snprintf(buf, size, "tbsvc:k%sp%08Xv%08Xr%08X", svc->key,
			svc->prtcid, svc->prtcvers, svc->prtcrevs);
}

static ssize_t key_show(struct device *dev, struct device_attribute *attr,
			char *buf)
{
	struct tbsim_service *svc = tbsim_to_svc(dev);

	return sysfs_emit(buf, "%*pE\n", (int)strlen(svc->key), svc->key);
}
static DEVICE_ATTR_RO(key);

static ssize_t modalias_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	char alias[64];

	tbsim_modalias(tbsim_to_svc(dev), alias, sizeof(alias));
	return sysfs_emit(buf, "%s\n", alias);
}
static DEVICE_ATTR_RO(modalias);

static ssize_t prtcid_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "%u\n", tbsim_to_svc(dev)->prtcid);
}
static DEVICE_ATTR_RO(prtcid);

static ssize_t prtcvers_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%u\n", tbsim_to_svc(dev)->prtcvers);
}
static DEVICE_ATTR_RO(prtcvers);

static ssize_t prtcrevs_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%u\n", tbsim_to_svc(dev)->prtcrevs);
}
static DEVICE_ATTR_RO(prtcrevs);

static ssize_t prtcstns_show(struct device *dev, struct device_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "0x%08x\n", tbsim_to_svc(dev)->prtcstns);
}
static DEVICE_ATTR_RO(prtcstns);

static struct attribute *tbsim_service_attrs[] = {
	&dev_attr_key.attr,
	&dev_attr_modalias.attr,
	&dev_attr_prtcid.attr,
	&dev_attr_prtcvers.attr,
	&dev_attr_prtcrevs.attr,
	&dev_attr_prtcstns.attr,
	NULL,
};
ATTRIBUTE_GROUPS(tbsim_service);

static int tbsim_service_uevent(TBSIM_UEVENT_DEV *dev,
				struct kobj_uevent_env *env)
{
	const struct tbsim_service *svc =
		container_of(dev, struct tbsim_service, dev);
	char alias[64];

	tbsim_modalias(svc, alias, sizeof(alias));
	return add_uevent_var(env, "MODALIAS=%s", alias);
}

static void tbsim_service_release(struct device *dev)
{
	kfree(tbsim_to_svc(dev));
}

static const struct device_type tbsim_service_type = {
	.name = "thunderbolt_service",
	.groups = tbsim_service_groups,
	.uevent = tbsim_service_uevent,
	.release = tbsim_service_release,
};

/* --- announcements ------------------------------------------------------- */

static u32 tbsim_prop_value(struct tb_property_dir *dir, const char *key)
{
	struct tb_property *p = tb_property_find(dir, key,
						 TB_PROPERTY_TYPE_VALUE);

	return p ? p->value.immediate : 0;
}

/* Add the peer's service and its port (link->lock held, plugged). */
static void tbsim_add_service(struct tbsim_host *host)
{
	struct tbsim_host *peer = host->peer;
	struct tbsim_link *link = host->link;
	struct tbsim_service *svc;
	int ret;

	svc = kzalloc(sizeof(*svc), GFP_KERNEL);
	if (!svc)
		return;
	svc->host = host;
	strscpy(svc->key, TBS_PROTOCOL_KEY, sizeof(svc->key));

	mutex_lock(&peer->props_lock);
	if (!peer->props) {
		mutex_unlock(&peer->props_lock);
		kfree(svc);
		return;
	}
	svc->prtcid = tbsim_prop_value(peer->props, "prtcid");
	svc->prtcvers = tbsim_prop_value(peer->props, "prtcvers");
	svc->prtcrevs = tbsim_prop_value(peer->props, "prtcrevs");
	svc->prtcstns = tbsim_prop_value(peer->props, "prtcstns");
	host->xd->props_gen = peer->props_gen;
	mutex_unlock(&peer->props_lock);

	device_initialize(&svc->dev);
	svc->dev.bus = &tbsim_bus;
	svc->dev.type = &tbsim_service_type;
	svc->dev.parent = &host->xd->dev;
	dev_set_name(&svc->dev, "%s.%d", dev_name(&host->xd->dev),
		     TBSIM_SERVICE_ID);
	ret = device_add(&svc->dev);
	if (ret) {
		dev_err(&host->xd->dev, "cannot add service: %d\n", ret);
		put_device(&svc->dev);
		return;
	}
	host->svc = svc;

	svc->port.fabric = &host->fabric;
	svc->port.ops = &tbsim_port_ops;
	svc->port.dev = &svc->dev;
	svc->port.domain = host->domain;
	svc->port.route = TBSIM_ROUTE;
	svc->port.service = TBSIM_SERVICE_ID;
	svc->port.max_hopid = link->maxhopid;
	ret = tbs_port_add(&svc->port);
	if (ret) {
		dev_warn(&svc->dev, "the core refused the port: %d\n", ret);
		return;
	}
	/* The core may use the port after its removal, until release(). */
	svc->port_added = true;
	get_device(&svc->dev);
	atomic_inc(&link->ports);
}

/* Remove the peer's service, port first (link->lock held). */
static void tbsim_remove_service(struct tbsim_host *host)
{
	struct tbsim_service *svc = host->svc;
	struct tbsim_link *link = host->link;
	unsigned long flags;
	bool leaked;

	if (!svc)
		return;
	mutex_lock(&host->domain_lock);
	WRITE_ONCE(svc->unplugged, true);
	wake_up_all(&link->hold_wq);
	if (svc->port_added)
		tbs_port_remove(&svc->port);
	mutex_unlock(&host->domain_lock);

	/*
	 * The core gave the HopIDs back; whatever it did not is reclaimed.
	 * Rings may still be in use by a session that was starting or closing
	 * (tbsim_port_release() checks those).
	 */
	spin_lock_irqsave(&link->q_lock, flags);
	leaked = !bitmap_empty(host->in_hopids, TBSIM_MAX_HOPID + 1) ||
		 !bitmap_empty(host->out_hopids, TBSIM_MAX_HOPID + 1);
	bitmap_zero(host->in_hopids, TBSIM_MAX_HOPID + 1);
	bitmap_zero(host->out_hopids, TBSIM_MAX_HOPID + 1);
	spin_unlock_irqrestore(&link->q_lock, flags);
	if (leaked)
		dev_warn(&svc->dev, "port removed with HopIDs held\n");

	host->svc = NULL;
	device_unregister(&svc->dev);
}

/* Bring @host's view of its peer's announcement up to date (link->lock). */
static void tbsim_update_service(struct tbsim_host *host)
{
	struct tbsim_host *peer = host->peer;
	bool announced, changed;

	mutex_lock(&peer->props_lock);
	announced = peer->props;
	changed = host->xd && host->xd->props_gen != peer->props_gen;
	if (host->xd)
		host->xd->props_gen = peer->props_gen;
	mutex_unlock(&peer->props_lock);

	if (!announced)
		tbsim_remove_service(host);
	else if (!host->svc)
		tbsim_add_service(host);
	else if (changed)
		kobject_uevent(&host->xd->dev.kobj, KOBJ_CHANGE);
}

/**
 * tbsim_props_work() - both hosts re-read each other's announcements
 * @work: &tbsim_link.props_work
 */
void tbsim_props_work(struct work_struct *work)
{
	struct tbsim_link *link = container_of(work, struct tbsim_link,
					       props_work);

	mutex_lock(&link->lock);
	if (link->connected) {
		tbsim_update_service(&link->host[0]);
		tbsim_update_service(&link->host[1]);
	}
	mutex_unlock(&link->lock);
}

static int tbsim_publish(struct tbs_fabric *fabric,
			 struct tb_property_dir *dir)
{
	struct tbsim_host *host = container_of(fabric, struct tbsim_host,
					       fabric);
	struct tb_property_dir *old;

	mutex_lock(&host->props_lock);
	old = host->props;
	host->props = dir;
	host->props_gen++;
	mutex_unlock(&host->props_lock);

	if (old)
		tb_property_free_dir(old);
	queue_work(tbsim_wq, &host->link->props_work);
	return 0;
}

/*
 * One line per property, "path type value", so a test can compare the
 * announcement with upstream's layout.  Two levels deep (the service directory
 * and its per-stream directories) is all the protocol has; deeper ones are
 * listed but not entered.
 */
static int tbsim_show_dir(const struct tb_property_dir *dir, const char *path,
			  int depth, char *page, int len)
{
	struct tb_property *p = NULL;

	while ((p = tb_property_get_next((struct tb_property_dir *)dir, p))) {
		switch (p->type) {
		case TB_PROPERTY_TYPE_DIRECTORY:
			if (p->value.dir->uuid)
				len += scnprintf(page + len, PAGE_SIZE - len,
						 "%s/%s dir %pUb\n", path, p->key,
						 p->value.dir->uuid);
			else
				len += scnprintf(page + len, PAGE_SIZE - len,
						 "%s/%s dir -\n", path, p->key);
			if (depth < 1) {
				char sub[2 * (TB_PROPERTY_KEY_SIZE + 1) + 8];

				snprintf(sub, sizeof(sub), "%s/%s", path, p->key);
				len = tbsim_show_dir(p->value.dir, sub, depth + 1,
						     page, len);
			}
			break;
		case TB_PROPERTY_TYPE_VALUE:
			len += scnprintf(page + len, PAGE_SIZE - len,
					 "%s/%s value 0x%08x\n", path, p->key,
					 p->value.immediate);
			break;
		case TB_PROPERTY_TYPE_TEXT:
			len += scnprintf(page + len, PAGE_SIZE - len,
					 "%s/%s text %s\n", path, p->key,
					 p->value.text);
			break;
		default:
			len += scnprintf(page + len, PAGE_SIZE - len,
					 "%s/%s data %zu\n", path, p->key,
					 p->length);
			break;
		}
	}
	return len;
}

/**
 * tbsim_announcement_show() - format what a host announces
 * @host: the host
 * @page: a PAGE_SIZE buffer
 *
 * The `stream` service directory the core published for @host, as the peer
 * would read it; empty while nothing is published.
 *
 * Return: the length written.
 */
ssize_t tbsim_announcement_show(struct tbsim_host *host, char *page)
{
	int len = 0;

	mutex_lock(&host->props_lock);
	if (host->props) {
		if (host->props->uuid)
			len = scnprintf(page, PAGE_SIZE, "%s dir %pUb\n",
					TBS_PROTOCOL_KEY, host->props->uuid);
		else
			len = scnprintf(page, PAGE_SIZE, "%s dir -\n",
					TBS_PROTOCOL_KEY);
		len = tbsim_show_dir(host->props, TBS_PROTOCOL_KEY, 0, page,
				     len);
	}
	mutex_unlock(&host->props_lock);
	return len;
}

static const struct tbs_fabric_ops tbsim_fabric_ops = {
	.publish = tbsim_publish,
};

/* --- plug and unplug ----------------------------------------------------- */

static int tbsim_add_xdomain(struct tbsim_host *host)
{
	struct tbsim_host *peer = host->peer;
	struct tbsim_link *link = host->link;
	struct tbsim_xdomain *xd;
	int ret;

	xd = kzalloc(sizeof(*xd), GFP_KERNEL);
	if (!xd)
		return -ENOMEM;
	strscpy(xd->device_name, peer->hostname, sizeof(xd->device_name));
	uuid_copy(&xd->remote_uuid, &peer->uuid);
	xd->maxhopid = link->maxhopid;
	xd->speed = link->speed;
	xd->lanes = link->lanes;

	device_initialize(&xd->dev);
	xd->dev.bus = &tbsim_bus;
	xd->dev.type = &tbsim_xdomain_type;
	xd->dev.parent = host->dev;
	dev_set_name(&xd->dev, "%u-%llx", host->domain, (u64)TBSIM_ROUTE);
	ret = device_add(&xd->dev);
	if (ret) {
		put_device(&xd->dev);
		return ret;
	}
	host->xd = xd;
	return 0;
}

static void tbsim_remove_xdomain(struct tbsim_host *host)
{
	if (!host->xd)
		return;
	device_unregister(&host->xd->dev);
	host->xd = NULL;
}

/**
 * tbsim_link_plug() - plug the cable
 * @link: the link, @link->lock held
 *
 * Both XDomains appear; each host's service appears if the peer announces
 * its `stream` directory, and the core gets its port.
 *
 * Return: 0 or negative errno (nothing changed then).
 */
int tbsim_link_plug(struct tbsim_link *link)
{
	unsigned long flags;
	int ret;

	lockdep_assert_held(&link->lock);
	if (link->connected)
		return 0;

	ret = tbsim_add_xdomain(&link->host[0]);
	if (ret)
		return ret;
	ret = tbsim_add_xdomain(&link->host[1]);
	if (ret) {
		tbsim_remove_xdomain(&link->host[0]);
		return ret;
	}

	spin_lock_irqsave(&link->q_lock, flags);
	link->up = true;
	spin_unlock_irqrestore(&link->q_lock, flags);
	link->connected = true;

	tbsim_update_service(&link->host[0]);
	tbsim_update_service(&link->host[1]);
	return 0;
}

/**
 * tbsim_link_unplug() - pull the cable
 * @link: the link, @link->lock held
 *
 * The data path goes down first (frames in flight stall, or are dropped
 * with drop_on_unplug), then both ports are removed (the core stops and
 * frees everything), then the services, then the XDomains.
 */
void tbsim_link_unplug(struct tbsim_link *link)
{
	unsigned long flags;

	lockdep_assert_held(&link->lock);
	if (!link->connected)
		return;

	spin_lock_irqsave(&link->q_lock, flags);
	link->up = false;
	spin_unlock_irqrestore(&link->q_lock, flags);
	tbsim_kick(&link->host[0]);
	tbsim_kick(&link->host[1]);

	tbsim_remove_service(&link->host[0]);
	tbsim_remove_service(&link->host[1]);
	tbsim_remove_xdomain(&link->host[0]);
	tbsim_remove_xdomain(&link->host[1]);
	link->connected = false;
}

/**
 * tbsim_unplug_work() - unplug requested by the data path (unplug_after)
 * @work: &tbsim_link.unplug_work
 */
void tbsim_unplug_work(struct work_struct *work)
{
	struct tbsim_link *link = container_of(work, struct tbsim_link,
					       unplug_work);

	mutex_lock(&link->lock);
	tbsim_link_unplug(link);
	mutex_unlock(&link->lock);
}

/* --- hosts --------------------------------------------------------------- */

/**
 * tbsim_host_init() - set up one end of a new link
 * @link: the link, its index set
 * @host: &link->host[0] or [1]
 * @side: 'a' or 'b'
 *
 * Fills @host; does not register anything (tbsim_host_register()).
 */
void tbsim_host_init(struct tbsim_link *link, struct tbsim_host *host,
		     char side)
{
	int i = side == 'b';

	host->link = link;
	host->peer = &link->host[!i];
	host->side = side;
	host->domain = TBSIM_FIRST_DOMAIN + 2 * link->index + i;
	snprintf(host->hostname, sizeof(host->hostname), "sim-%c", side);
	uuid_gen(&host->uuid);
	host->nhi_rings = TBSIM_DEFAULT_RINGS;
	host->dma_direct = true;
	mutex_init(&host->props_lock);
	mutex_init(&host->domain_lock);
	kthread_init_work(&host->engine, tbsim_engine_work);
	snprintf(host->name, sizeof(host->name), "sim-%u", host->domain);
	host->fabric.name = host->name;
	host->fabric.ops = &tbsim_fabric_ops;
	host->fabric.first_domain = host->domain;
	host->fabric.last_domain = host->domain;
}

/**
 * tbsim_host_register() - show a host's domain device, register its fabric
 * @host: an initialised host
 *
 * The core publishes the host's announcement from tbs_fabric_register().
 *
 * Return: 0 or negative errno (nothing registered then).
 */
int tbsim_host_register(struct tbsim_host *host)
{
	struct kthread_worker *worker;
	struct device *dev;
	int ret;

	worker = tbsim_run_worker(0, "tbsim-%u", host->domain);
	if (IS_ERR(worker))
		return PTR_ERR(worker);
	sched_set_normal(worker->task, TBSIM_ENGINE_NICE);

	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev) {
		ret = -ENOMEM;
		goto err_worker;
	}
	device_initialize(dev);
	dev->bus = &tbsim_bus;
	dev->type = &tbsim_domain_type;
	dev->parent = tbsim_root;
	dev_set_name(dev, "domain%u", host->domain);
	ret = device_add(dev);
	if (ret)
		goto err_put;
	host->dev = dev;

	ret = tbs_fabric_register(&host->fabric);
	if (ret)
		goto err_del;
	host->fabric_registered = true;
	host->worker = worker;
	return 0;

err_del:
	host->dev = NULL;
	device_del(dev);
err_put:
	put_device(dev);
err_worker:
	kthread_destroy_worker(worker);
	return ret;
}

/**
 * tbsim_host_unregister() - undo tbsim_host_register()
 * @host: a host whose link is unplugged
 *
 * The caller cancels the link's work afterwards (the core may still
 * publish from tbs_fabric_unregister()).
 */
void tbsim_host_unregister(struct tbsim_host *host)
{
	if (host->fabric_registered)
		tbs_fabric_unregister(&host->fabric);
	host->fabric_registered = false;
}

/**
 * tbsim_host_free() - free what a host still holds once nothing runs
 * @host: an unregistered host, its work canceled
 */
void tbsim_host_free(struct tbsim_host *host)
{
	if (host->props)
		tb_property_free_dir(host->props);
	host->props = NULL;
	if (host->dev)
		device_unregister(host->dev);
	host->dev = NULL;
	if (host->worker)
		kthread_destroy_worker(host->worker);
	host->worker = NULL;
	mutex_destroy(&host->props_lock);
	mutex_destroy(&host->domain_lock);
}

/* --- port operations: HopIDs, announcements, paths ------------------------ */

static struct tbsim_host *tbsim_port_host(struct tbs_port *port)
{
	return tbsim_port_to_svc(port)->host;
}

static int tbsim_alloc_hopid(struct tbs_port *port, int hopid, bool in)
{
	struct tbsim_host *host = tbsim_port_host(port);
	struct tbsim_link *link = host->link;
	int max = port->max_hopid;
	unsigned long *map = in ? host->in_hopids : host->out_hopids;
	unsigned long flags;
	int ret = 0;

	spin_lock_irqsave(&link->q_lock, flags);
	if (hopid == -1) {
		hopid = find_next_zero_bit(map, max + 1, TBS_MIN_HOPID);
		if (hopid > max)
			ret = -ENOSPC;
	} else if (hopid < TBS_MIN_HOPID || hopid > max) {
		ret = -EINVAL;
	} else if (test_bit(hopid, map)) {
		ret = -EBUSY;
	}
	if (!ret) {
		__set_bit(hopid, map);
		ret = hopid;
	}
	spin_unlock_irqrestore(&link->q_lock, flags);
	return ret;
}

static void tbsim_release_hopid(struct tbs_port *port, int hopid, bool in)
{
	struct tbsim_host *host = tbsim_port_host(port);
	struct tbsim_link *link = host->link;
	unsigned long *map = in ? host->in_hopids : host->out_hopids;
	unsigned long flags;
	bool held;

	if (hopid < TBS_MIN_HOPID || hopid > TBSIM_MAX_HOPID) {
		dev_warn(port->dev, "release of invalid HopID %d\n", hopid);
		return;
	}
	spin_lock_irqsave(&link->q_lock, flags);
	held = __test_and_clear_bit(hopid, map);
	spin_unlock_irqrestore(&link->q_lock, flags);
	if (!held)
		dev_warn(port->dev, "release of free %s HopID %d\n",
			 in ? "input" : "output", hopid);
}

static int tbsim_alloc_in_hopid(struct tbs_port *port, int hopid)
{
	return tbsim_alloc_hopid(port, hopid, true);
}

static int tbsim_alloc_out_hopid(struct tbs_port *port, int hopid)
{
	return tbsim_alloc_hopid(port, hopid, false);
}

static void tbsim_release_in_hopid(struct tbs_port *port, int hopid)
{
	tbsim_release_hopid(port, hopid, true);
}

static void tbsim_release_out_hopid(struct tbs_port *port, int hopid)
{
	tbsim_release_hopid(port, hopid, false);
}

static int tbsim_peer_stream_hopids(struct tbs_port *port, const char *name,
				    int *inhopid, int *outhopid)
{
	struct tbsim_host *peer = tbsim_port_host(port)->peer;
	int ret = -ENOENT;

	mutex_lock(&peer->props_lock);
	if (peer->props)
		ret = tbs_props_find_stream(peer->props, name, inhopid,
					    outhopid);
	mutex_unlock(&peer->props_lock);
	return ret;
}

/* Is @hopid the output HopID of a TX path of @host already? (q_lock) */
static bool tbsim_out_path_used(struct tbsim_host *host, int hopid)
{
	int i;

	for (i = 1; i < TBSIM_MAX_RINGS; i++)
		if (host->tx_rings[i] && host->tx_rings[i]->path_hop == hopid)
			return true;
	return false;
}

/*
 * Enter a path operation the way the thunderbolt core does: take the domain
 * lock, unless @may_skip and the service is already being removed (checked
 * first, as upstream reads xd->is_unplugged before it locks).  Returns
 * whether the lock is held.
 */
static bool tbsim_paths_lock(struct tbs_port *port, bool may_skip)
{
	struct tbsim_service *svc = tbsim_port_to_svc(port);
	struct tbsim_host *host = svc->host;
	struct tbsim_link *link = host->link;
	bool skip = may_skip && READ_ONCE(svc->unplugged);
	unsigned int delay;

	if (READ_ONCE(link->path_hold)) {
		atomic_inc(&link->paths_held);
		wait_event(link->hold_wq,
			   !READ_ONCE(link->path_hold) ||
			   READ_ONCE(svc->unplugged));
		atomic_dec(&link->paths_held);
	}
	if (skip)
		return false;
	mutex_lock(&host->domain_lock);
	delay = READ_ONCE(link->path_delay_ms);
	if (delay)
		msleep(delay);
	return true;
}

static int tbsim_enable_paths(struct tbs_port *port, int tx_hopid,
			      struct tbs_ring *tx, int rx_hopid,
			      struct tbs_ring *rx)
{
	struct tbsim_host *host = tbsim_port_host(port);
	struct tbsim_link *link = host->link;
	struct tbsim_ring *t = tx && tx_hopid >= 0 ? tx->fabric_priv : NULL;
	struct tbsim_ring *r = rx && rx_hopid >= 0 ? rx->fabric_priv : NULL;
	int max = port->max_hopid;
	unsigned long flags;
	int ret = 0;

	if (t && (!t->tx || t->host != host ||
		  tx_hopid < TBS_MIN_HOPID || tx_hopid > max))
		return -EINVAL;
	if (r && (r->tx || r->host != host ||
		  rx_hopid < TBS_MIN_HOPID || rx_hopid > max))
		return -EINVAL;

	tbsim_paths_lock(port, false);
	spin_lock_irqsave(&link->q_lock, flags);
	if (READ_ONCE(tbsim_port_to_svc(port)->unplugged))
		ret = -ENODEV;		/* the XDomain is gone */
	else if (!link->up)
		ret = -ENOTCONN;
	else if (t && (t->path_hop || tbsim_out_path_used(host, tx_hopid)))
		ret = -EBUSY;
	else if (r && (r->path_hop || host->in_path[rx_hopid]))
		ret = -EBUSY;
	if (!ret && t) {
		t->path_hop = tx_hopid;
		t->stalled = false;
	}
	if (!ret && r) {
		r->path_hop = rx_hopid;
		host->in_path[rx_hopid] = r;
	}
	spin_unlock_irqrestore(&link->q_lock, flags);
	mutex_unlock(&host->domain_lock);

	if (!ret) {
		tbsim_kick(host);
		tbsim_kick(host->peer);
	}
	return ret;
}

static void tbsim_disable_paths(struct tbs_port *port, int tx_hopid,
				struct tbs_ring *tx, int rx_hopid,
				struct tbs_ring *rx)
{
	struct tbsim_host *host = tbsim_port_host(port);
	struct tbsim_link *link = host->link;
	struct tbsim_ring *t = tx ? tx->fabric_priv : NULL;
	struct tbsim_ring *r = rx ? rx->fabric_priv : NULL;
	unsigned long flags;
	bool locked;

	locked = tbsim_paths_lock(port, true);
	spin_lock_irqsave(&link->q_lock, flags);
	if (t && t->path_hop == tx_hopid) {
		t->path_hop = 0;
		t->stalled = false;
	}
	if (r && r->path_hop == rx_hopid) {
		if (host->in_path[rx_hopid] == r)
			host->in_path[rx_hopid] = NULL;
		r->path_hop = 0;
	}
	spin_unlock_irqrestore(&link->q_lock, flags);
	if (locked)
		mutex_unlock(&host->domain_lock);

	/* Senders to the disabled paths now wait for credits that do not come. */
	tbsim_kick(host);
	tbsim_kick(host->peer);
}

/* The core is done with a removed port: check what it gave back, let go. */
static void tbsim_port_release(struct tbs_port *port)
{
	struct tbsim_service *svc = tbsim_port_to_svc(port);
	struct tbsim_host *host = svc->host;
	struct tbsim_link *link = host->link;
	unsigned long flags;
	bool leaked = false;
	int i;

	spin_lock_irqsave(&link->q_lock, flags);
	for (i = 0; i < TBSIM_MAX_RINGS; i++)
		leaked |= (host->tx_rings[i] &&
			   host->tx_rings[i]->core->port == port) ||
			  (host->rx_rings[i] &&
			   host->rx_rings[i]->core->port == port);
	spin_unlock_irqrestore(&link->q_lock, flags);
	if (leaked)
		dev_warn(&svc->dev, "port released with rings held\n");

	put_device(&svc->dev);
	if (atomic_dec_and_test(&link->ports))
		wake_up_all(&link->ports_wq);
}

const struct tbs_port_ops tbsim_port_ops = {
	.alloc_in_hopid = tbsim_alloc_in_hopid,
	.alloc_out_hopid = tbsim_alloc_out_hopid,
	.release_in_hopid = tbsim_release_in_hopid,
	.release_out_hopid = tbsim_release_out_hopid,
	.peer_stream_hopids = tbsim_peer_stream_hopids,
	.ring_alloc = tbsim_ring_alloc,
	.ring_free = tbsim_ring_free,
	.ring_start = tbsim_ring_start,
	.ring_stop = tbsim_ring_stop,
	.ring_post = tbsim_ring_post,
	.buf_alloc = tbsim_buf_alloc,
	.buf_free = tbsim_buf_free,
	.dma_device = tbsim_dma_device,
	.enable_paths = tbsim_enable_paths,
	.disable_paths = tbsim_disable_paths,
	.release = tbsim_port_release,
};
