// SPDX-License-Identifier: GPL-2.0
/*
 * tbstream: the data path of an open stream (a session): rings and frames,
 * RX and TX completions, read, write, poll, and the start and teardown of
 * it all.  Locks and lifetimes are written down at the top of stream.c.
 */
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "compat.h"
#include "tbstream.h"

static void tbs_session_free(struct kref *kref)
{
	struct tbs_session *sess = container_of(kref, struct tbs_session, kref);
	struct tbs_stream *s = sess->stream;

	WARN_ON(!sess->torn_down);
	tbs_dmabuf_session_free(sess);
	kfree(sess);
	atomic_dec(&tbs_live_sessions);
	tbs_stream_put(s);
}

/**
 * tbs_frame_buf_alloc() - a frame's buffer, for a fabric's buf_alloc()
 *
 * A page of its own (struct tbs_frame, @buf), counted in debugfs's
 * live_buffers so the tests see a lost one.
 *
 * Return: its address, or %NULL.
 */
void *tbs_frame_buf_alloc(void)
{
	void *buf = (void *)__get_free_page(GFP_KERNEL);

	if (buf)
		atomic_inc(&tbs_live_bufs);
	return buf;
}
EXPORT_SYMBOL_NS_GPL(tbs_frame_buf_alloc, TBS_NS);

/**
 * tbs_frame_buf_free() - free a buffer from tbs_frame_buf_alloc()
 * @buf: the buffer
 */
void tbs_frame_buf_free(void *buf)
{
	free_page((unsigned long)buf);
	atomic_dec(&tbs_live_bufs);
}
EXPORT_SYMBOL_NS_GPL(tbs_frame_buf_free, TBS_NS);

/**
 * tbs_session_put() - drop a reference on a session
 * @sess: the session
 */
void tbs_session_put(struct tbs_session *sess)
{
	kref_put(&sess->kref, tbs_session_free);
}

static void tbs_tx_done(struct tbs_ring *ring, struct tbs_frame *f,
			bool canceled)
{
	struct tbs_session *sess = ring->priv;
	unsigned int n;

	tbs_dmabuf_tx_done(sess, f);
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

/* Free the buffers of the first @n frames (teardown: all of them). */
static void tbs_session_free_bufs(struct tbs_session *sess, unsigned int n)
{
	const struct tbs_port_ops *ops = sess->port->ops;
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct tbs_frame *f = &sess->frames[i];

		ops->buf_free(f->ring, f);
	}
	INIT_LIST_HEAD(&sess->tx_free);
	sess->tx_nfree = 0;
}

/* Free both rings (stopped or never started) and the frames. */
static void tbs_session_free_rings(struct tbs_session *sess)
{
	const struct tbs_port_ops *ops = sess->port->ops;

	ops->ring_free(&sess->rx);
	ops->ring_free(&sess->tx);
	kvfree(sess->frames);
	sess->frames = NULL;
}

/**
 * tbs_session_alloc() - a new session for a stream, not started
 * @s: the stream (s->lock held; attached and configured)
 *
 * Takes what the start needs from the stream (port, HopIDs, ring size), a
 * reference on the stream and one on the port, so that the start can run
 * without the stream's lock.
 *
 * Return: the session (one reference) or an ERR_PTR().
 */
struct tbs_session *tbs_session_alloc(struct tbs_stream *s)
{
	struct tbs_session *sess;
	int ret;

	lockdep_assert_held(&s->lock);
	sess = kzalloc(sizeof(*sess), GFP_KERNEL);
	if (!sess)
		return ERR_PTR(-ENOMEM);
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
	INIT_LIST_HEAD(&sess->rx_taken);
	sess->stream = s;
	kref_get(&s->kref);
	sess->port = s->port;
	tbs_port_get(sess->port);
	sess->nframes = s->ring_size;
	sess->tx_hopid = s->out_hopid;
	sess->rx_hopid = s->in_hopid;
	ret = tbs_dmabuf_session_init(sess);
	if (ret) {
		sess->torn_down = true;
		tbs_port_put(sess->port);
		tbs_session_put(sess);
		return ERR_PTR(ret);
	}
	return sess;
}

/* Say what ran out: an open that fails for want of a ring is not -ENOMEM. */
static void tbs_ring_alloc_failed(struct tbs_session *sess, const char *what,
				  int ret)
{
	struct tbs_stream *s = sess->stream;

	if (ret != -EBUSY)
		return;
	atomic64_inc(&s->counters[TBS_RING_EXHAUSTED]);
	dev_warn(sess->port->dev,
		 "%s: no free %s ring on the host interface (rings or MSI-X vectors in use)\n",
		 s->name, what);
}

/* The frames and both rings, not started (tbs_session_free_rings()). */
static int tbs_session_alloc_rings(struct tbs_session *sess)
{
	const struct tbs_port_ops *ops = sess->port->ops;
	unsigned int n = sess->nframes;
	int ret;

	sess->frames = kvcalloc(2 * n, sizeof(*sess->frames), GFP_KERNEL);
	if (!sess->frames)
		return -ENOMEM;

	sess->tx.tx = true;
	sess->tx.size = n;
	sess->tx.throttling = READ_ONCE(sess->stream->throttling);
	sess->tx.done = tbs_tx_done;
	sess->tx.priv = sess;
	ret = ops->ring_alloc(sess->port, &sess->tx);
	if (ret) {
		tbs_ring_alloc_failed(sess, "TX", ret);
		goto err_frames;
	}

	sess->rx.tx = false;
	sess->rx.size = n;
	sess->rx.e2e_tx_hop = sess->tx.hop;
	sess->rx.throttling = sess->tx.throttling;
	sess->rx.done = tbs_rx_done;
	sess->rx.priv = sess;
	ret = ops->ring_alloc(sess->port, &sess->rx);
	if (ret) {
		tbs_ring_alloc_failed(sess, "RX", ret);
		goto err_tx_ring;
	}
	return 0;

err_tx_ring:
	ops->ring_free(&sess->tx);
err_frames:
	kvfree(sess->frames);
	sess->frames = NULL;
	return ret;
}

/* A buffer for every frame; the TX frames go on the free list. */
static int tbs_session_alloc_bufs(struct tbs_session *sess)
{
	const struct tbs_port_ops *ops = sess->port->ops;
	unsigned int n = sess->nframes, i;
	int ret;

	for (i = 0; i < 2 * n; i++) {
		struct tbs_frame *f = &sess->frames[i];

		f->ring = i < n ? &sess->tx : &sess->rx;
		f->core_priv = sess;
		ret = ops->buf_alloc(f->ring, f);
		if (ret) {
			tbs_session_free_bufs(sess, i);
			return ret;
		}
		if (i < n)
			list_add_tail(&f->list, &sess->tx_free);
	}
	sess->tx_nfree = n;
	return 0;
}

/*
 * Start both rings and give RX every buffer before any path exists, so the
 * peer has credits from the start.
 */
static int tbs_session_start_rings(struct tbs_session *sess)
{
	const struct tbs_port_ops *ops = sess->port->ops;
	unsigned int n = sess->nframes, i;
	int ret;

	ret = ops->ring_start(&sess->tx);
	if (ret)
		return ret;
	ret = ops->ring_start(&sess->rx);
	if (ret)
		goto err_stop_tx;
	for (i = n; i < 2 * n; i++) {
		ret = ops->ring_post(&sess->rx, &sess->frames[i]);
		if (ret)
			goto err_stop_rx;
	}
	return 0;

err_stop_rx:
	ops->ring_stop(&sess->rx);
err_stop_tx:
	ops->ring_stop(&sess->tx);
	return ret;
}

/**
 * tbs_session_start() - start a session: rings, frames, paths
 * @sess: a session from tbs_session_alloc(); no tbstream lock held (the
 *	fabric's enable_paths() may sleep on its own locks)
 *
 * Return: 0, or a negative errno with nothing left behind (the session is
 * then torn down: put it).  A ring the fabric has none left of is -EBUSY.
 */
int tbs_session_start(struct tbs_session *sess)
{
	struct tbs_stream *s = sess->stream;
	struct tbs_port *port = sess->port;
	const struct tbs_port_ops *ops = port->ops;
	int ret;

	ret = tbs_session_alloc_rings(sess);
	if (ret)
		goto err;
	ret = tbs_session_alloc_bufs(sess);
	if (ret)
		goto err_rings;
	ret = tbs_session_start_rings(sess);
	if (ret)
		goto err_bufs;
	ret = ops->enable_paths(port, sess->tx_hopid, &sess->tx,
				sess->rx_hopid, &sess->rx);
	if (ret)
		goto err_stop;

	sess->started = true;
	dev_dbg(port->dev, "%s: open: tx hop %d -> HopID %d, HopID %d -> rx hop %d, %u descriptors\n",
		s->name, sess->tx.hop, sess->tx_hopid, sess->rx_hopid,
		sess->rx.hop, sess->nframes);
	return 0;

err_stop:
	ops->ring_stop(&sess->rx);
	ops->ring_stop(&sess->tx);
err_bufs:
	tbs_session_free_bufs(sess, 2 * sess->nframes);
err_rings:
	tbs_session_free_rings(sess);
err:
	dev_warn(port->dev, "%s: cannot start the stream: %d\n", s->name, ret);
	sess->torn_down = true;
	tbs_port_put(port);
	return ret;
}

/**
 * tbs_session_teardown() - end a session's data path
 * @sess: a started session, taken from its stream by the caller; no
 *	tbstream lock held (disable_paths() may sleep on the fabric's locks)
 * @reason: what I/O reports from now on (-ENXIO, -EPIPE, -EIO)
 *
 * After it nothing touches the port on behalf of @sess; the session's
 * reference on the port is dropped.
 */
void tbs_session_teardown(struct tbs_session *sess, int reason)
{
	const struct tbs_port_ops *ops = sess->port->ops;

	WRITE_ONCE(sess->gone, reason);
	wake_up_all(&sess->rx_wq);
	wake_up_all(&sess->tx_wq);

	/*
	 * A barrier, not a critical section: I/O that took io_lock before
	 * ->gone was set leaves the rings now, and I/O that takes it later
	 * sees ->gone and never touches them, so the rings are ours.  Not held
	 * across disable_paths(): the fabric takes tb->lock there, and holds
	 * it around tbs_port_remove(), which calls this.
	 */
	down_write(&sess->io_lock);
	up_write(&sess->io_lock);
	/*
	 * Paths first, then rings: the order of thunderbolt-net's
	 * tbnet_tear_down() in the kernels tbstream runs on (Debian's 6.1.192,
	 * 6.12.117 and 7.2.13 binaries all call tb_xdomain_disable_paths()
	 * before tb_ring_stop(); 6.1.192's source says why: a ring stopped
	 * first leaves frames in flight with nowhere to drain, and the path
	 * deactivation then waits for a hop's pending bit that some host
	 * routers never clear).  Upstream's USB4STREAM stops its rings first,
	 * but only after tb_ring_flush(), which 6.x does not have.
	 */
	ops->disable_paths(sess->port, sess->tx_hopid, &sess->tx,
			   sess->rx_hopid, &sess->rx);
	ops->ring_stop(&sess->rx);
	ops->ring_stop(&sess->tx);
	tbs_dmabuf_session_teardown(sess);
	spin_lock(&sess->rx_lock);
	INIT_LIST_HEAD(&sess->rx_ready);
	spin_unlock(&sess->rx_lock);
	INIT_LIST_HEAD(&sess->rx_taken);	/* no reader past the barrier */
	spin_lock(&sess->tx_lock);
	INIT_LIST_HEAD(&sess->tx_free);
	sess->tx_nfree = 0;
	spin_unlock(&sess->tx_lock);
	tbs_session_free_bufs(sess, 2 * sess->nframes);
	tbs_session_free_rings(sess);
	sess->torn_down = true;
	tbs_port_put(sess->port);
}

static bool tbs_tx_has_free(struct tbs_session *sess)
{
	return READ_ONCE(sess->tx_nfree) || READ_ONCE(sess->gone);
}

/*
 * A close waits on its own terms: rmdir's close of an open session runs
 * with ->gone already set (its files must stop) and still sends CLOSE.
 */
static bool tbs_close_has_free(struct tbs_session *sess)
{
	return READ_ONCE(sess->tx_nfree) || READ_ONCE(sess->abandon);
}

static bool tbs_tx_drained(struct tbs_session *sess)
{
	return READ_ONCE(sess->tx_nfree) == sess->nframes ||
	       READ_ONCE(sess->abandon);
}

/**
 * tbs_session_close() - last close: send CLOSE, let TX drain, tear down
 * @sess: the session, its stream's pending one (no tbstream lock held)
 *
 * TX gets at most %TBS_CLOSE_TIMEOUT_MS to drain.  A close told to give up
 * (@sess->abandon) sends nothing more and tears down at once.
 */
void tbs_session_close(struct tbs_session *sess)
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
		left = wait_event_timeout(sess->tx_wq, tbs_close_has_free(sess),
					  left);
	spin_lock(&sess->tx_lock);
	if (!peer_closed && !READ_ONCE(sess->abandon) && sess->tx_nfree) {
		f = list_first_entry(&sess->tx_free, struct tbs_frame, list);
		list_del(&f->list);
		sess->tx_nfree--;
	}
	spin_unlock(&sess->tx_lock);
	if (!peer_closed && !f && !READ_ONCE(sess->abandon))
		dev_warn_ratelimited(sess->port->dev,
				     "%s: TX ring full on close: no CLOSE sent\n",
				     s->name);
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
	dev_dbg(sess->port->dev, "%s: closed: %s, %u of %u TX frames idle\n",
		s->name, f ? "CLOSE sent" : "no CLOSE", READ_ONCE(sess->tx_nfree),
		sess->nframes);
	tbs_session_teardown(sess, -EPIPE);
}

/**
 * tbs_session_close_removed() - rmdir of a stream whose session is open
 * @sess: the session, its stream's pending one, ->gone already set (no
 *	tbstream lock held)
 *
 * The stream's own files stop at once (EOF, -EPIPE), and the peer is told
 * as at a last close: once the I/O that was in flight has left the rings,
 * a CLOSE follows the last data frame, so the peer's reader sees end of
 * file rather than waiting for data that will never come.
 */
void tbs_session_close_removed(struct tbs_session *sess)
{
	wake_up_all(&sess->rx_wq);
	wake_up_all(&sess->tx_wq);
	/* A barrier, as in tbs_session_teardown(): no writer posts after it. */
	down_write(&sess->io_lock);
	up_write(&sess->io_lock);
	tbs_session_close(sess);
}

static bool tbs_rx_readable(struct tbs_session *sess)
{
	return !list_empty(&sess->rx_ready) || !list_empty(&sess->rx_taken) ||
	       sess->rx_eof ||
	       READ_ONCE(sess->rx_err) || READ_ONCE(sess->gone);
}

/*
 * User copies under io_lock run with page faults disabled: a fault there
 * could sleep for as long as the memory's owner likes (userfaultfd, FUSE),
 * and teardown, which takes io_lock exclusive, would wait as long, on
 * unplug with the fabric's tb->lock held.  A copy that meets a page that is
 * not there comes up short instead; the caller drops io_lock, faults the
 * page in (fault_in_iov_iter_*()) and tries again.
 *
 * A frame's buffer is a page of its own (backend.h), so copies to and from
 * user memory go through copy_page_{to,from}_iter(), as upstream's do:
 * copy_{to,from}_iter() would look the buffer up as a slab object for
 * hardened usercopy on every frame, which cost more than the copy itself
 * under TCG.  Anything else (a splice's pipe) gets a copy_to_iter(): on 6.1
 * copy_page_to_iter() would put the frame's page itself into the pipe,
 * which the frame's next DMA overwrites.
 */
static size_t tbs_copy_to_iter_nofault(const void *from, size_t n,
				       struct iov_iter *to)
{
	size_t c;

	pagefault_disable();
	if (user_backed_iter(to))
		c = copy_page_to_iter(virt_to_page(from), offset_in_page(from),
				      n, to);
	else
		c = copy_to_iter(from, n, to);
	pagefault_enable();
	return c;
}

static size_t tbs_copy_from_iter_nofault(void *to, size_t n,
					 struct iov_iter *from)
{
	size_t c;

	pagefault_disable();
	c = copy_page_from_iter(virt_to_page(to), offset_in_page(to), n, from);
	pagefault_enable();
	return c;
}

/*
 * The next frame to read, or NULL: the head of @sess->rx_taken, refilled
 * with everything on @sess->rx_ready in one lock round trip when empty
 * (rx_mutex held, io_lock shared).
 */
static struct tbs_frame *tbs_rx_next(struct tbs_session *sess)
{
	if (list_empty(&sess->rx_taken)) {
		spin_lock(&sess->rx_lock);
		list_splice_tail_init(&sess->rx_ready, &sess->rx_taken);
		spin_unlock(&sess->rx_lock);
	}
	return list_first_entry_or_null(&sess->rx_taken, struct tbs_frame,
					list);
}

/*
 * Copy queued frames to @to (io_lock shared and rx_mutex held); @before
 * is what this read(2) already copied.  Returns bytes copied; *eof when
 * the reader is to see end of file, *fault when the copy stopped at a page
 * that is not there (or not a valid one).  A CLOSE after bytes stays
 * queued: the bytes go out first and the next read(2) sees end of file.
 */
static size_t tbs_rx_copy(struct tbs_session *sess, struct iov_iter *to,
			  size_t before, bool *eof, bool *fault)
{
	size_t copied = 0, n, c;
	struct tbs_frame *f;

	*eof = false;
	*fault = false;
	while (iov_iter_count(to)) {
		f = tbs_rx_next(sess);
		if (!f)
			break;

		if (f->eof == TBS_PDF_CLOSE) {
			if (copied || before)
				break;
			list_del(&f->list);
			tbs_rx_repost(sess, f);
			sess->rx_eof = true;
			break;
		}

		sess->rx_eof = false;
		n = min_t(size_t, f->size - sess->rx_off, iov_iter_count(to));
		c = tbs_copy_to_iter_nofault(f->buf + sess->rx_off, n, to);
		copied += c;
		sess->rx_off += c;
		if (c < n) {
			*fault = true;
			break;
		}
		if (sess->rx_off == f->size) {
			sess->rx_off = 0;
			list_del(&f->list);
			tbs_rx_repost(sess, f);
		}
	}
	if (!copied && !before && sess->rx_eof)
		*eof = true;
	return copied;
}

/*
 * Bring in the pages the next copy to @to needs, with no lock held: this is
 * where a reader waits for a slow fault.  Return: 0 to copy again, or
 * -EFAULT when not even the first byte can be made writable.
 */
static int tbs_rx_fault_in(struct iov_iter *to)
{
	size_t want = min_t(size_t, iov_iter_count(to), TBS_FRAME_SIZE);

	if (!user_backed_iter(to))
		return -EFAULT;
	return fault_in_iov_iter_writeable(to, want) == want ? -EFAULT : 0;
}

/**
 * tbs_session_read() - read(2)/read_iter on a stream
 * @sess: the session
 * @to: where to copy
 * @nonblock: -EAGAIN instead of waiting
 *
 * A copy that stops at a page that is not there faults it in with no lock
 * held and goes on, also after bytes were copied: returning those alone
 * would leave the rest of the buffer unfaulted, and a reader that reuses
 * its buffer (dd, any loop over read(2)) would then get a page or two per
 * call for ever.
 *
 * Return: bytes read (> 0: what is available, up to the request), 0 at end
 * of file (peer closed, or stream removed), -EIO (bad frame received),
 * -ENXIO (peer unplugged), -EAGAIN, -ERESTARTSYS, -EFAULT.
 */
ssize_t tbs_session_read(struct tbs_session *sess, struct iov_iter *to,
			 bool nonblock)
{
	struct tbs_stream *s = sess->stream;
	bool eof, fault;
	size_t done = 0;
	ssize_t ret = 0;
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
		done += tbs_rx_copy(sess, to, done, &eof, &fault);
		up_read(&sess->io_lock);
		if (fault) {
			ret = tbs_rx_fault_in(to);
			if (ret)
				break;
			continue;
		}
		if (done || eof)
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
	if (done) {
		atomic64_add(done, &s->counters[TBS_RX_BYTES]);
		return done;
	}
	return ret;
}

/* Fill and post as many TX frames as are free (io_lock shared). */
static size_t tbs_tx_fill(struct tbs_session *sess, struct tbs_tx_src *src,
			  unsigned int *nposted, int *err)
{
	const struct tbs_port_ops *ops = sess->port->ops;
	unsigned int want, got = 0;
	struct tbs_frame *f;
	LIST_HEAD(batch);
	size_t done = 0;
	u32 size;

	want = DIV_ROUND_UP(src->left, TBS_FRAME_SIZE);
	spin_lock(&sess->tx_lock);
	while (got < want && !list_empty(&sess->tx_free)) {
		list_move_tail(sess->tx_free.next, &batch);
		got++;
	}
	sess->tx_nfree -= got;
	spin_unlock(&sess->tx_lock);

	while (!list_empty(&batch) && src->left) {
		f = list_first_entry(&batch, struct tbs_frame, list);
		*err = src->fill(src, sess, f);
		if (*err)
			break;
		list_del(&f->list);
		size = f->size;
		f->sof = TBS_PDF_SOF;
		f->eof = TBS_PDF_DATA;
		*err = ops->ring_post(&sess->tx, f);
		if (*err) {
			src->unfill(src, sess, f);
			list_add(&f->list, &batch);
			break;
		}
		done += size;
		(*nposted)++;
		if (src->stop) {
			*err = src->stop;
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
 * tbs_session_send() - queue the bytes of @src as DATA frames, in order
 * @sess: the session
 * @src: where the bytes come from
 * @nonblock: -EAGAIN instead of waiting for room
 *
 * Every sender (write(2), dma-buf sends) goes through here under
 * @sess->tx_mutex, so the bytes of one send are never interleaved with
 * another's and the peer sees them in the order they were queued.  A
 * blocking send returns when every byte is queued, or with the count queued
 * so far when an error or a signal interrupts it after progress.
 *
 * Return: bytes queued, -EPIPE (removed), -ENXIO (unplugged), -EAGAIN,
 * -ERESTARTSYS, the source's error or the fabric's.
 */
ssize_t tbs_session_send(struct tbs_session *sess, struct tbs_tx_src *src,
			 bool nonblock)
{
	struct tbs_stream *s = sess->stream;
	unsigned int nposted = 0;
	size_t done = 0;
	int err = 0;

	if (!src->left)
		return 0;
	if (mutex_lock_interruptible(&sess->tx_mutex))
		return -ERESTARTSYS;
	while (src->left) {
		down_read(&sess->io_lock);
		err = READ_ONCE(sess->gone);
		if (!err)
			done += tbs_tx_fill(sess, src, &nposted, &err);
		up_read(&sess->io_lock);
		if (err == -EFAULT && src->fault_in && !src->stop) {
			/* No lock held: the fault may take as long as it likes. */
			err = src->fault_in(src);
			if (!err)
				continue;
		}
		if (err || !src->left)
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

/* write(2): the bytes come from user memory, copied into the frame. */
struct tbs_iter_src {
	struct tbs_tx_src src;
	struct iov_iter *from;
};

static int tbs_iter_fill(struct tbs_tx_src *src, struct tbs_session *sess,
			 struct tbs_frame *f)
{
	struct tbs_iter_src *is = container_of(src, struct tbs_iter_src, src);
	size_t n = min_t(size_t, src->left, TBS_FRAME_SIZE), c;

	c = tbs_copy_from_iter_nofault(f->buf, n, is->from);
	if (!c)
		return -EFAULT;		/* tbs_iter_fault_in(), then again */
	/*
	 * Short: post what was copied.  User memory continues with a fault
	 * next time; anything else cannot be read further.
	 */
	if (c < n && !user_backed_iter(is->from))
		src->stop = -EFAULT;
	f->size = c;
	src->left -= c;
	return 0;
}

/* Bring in the next frame's worth of user memory, with no lock held. */
static int tbs_iter_fault_in(struct tbs_tx_src *src)
{
	struct tbs_iter_src *is = container_of(src, struct tbs_iter_src, src);
	size_t want = min_t(size_t, src->left, TBS_FRAME_SIZE);

	if (!user_backed_iter(is->from))
		return -EFAULT;
	return fault_in_iov_iter_readable(is->from, want) == want ? -EFAULT : 0;
}

static void tbs_iter_unfill(struct tbs_tx_src *src, struct tbs_session *sess,
			    struct tbs_frame *f)
{
	struct tbs_iter_src *is = container_of(src, struct tbs_iter_src, src);

	iov_iter_revert(is->from, f->size);
	src->left += f->size;
}

/**
 * tbs_session_write() - write(2)/write_iter on a stream
 * @sess: the session
 * @from: the data
 * @nonblock: -EAGAIN instead of waiting for room
 *
 * Return: see tbs_session_send(); -EFAULT for a bad user address.
 */
ssize_t tbs_session_write(struct tbs_session *sess, struct iov_iter *from,
			  bool nonblock)
{
	struct tbs_iter_src is = {
		.src.left = iov_iter_count(from),
		.src.fill = tbs_iter_fill,
		.src.unfill = tbs_iter_unfill,
		.src.fault_in = tbs_iter_fault_in,
		.from = from,
	};

	return tbs_session_send(sess, &is.src, nonblock);
}

/**
 * tbs_session_poll() - poll(2) on a stream
 * @sess: the session
 * @file: the file
 * @wait: the poll table
 *
 * Return: EPOLLIN when data or end of file is readable, EPOLLOUT when a TX
 * frame is free, EPOLLPRI while dma-buf sends completed that no
 * TBSTREAM_IOC_DMABUF_WAIT reported yet, EPOLLHUP | EPOLLERR once the stream
 * is gone.
 */
__poll_t tbs_session_poll(struct tbs_session *sess, struct file *file,
			  poll_table *wait)
{
	__poll_t mask;

	poll_wait(file, &sess->rx_wq, wait);
	poll_wait(file, &sess->tx_wq, wait);
	mask = tbs_dmabuf_poll(sess, file, wait);

	if (READ_ONCE(sess->gone))
		return mask | EPOLLIN | EPOLLRDNORM | EPOLLHUP | EPOLLERR;
	if (!list_empty(&sess->rx_ready) || !list_empty(&sess->rx_taken) ||
	    sess->rx_eof)
		mask |= EPOLLIN | EPOLLRDNORM;
	if (READ_ONCE(sess->rx_err))
		mask |= EPOLLIN | EPOLLRDNORM | EPOLLERR;
	if (READ_ONCE(sess->tx_nfree))
		mask |= EPOLLOUT | EPOLLWRNORM;
	return mask;
}
