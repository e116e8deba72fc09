// SPDX-License-Identifier: GPL-2.0
/*
 * tbstream: sending from dma-bufs (the ioctls of kernel/uapi/linux/tbstream.h):
 * attachments, sends, completions.  How an attachment reaches its buffer
 * (the negotiated path) is dmabuf-path.c.
 *
 * Objects and lifetimes
 * =====================
 *   struct tbs_dmabuf       an attachment (kref): one reference for its
 *                           handle, one for each send that has frames in
 *                           flight.  It holds a dma_buf reference and, while
 *                           ->mapped, a mapping on the session's DMA device.
 *   struct tbs_dmabuf_send  one SEND ioctl: its frames in flight (+1 while
 *                           the sender still posts); freed when they are all
 *                           back, which completes it.
 * Handles live in one xarray for the module, so a handle of another file or
 * stream is told apart (ENOENT) from one of this file.  Only the file that
 * attached may use a handle; its release detaches what it still holds.
 *
 * A mapping is released by the attachment's last reference, or by the
 * session's teardown, whichever comes first: teardown runs after the rings
 * stopped (every frame came back) and before tbs_port_remove() returns, so
 * no mapping outlives the DMA device it was made for, and no frame outlives
 * its mapping.  An attachment whose session is gone keeps its handle (SEND
 * reports the session's error, DETACH works) but has no mapping.
 *
 * Frames
 * ======
 * A send takes TX frames from the same free list as write(2), under the same
 * tx_mutex (tbs_session_send()), so byte order across both is the order of
 * the calls.  On the DMA paths a frame's @buf is set to %NULL and its @dma to
 * a place in the buffer's mapping, at most TBS_FRAME_SIZE bytes that never
 * cross a DMA segment; the frame's own buffer is kept in
 * &struct tbs_dmabuf_frame and given back when the frame returns.  On the CPU
 * path the bytes are copied into the frame's own buffer.
 *
 * Locks
 *   sess->io_lock (shared) -> dmabuf.att_lock.  Neither is held while the
 *   exporter maps a buffer (attach: it may sleep on its own fences and
 *   locks, which teardown must not wait for): the attachment reserves its
 *   place under att_lock, reads what the session offers under io_lock,
 *   takes a reference on the port (its DMA device stays) and maps with no
 *   lock held; under att_lock again it joins the list, or unmaps itself if
 *   teardown ran meanwhile (dmabuf.dead).  Completions take only
 *   dmabuf.lock (a spinlock); the last reference to an attachment dropped
 *   there is handed to a work item (dmabuf.reap), flushed by teardown and
 *   by the session's release.
 */
#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/fs.h>
#include <linux/iosys-map.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include "compat.h"
#include "tbstream.h"
#include "uapi/linux/tbstream.h"

TBS_IMPORT_NS_DMA_BUF();

/**
 * struct tbs_dmabuf_send - one queued range of an attachment
 * @node: in the session's list of sends (dmabuf.lock)
 * @att: the attachment (holds a reference)
 * @seq: its number, assigned when its first frame is posted
 * @pending: frames in flight, +1 while the sender still posts
 * @done: all of its frames came back (dmabuf.lock)
 */
struct tbs_dmabuf_send {
	struct list_head node;
	struct tbs_dmabuf *att;
	u64 seq;
	atomic_t pending;
	bool done;
};

static DEFINE_XARRAY_ALLOC1(tbs_dmabuf_handles);
static u32 tbs_dmabuf_next_handle;

/* ---- attachments -------------------------------------------------------- */

static void tbs_dmabuf_free(struct tbs_dmabuf *att)
{
	struct tbs_dmabuf_state *d = &att->sess->dmabuf;

	mutex_lock(&d->att_lock);
	list_del(&att->node);
	d->natts--;
	if (att->mapped)
		tbs_dmabuf_unmap(att);
	mutex_unlock(&d->att_lock);
	dma_buf_put(att->dmabuf);
	kfree(att);
	atomic_dec(&tbs_live_atts);
}

/* The last reference, in process context without dmabuf locks held. */
static void tbs_dmabuf_release(struct kref *kref)
{
	tbs_dmabuf_free(container_of(kref, struct tbs_dmabuf, kref));
}

/* The last reference, from a completion: the work item frees it. */
static void tbs_dmabuf_release_later(struct kref *kref)
{
	struct tbs_dmabuf *att = container_of(kref, struct tbs_dmabuf, kref);
	struct tbs_dmabuf_state *d = &att->sess->dmabuf;

	spin_lock(&d->lock);
	list_add_tail(&att->reap_node, &d->reap_list);
	spin_unlock(&d->lock);
	schedule_work(&d->reap);
}

static void tbs_dmabuf_reap(struct work_struct *work)
{
	struct tbs_dmabuf_state *d =
		container_of(work, struct tbs_dmabuf_state, reap);
	struct tbs_dmabuf *att, *tmp;
	LIST_HEAD(list);

	spin_lock(&d->lock);
	list_splice_init(&d->reap_list, &list);
	spin_unlock(&d->lock);
	list_for_each_entry_safe(att, tmp, &list, reap_node)
		tbs_dmabuf_free(att);
}

/* The attachment @handle of @file, with a reference, or NULL. */
static struct tbs_dmabuf *tbs_dmabuf_get(struct tbs_session *sess,
					 struct file *file, u32 handle)
{
	struct tbs_dmabuf *att;

	xa_lock(&tbs_dmabuf_handles);
	att = xa_load(&tbs_dmabuf_handles, handle);
	if (att && att->owner == file && att->sess == sess)
		kref_get(&att->kref);
	else
		att = NULL;
	xa_unlock(&tbs_dmabuf_handles);
	return att;
}

/* Remove @att's handle if it still has one (process context). */
static bool tbs_dmabuf_unpublish(struct tbs_dmabuf *att)
{
	bool had;

	xa_lock(&tbs_dmabuf_handles);
	had = att->handle && xa_load(&tbs_dmabuf_handles, att->handle) == att;
	if (had)
		__xa_erase(&tbs_dmabuf_handles, att->handle);
	att->handle = 0;
	xa_unlock(&tbs_dmabuf_handles);
	return had;
}

static int tbs_dmabuf_attach(struct tbs_session *sess, struct file *file,
			     void __user *uarg)
{
	struct tbs_dmabuf_state *d = &sess->dmabuf;
	struct tbstream_dmabuf_attach a;
	struct tbs_port *port = NULL;
	struct device *dev = NULL;
	struct tbs_dmabuf *att;
	struct dma_buf *dmabuf;
	u32 offered = 0;
	int ret;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if ((a.flags & ~TBSTREAM_ATTACH_FLAGS) || a.reserved[0] ||
	    a.reserved[1] || a.path > TBSTREAM_PATH_CPU)
		return -EINVAL;
	if ((a.flags & TBSTREAM_ATTACH_REQUIRE) && a.path == TBSTREAM_PATH_ANY)
		return -EINVAL;
	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;

	dmabuf = dma_buf_get(a.fd);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	att = kzalloc(sizeof(*att), GFP_KERNEL);
	if (!att) {
		dma_buf_put(dmabuf);
		return -ENOMEM;
	}
	atomic_inc(&tbs_live_atts);
	kref_init(&att->kref);
	INIT_LIST_HEAD(&att->node);
	att->sess = sess;
	att->owner = file;
	att->dmabuf = dmabuf;
	atomic_set(&att->nsends, 0);

	/* A place among the session's attachments, kept while we map. */
	mutex_lock(&d->att_lock);
	ret = d->dead ? -ENXIO : 0;
	if (!ret && d->natts >= TBS_DMABUF_MAX_ATTACH)
		ret = -ENOSPC;
	if (!ret)
		d->natts++;
	mutex_unlock(&d->att_lock);
	if (ret)
		goto err_free;

	/*
	 * What the rings offer is read under io_lock; the exporter maps with
	 * no lock held (it may sleep on its own fences and locks), and our
	 * reference keeps the port and its DMA device until it is done.
	 */
	down_read(&sess->io_lock);
	ret = READ_ONCE(sess->gone);
	if (!ret) {
		offered = tbs_dmabuf_offered(sess);
		dev = tbs_dmabuf_device(sess);
		port = sess->port;
		tbs_port_get(port);
	}
	up_read(&sess->io_lock);
	if (!ret)
		ret = tbs_dmabuf_negotiate(sess, att, offered, dev, a.path,
					   a.flags & TBSTREAM_ATTACH_REQUIRE);

	mutex_lock(&d->att_lock);
	/* Torn down meanwhile: teardown did not see this mapping. */
	if (!ret && d->dead) {
		tbs_dmabuf_unmap(att);
		ret = -ENXIO;
	}
	if (!ret) {
		ret = xa_alloc_cyclic(&tbs_dmabuf_handles, &att->handle, att,
				      XA_LIMIT(1, INT_MAX),
				      &tbs_dmabuf_next_handle, GFP_KERNEL);
		if (ret < 0) {
			tbs_dmabuf_unmap(att);
		} else {
			ret = 0;
			list_add_tail(&att->node, &d->atts);
		}
	}
	if (ret)
		d->natts--;
	mutex_unlock(&d->att_lock);
	if (port)
		tbs_port_put(port);
err_free:
	if (ret) {
		dma_buf_put(dmabuf);
		kfree(att);
		atomic_dec(&tbs_live_atts);
		return ret;
	}

	a.path = att->path;
	a.handle = att->handle;
	a.size = dmabuf->size;
	if (copy_to_user(uarg, &a, sizeof(a))) {
		/* Nobody learnt the handle: undo. */
		tbs_dmabuf_unpublish(att);
		kref_put(&att->kref, tbs_dmabuf_release);
		return -EFAULT;
	}
	return 0;
}

static int tbs_dmabuf_detach(struct tbs_session *sess, struct file *file,
			     void __user *uarg)
{
	struct tbstream_dmabuf_detach a;
	struct tbs_dmabuf *att;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (a.flags || a.reserved[0] || a.reserved[1])
		return -EINVAL;

	xa_lock(&tbs_dmabuf_handles);
	att = xa_load(&tbs_dmabuf_handles, a.handle);
	if (att && att->owner == file && att->sess == sess) {
		__xa_erase(&tbs_dmabuf_handles, a.handle);
		att->handle = 0;
	} else {
		att = NULL;
	}
	xa_unlock(&tbs_dmabuf_handles);
	if (!att)
		return -ENOENT;
	/* Frames in flight keep it (and its mapping) until they are back. */
	kref_put(&att->kref, tbs_dmabuf_release);
	return 0;
}

static int tbs_dmabuf_query(struct tbs_session *sess, struct file *file,
			    void __user *uarg)
{
	struct tbs_dmabuf_state *d = &sess->dmabuf;
	struct tbstream_dmabuf_query a;
	struct tbs_dmabuf *att;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (a.reserved[0] || a.reserved[1])
		return -EINVAL;
	att = tbs_dmabuf_get(sess, file, a.handle);
	if (!att)
		return -ENOENT;
	mutex_lock(&d->att_lock);
	a.path = att->path;
	a.size = att->dmabuf->size;
	a.segments = att->mapped && att->sgt ? att->nsegs : 0;
	a.sends = atomic_read(&att->nsends);
	mutex_unlock(&d->att_lock);
	kref_put(&att->kref, tbs_dmabuf_release);
	return copy_to_user(uarg, &a, sizeof(a)) ? -EFAULT : 0;
}

/* ---- sends -------------------------------------------------------------- */

/* Drop a reference on @send; the last completes it (any context). */
static void tbs_dmabuf_send_put(struct tbs_session *sess,
				struct tbs_dmabuf_send *send)
{
	struct tbs_dmabuf_state *d = &sess->dmabuf;
	struct tbs_dmabuf_send *s, *tmp;
	LIST_HEAD(done);

	if (!atomic_dec_and_test(&send->pending))
		return;
	spin_lock(&d->lock);
	send->done = true;
	/* Sends complete in order: a later one waits for every earlier one. */
	while ((s = list_first_entry_or_null(&d->sends, struct tbs_dmabuf_send,
					     node)) && s->done) {
		d->completed = s->seq;
		list_move_tail(&s->node, &done);
	}
	spin_unlock(&d->lock);
	if (list_empty(&done))
		return;
	wake_up_all(&d->wq);
	list_for_each_entry_safe(s, tmp, &done, node) {
		atomic_dec(&s->att->nsends);
		kref_put(&s->att->kref, tbs_dmabuf_release_later);
		kfree(s);
		atomic_dec(&tbs_live_sends);
	}
}

/**
 * struct tbs_dmabuf_src - the bytes of one send, as tbs_session_send() takes
 *	them
 * @src: the generic part
 * @send: the send
 * @att: its attachment
 * @sg: DIRECT, P2P: the DMA segment of the next byte
 * @segs: segments left from @sg on
 * @sg_off: offset of the next byte in @sg
 * @off: offset of the next byte in the buffer
 * @sought: @sg, @segs and @sg_off are set
 */
struct tbs_dmabuf_src {
	struct tbs_tx_src src;
	struct tbs_dmabuf_send *send;
	struct tbs_dmabuf *att;
	struct scatterlist *sg;
	unsigned int segs;
	u64 sg_off;
	u64 off;
	bool sought;
};

/* @f carries bytes of @ds->send from now on (tx_mutex, io_lock held). */
static struct tbs_dmabuf_frame *tbs_dmabuf_frame_take(struct tbs_session *sess,
						      struct tbs_dmabuf_src *ds,
						      struct tbs_frame *f)
{
	struct tbs_dmabuf_frame *fi = &sess->dmabuf.frames[f - sess->frames];
	struct tbs_dmabuf_state *d = &sess->dmabuf;
	struct tbs_dmabuf_send *send = ds->send;

	if (!send->seq) {
		/* Numbered by its first frame: numbers follow the wire order. */
		spin_lock(&d->lock);
		send->seq = ++d->queued;
		list_add_tail(&send->node, &d->sends);
		spin_unlock(&d->lock);
	}
	atomic_inc(&send->pending);
	fi->send = send;
	fi->buf = NULL;
	return fi;
}

/*
 * Find the DMA segment of the first byte.  Only under io_lock with the
 * session not gone: the mapping exists then (teardown releases it only
 * after every such holder of io_lock has left).
 */
static void tbs_dmabuf_seek(struct tbs_dmabuf_src *ds)
{
	struct sg_table *sgt = ds->att->sgt;
	u64 offset = ds->off;
	struct scatterlist *sg;
	unsigned int i;

	for_each_sgtable_dma_sg(sgt, sg, i) {
		if (offset < sg_dma_len(sg))
			break;
		offset -= sg_dma_len(sg);
	}
	ds->sg = sg;
	ds->segs = sgt->nents - i;
	ds->sg_off = offset;
	ds->sought = true;
}

static int tbs_dmabuf_fill_dma(struct tbs_tx_src *src, struct tbs_session *sess,
			       struct tbs_frame *f)
{
	struct tbs_dmabuf_src *ds = container_of(src, struct tbs_dmabuf_src, src);
	struct tbs_dmabuf_frame *fi;
	u64 len;

	if (!ds->sought)
		tbs_dmabuf_seek(ds);
	while (ds->segs && ds->sg_off == sg_dma_len(ds->sg)) {
		ds->sg = sg_next(ds->sg);
		ds->sg_off = 0;
		ds->segs--;
	}
	if (!ds->segs)
		return -EIO;	/* checked at attach: cannot happen */
	len = min3((u64)src->left, (u64)TBS_FRAME_SIZE,
		   sg_dma_len(ds->sg) - ds->sg_off);

	fi = tbs_dmabuf_frame_take(sess, ds, f);
	fi->buf = f->buf;
	fi->dma = f->dma;
	f->buf = NULL;
	f->dma = sg_dma_address(ds->sg) + ds->sg_off;
	f->size = len;
	ds->sg_off += len;
	ds->off += len;
	src->left -= len;
	return 0;
}

static int tbs_dmabuf_fill_cpu(struct tbs_tx_src *src, struct tbs_session *sess,
			       struct tbs_frame *f)
{
	struct tbs_dmabuf_src *ds = container_of(src, struct tbs_dmabuf_src, src);
	size_t len = min_t(size_t, src->left, TBS_FRAME_SIZE);

	iosys_map_memcpy_from(f->buf, &ds->att->map, ds->off, len);
	tbs_dmabuf_frame_take(sess, ds, f);
	f->size = len;
	ds->off += len;
	src->left -= len;
	return 0;
}

/* The frame was not posted (the ring stops): give it back as it was. */
static void tbs_dmabuf_unfill(struct tbs_tx_src *src, struct tbs_session *sess,
			      struct tbs_frame *f)
{
	struct tbs_dmabuf_frame *fi = &sess->dmabuf.frames[f - sess->frames];

	if (fi->buf) {
		f->buf = fi->buf;
		f->dma = fi->dma;
	}
	fi->buf = NULL;
	fi->send = NULL;
	atomic_dec(&container_of(src, struct tbs_dmabuf_src, src)->send->pending);
	src->left += f->size;
	src->stop = -ESHUTDOWN;	/* the cursor moved on: never resume */
}

/* Wait for whoever writes the buffer (a GPU, a decoder) to finish. */
static int tbs_dmabuf_wait_writers(struct tbs_dmabuf *att, bool nonblock)
{
	long t;

	if (nonblock)
		return dma_resv_test_signaled(att->dmabuf->resv,
					      DMA_RESV_USAGE_WRITE) ? 0 : -EAGAIN;
	t = dma_resv_wait_timeout(att->dmabuf->resv, DMA_RESV_USAGE_WRITE, true,
				  msecs_to_jiffies(TBS_DMABUF_FENCE_TIMEOUT_MS));
	if (t < 0)
		return t;
	return t ? 0 : -ETIMEDOUT;
}

static int tbs_dmabuf_send(struct tbs_session *sess, struct file *file,
			   void __user *uarg)
{
	bool nonblock = file->f_flags & O_NONBLOCK;
	struct tbstream_dmabuf_send a;
	struct tbs_dmabuf_send *send;
	struct tbs_dmabuf_src ds = {};
	struct tbs_dmabuf *att;
	ssize_t queued;
	bool cpu;
	u64 seq;
	int ret;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (a.flags || a.reserved[0] || a.reserved[1] || !a.length)
		return -EINVAL;
	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;
	att = tbs_dmabuf_get(sess, file, a.handle);
	if (!att)
		return -ENOENT;
	if (a.offset > att->dmabuf->size ||
	    a.length > att->dmabuf->size - a.offset) {
		ret = -ERANGE;
		goto err_put;
	}
	ret = READ_ONCE(sess->gone);
	if (ret)
		goto err_put;
	ret = tbs_dmabuf_wait_writers(att, nonblock);
	if (ret)
		goto err_put;

	cpu = att->path == TBSTREAM_PATH_CPU;
	if (cpu) {
		/* Lets the exporter make the CPU's view of the bytes current. */
		ret = dma_buf_begin_cpu_access(att->dmabuf, DMA_FROM_DEVICE);
		if (ret)
			goto err_put;
	}
	send = kzalloc(sizeof(*send), GFP_KERNEL);
	if (!send) {
		ret = -ENOMEM;
		goto err_cpu;
	}
	atomic_inc(&tbs_live_sends);
	INIT_LIST_HEAD(&send->node);
	send->att = att;		/* takes over our reference */
	atomic_set(&send->pending, 1);	/* ours, while we post */
	atomic_inc(&att->nsends);

	ds.src.left = a.length;
	ds.src.fill = cpu ? tbs_dmabuf_fill_cpu : tbs_dmabuf_fill_dma;
	ds.src.unfill = tbs_dmabuf_unfill;
	ds.send = send;
	ds.att = att;
	ds.off = a.offset;
	queued = tbs_session_send(sess, &ds.src, nonblock);
	if (cpu)
		dma_buf_end_cpu_access(att->dmabuf, DMA_FROM_DEVICE);

	seq = send->seq;
	if (!seq) {
		/* Nothing posted: the send never existed. */
		atomic_dec(&att->nsends);
		kfree(send);
		atomic_dec(&tbs_live_sends);
		kref_put(&att->kref, tbs_dmabuf_release);
	} else {
		tbs_dmabuf_send_put(sess, send);
	}
	if (queued <= 0)
		return queued ? queued : -EIO;

	a.seq = seq;
	a.queued = queued;
	return copy_to_user(uarg, &a, sizeof(a)) ? -EFAULT : 0;

err_cpu:
	if (cpu)
		dma_buf_end_cpu_access(att->dmabuf, DMA_FROM_DEVICE);
err_put:
	kref_put(&att->kref, tbs_dmabuf_release);
	return ret;
}

static bool tbs_dmabuf_reached(struct tbs_session *sess, u64 seq)
{
	struct tbs_dmabuf_state *d = &sess->dmabuf;
	bool ret;

	spin_lock(&d->lock);
	ret = d->completed >= seq;
	spin_unlock(&d->lock);
	/*
	 * Not merely gone: once torn down the rings have returned every
	 * frame, so all sends but one still being posted have completed.
	 */
	return ret || READ_ONCE(d->dead);
}

static int tbs_dmabuf_wait(struct tbs_session *sess, void __user *uarg)
{
	struct tbs_dmabuf_state *d = &sess->dmabuf;
	struct tbstream_dmabuf_wait a;
	long t;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (a.flags || a.reserved0 || a.reserved[0] || a.reserved[1])
		return -EINVAL;
	spin_lock(&d->lock);
	a.queued = d->queued;
	spin_unlock(&d->lock);
	if (a.seq > a.queued)
		return -EINVAL;		/* never queued: it would never come */
	if (a.seq && a.timeout_ms) {
		t = wait_event_interruptible_timeout(d->wq,
						     tbs_dmabuf_reached(sess, a.seq),
						     msecs_to_jiffies(a.timeout_ms));
		if (t < 0)
			return t;
	}
	spin_lock(&d->lock);
	a.completed = d->completed;
	a.queued = d->queued;
	d->acked = max(d->acked, d->completed);
	spin_unlock(&d->lock);
	a.status = READ_ONCE(sess->gone);
	return copy_to_user(uarg, &a, sizeof(a)) ? -EFAULT : 0;
}

static int tbs_dmabuf_info(struct tbs_session *sess, void __user *uarg)
{
	struct tbstream_info a;
	unsigned int i;
	int ret = 0;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	for (i = 0; i < ARRAY_SIZE(a.reserved); i++)
		if (a.reserved[i])
			return -EINVAL;
	down_read(&sess->io_lock);
	ret = READ_ONCE(sess->gone);
	if (!ret)
		a.paths = tbs_dmabuf_offered(sess);
	up_read(&sess->io_lock);
	if (ret)
		return ret;
	a.abi_version = TBSTREAM_ABI_VERSION;
	a.max_attachments = TBS_DMABUF_MAX_ATTACH;
	a.frame_size = TBS_FRAME_SIZE;
	return copy_to_user(uarg, &a, sizeof(a)) ? -EFAULT : 0;
}

/**
 * tbs_dmabuf_ioctl() - the ioctls of /dev/tbstreamX
 * @sess: the file's session
 * @file: the file
 * @cmd: the command
 * @arg: its argument (a user pointer)
 *
 * Return: 0, a negative errno (see kernel/README.md), -ENOTTY for an
 * unknown command.
 */
long tbs_dmabuf_ioctl(struct tbs_session *sess, struct file *file,
		      unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case TBSTREAM_IOC_INFO:
		return tbs_dmabuf_info(sess, uarg);
	case TBSTREAM_IOC_DMABUF_ATTACH:
		return tbs_dmabuf_attach(sess, file, uarg);
	case TBSTREAM_IOC_DMABUF_QUERY:
		return tbs_dmabuf_query(sess, file, uarg);
	case TBSTREAM_IOC_DMABUF_SEND:
		return tbs_dmabuf_send(sess, file, uarg);
	case TBSTREAM_IOC_DMABUF_WAIT:
		return tbs_dmabuf_wait(sess, uarg);
	case TBSTREAM_IOC_DMABUF_DETACH:
		return tbs_dmabuf_detach(sess, file, uarg);
	}
	return -ENOTTY;
}

/* ---- the session's side ------------------------------------------------- */

/**
 * tbs_dmabuf_tx_done() - a TX frame came back (completion context)
 * @sess: the session
 * @f: the frame; gets its own buffer back if a send had replaced it
 */
void tbs_dmabuf_tx_done(struct tbs_session *sess, struct tbs_frame *f)
{
	struct tbs_dmabuf_frame *fi = &sess->dmabuf.frames[f - sess->frames];
	struct tbs_dmabuf_send *send = fi->send;

	if (!send)
		return;
	if (fi->buf) {
		f->buf = fi->buf;
		f->dma = fi->dma;
		fi->buf = NULL;
	}
	fi->send = NULL;
	tbs_dmabuf_send_put(sess, send);
}

/**
 * tbs_dmabuf_poll() - EPOLLPRI while completions are unreported
 * @sess: the session
 * @file: the file
 * @wait: the poll table
 *
 * Return: EPOLLPRI or 0.
 */
__poll_t tbs_dmabuf_poll(struct tbs_session *sess, struct file *file,
			 struct poll_table_struct *wait)
{
	struct tbs_dmabuf_state *d = &sess->dmabuf;
	bool pri;

	poll_wait(file, &d->wq, wait);
	spin_lock(&d->lock);
	pri = d->completed > d->acked;
	spin_unlock(&d->lock);
	return pri ? EPOLLPRI : 0;
}

/**
 * tbs_dmabuf_release_file() - a file of the session is closed
 * @sess: the session
 * @file: the file; what it attached is detached
 */
void tbs_dmabuf_release_file(struct tbs_session *sess, struct file *file)
{
	struct tbs_dmabuf_state *d = &sess->dmabuf;
	struct tbs_dmabuf *att, *tmp;
	LIST_HEAD(mine);

	mutex_lock(&d->att_lock);
	list_for_each_entry(att, &d->atts, node)
		if (att->owner == file && tbs_dmabuf_unpublish(att))
			list_add_tail(&att->tmp_node, &mine);
	mutex_unlock(&d->att_lock);
	list_for_each_entry_safe(att, tmp, &mine, tmp_node)
		kref_put(&att->kref, tbs_dmabuf_release);
}

/**
 * tbs_dmabuf_session_init() - prepare a new session for dma-buf sends
 * @sess: the session; its ring size (nframes) is set
 *
 * Return: 0 or -ENOMEM.
 */
int tbs_dmabuf_session_init(struct tbs_session *sess)
{
	struct tbs_dmabuf_state *d = &sess->dmabuf;

	mutex_init(&d->att_lock);
	INIT_LIST_HEAD(&d->atts);
	spin_lock_init(&d->lock);
	INIT_LIST_HEAD(&d->sends);
	INIT_LIST_HEAD(&d->reap_list);
	INIT_WORK(&d->reap, tbs_dmabuf_reap);
	init_waitqueue_head(&d->wq);
	d->frames = kvcalloc(sess->nframes, sizeof(*d->frames), GFP_KERNEL);
	return d->frames ? 0 : -ENOMEM;
}

/**
 * tbs_dmabuf_session_teardown() - release every mapping of the session
 * @sess: the session; its rings are stopped (every frame came back) and
 *	no I/O reaches them any more (->gone, io_lock)
 *
 * Attachments stay (their handles still answer) without a mapping.
 */
void tbs_dmabuf_session_teardown(struct tbs_session *sess)
{
	struct tbs_dmabuf_state *d = &sess->dmabuf;
	struct tbs_dmabuf *att;

	flush_work(&d->reap);
	mutex_lock(&d->att_lock);
	WRITE_ONCE(d->dead, true);
	list_for_each_entry(att, &d->atts, node)
		if (att->mapped)
			tbs_dmabuf_unmap(att);
	mutex_unlock(&d->att_lock);
	wake_up_all(&d->wq);
}

/**
 * tbs_dmabuf_session_free() - the session's memory goes
 * @sess: the session; every file of it is closed
 */
void tbs_dmabuf_session_free(struct tbs_session *sess)
{
	struct tbs_dmabuf_state *d = &sess->dmabuf;

	flush_work(&d->reap);
	WARN_ON(!list_empty(&d->atts));
	kvfree(d->frames);
	d->frames = NULL;
}
