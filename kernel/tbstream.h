/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tbstream core: what the core's files share.  The fabric contract is
 * backend.h; the lifetime rules are written down at the top of stream.c.
 */
#ifndef TBSTREAM_H
#define TBSTREAM_H

#include <linux/atomic.h>
#include <linux/configfs.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/uuid.h>
#include <linux/wait.h>

#include "backend.h"
#include "dmabuf.h"

#define TBS_NAME_MAX		8	/* stream names: XDomain property keys */
#define TBS_MAX_STREAMS		256	/* minors of the tbstream char region */
#define TBS_MAX_HOPID		2047	/* 11-bit HopID field */
#define TBS_RING_SIZE_MIN	32
#define TBS_RING_SIZE_MAX	4096
#define TBS_RING_SIZE_DEFAULT	256
#define TBS_THROTTLING_MAX	16776960
#define TBS_THROTTLING_DEFAULT	8192
#define TBS_CLOSE_TIMEOUT_MS	1000

/* First domain the real fabric leaves to others (documentation only). */
#define TBS_NHI_FALLBACK	0

struct tbs_session;

/**
 * struct tbs_group - a ConfigFS service group "<domain>-<route>.<service>"
 * @group: the ConfigFS group
 * @node: in tbs_groups (tbs_lock)
 * @domain: parsed from the name
 * @route: parsed from the name
 * @service: parsed from the name
 * @port: the port it is attached to, or %NULL (tbs_lock)
 * @streams: its struct tbs_stream items (tbs_lock)
 */
struct tbs_group {
	struct config_group group;
	struct list_head node;
	u32 domain;
	u64 route;
	u32 service;
	struct tbs_port *port;
	struct list_head streams;
};

/* Per-stream counters, exported as read-only ConfigFS attributes. */
enum tbs_counter {
	TBS_RX_BYTES,
	TBS_TX_BYTES,
	TBS_RX_FRAMES,
	TBS_TX_FRAMES,
	TBS_RX_ERRORS,
	TBS_TX_ERRORS,
	TBS_RING_EXHAUSTED,	/* opens refused: no free ring on the host */
	TBS_NR_COUNTERS,
};

/**
 * struct tbs_stream - one ConfigFS stream item and its character device
 * @kref: see "Lifetimes" in stream.c
 * @item: the ConfigFS item; its release drops the item's @kref reference
 * @node: in @group->streams (tbs_lock)
 * @group: the service group, %NULL once the item is dropped (tbs_lock)
 * @name: the item's name, at most %TBS_NAME_MAX characters
 * @index: X of /dev/tbstreamX
 * @uuid: the UUID of this stream's announcement directory
 * @dev: the class device /dev/tbstreamX
 * @lock: protects the fields below it
 * @cfg_in_hopid: configured input HopID: -1 any, 0 none, >= 8 exactly
 * @cfg_out_hopid: configured output HopID, same encoding
 * @in_hopid: input HopID reserved on @port, 0 if none
 * @out_hopid: output HopID reserved on @port, 0 if none
 * @ring_size: descriptors per ring
 * @throttling: interrupt throttling in ns, applied at open from 7.2 on
 * @port: the attached port or %NULL
 * @session: the open session or %NULL
 * @pending: a session that one thread is starting or closing with no lock
 *	held, or %NULL; no other session starts meanwhile
 * @removed: the ConfigFS item was dropped
 * @attach_wq: open() waits here for @port
 * @counters: statistics, see &enum tbs_counter
 */
struct tbs_stream {
	struct kref kref;
	struct config_item item;
	struct list_head node;
	struct tbs_group *group;
	char name[TBS_NAME_MAX + 1];
	int index;
	uuid_t uuid;
	struct device *dev;

	struct mutex lock;		/* the fields below */
	int cfg_in_hopid;
	int cfg_out_hopid;
	int in_hopid;
	int out_hopid;
	unsigned int ring_size;
	unsigned int throttling;
	struct tbs_port *port;
	struct tbs_session *session;
	struct tbs_session *pending;
	bool removed;
	wait_queue_head_t attach_wq;

	atomic64_t counters[TBS_NR_COUNTERS];
};

/**
 * struct tbs_session - the data path of one open stream
 * @kref: one reference per open file, one while it is @stream->session
 * @stream: the stream (holds a reference on it)
 * @nfiles: open files of this session (@stream->lock)
 * @io_lock: I/O holds it shared while touching rings and frames; teardown
 *	     takes it exclusive once, as a barrier, after setting @gone
 * @gone: 0 while running; else what I/O reports: -ENXIO (unplugged),
 *	  -EPIPE (removed; reads return EOF), -EIO (failed)
 * @abandon: a closing session is to stop at once, sending nothing more
 *	     (set with @gone by unplug, rmdir or suspend of a pending
 *	     session; not by rmdir's own close of an open one)
 * @started: rings, frames and paths were set up (teardown undoes them)
 * @torn_down: rings and frames are gone (@io_lock)
 * @port: the port the rings live on (valid until @torn_down)
 * @tx_hopid: output HopID the paths were enabled with
 * @rx_hopid: input HopID the paths were enabled with
 * @tx: TX ring
 * @rx: RX ring
 * @frames: 2 * ring size frames: TX first, then RX
 * @nframes: ring size
 * @tx_lock: protects @tx_free and @tx_nfree
 * @tx_free: idle TX frames
 * @tx_nfree: number of them
 * @tx_mutex: serialises writers
 * @tx_wq: writers and the closing drain wait here
 * @rx_lock: protects @rx_ready, @rx_err and @rx_peer_closed
 * @rx_ready: received frames (data and close markers) not yet taken by
 *	      a reader
 * @rx_err: -EIO once a bad frame arrived; nothing is queued afterwards
 * @rx_peer_closed: the last frame received was the peer's CLOSE
 * @rx_mutex: serialises readers; protects @rx_taken, @rx_off and @rx_eof
 * @rx_taken: frames a reader moved off @rx_ready, in order, not yet read
 *	      (one @rx_lock round trip per read rather than two per frame);
 *	      touched with @io_lock shared, like the rings
 * @rx_off: bytes of the head of @rx_taken already read
 * @rx_eof: the peer closed and no data arrived since: reads return 0
 * @rx_wq: readers wait here
 * @dmabuf: sends from dma-bufs (dmabuf.c)
 * @kill_node: on a list of sessions to tear down after the locks are dropped
 */
struct tbs_session {
	struct kref kref;
	struct tbs_stream *stream;
	unsigned int nfiles;
	struct rw_semaphore io_lock;
	int gone;
	bool abandon;
	bool started;
	bool torn_down;
	struct tbs_port *port;
	int tx_hopid;
	int rx_hopid;
	struct tbs_ring tx;
	struct tbs_ring rx;
	struct tbs_frame *frames;
	unsigned int nframes;

	spinlock_t tx_lock;		/* tx_free, tx_nfree */
	struct list_head tx_free;
	unsigned int tx_nfree;
	struct mutex tx_mutex;		/* one writer at a time */
	wait_queue_head_t tx_wq;

	spinlock_t rx_lock;		/* rx_ready, rx_err, rx_peer_closed */
	struct list_head rx_ready;
	int rx_err;
	bool rx_peer_closed;
	struct mutex rx_mutex;		/* one reader; rx_taken, rx_off, rx_eof */
	struct list_head rx_taken;
	unsigned int rx_off;
	bool rx_eof;
	wait_queue_head_t rx_wq;

	struct tbs_dmabuf_state dmabuf;
	struct list_head kill_node;
};

/**
 * struct tbs_tx_src - where the bytes of a send come from
 * @left: bytes not queued yet
 * @fill: put the next bytes (at most %TBS_FRAME_SIZE) into @f: set
 *	@f->size (and @f->buf/@f->dma for memory the core does not own),
 *	subtract it from @left, return 0; or return a negative errno having
 *	changed nothing.  Runs with io_lock shared and tx_mutex held; must not
 *	sleep for long, nor fault on user memory (copy with page faults
 *	disabled, return -EFAULT)
 * @unfill: @f could not be posted: undo what @fill did
 * @fault_in: optional: @fill returned -EFAULT; bring the memory in with no
 *	lock but tx_mutex held (may sleep as long as the fault takes); 0 to
 *	fill again, -EFAULT if it cannot be read
 * @stop: set by @fill to stop after posting this frame, with this error
 */
struct tbs_tx_src {
	size_t left;
	int (*fill)(struct tbs_tx_src *src, struct tbs_session *sess,
		    struct tbs_frame *f);
	void (*unfill)(struct tbs_tx_src *src, struct tbs_session *sess,
		       struct tbs_frame *f);
	int (*fault_in)(struct tbs_tx_src *src);
	int stop;
};

/* main.c */
extern struct mutex tbs_lock;
extern struct list_head tbs_groups;
struct tbs_fabric *tbs_fabric_for_domain(u32 domain);
void tbs_publish(struct tbs_fabric *fabric);
void tbs_port_get(struct tbs_port *port);
void tbs_port_put(struct tbs_port *port);
struct tbs_port *tbs_find_port(u32 domain, u64 route, u32 service);

/* stream.c */
struct tbs_stream *tbs_stream_create(struct tbs_group *group, const char *name);
void tbs_stream_drop(struct tbs_stream *s);
void tbs_stream_put(struct tbs_stream *s);
void tbs_stream_attach(struct tbs_stream *s, struct tbs_port *port);
struct tbs_session *tbs_stream_detach(struct tbs_stream *s, int reason);
struct tbs_session *tbs_stream_suspend(struct tbs_stream *s);
void tbs_session_kill(struct tbs_session *sess, int reason);
int tbs_stream_set_hopid(struct tbs_stream *s, bool in, int hopid);
const char *tbs_stream_state(struct tbs_stream *s);
int tbs_session_open(struct tbs_stream *s, bool nonblock,
		     struct tbs_session **sessp);
void tbs_session_release(struct tbs_session *sess);

/* session.c */
struct tbs_session *tbs_session_alloc(struct tbs_stream *s);
int tbs_session_start(struct tbs_session *sess);
void tbs_session_teardown(struct tbs_session *sess, int reason);
void tbs_session_close(struct tbs_session *sess);
void tbs_session_close_removed(struct tbs_session *sess);
void tbs_session_put(struct tbs_session *sess);
ssize_t tbs_session_read(struct tbs_session *sess, struct iov_iter *to,
			 bool nonblock);
ssize_t tbs_session_send(struct tbs_session *sess, struct tbs_tx_src *src,
			 bool nonblock);
ssize_t tbs_session_write(struct tbs_session *sess, struct iov_iter *from,
			  bool nonblock);
__poll_t tbs_session_poll(struct tbs_session *sess, struct file *file,
			  poll_table *wait);

/* chardev.c */
int tbs_chardev_init(void);
void tbs_chardev_exit(void);
int tbs_chardev_add(struct tbs_stream *s);
void tbs_chardev_remove(struct tbs_stream *s);

/* configfs.c */
int tbs_configfs_init(void);
void tbs_configfs_exit(void);
struct tbs_stream *tbs_item_to_stream(struct config_item *item);

/* props.c */
struct tb_property_dir *tbs_props_build(struct tbs_fabric *fabric,
					struct tbs_port *port);
bool tbs_props_name_reserved(const char *name);

/* debugfs.c: live objects, for leak checks */
extern atomic_t tbs_live_streams;
extern atomic_t tbs_live_sessions;
extern atomic_t tbs_live_atts;
extern atomic_t tbs_live_sends;
extern atomic_t tbs_live_bufs;
void tbs_debugfs_init(void);
void tbs_debugfs_exit(void);

/* nhi.c */
extern u32 tbs_nhi_remove_delay_ms;
int tbs_nhi_init(void);
void tbs_nhi_exit(void);

#endif /* TBSTREAM_H */
