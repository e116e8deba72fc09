// SPDX-License-Identifier: GPL-2.0
/*
 * tbstream: the stream object, its attachment to a port, and the data path.
 *
 * Lifetimes
 * =========
 *
 * Objects
 *   struct tbs_group    a ConfigFS service group; lives as long as the group
 *   struct tbs_stream   a ConfigFS stream item + /dev/tbstreamX (kref)
 *   struct tbs_session  the data path of an open stream: rings, frames, wait
 *                       queues (kref)
 *   struct tbs_port     owned by a fabric; valid between tbs_port_add() and
 *                       the return of tbs_port_remove()
 *
 * References on a stream (tbs_stream.kref)
 *   - the ConfigFS item: taken at mkdir, dropped by the item's release
 *     (after rmdir, once ConfigFS itself lets go of the item);
 *   - a file being opened: taken under tbs_lock while the stream is in the
 *     index table (rmdir removes it from the table first), handed over to
 *     the session or dropped if open fails;
 *   - every session: sess->stream, dropped when the session is freed.
 * References on a session (tbs_session.kref)
 *   - stream->session while it is the stream's current session;
 *   - every open file (file->private_data).
 *   A port holds no reference: it is attached (stream->port) and detached
 *   under tbs_lock + stream->lock, and detaching tears the session down.
 *
 * Locks (in this order)
 *   tbs_lock            control plane: groups, ports, fabrics, attach and
 *                       detach, HopID changes, the index table, publishing
 *   stream->lock        the configuration, ->port, ->session, ->removed and
 *                       session->nfiles; held across session start/teardown
 *   session->tx_mutex   one writer at a time (keeps frames in order)
 *   session->rx_mutex   one reader at a time; rx_off, rx_eof
 *   session->io_lock    rw_semaphore: readers and writers hold it shared
 *                       while they touch rings or frames (never while they
 *                       sleep waiting for data or room); teardown holds it
 *                       exclusive while it disables paths and frees rings
 *   session->tx_lock    spinlock: TX free list
 *   session->rx_lock    spinlock: RX ready list, rx_err
 *   Readers and writers share no lock but io_lock (shared): the stream is
 *   full duplex.  Ring callbacks take only the two spinlocks.
 *
 * Teardown (tbs_session_teardown)
 *   Sets session->gone, wakes every waiter, takes io_lock exclusive (waits
 *   for in-flight I/O to leave the rings), disables the paths, stops the
 *   RX then TX ring (every posted frame comes back canceled, no callback
 *   runs afterwards), frees buffers and rings.  I/O that enters later sees
 *   ->gone under io_lock and never touches a ring.  It runs:
 *   - on last close: after sending CLOSE and waiting up to
 *     TBS_CLOSE_TIMEOUT_MS for the TX ring to drain;
 *   - on hot-unplug: tbs_port_remove() -> tbs_stream_detach(-ENXIO); the
 *     port's HopIDs are released afterwards and tbs_port_remove() returns
 *     only then, so the fabric may free the port.  Open files keep their
 *     session (now gone: -ENXIO, POLLHUP|POLLERR) until they are closed; a
 *     later open after re-plug gets a new session;
 *   - on rmdir: tbs_stream_drop() -> gone = -EPIPE: reads return EOF,
 *     writes -EPIPE; the device node and index go away at once;
 *   - on system sleep: tbs_port_suspend() -> gone = -ENXIO, the stream
 *     stays attached with its HopIDs.
 * Module unload
 *   ConfigFS pins the module while any group exists, open files pin it via
 *   the cdev/fops owner, and fabrics (tbstream_sim) pin it by symbol use.
 */
#include <linux/moduleparam.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/mm.h>
#include <linux/poll.h>

#include "tbstream.h"

/* Live objects, for leak checks: /sys/module/tbstream/parameters/live */
static atomic_t tbs_live_streams = ATOMIC_INIT(0);
static atomic_t tbs_live_sessions = ATOMIC_INIT(0);

static int tbs_live_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "streams %d sessions %d\n",
			  atomic_read(&tbs_live_streams),
			  atomic_read(&tbs_live_sessions));
}

static const struct kernel_param_ops tbs_live_ops = {
	.get = tbs_live_get,
};
module_param_cb(live, &tbs_live_ops, NULL, 0444);
MODULE_PARM_DESC(live, "stream and session objects alive (leak checks)");

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

static void tbs_session_free(struct kref *kref)
{
	struct tbs_session *sess = container_of(kref, struct tbs_session, kref);
	struct tbs_stream *s = sess->stream;

	WARN_ON(!sess->torn_down);
	kfree(sess);
	atomic_dec(&tbs_live_sessions);
	tbs_stream_put(s);
}

static void tbs_session_put(struct tbs_session *sess)
{
	kref_put(&sess->kref, tbs_session_free);
}

/* ---- HopIDs and attachment (tbs_lock and s->lock held) ---------------- */

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

static void tbs_session_teardown(struct tbs_session *sess, int reason);

/* Take the current session away from the stream and tear it down. */
static void tbs_stream_kill_session(struct tbs_stream *s, int reason)
{
	struct tbs_session *sess = s->session;

	if (!sess)
		return;
	s->session = NULL;
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
 * @reason: what open files see from now on (-ENXIO, or -EPIPE for rmdir)
 *
 * Tears the session down and releases HopIDs.  The caller holds tbs_lock
 * and publishes afterwards.
 */
void tbs_stream_detach(struct tbs_stream *s, int reason)
{
	lockdep_assert_held(&tbs_lock);
	mutex_lock(&s->lock);
	if (s->port) {
		tbs_stream_kill_session(s, reason);
		tbs_release_hopids(s);
		s->port = NULL;
	}
	mutex_unlock(&s->lock);
}

/**
 * tbs_stream_suspend() - end the stream's open session, stay attached
 * @s: the stream (tbs_lock held)
 */
void tbs_stream_suspend(struct tbs_stream *s)
{
	lockdep_assert_held(&tbs_lock);
	mutex_lock(&s->lock);
	tbs_stream_kill_session(s, -ENXIO);
	mutex_unlock(&s->lock);
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
	if (s->session) {
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
	return tbs_stream_configured(s) ? "ready" : "unconfigured";
}

/**
 * tbs_stream_create() - ConfigFS mkdir of a stream item
 * @group: its service group
 * @name: its name (checked by the caller: 1..TBS_NAME_MAX characters)
 *
 * Names are unique per local host (6.1 has one global announcement):
 * -EEXIST if another group served by the same fabric has one of that name.
 *
 * Return: the stream (one reference, the item's) or an ERR_PTR().
 */
struct tbs_stream *tbs_stream_create(struct tbs_group *group, const char *name)
{
	struct tbs_fabric *fabric;
	struct tbs_stream *s, *o;
	struct tbs_group *g;
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
	list_for_each_entry(g, &tbs_groups, node) {
		if (tbs_fabric_for_domain(g->domain) != fabric)
			continue;
		list_for_each_entry(o, &g->streams, node) {
			if (!strcmp(o->name, s->name)) {
				ret = -EEXIST;
				goto err_unlock;
			}
		}
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
 * -ENODEV.  The item's reference is dropped by the caller (ConfigFS).
 */
void tbs_stream_drop(struct tbs_stream *s)
{
	struct tbs_fabric *fabric = NULL;

	mutex_lock(&tbs_lock);
	list_del(&s->node);
	s->group = NULL;
	tbs_chardev_remove(s);
	mutex_lock(&s->lock);
	s->removed = true;
	if (s->port) {
		fabric = s->port->fabric;
		tbs_stream_kill_session(s, -EPIPE);
		tbs_release_hopids(s);
		s->port = NULL;
	}
	wake_up_all(&s->attach_wq);
	mutex_unlock(&s->lock);
	if (fabric)
		tbs_publish(fabric);
	mutex_unlock(&tbs_lock);
}

/* ---- the data path ----------------------------------------------------- */

static void tbs_tx_done(struct tbs_ring *ring, struct tbs_frame *f,
			bool canceled)
{
	struct tbs_session *sess = ring->priv;
	unsigned int n;

	spin_lock(&sess->tx_lock);
	list_add(&f->list, &sess->tx_free);
	n = ++sess->tx_nfree;
	spin_unlock(&sess->tx_lock);

	/* Batch wakeups: a writer refills a quarter of the ring at once. */
	if ((n >= max(sess->nframes / 4, 1U) || n == sess->nframes) &&
	    wq_has_sleeper(&sess->tx_wq))
		wake_up(&sess->tx_wq);
}

static void tbs_rx_repost(struct tbs_session *sess, struct tbs_frame *f)
{
	/* Fails only while the ring stops; the frame then stays idle. */
	sess->port->ops->ring_post(&sess->rx, f);
}

static void tbs_rx_done(struct tbs_ring *ring, struct tbs_frame *f,
			bool canceled)
{
	struct tbs_session *sess = ring->priv;
	struct tbs_stream *s = sess->stream;
	bool bad = false, queue = false, first = false;

	if (canceled)
		return;

	if (f->status & (TBS_FRAME_CRC_ERROR | TBS_FRAME_OVERRUN))
		bad = true;
	else if (f->eof == TBS_PDF_CLOSE)
		queue = true;
	else if (f->eof == TBS_PDF_DATA && f->sof == TBS_PDF_SOF &&
		 f->size <= TBS_FRAME_SIZE)
		queue = f->size > 0;
	else
		bad = true;

	spin_lock(&sess->rx_lock);
	if (bad && !sess->rx_err) {
		sess->rx_err = -EIO;
		first = true;
	}
	if (sess->rx_err)
		queue = false;
	if (queue) {
		list_add_tail(&f->list, &sess->rx_ready);
		sess->rx_peer_closed = f->eof == TBS_PDF_CLOSE;
	}
	spin_unlock(&sess->rx_lock);

	if (bad) {
		atomic64_inc(&s->counters[TBS_RX_ERRORS]);
		if (first)
			dev_warn(sess->port->dev,
				 "%s: bad RX frame (status %#x, sof %u, eof %u, %u bytes): stream failed\n",
				 s->name, f->status, f->sof, f->eof, f->size);
	} else {
		atomic64_inc(&s->counters[TBS_RX_FRAMES]);
	}
	if (!queue)
		tbs_rx_repost(sess, f);
	if ((queue || first) && wq_has_sleeper(&sess->rx_wq))
		wake_up(&sess->rx_wq);
}

static void tbs_session_free_frames(struct tbs_session *sess, unsigned int n)
{
	const struct tbs_port_ops *ops = sess->port->ops;
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct tbs_frame *f = &sess->frames[i];

		ops->buf_free(f->ring, f);
	}
	kvfree(sess->frames);
	sess->frames = NULL;
}

/* s->lock held; s is attached and configured. */
static int tbs_session_start(struct tbs_stream *s, struct tbs_session **sessp)
{
	struct tbs_port *port = s->port;
	const struct tbs_port_ops *ops = port->ops;
	unsigned int n = s->ring_size, i;
	struct tbs_session *sess;
	int ret;

	sess = kzalloc(sizeof(*sess), GFP_KERNEL);
	if (!sess)
		return -ENOMEM;
	atomic_inc(&tbs_live_sessions);
	kref_init(&sess->kref);
	init_rwsem(&sess->io_lock);
	spin_lock_init(&sess->tx_lock);
	spin_lock_init(&sess->rx_lock);
	mutex_init(&sess->tx_mutex);
	mutex_init(&sess->rx_mutex);
	init_waitqueue_head(&sess->tx_wq);
	init_waitqueue_head(&sess->rx_wq);
	INIT_LIST_HEAD(&sess->tx_free);
	INIT_LIST_HEAD(&sess->rx_ready);
	sess->stream = s;
	sess->port = port;
	sess->nframes = n;
	sess->tx_hopid = s->out_hopid;
	sess->rx_hopid = s->in_hopid;

	sess->frames = kvcalloc(2 * n, sizeof(*sess->frames), GFP_KERNEL);
	if (!sess->frames) {
		ret = -ENOMEM;
		goto err_free;
	}

	sess->tx.tx = true;
	sess->tx.size = n;
	sess->tx.done = tbs_tx_done;
	sess->tx.priv = sess;
	ret = ops->ring_alloc(port, &sess->tx);
	if (ret)
		goto err_frames;

	sess->rx.tx = false;
	sess->rx.size = n;
	sess->rx.e2e_tx_hop = sess->tx.hop;
	sess->rx.done = tbs_rx_done;
	sess->rx.priv = sess;
	ret = ops->ring_alloc(port, &sess->rx);
	if (ret)
		goto err_tx_ring;

	for (i = 0; i < 2 * n; i++) {
		struct tbs_frame *f = &sess->frames[i];

		f->ring = i < n ? &sess->tx : &sess->rx;
		f->core_priv = sess;
		ret = ops->buf_alloc(f->ring, f);
		if (ret)
			goto err_bufs;
		if (i < n)
			list_add_tail(&f->list, &sess->tx_free);
	}
	sess->tx_nfree = n;

	ret = ops->ring_start(&sess->tx);
	if (ret)
		goto err_bufs;
	ret = ops->ring_start(&sess->rx);
	if (ret)
		goto err_stop_tx;
	/* Prime RX before the path exists, so credits are there from the start. */
	for (i = n; i < 2 * n; i++) {
		ret = ops->ring_post(&sess->rx, &sess->frames[i]);
		if (ret)
			goto err_stop_rx;
	}
	ret = ops->enable_paths(port, sess->tx_hopid, &sess->tx,
				sess->rx_hopid, &sess->rx);
	if (ret)
		goto err_stop_rx;

	/*
	 * The session takes over the opener's stream reference; it is
	 * referenced by s->session and by the opening file.
	 */
	kref_get(&sess->kref);
	sess->nfiles = 1;
	s->session = sess;
	*sessp = sess;
	dev_dbg(port->dev, "%s: open: tx hop %d -> HopID %d, HopID %d -> rx hop %d, %u descriptors\n",
		s->name, sess->tx.hop, sess->tx_hopid, sess->rx_hopid,
		sess->rx.hop, n);
	return 0;

err_stop_rx:
	ops->ring_stop(&sess->rx);
err_stop_tx:
	ops->ring_stop(&sess->tx);
	i = 2 * n;
err_bufs:
	tbs_session_free_frames(sess, i);
	ops->ring_free(&sess->rx);
err_tx_ring:
	ops->ring_free(&sess->tx);
	goto err_free;
err_frames:
	kvfree(sess->frames);
err_free:
	kfree(sess);
	atomic_dec(&tbs_live_sessions);
	dev_warn(port->dev, "%s: cannot start the stream: %d\n", s->name, ret);
	return ret;
}

/* s->lock held.  After it nothing touches the port on behalf of @sess. */
static void tbs_session_teardown(struct tbs_session *sess, int reason)
{
	const struct tbs_port_ops *ops = sess->port->ops;

	WRITE_ONCE(sess->gone, reason);
	wake_up_all(&sess->rx_wq);
	wake_up_all(&sess->tx_wq);

	down_write(&sess->io_lock);
	ops->disable_paths(sess->port, sess->tx_hopid, &sess->tx,
			   sess->rx_hopid, &sess->rx);
	ops->ring_stop(&sess->rx);
	ops->ring_stop(&sess->tx);
	spin_lock(&sess->rx_lock);
	INIT_LIST_HEAD(&sess->rx_ready);
	spin_unlock(&sess->rx_lock);
	spin_lock(&sess->tx_lock);
	INIT_LIST_HEAD(&sess->tx_free);
	sess->tx_nfree = 0;
	spin_unlock(&sess->tx_lock);
	tbs_session_free_frames(sess, 2 * sess->nframes);
	ops->ring_free(&sess->rx);
	ops->ring_free(&sess->tx);
	sess->torn_down = true;
	up_write(&sess->io_lock);
}

static bool tbs_tx_has_free(struct tbs_session *sess)
{
	return READ_ONCE(sess->tx_nfree) || READ_ONCE(sess->gone);
}

static bool tbs_tx_drained(struct tbs_session *sess)
{
	return READ_ONCE(sess->tx_nfree) == sess->nframes ||
	       READ_ONCE(sess->gone);
}

/* Last close: send CLOSE, let TX drain for a bounded time, tear down. */
static void tbs_session_close(struct tbs_session *sess)
{
	long left = msecs_to_jiffies(TBS_CLOSE_TIMEOUT_MS);
	struct tbs_stream *s = sess->stream;
	struct tbs_frame *f = NULL;
	bool peer_closed;

	/*
	 * The peer's CLOSE is the last thing it sent: it is not listening, and
	 * a CLOSE now would only wait on its TX ring and end the peer's *next*
	 * session at once if it reopened in the meantime.
	 */
	spin_lock(&sess->rx_lock);
	peer_closed = sess->rx_peer_closed;
	spin_unlock(&sess->rx_lock);
	if (!peer_closed)
		left = wait_event_timeout(sess->tx_wq, tbs_tx_has_free(sess),
					  left);
	spin_lock(&sess->tx_lock);
	if (!peer_closed && !sess->gone && sess->tx_nfree) {
		f = list_first_entry(&sess->tx_free, struct tbs_frame, list);
		list_del(&f->list);
		sess->tx_nfree--;
	}
	spin_unlock(&sess->tx_lock);
	if (f) {
		memset(f->buf, 0, TBS_CLOSE_FRAME_SIZE);
		f->size = TBS_CLOSE_FRAME_SIZE;
		f->sof = TBS_PDF_SOF;
		f->eof = TBS_PDF_CLOSE;
		if (sess->port->ops->ring_post(&sess->tx, f))
			tbs_tx_done(&sess->tx, f, true);
		else
			atomic64_inc(&s->counters[TBS_TX_FRAMES]);
	}
	if (!peer_closed && left &&
	    !wait_event_timeout(sess->tx_wq, tbs_tx_drained(sess), left))
		dev_warn_ratelimited(sess->port->dev,
				     "%s: TX did not drain on close\n", s->name);
	tbs_session_teardown(sess, -EPIPE);
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
	struct tbs_fabric *fabric;
	int ret;

	for (;;) {
		fabric = NULL;
		mutex_lock(&tbs_lock);
		mutex_lock(&s->lock);
		if (s->removed) {
			ret = -ENODEV;
		} else if (s->session) {
			*sessp = s->session;
			kref_get(&s->session->kref);
			s->session->nfiles++;
			tbs_stream_put(s);	/* the session holds one */
			ret = 0;
		} else if (s->port) {
			if (tbs_stream_configure(s) > 0)
				fabric = s->port->fabric;
			if (tbs_stream_configured(s))
				ret = tbs_session_start(s, sessp);
			else
				ret = -EINVAL;
		} else {
			ret = -EAGAIN;
		}
		mutex_unlock(&s->lock);
		if (fabric)
			tbs_publish(fabric);
		mutex_unlock(&tbs_lock);

		if (ret != -EAGAIN)
			return ret;
		if (nonblock)
			return -ENXIO;
		if (wait_event_interruptible(s->attach_wq,
					     READ_ONCE(s->port) ||
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

	mutex_lock(&s->lock);
	if (s->session == sess && !--sess->nfiles) {
		s->session = NULL;
		tbs_session_close(sess);
		tbs_session_put(sess);
	}
	mutex_unlock(&s->lock);
	tbs_session_put(sess);
}

static bool tbs_rx_readable(struct tbs_session *sess)
{
	return !list_empty(&sess->rx_ready) || sess->rx_eof ||
	       READ_ONCE(sess->rx_err) || READ_ONCE(sess->gone);
}

/*
 * Copy queued frames to @to (io_lock shared and rx_mutex held).  Returns
 * bytes copied or -EFAULT; *eof when the reader is to see end of file.
 */
static ssize_t tbs_rx_copy(struct tbs_session *sess, struct iov_iter *to,
			   bool *eof)
{
	size_t copied = 0, n, c;
	struct tbs_frame *f;

	*eof = false;
	while (iov_iter_count(to)) {
		spin_lock(&sess->rx_lock);
		f = list_first_entry_or_null(&sess->rx_ready, struct tbs_frame,
					     list);
		spin_unlock(&sess->rx_lock);
		if (!f)
			break;

		if (f->eof == TBS_PDF_CLOSE) {
			if (copied)
				break;
			spin_lock(&sess->rx_lock);
			list_del(&f->list);
			spin_unlock(&sess->rx_lock);
			tbs_rx_repost(sess, f);
			sess->rx_eof = true;
			break;
		}

		sess->rx_eof = false;
		n = min_t(size_t, f->size - sess->rx_off, iov_iter_count(to));
		c = copy_to_iter(f->buf + sess->rx_off, n, to);
		copied += c;
		sess->rx_off += c;
		if (c < n) {
			if (!copied)
				return -EFAULT;
			break;
		}
		if (sess->rx_off == f->size) {
			sess->rx_off = 0;
			spin_lock(&sess->rx_lock);
			list_del(&f->list);
			spin_unlock(&sess->rx_lock);
			tbs_rx_repost(sess, f);
		}
	}
	if (!copied && sess->rx_eof)
		*eof = true;
	return copied;
}

/**
 * tbs_session_read() - read(2)/read_iter on a stream
 * @sess: the session
 * @to: where to copy
 * @nonblock: -EAGAIN instead of waiting
 *
 * Return: bytes read (> 0: what is available, up to the request), 0 at end
 * of file (peer closed, or stream removed), -EIO (bad frame received),
 * -ENXIO (peer unplugged), -EAGAIN, -ERESTARTSYS, -EFAULT.
 */
ssize_t tbs_session_read(struct tbs_session *sess, struct iov_iter *to,
			 bool nonblock)
{
	struct tbs_stream *s = sess->stream;
	ssize_t ret;
	bool eof;
	int gone;

	if (!iov_iter_count(to))
		return 0;
	if (mutex_lock_interruptible(&sess->rx_mutex))
		return -ERESTARTSYS;
	for (;;) {
		down_read(&sess->io_lock);
		gone = READ_ONCE(sess->gone);
		if (gone) {
			up_read(&sess->io_lock);
			ret = gone == -EPIPE ? 0 : gone;
			break;
		}
		ret = tbs_rx_copy(sess, to, &eof);
		up_read(&sess->io_lock);
		if (ret > 0) {
			atomic64_add(ret, &s->counters[TBS_RX_BYTES]);
			break;
		}
		if (ret < 0 || eof)
			break;
		ret = READ_ONCE(sess->rx_err);
		if (ret)
			break;
		if (nonblock) {
			ret = -EAGAIN;
			break;
		}
		if (wait_event_interruptible(sess->rx_wq,
					     tbs_rx_readable(sess))) {
			ret = -ERESTARTSYS;
			break;
		}
	}
	mutex_unlock(&sess->rx_mutex);
	return ret;
}

/* Fill and post as many TX frames as are free (io_lock shared). */
static size_t tbs_tx_fill(struct tbs_session *sess, struct iov_iter *from,
			  unsigned int *nposted, int *err)
{
	const struct tbs_port_ops *ops = sess->port->ops;
	size_t done = 0, n, c;
	struct tbs_frame *f;
	LIST_HEAD(batch);
	unsigned int want, got = 0;

	want = DIV_ROUND_UP(iov_iter_count(from), TBS_FRAME_SIZE);
	spin_lock(&sess->tx_lock);
	while (got < want && !list_empty(&sess->tx_free)) {
		list_move_tail(sess->tx_free.next, &batch);
		got++;
	}
	sess->tx_nfree -= got;
	spin_unlock(&sess->tx_lock);

	while (!list_empty(&batch)) {
		f = list_first_entry(&batch, struct tbs_frame, list);
		n = min_t(size_t, iov_iter_count(from), TBS_FRAME_SIZE);
		if (!n)
			break;
		c = copy_from_iter(f->buf, n, from);
		if (!c) {
			*err = -EFAULT;
			break;
		}
		list_del(&f->list);
		f->size = c;
		f->sof = TBS_PDF_SOF;
		f->eof = TBS_PDF_DATA;
		*err = ops->ring_post(&sess->tx, f);
		if (*err) {
			iov_iter_revert(from, c);
			list_add(&f->list, &batch);
			break;
		}
		done += c;
		(*nposted)++;
		if (c < n) {
			*err = -EFAULT;
			break;
		}
	}

	if (!list_empty(&batch)) {
		spin_lock(&sess->tx_lock);
		list_for_each_entry(f, &batch, list)
			sess->tx_nfree++;
		list_splice(&batch, &sess->tx_free);
		spin_unlock(&sess->tx_lock);
	}
	return done;
}

/**
 * tbs_session_write() - write(2)/write_iter on a stream
 * @sess: the session
 * @from: the data
 * @nonblock: -EAGAIN instead of waiting for room
 *
 * A blocking write returns when every byte is queued, or with the count
 * queued so far when an error or a signal interrupts it after progress.
 *
 * Return: bytes queued, -EPIPE (removed), -ENXIO (unplugged), -EAGAIN,
 * -ERESTARTSYS, -EFAULT or the fabric's error.
 */
ssize_t tbs_session_write(struct tbs_session *sess, struct iov_iter *from,
			  bool nonblock)
{
	struct tbs_stream *s = sess->stream;
	unsigned int nposted = 0;
	size_t done = 0;
	int err = 0;

	if (!iov_iter_count(from))
		return 0;
	if (mutex_lock_interruptible(&sess->tx_mutex))
		return -ERESTARTSYS;
	while (iov_iter_count(from)) {
		down_read(&sess->io_lock);
		err = READ_ONCE(sess->gone);
		if (!err)
			done += tbs_tx_fill(sess, from, &nposted, &err);
		up_read(&sess->io_lock);
		if (err || !iov_iter_count(from))
			break;
		if (nonblock && !READ_ONCE(sess->tx_nfree)) {
			err = -EAGAIN;
			break;
		}
		if (wait_event_interruptible(sess->tx_wq,
					     tbs_tx_has_free(sess))) {
			err = -ERESTARTSYS;
			break;
		}
	}
	mutex_unlock(&sess->tx_mutex);

	if (err && err != -EAGAIN && err != -ERESTARTSYS && err != -EPIPE &&
	    err != -ENXIO)
		atomic64_inc(&s->counters[TBS_TX_ERRORS]);
	atomic64_add(done, &s->counters[TBS_TX_BYTES]);
	atomic64_add(nposted, &s->counters[TBS_TX_FRAMES]);
	return done ? done : err;
}

/**
 * tbs_session_poll() - poll(2) on a stream
 * @sess: the session
 * @file: the file
 * @wait: the poll table
 *
 * Return: EPOLLIN when data or end of file is readable, EPOLLOUT when a TX
 * frame is free, EPOLLHUP | EPOLLERR once the stream is gone.
 */
__poll_t tbs_session_poll(struct tbs_session *sess, struct file *file,
			  poll_table *wait)
{
	__poll_t mask = 0;

	poll_wait(file, &sess->rx_wq, wait);
	poll_wait(file, &sess->tx_wq, wait);

	if (READ_ONCE(sess->gone))
		return EPOLLIN | EPOLLRDNORM | EPOLLHUP | EPOLLERR;
	if (!list_empty(&sess->rx_ready) || sess->rx_eof)
		mask |= EPOLLIN | EPOLLRDNORM;
	if (READ_ONCE(sess->rx_err))
		mask |= EPOLLIN | EPOLLRDNORM | EPOLLERR;
	if (READ_ONCE(sess->tx_nfree))
		mask |= EPOLLOUT | EPOLLWRNORM;
	return mask;
}
