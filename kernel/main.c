// SPDX-License-Identifier: GPL-2.0
/*
 * tbstream: module init/exit and the registry of fabrics and ports.
 *
 * tbs_lock (a mutex) serialises the control plane: the lists below, every
 * group's port and stream list, attach/detach and HopID changes.  The data
 * path never takes it.  Order: tbs_lock, then a stream's lock.
 *
 * Announcements are rebuilt by a per-fabric work item: any change schedules
 * it, so bursts of changes coalesce into one publish, and the fabric's
 * publish() runs without tbs_lock held (a fabric may add or remove ports
 * from it).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/refcount.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <linux/thunderbolt.h>

#include "compat.h"
#include "tbstream.h"

DEFINE_MUTEX(tbs_lock);		/* the control plane, see above */
LIST_HEAD(tbs_groups);
static LIST_HEAD(tbs_fabrics);
static LIST_HEAD(tbs_ports);

/**
 * struct tbs_fabric_entry - the core's record of a registered fabric
 * @node: in tbs_fabrics
 * @fabric: the fabric
 * @publish_work: rebuilds and publishes the announcement
 * @dead: unregistering: publish nothing more
 */
struct tbs_fabric_entry {
	struct list_head node;
	struct tbs_fabric *fabric;
	struct work_struct publish_work;
	bool dead;
};

/**
 * struct tbs_port_entry - the core's record of a port
 * @node: in tbs_ports until tbs_port_remove()
 * @port: the port
 * @users: one for the registration (until tbs_port_remove()), one per
 *	session using the port (until its start failed or its teardown ended)
 */
struct tbs_port_entry {
	struct list_head node;
	struct tbs_port *port;
	refcount_t users;
};

/**
 * tbs_port_get() - a session starts using a port
 * @port: a port still added (the caller holds tbs_lock or a reference)
 */
void tbs_port_get(struct tbs_port *port)
{
	struct tbs_port_entry *pe = port->core_priv;

	refcount_inc(&pe->users);
}

/**
 * tbs_port_put() - drop a reference on a port
 * @port: the port
 *
 * The last one hands the port back to its fabric (release()).
 */
void tbs_port_put(struct tbs_port *port)
{
	struct tbs_port_entry *pe = port->core_priv;

	if (!refcount_dec_and_test(&pe->users))
		return;
	port->core_priv = NULL;
	kfree(pe);
	port->ops->release(port);
}

/**
 * tbs_fabric_for_domain() - the fabric that serves a ConfigFS domain number
 * @domain: the domain of a group name
 *
 * The registered fabric with the narrowest [first_domain, last_domain] range
 * containing @domain wins, so the real fabric (which claims everything) only
 * gets what no simulated host claims.  Call with tbs_lock held.
 *
 * Return: the fabric or %NULL.
 */
struct tbs_fabric *tbs_fabric_for_domain(u32 domain)
{
	struct tbs_fabric_entry *fe;
	struct tbs_fabric *best = NULL;

	lockdep_assert_held(&tbs_lock);
	list_for_each_entry(fe, &tbs_fabrics, node) {
		struct tbs_fabric *f = fe->fabric;

		if (fe->dead || domain < f->first_domain ||
		    domain > f->last_domain)
			continue;
		if (!best || f->last_domain - f->first_domain <
			     best->last_domain - best->first_domain)
			best = f;
	}
	return best;
}

/**
 * tbs_find_port() - the port a group named "@domain-@route.@service" serves
 * @domain: domain number
 * @route: route of the peer
 * @service: service id
 *
 * Call with tbs_lock held.  Return: the port or %NULL.
 */
struct tbs_port *tbs_find_port(u32 domain, u64 route, u32 service)
{
	struct tbs_port_entry *pe;

	lockdep_assert_held(&tbs_lock);
	list_for_each_entry(pe, &tbs_ports, node) {
		struct tbs_port *p = pe->port;

		if (p->domain == domain && p->route == route &&
		    p->service == service)
			return p;
	}
	return NULL;
}

/**
 * struct tbs_port_announcement - one port's directory on its way out
 * @node: in tbs_publish_work()'s list
 * @port: the port, a reference held until the fabric has it
 * @dir: the streams attached to @port
 */
struct tbs_port_announcement {
	struct list_head node;
	struct tbs_port *port;
	struct tb_property_dir *dir;
};

/*
 * Builds every directory under tbs_lock, hands them over without it.  A
 * fabric with publish_port() gets the protocol keys host-wide and each port
 * its own streams; every port is announced again on any change, which costs
 * a property read per peer and keeps a port that missed one (out of memory)
 * from staying stale.
 */
static void tbs_publish_work(struct work_struct *work)
{
	struct tbs_fabric_entry *fe =
		container_of(work, struct tbs_fabric_entry, publish_work);
	struct tbs_fabric *fabric = fe->fabric;
	bool per_port = fabric->ops->publish_port;
	struct tbs_port_announcement *pa, *tmp;
	struct tb_property_dir *dir;
	struct tbs_port_entry *pe;
	LIST_HEAD(ports);
	bool oom = false;
	int ret;

	mutex_lock(&tbs_lock);
	if (fe->dead) {
		mutex_unlock(&tbs_lock);
		return;
	}
	dir = tbs_props_build(per_port ? NULL : fabric, NULL);
	list_for_each_entry(pe, &tbs_ports, node) {
		if (!per_port || !dir || pe->port->fabric != fabric)
			continue;
		pa = kzalloc(sizeof(*pa), GFP_KERNEL);
		if (pa)
			pa->dir = tbs_props_build(NULL, pe->port);
		if (!pa || !pa->dir) {
			kfree(pa);
			oom = true;
			continue;
		}
		tbs_port_get(pe->port);
		pa->port = pe->port;
		list_add_tail(&pa->node, &ports);
	}
	mutex_unlock(&tbs_lock);
	if (!dir || oom)
		pr_warn("%s: out of memory building the announcement\n",
			fabric->name);
	if (dir) {
		ret = fabric->ops->publish(fabric, dir);
		if (ret)
			pr_warn("%s: publishing the announcement failed: %d\n",
				fabric->name, ret);
	}
	list_for_each_entry_safe(pa, tmp, &ports, node) {
		ret = fabric->ops->publish_port(pa->port, pa->dir);
		if (ret)
			dev_warn(pa->port->dev,
				 "announcing the streams to this peer failed: %d\n",
				 ret);
		tbs_port_put(pa->port);
		list_del(&pa->node);
		kfree(pa);
	}
}

/**
 * tbs_publish() - schedule a rebuild of a fabric's announcement
 * @fabric: the local host whose streams changed, may be %NULL
 *
 * Coalesces: many calls before the work runs publish once.
 */
void tbs_publish(struct tbs_fabric *fabric)
{
	struct tbs_fabric_entry *fe = fabric ? fabric->core_priv : NULL;

	if (fe && !fe->dead)
		schedule_work(&fe->publish_work);
}

/**
 * tbs_fabric_register() - make a local host known to the core
 * @fabric: the fabric, with every field but @core_priv set
 *
 * Publishes the host's (still empty) `stream` service directory soon after.
 *
 * Return: 0 or -ENOMEM.
 */
int tbs_fabric_register(struct tbs_fabric *fabric)
{
	struct tbs_fabric_entry *fe;

	if (WARN_ON(!fabric->ops || !fabric->ops->publish ||
		    fabric->first_domain > fabric->last_domain))
		return -EINVAL;
	fe = kzalloc(sizeof(*fe), GFP_KERNEL);
	if (!fe)
		return -ENOMEM;
	fe->fabric = fabric;
	INIT_WORK(&fe->publish_work, tbs_publish_work);

	mutex_lock(&tbs_lock);
	fabric->core_priv = fe;
	list_add_tail(&fe->node, &tbs_fabrics);
	tbs_publish(fabric);
	mutex_unlock(&tbs_lock);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(tbs_fabric_register, TBS_NS);

/**
 * tbs_fabric_unregister() - forget a local host
 * @fabric: a registered fabric whose ports have all been removed
 *
 * Waits for a pending publish, then withdraws the announcement through
 * publish(%NULL) before it returns.
 */
void tbs_fabric_unregister(struct tbs_fabric *fabric)
{
	struct tbs_fabric_entry *fe = fabric->core_priv;
	struct tbs_port_entry *pe;

	mutex_lock(&tbs_lock);
	list_for_each_entry(pe, &tbs_ports, node)
		WARN_ON(pe->port->fabric == fabric);
	fe->dead = true;
	list_del(&fe->node);
	mutex_unlock(&tbs_lock);

	cancel_work_sync(&fe->publish_work);
	fabric->ops->publish(fabric, NULL);
	fabric->core_priv = NULL;
	kfree(fe);
}
EXPORT_SYMBOL_NS_GPL(tbs_fabric_unregister, TBS_NS);

static struct tbs_group *tbs_group_for_port(struct tbs_port *port)
{
	struct tbs_group *g;

	list_for_each_entry(g, &tbs_groups, node) {
		if (g->domain == port->domain && g->route == port->route &&
		    g->service == port->service)
			return g;
	}
	return NULL;
}

/**
 * tbs_port_add() - publish a peer's stream service to the core
 * @port: filled in by the fabric, @core_priv excepted
 *
 * A ConfigFS group of the same name attaches now or when it is created.
 *
 * Return: 0, -EEXIST if a port of that name exists, -ENOMEM.
 */
int tbs_port_add(struct tbs_port *port)
{
	struct tbs_port_entry *pe;
	struct tbs_stream *s;
	struct tbs_group *g;

	pe = kzalloc(sizeof(*pe), GFP_KERNEL);
	if (!pe)
		return -ENOMEM;
	pe->port = port;
	refcount_set(&pe->users, 1);

	mutex_lock(&tbs_lock);
	if (tbs_find_port(port->domain, port->route, port->service)) {
		mutex_unlock(&tbs_lock);
		kfree(pe);
		return -EEXIST;
	}
	port->core_priv = pe;
	list_add_tail(&pe->node, &tbs_ports);

	g = tbs_group_for_port(port);
	if (g) {
		g->port = port;
		list_for_each_entry(s, &g->streams, node)
			tbs_stream_attach(s, port);
	}
	/* a new peer's own directory, streams or not (nhi.c pads it) */
	if (g || port->fabric->ops->publish_port)
		tbs_publish(port->fabric);
	mutex_unlock(&tbs_lock);
	dev_dbg(port->dev, "stream port %u-%llx.%u added\n", port->domain,
		port->route, port->service);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(tbs_port_add, TBS_NS);

/* Tear down the sessions collected under the locks, none held now. */
static void tbs_kill_sessions(struct list_head *list, int reason)
{
	struct tbs_session *sess, *tmp;

	list_for_each_entry_safe(sess, tmp, list, kill_node) {
		list_del(&sess->kill_node);
		tbs_session_kill(sess, reason);
	}
}

/**
 * tbs_port_remove() - take a port away from the core
 * @port: a port added with tbs_port_add()
 *
 * Detaches every stream attached to it and releases their HopIDs; open
 * files see -ENXIO and their sessions are torn down (rings stopped and
 * freed) before it returns.  It waits for nothing that may need a lock of
 * the fabric's: a session another thread is starting or closing at this
 * moment is told to give up and is torn down by that thread, which holds a
 * reference on the port; the fabric gets the port back through release()
 * when the last reference goes (possibly before this returns).
 */
void tbs_port_remove(struct tbs_port *port)
{
	struct tbs_port_entry *pe = port->core_priv;
	struct tbs_session *sess;
	struct tbs_stream *s;
	struct tbs_group *g;
	LIST_HEAD(kill);

	mutex_lock(&tbs_lock);
	g = tbs_group_for_port(port);
	if (g && g->port == port) {
		list_for_each_entry(s, &g->streams, node) {
			sess = tbs_stream_detach(s, -ENXIO);
			if (sess)
				list_add_tail(&sess->kill_node, &kill);
		}
		g->port = NULL;
		tbs_publish(port->fabric);
	}
	list_del(&pe->node);
	mutex_unlock(&tbs_lock);
	tbs_kill_sessions(&kill, -ENXIO);
	dev_dbg(port->dev, "stream port %u-%llx.%u removed\n", port->domain,
		port->route, port->service);
	tbs_port_put(port);
}
EXPORT_SYMBOL_NS_GPL(tbs_port_remove, TBS_NS);

/**
 * tbs_port_suspend() - the system goes to sleep: end the port's sessions
 * @port: a port added with tbs_port_add()
 *
 * Open files see -ENXIO as on unplug; the streams stay attached with their
 * HopIDs, and files opened after resume start new sessions.
 */
void tbs_port_suspend(struct tbs_port *port)
{
	struct tbs_session *sess;
	struct tbs_stream *s;
	struct tbs_group *g;
	LIST_HEAD(kill);

	mutex_lock(&tbs_lock);
	g = tbs_group_for_port(port);
	if (g && g->port == port) {
		list_for_each_entry(s, &g->streams, node) {
			sess = tbs_stream_suspend(s);
			if (sess)
				list_add_tail(&sess->kill_node, &kill);
		}
	}
	mutex_unlock(&tbs_lock);
	tbs_kill_sessions(&kill, -ENXIO);
}
EXPORT_SYMBOL_NS_GPL(tbs_port_suspend, TBS_NS);

static int __init tbs_init(void)
{
	int ret;

	ret = tbs_chardev_init();
	if (ret)
		return ret;
	ret = tbs_configfs_init();
	if (ret)
		goto err_chardev;
	ret = tbs_nhi_init();
	if (ret)
		goto err_configfs;
	tbs_debugfs_init();
	return 0;

err_configfs:
	tbs_configfs_exit();
err_chardev:
	tbs_chardev_exit();
	return ret;
}

static void __exit tbs_exit(void)
{
	tbs_debugfs_exit();
	tbs_nhi_exit();
	tbs_configfs_exit();
	tbs_chardev_exit();
}

module_init(tbs_init);
module_exit(tbs_exit);

MODULE_DESCRIPTION("USB4STREAM: byte streams over Thunderbolt/USB4 DMA tunnels");
MODULE_LICENSE("GPL");
