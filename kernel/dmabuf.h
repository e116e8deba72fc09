/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tbstream: sending from dma-bufs, what the core's files share of it.  The
 * rules are at the top of dmabuf.c (lifetimes, locks) and dmabuf-path.c
 * (negotiation).
 */
#ifndef TBSTREAM_DMABUF_H
#define TBSTREAM_DMABUF_H

#include <linux/iosys-map.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#define TBS_DMABUF_MAX_ATTACH		64	/* per open stream */
#define TBS_DMABUF_FENCE_TIMEOUT_MS	10000	/* write fences, per send */

struct device;
struct dma_buf;
struct dma_buf_attachment;
struct file;
struct sg_table;
struct poll_table_struct;
struct tbs_dmabuf_send;
struct tbs_frame;
struct tbs_session;

/**
 * struct tbs_dmabuf_frame - what a TX frame carries while a send uses it
 * @send: the send, or %NULL for a frame of write(2) or CLOSE
 * @buf: the frame's own buffer, given back when the frame returns
 * @dma: the DMA address of @buf
 */
struct tbs_dmabuf_frame {
	struct tbs_dmabuf_send *send;
	void *buf;
	dma_addr_t dma;
};

/**
 * struct tbs_dmabuf_state - a session's dma-buf attachments and sends
 * @att_lock: the attachment list, @natts, @dead and each attachment's
 *	mapping
 * @atts: every attachment of the session (&struct tbs_dmabuf.node)
 * @natts: their number, at most %TBS_DMABUF_MAX_ATTACH
 * @dead: the session is torn down: no mapping may be made any more
 * @lock: spinlock for what completions touch: @sends, @queued,
 *	@completed, @acked, @reap_list
 * @sends: sends with frames in flight, oldest first
 * @queued: number of the last send queued
 * @completed: every send numbered <= this has completed
 * @acked: the last @completed reported to user space (EPOLLPRI)
 * @reap_list: attachments whose last reference went in a completion
 * @reap: releases them in process context
 * @wq: waiters for completions
 * @frames: one per TX frame (the first ring-size frames of the session)
 */
struct tbs_dmabuf_state {
	struct mutex att_lock;		/* atts, natts, dead, mappings */
	struct list_head atts;
	unsigned int natts;
	bool dead;

	spinlock_t lock;		/* what completions touch */
	struct list_head sends;
	u64 queued;
	u64 completed;
	u64 acked;
	struct list_head reap_list;
	struct work_struct reap;
	wait_queue_head_t wq;

	struct tbs_dmabuf_frame *frames;
};

/**
 * struct tbs_dmabuf - a dma-buf attached to a session
 * @kref: see "Objects and lifetimes"
 * @node: in the session's attachment list (att_lock)
 * @tmp_node: on a caller's private list
 * @reap_node: on the session's reap list (dmabuf.lock)
 * @sess: the session
 * @owner: the file that attached it; identity only, no reference
 * @handle: its handle, 0 once detached (the xarray's lock)
 * @path: %TBSTREAM_PATH_DIRECT, _P2P or _CPU
 * @dmabuf: the buffer (a reference)
 * @attach: DIRECT, P2P: the attachment to the session's DMA device
 * @sgt: DIRECT, P2P: its mapping
 * @map: CPU: the kernel mapping
 * @nsegs: DMA segments of @sgt
 * @mapped: the mapping is held (att_lock)
 * @nsends: sends of it not completed
 */
struct tbs_dmabuf {
	struct kref kref;
	struct list_head node;
	struct list_head tmp_node;
	struct list_head reap_node;
	struct tbs_session *sess;
	struct file *owner;
	u32 handle;
	u32 path;
	struct dma_buf *dmabuf;
	struct dma_buf_attachment *attach;
	struct sg_table *sgt;
	struct iosys_map map;
	unsigned int nsegs;
	bool mapped;
	atomic_t nsends;
};

int tbs_dmabuf_session_init(struct tbs_session *sess);
void tbs_dmabuf_session_teardown(struct tbs_session *sess);
void tbs_dmabuf_session_free(struct tbs_session *sess);
void tbs_dmabuf_tx_done(struct tbs_session *sess, struct tbs_frame *f);
__poll_t tbs_dmabuf_poll(struct tbs_session *sess, struct file *file,
			 struct poll_table_struct *wait);
void tbs_dmabuf_release_file(struct tbs_session *sess, struct file *file);
long tbs_dmabuf_ioctl(struct tbs_session *sess, struct file *file,
		      unsigned int cmd, unsigned long arg);

/* dmabuf-path.c */
u32 tbs_dmabuf_offered(struct tbs_session *sess);
struct device *tbs_dmabuf_device(struct tbs_session *sess);
int tbs_dmabuf_negotiate(struct tbs_session *sess, struct tbs_dmabuf *att,
			 u32 offered, struct device *dev, u32 want, bool require);
void tbs_dmabuf_unmap(struct tbs_dmabuf *att);

#endif /* TBSTREAM_DMABUF_H */
