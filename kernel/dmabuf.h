/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tbstream: sending from dma-bufs, what the core's other files see of it.
 * The rules (negotiation, lifetimes, locks) are at the top of dmabuf.c.
 */
#ifndef TBSTREAM_DMABUF_H
#define TBSTREAM_DMABUF_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#define TBS_DMABUF_MAX_ATTACH		64	/* per open stream */
#define TBS_DMABUF_FENCE_TIMEOUT_MS	10000	/* write fences, per send */

struct file;
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

int tbs_dmabuf_session_init(struct tbs_session *sess);
void tbs_dmabuf_session_teardown(struct tbs_session *sess);
void tbs_dmabuf_session_free(struct tbs_session *sess);
void tbs_dmabuf_tx_done(struct tbs_session *sess, struct tbs_frame *f);
__poll_t tbs_dmabuf_poll(struct tbs_session *sess, struct file *file,
			 struct poll_table_struct *wait);
void tbs_dmabuf_release_file(struct tbs_session *sess, struct file *file);
long tbs_dmabuf_ioctl(struct tbs_session *sess, struct file *file,
		      unsigned int cmd, unsigned long arg);

#endif /* TBSTREAM_DMABUF_H */
