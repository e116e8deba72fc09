// SPDX-License-Identifier: GPL-2.0
/*
 * tbstream: the stream object, its attachment to a port, and which session
 * is its current one (open and last close).  The data path of a session is
 * session.c.
 *
 * Lifetimes
 * =========
 *
 * Objects
 *   struct tbs_group    a ConfigFS service group; lives as long as the group
 *   struct tbs_stream   a ConfigFS stream item + /dev/tbstreamX (kref)
 *   struct tbs_session  the data path of an open stream: rings, frames, wait
 *                       queues (kref)
 *   struct tbs_port     owned by a fabric; added by tbs_port_add(), taken
 *                       away by tbs_port_remove(), handed back to the fabric
 *                       (ops->release()) with the last reference (main.c)
 *
 * References on a stream (tbs_stream.kref)
 *   - the ConfigFS item: taken at mkdir, dropped by the item's release
 *     (after rmdir, once ConfigFS itself lets go of the item);
 *   - a file being opened: taken under tbs_lock while the stream is in the
 *     index table (rmdir removes it from the table first), dropped when
 *     open returns (the session holds its own);
 *   - every session: sess->stream, taken at allocation, dropped when the
 *     session is freed.
 * References on a session (tbs_session.kref)
 *   - stream->session while it is the stream's current session, or
 *     stream->pending while one thread starts or closes it;
 *   - every open file (file->private_data).
 * References on a port (main.c, tbs_port_entry.users)
 *   - its registration, from tbs_port_add() to tbs_port_remove();
 *   - every session, from its allocation until its start failed or its
 *     teardown ended.  So a session another thread is starting or closing
 *     when the port is removed can still finish with the port.
 *   A stream holds none: it is attached (stream->port) and detached under
 *   tbs_lock + stream->lock.
 *
 * Locks (in this order)
 *   [fabric]            the thunderbolt core's tb->lock (the simulator's
 *                       domain_lock): held by the fabric around
 *                       tbs_port_remove() on hot-unplug, and taken inside
 *                       enable_paths() and disable_paths().  So no tbstream
 *                       lock is ever held across enable_paths() or
 *                       disable_paths(): they run from tbs_session_start()
 *                       and tbs_session_teardown() with no lock held, and
 *                       tbs_port_remove() waits for no session another
 *                       thread is starting or closing.  Other port
 *                       operations (HopIDs, the peer's announcement, ring
 *                       and buffer calls) take no lock the fabric holds
 *                       around tbs_port_remove() (backend.h) and may be
 *                       called under the locks below.
 *   tbs_lock            control plane: groups, ports, fabrics, attach and
 *                       detach, ConfigFS HopID changes, the index table,
 *                       publishing.  Global, so held only for list and
 *                       field updates: never across a session's start,
 *                       close or teardown, nor any wait; an open takes it
 *                       only to look its stream up in the index table
 *                       (chardev.c), and stream->lock keeps the port
 *   stream->lock        the configuration, ->port, ->session, ->pending,
 *                       ->removed and session->nfiles; never held across a
 *                       session's start, close or teardown
 *   session->tx_mutex   one writer at a time (keeps frames in order);
 *                       may be held across a user page fault
 *   session->rx_mutex   one reader at a time; rx_taken, rx_off, rx_eof;
 *                       may be held across a user page fault
 *   session->io_lock    rw_semaphore: readers and writers hold it shared
 *                       while they touch rings or frames; teardown, once
 *                       ->gone is set, takes it exclusive and drops it at
 *                       once: a barrier after which no I/O touches the
 *                       rings.  It holds it across nothing, least of all
 *                       disable_paths() (tb->lock)
 *   dmabuf.att_lock     a session's dma-buf attachments (dmabuf.c)
 *   session->tx_lock    spinlock: TX free list
 *   session->rx_lock    spinlock: RX ready list, rx_err
 *   Readers and writers share no lock but io_lock (shared): the stream is
 *   full duplex.  Ring callbacks take only the two spinlocks.
 *
 * What teardown waits for is bounded
 *   Teardown runs on unplug inside the fabric's hotplug path (tb->lock
 *   held), so whatever it waits for must end by itself.  It takes no
 *   mutex of the data path (tx_mutex, rx_mutex), only io_lock exclusive,
 *   and io_lock is never held shared across anything that can sleep for
 *   an unbounded time:
 *   - not while waiting for data, room or a dma-buf fence;
 *   - not across a user page fault: copies between frames and user memory
 *     under io_lock run with page faults disabled.  A copy that meets a
 *     page that is not there comes up short; the reader or writer drops
 *     io_lock, faults the page in with fault_in_iov_iter_*() (where a
 *     userfaultfd or FUSE page may keep it for as long as its owner likes,
 *     holding only rx_mutex or tx_mutex) and takes io_lock again, finding
 *     the session gone if it was torn down meanwhile (-ENXIO, -EPIPE);
 *   - not across an exporter's dma-buf mapping: an attach reads what the
 *     session offers under io_lock, then maps holding only a reference on
 *     the port (dmabuf.c).
 *   The only sleeps under io_lock shared are allocations and the copies
 *   from a dma-buf's kernel mapping on the CPU path.
 *
 * Start, close and teardown happen outside the locks
 *   A stream has at most one session in transition, stream->pending, owned
 *   by the thread that set it under stream->lock:
 *   - first open: allocates the session under stream->lock alone (it
 *     takes the port, HopIDs and ring size from the stream), sets it
 *     pending, drops both locks, then allocates rings and frames and
 *     enables the paths (tbs_session_start()); it publishes the session as
 *     stream->session under stream->lock, unless it was told to give up
 *     meanwhile (->gone set), in which case it tears down what it built and
 *     open fails with -ENXIO (unplug) or -ENODEV (rmdir);
 *   - last close: moves the session from stream->session to pending, sends
 *     CLOSE, waits up to TBS_CLOSE_TIMEOUT_MS for TX to drain and tears
 *     down, all without a lock; then clears pending.
 *   Other opens, HopID and ring size changes wait (-EBUSY for ConfigFS)
 *   while a session is pending.  Unplug, rmdir and suspend never wait for
 *   the owner while holding anything: they set ->gone and ->abandon on the
 *   pending session (which makes a close stop draining and send nothing
 *   more) and leave its teardown to its owner.
 *
 * Teardown (tbs_session_teardown)
 *   Sets session->gone, wakes every waiter, takes and drops io_lock
 *   exclusive (waits for in-flight I/O to leave the rings, which is
 *   bounded: above), disables the paths with no lock held, stops the
 *   RX then TX ring (every posted frame comes back canceled, no callback
 *   runs afterwards; thunderbolt-net's order, session.c says why),
 *   releases every dma-buf mapping made for the port's
 *   DMA device (dmabuf.c), frees buffers and rings and drops the session's
 *   reference on the port.  I/O that enters later sees ->gone under
 *   io_lock and never touches a ring.  The session to tear down is always
 *   first taken from the stream under stream->lock, so exactly one thread
 *   tears it down, with no tbstream lock held:
 *   - on last close: the closing thread (above);
 *   - on hot-unplug: tbs_port_remove() detaches every stream of the port
 *     under tbs_lock (HopIDs released, the current session taken), then
 *     tears the sessions down after dropping tbs_lock.  It is called with
 *     tb->lock held: disable_paths() of a port being removed does not take
 *     it (upstream: xd->is_unplugged).  Open files keep their session (now
 *     gone: -ENXIO, POLLHUP|POLLERR) until they are closed; a later open
 *     after re-plug gets a new session;
 *   - on rmdir: tbs_stream_drop() -> gone = -EPIPE: reads return EOF,
 *     writes -EPIPE; the device node and index go away at once.  An open
 *     session becomes pending and rmdir closes it as a last close would
 *     (tbs_session_close_removed(): the peer gets a CLOSE after the last
 *     data frame, bounded by TBS_CLOSE_TIMEOUT_MS); one another thread
 *     is starting or closing is told to give up (->abandon).  The HopIDs
 *     are released once the pending session is torn down;
 *   - on system sleep: tbs_port_suspend() -> gone = -ENXIO, the stream
 *     stays attached with its HopIDs.
 * Module unload
 *   ConfigFS pins the module while any group exists, open files pin it via
 *   the cdev/fops owner, and fabrics (tbstream_sim) pin it by symbol use.
 */
#include <linux/slab.h>

#include "tbstream.h"

static void tbs_stream_release(struct kref *kref)
{
	struct tbs_stream *s = container_of(kref, struct tbs_stream, kref);

	kfree(s);
	atomic_dec(&tbs_live_streams);
}

/**
 * tbs_stream_put() - drop a reference on a stream
 * @s: the stream
 */
void tbs_stream_put(struct tbs_stream *s)
{
	kref_put(&s->kref, tbs_stream_release);
}

/* ---- HopIDs and attachment (s->lock held; tbs_lock too, but at open) --- */

static int tbs_alloc_hopid(struct tbs_stream *s, bool in, int want)
{
	struct tbs_port *port = s->port;
	int got;

	got = in ? port->ops->alloc_in_hopid(port, want) :
		   port->ops->alloc_out_hopid(port, want);
	if (got < 0)
		return got;
	if (want > 0 && got != want) {
		/* A fabric that returned the next free one: not what we asked. */
		if (in)
			port->ops->release_in_hopid(port, got);
		else
			port->ops->release_out_hopid(port, got);
		return -EBUSY;
	}
	return got;
}

static void tbs_release_hopids(struct tbs_stream *s)
{
	struct tbs_port *port = s->port;

	if (s->in_hopid > 0)
		port->ops->release_in_hopid(port, s->in_hopid);
	if (s->out_hopid > 0)
		port->ops->release_out_hopid(port, s->out_hopid);
	s->in_hopid = 0;
	s->out_hopid = 0;
}

static bool tbs_stream_configured(struct tbs_stream *s)
{
	return s->in_hopid >= TBS_MIN_HOPID && s->out_hopid >= TBS_MIN_HOPID;
}

/*
 * Reserve the HopIDs the configuration asks for on the attached port.  Both
 * unset (<= 0): take them from the peer's announcement of the same name,
 * swapped, and follow it when it changes (checked at attach and at every
 * first open); if the peer announces nothing, -1 falls back to any free
 * HopID.  Returns 1 if the reserved HopIDs changed (publish), 0 if not, or
 * a negative errno.
 */
static int tbs_stream_configure(struct tbs_stream *s)
{
	struct tbs_port *port = s->port;
	int old_in = s->in_hopid, old_out = s->out_hopid;
	int ret, pin, pout;

	if (s->cfg_in_hopid <= 0 && s->cfg_out_hopid <= 0) {
		ret = port->ops->peer_stream_hopids(port, s->name, &pin, &pout);
		if (!ret) {
			if (s->in_hopid == pout && s->out_hopid == pin)
				return 0;
			tbs_release_hopids(s);
			ret = tbs_alloc_hopid(s, true, pout);
			if (ret < 0)
				goto err_peer;
			s->in_hopid = ret;
			ret = tbs_alloc_hopid(s, false, pin);
			if (ret < 0)
				goto err_peer;
			s->out_hopid = ret;
			dev_dbg(port->dev, "%s: HopIDs from the peer: in %d out %d\n",
				s->name, s->in_hopid, s->out_hopid);
			return 1;
		}
	}

	if (s->cfg_in_hopid && !s->in_hopid) {
		ret = tbs_alloc_hopid(s, true, s->cfg_in_hopid);
		if (ret < 0)
			goto err;
		s->in_hopid = ret;
	}
	if (s->cfg_out_hopid && !s->out_hopid) {
		ret = tbs_alloc_hopid(s, false, s->cfg_out_hopid);
		if (ret < 0)
			goto err;
		s->out_hopid = ret;
	}
	return s->in_hopid != old_in || s->out_hopid != old_out;

err_peer:
	dev_warn(port->dev, "%s: cannot reserve the peer's HopIDs %d/%d: %d\n",
		 s->name, pout, pin, ret);
	tbs_release_hopids(s);
	return old_in || old_out ? 1 : ret;
err:
	dev_warn(port->dev, "%s: cannot reserve HopIDs: %d\n", s->name, ret);
	return s->in_hopid != old_in || s->out_hopid != old_out ? 1 : ret;
}

/*
 * Take the current session away from the stream (s->lock held); the caller
 * tears it down once it holds no lock (tbs_session_kill()).  A session that
 * another thread is starting or closing (s->pending) is that thread's to
 * tear down: it is only told to give up.
 */
static struct tbs_session *tbs_stream_take_session(struct tbs_stream *s,
						   int reason)
{
	struct tbs_session *sess = s->session;

	lockdep_assert_held(&s->lock);
	if (s->pending) {
		WRITE_ONCE(s->pending->abandon, true);
		WRITE_ONCE(s->pending->gone, reason);
		wake_up_all(&s->pending->tx_wq);
	}
	if (sess) {
		WRITE_ONCE(sess->gone, reason);
		s->session = NULL;
	}
	return sess;
}

/*
 * The pending session @sess was torn down by this thread: opens and rmdir
 * waiting for it go on, and pending's reference on it goes.
 */
static void tbs_stream_end_pending(struct tbs_stream *s,
				   struct tbs_session *sess)
{
	mutex_lock(&s->lock);
	s->pending = NULL;
	wake_up_all(&s->attach_wq);
	mutex_unlock(&s->lock);
	tbs_session_put(sess);
}

/**
 * tbs_session_kill() - tear down a session taken from its stream
 * @sess: the session, its stream's reference handed over; may be %NULL
 * @reason: what its files see from now on
 *
 * Call with no tbstream lock held: teardown calls into the fabric.
 */
void tbs_session_kill(struct tbs_session *sess, int reason)
{
	if (!sess)
		return;
	tbs_session_teardown(sess, reason);
	tbs_session_put(sess);
}

/**
 * tbs_stream_attach() - a port for the stream's group appeared
 * @s: the stream
 * @port: the port
 *
 * Reserves HopIDs as configured and wakes blocked openers.  The caller holds
 * tbs_lock and publishes afterwards.
 */
void tbs_stream_attach(struct tbs_stream *s, struct tbs_port *port)
{
	lockdep_assert_held(&tbs_lock);
	mutex_lock(&s->lock);
	s->port = port;
	tbs_stream_configure(s);
	wake_up_all(&s->attach_wq);
	mutex_unlock(&s->lock);
}

/**
 * tbs_stream_detach() - the stream's port goes away
 * @s: the stream
 * @reason: what open files see from now on (-ENXIO)
 *
 * Releases HopIDs and detaches.  The caller holds tbs_lock, publishes
 * afterwards and tears the returned session down with tbs_session_kill()
 * once it dropped tbs_lock.
 *
 * Return: the stream's session, or %NULL.
 */
struct tbs_session *tbs_stream_detach(struct tbs_stream *s, int reason)
{
	struct tbs_session *sess = NULL;

	lockdep_assert_held(&tbs_lock);
	mutex_lock(&s->lock);
	if (s->port) {
		sess = tbs_stream_take_session(s, reason);
		tbs_release_hopids(s);
		s->port = NULL;
	}
	mutex_unlock(&s->lock);
	return sess;
}

/**
 * tbs_stream_suspend() - end the stream's open session, stay attached
 * @s: the stream (tbs_lock held)
 *
 * Return: the session to tear down with tbs_session_kill(), or %NULL.
 */
struct tbs_session *tbs_stream_suspend(struct tbs_stream *s)
{
	struct tbs_session *sess;

	lockdep_assert_held(&tbs_lock);
	mutex_lock(&s->lock);
	sess = tbs_stream_take_session(s, -ENXIO);
	mutex_unlock(&s->lock);
	return sess;
}

/**
 * tbs_stream_set_hopid() - ConfigFS write of in_hopid or out_hopid
 * @s: the stream
 * @in: in_hopid (true) or out_hopid
 * @hopid: -1 any, 0 release, or a HopID >= 8
 *
 * Return: 0, -EINVAL, -EBUSY (open, or HopID taken), or the fabric's error.
 */
int tbs_stream_set_hopid(struct tbs_stream *s, bool in, int hopid)
{
	int *cfg = in ? &s->cfg_in_hopid : &s->cfg_out_hopid;
	int *cur = in ? &s->in_hopid : &s->out_hopid;
	struct tbs_fabric *fabric = NULL;
	int ret = 0, got;

	if (hopid != -1 && hopid != 0 &&
	    (hopid < TBS_MIN_HOPID || hopid > TBS_MAX_HOPID))
		return -EINVAL;

	mutex_lock(&tbs_lock);
	mutex_lock(&s->lock);
	if (s->session || s->pending) {
		ret = -EBUSY;
		goto out;
	}
	if (s->removed) {
		ret = -ENODEV;
		goto out;
	}
	if (s->port) {
		struct tbs_port *port = s->port;

		if (hopid > port->max_hopid) {
			ret = -EINVAL;
			goto out;
		}
		if (hopid && (*cur == hopid || (hopid == -1 && *cur))) {
			/* keep what we have */
		} else {
			got = 0;
			if (hopid) {
				got = tbs_alloc_hopid(s, in, hopid);
				if (got < 0) {
					ret = got;
					goto out;
				}
			}
			if (*cur > 0) {
				if (in)
					port->ops->release_in_hopid(port, *cur);
				else
					port->ops->release_out_hopid(port, *cur);
			}
			*cur = got;
		}
		fabric = port->fabric;
	}
	*cfg = hopid;
out:
	mutex_unlock(&s->lock);
	if (fabric)
		tbs_publish(fabric);
	mutex_unlock(&tbs_lock);
	return ret;
}

/**
 * tbs_stream_state() - the stream's state for the `state` attribute
 * @s: the stream (caller holds @s->lock)
 *
 * Return: "detached", "unconfigured", "ready", "open" or "failed".
 */
const char *tbs_stream_state(struct tbs_stream *s)
{
	if (!s->port)
		return "detached";
	if (s->session)
		return READ_ONCE(s->session->rx_err) ? "failed" : "open";
	if (s->pending)
		return "open";		/* starting or closing */
	return tbs_stream_configured(s) ? "ready" : "unconfigured";
}

/* See tbs_stream_create().  Call with tbs_lock held. */
static bool tbs_name_used_on_host(struct tbs_fabric *fabric, const char *name)
{
	struct tbs_stream *o;
	struct tbs_group *g;

	if (fabric && fabric->ops->publish_port)
		return false;
	list_for_each_entry(g, &tbs_groups, node) {
		if (tbs_fabric_for_domain(g->domain) != fabric)
			continue;
		list_for_each_entry(o, &g->streams, node) {
			if (!strcmp(o->name, name))
				return true;
		}
	}
	return false;
}

/**
 * tbs_stream_create() - ConfigFS mkdir of a stream item
 * @group: its service group
 * @name: its name (checked by the caller: 1..TBS_NAME_MAX characters)
 *
 * Where one announcement tells every peer about every stream (6.1, 6.12,
 * the simulator), names are unique per local host: -EEXIST if another group
 * served by the same fabric has one of that name.  A fabric that announces
 * to each peer its own streams (publish_port(), 7.2) needs them unique only
 * within the group, as ConfigFS keeps them.
 *
 * Return: the stream (one reference, the item's) or an ERR_PTR().
 */
struct tbs_stream *tbs_stream_create(struct tbs_group *group, const char *name)
{
	struct tbs_fabric *fabric;
	struct tbs_stream *s;
	int ret;

	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return ERR_PTR(-ENOMEM);
	atomic_inc(&tbs_live_streams);
	kref_init(&s->kref);
	strscpy(s->name, name, sizeof(s->name));
	uuid_gen(&s->uuid);
	mutex_init(&s->lock);
	init_waitqueue_head(&s->attach_wq);
	s->ring_size = TBS_RING_SIZE_DEFAULT;
	s->throttling = TBS_THROTTLING_DEFAULT;

	mutex_lock(&tbs_lock);
	fabric = tbs_fabric_for_domain(group->domain);
	if (tbs_name_used_on_host(fabric, s->name)) {
		ret = -EEXIST;
		goto err_unlock;
	}
	ret = tbs_chardev_add(s);
	if (ret)
		goto err_unlock;
	s->group = group;
	list_add_tail(&s->node, &group->streams);
	if (group->port) {
		tbs_stream_attach(s, group->port);
		tbs_publish(group->port->fabric);
	}
	mutex_unlock(&tbs_lock);
	return s;

err_unlock:
	mutex_unlock(&tbs_lock);
	tbs_stream_put(s);
	return ERR_PTR(ret);
}

/**
 * tbs_stream_drop() - ConfigFS rmdir of a stream item
 * @s: the stream
 *
 * Open files see EOF on read and -EPIPE on write; blocked openers fail with
 * -ENODEV.  An open session is closed as by its last file, so the peer
 * sees a CLOSE after the data already queued (up to TBS_CLOSE_TIMEOUT_MS).
 * The item's reference is dropped by the caller (ConfigFS).
 */
void tbs_stream_drop(struct tbs_stream *s)
{
	struct tbs_session *sess = NULL;
	struct tbs_fabric *fabric = NULL;
	struct tbs_port *port;

	mutex_lock(&tbs_lock);
	list_del(&s->node);
	s->group = NULL;
	tbs_chardev_remove(s);
	mutex_lock(&s->lock);
	s->removed = true;
	sess = tbs_stream_take_session(s, -EPIPE);
	/*
	 * An open session is closed as at a last close, CLOSE and all, by
	 * this thread: pending (its reference moves there), so that opens
	 * wait.  Off the group's list, the stream is out of an unplug's
	 * reach meanwhile: the close then ends at its own time bound.
	 */
	if (sess)
		s->pending = sess;
	/*
	 * Off the group's list, an unplug no longer detaches the stream: its
	 * port may be removed meanwhile, so hold it until the HopIDs are given
	 * back below.  Nothing else changes s->port from here on.
	 */
	port = s->port;
	if (port)
		tbs_port_get(port);
	wake_up_all(&s->attach_wq);
	mutex_unlock(&s->lock);
	mutex_unlock(&tbs_lock);
	if (sess) {
		tbs_session_close_removed(sess);
		tbs_stream_end_pending(s, sess);
	}

	/*
	 * A session being started or closed still uses the HopIDs' paths:
	 * keep the HopIDs until its owner tore it down (told to hurry above;
	 * neither waits for anything rmdir holds).
	 */
	wait_event(s->attach_wq, !READ_ONCE(s->pending));

	mutex_lock(&tbs_lock);
	mutex_lock(&s->lock);
	if (s->port) {
		fabric = s->port->fabric;
		tbs_release_hopids(s);
		s->port = NULL;
	}
	mutex_unlock(&s->lock);
	if (fabric)
		tbs_publish(fabric);
	mutex_unlock(&tbs_lock);
	if (port)
		tbs_port_put(port);
}

/*
 * Start @sess, the stream's pending session, with no lock held: the fabric
 * may sleep on its own locks (tb->lock) in enable_paths(), and its hotplug
 * path holds them while it calls tbs_port_remove(), which takes ours.  An
 * unplug, rmdir or suspend meanwhile sets ->gone; the start then fails and
 * this thread tears down what it built.
 */
static int tbs_session_open_new(struct tbs_stream *s,
				struct tbs_session *sess,
				struct tbs_session **sessp)
{
	int ret;

	ret = tbs_session_start(sess);

	mutex_lock(&s->lock);
	s->pending = NULL;
	/* Told to give up: the port went (its error would say less) or rmdir. */
	if (READ_ONCE(sess->gone))
		ret = s->removed ? -ENODEV : -ENXIO;
	if (!ret) {
		/* One reference for s->session, the allocation's for the file. */
		kref_get(&sess->kref);
		sess->nfiles = 1;
		s->session = sess;
		*sessp = sess;
	}
	wake_up_all(&s->attach_wq);
	mutex_unlock(&s->lock);

	if (ret) {
		if (sess->started)
			tbs_session_teardown(sess, ret);
		tbs_session_put(sess);
		if (ret == -ENOTCONN)
			ret = -ENXIO;
	}
	return ret;
}

/**
 * tbs_session_open() - open a stream's device
 * @s: the stream; the caller holds a reference, which the session takes
 *     over on success
 * @nonblock: O_NONBLOCK: fail with -ENXIO instead of waiting for a peer
 * @sessp: the session the file uses
 *
 * Blocks until the stream is attached.  The first open starts the session
 * (rings, frames, paths); later opens share it.
 *
 * Return: 0, -ENXIO, -EINVAL (no HopIDs and no announcement), -ENODEV
 * (removed), -ERESTARTSYS or the fabric's error.
 */
int tbs_session_open(struct tbs_stream *s, bool nonblock,
		     struct tbs_session **sessp)
{
	struct tbs_session *sess;
	int ret;

	for (;;) {
		sess = NULL;
		/*
		 * Only the stream's own lock: while s->port is set under it the
		 * port stays added (detach takes it), and the fabric allocates
		 * HopIDs under its own locks.  Opens of other streams, ConfigFS
		 * and hotplug never wait for this one.
		 */
		mutex_lock(&s->lock);
		if (s->removed) {
			ret = -ENODEV;
		} else if (s->pending) {
			ret = -EINPROGRESS;	/* wait for its owner */
		} else if (s->session) {
			*sessp = s->session;
			kref_get(&s->session->kref);
			s->session->nfiles++;
			ret = 0;
		} else if (s->port) {
			/* The port, hence its fabric, stays while we hold s->lock. */
			if (tbs_stream_configure(s) > 0)
				tbs_publish(s->port->fabric);
			if (!tbs_stream_configured(s)) {
				ret = -EINVAL;
			} else {
				sess = tbs_session_alloc(s);
				ret = PTR_ERR_OR_ZERO(sess);
				if (!ret)
					s->pending = sess;
			}
		} else {
			ret = -EAGAIN;
		}
		mutex_unlock(&s->lock);

		if (!ret && sess)
			ret = tbs_session_open_new(s, sess, sessp);
		if (!ret)
			tbs_stream_put(s);	/* the session holds one */
		if (ret != -EAGAIN && ret != -EINPROGRESS)
			return ret;
		if (nonblock && ret == -EAGAIN)
			return -ENXIO;
		if (wait_event_interruptible(s->attach_wq,
					     (READ_ONCE(s->port) &&
					      !READ_ONCE(s->pending)) ||
					     READ_ONCE(s->removed)))
			return -ERESTARTSYS;
	}
}

/**
 * tbs_session_release() - a file of the session is closed
 * @sess: the session
 *
 * The last file of the stream's current session closes it gracefully.
 */
void tbs_session_release(struct tbs_session *sess)
{
	struct tbs_stream *s = sess->stream;
	bool last = false;

	mutex_lock(&s->lock);
	if (s->session == sess && !--sess->nfiles) {
		/* s->session's reference goes with it to s->pending. */
		s->session = NULL;
		s->pending = sess;
		last = true;
	}
	mutex_unlock(&s->lock);

	if (last) {
		/* Up to TBS_CLOSE_TIMEOUT_MS and a teardown: no lock held. */
		tbs_session_close(sess);
		tbs_stream_end_pending(s, sess);
	}
	tbs_session_put(sess);
}
