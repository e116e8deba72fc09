/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one interface between the tbstream core and a fabric.
 *
 * The core (char devices, ConfigFS, flow of frames) never touches NHI rings,
 * XDomains or HopIDs directly: it talks to a *port*, which is the peer's
 * `stream` service as one local host sees it.  Two fabrics implement ports:
 *
 *   - the real one (kernel/nhi.c): a tb_service_driver; a port per probed
 *     tb_service, rings on the host's NHI, paths through tb_xdomain_*();
 *   - the simulated one (kernel/sim/, module tbstream_sim): two simulated
 *     hosts per simulated cable, rings modelled in memory with real sizes
 *     and E2E credits.
 *
 * The core cannot tell them apart; everything it needs is here.
 *
 * Lifetime rules of the contract (the core's own rules live in stream.c):
 *
 *  - A fabric is registered before it adds ports and unregistered after it
 *    removed them all.  A fabric is one *local host*: the place where that
 *    host's stream announcements are published.  The real fabric is one for
 *    the whole machine (6.1 has a single global XDomain property directory;
 *    7.2 adds each service's own, publish_port()); the simulator has one
 *    per simulated host.
 *  - tbs_port_add() publishes a port; from then on the core may call any
 *    port operation until it calls release().  tbs_port_remove() may be
 *    called with the fabric's own locks held (the thunderbolt core holds
 *    tb->lock across tb_xdomain_remove()), so it never waits for a call
 *    into the port that may take them: it releases every HopID and tears
 *    down the sessions it finds, but a session another thread is starting
 *    or closing at that moment (inside enable_paths() or disable_paths(),
 *    say) is torn down by that thread afterwards.  The core therefore
 *    holds references on the port; release() comes with the last one,
 *    before tbs_port_remove() returns or later, from any process context,
 *    and only then may the fabric free the port.  After tbs_port_remove()
 *    the only operations still called are ring_*, buf_*, enable_paths()
 *    (which should fail) and disable_paths().  Open files outlive the port;
 *    they keep core objects only.
 *  - The core holds no lock of its own when it calls enable_paths() or
 *    disable_paths() (they may sleep on the fabric's locks); it may hold
 *    its locks across every other operation, so those must not take a lock
 *    that the fabric holds around tbs_port_remove().  disable_paths() on a
 *    port being removed must not wait for such a lock either (upstream:
 *    xd->is_unplugged).
 *  - tbs_port_suspend() (system sleep) ends every open session of the port
 *    as an unplug would (files see -ENXIO; rings stopped and freed, paths
 *    disabled) but keeps the attachment and HopIDs; later opens work.
 *  - Ring callbacks run in process context (a workqueue), never with a core
 *    lock held by the caller of the operation that triggers them, and may call
 *    tbs_ring_ops.post() again.  After ring_stop() returns no callback runs
 *    and every frame that was posted has been returned with @canceled set.
 */
#ifndef TBSTREAM_BACKEND_H
#define TBSTREAM_BACKEND_H

#include <linux/build_bug.h>
#include <linux/device.h>
#include <linux/list.h>
#include <linux/types.h>
#include <linux/uuid.h>

struct tb_property_dir;
struct tbs_fabric;
struct tbs_port;

/* Upstream's USB4STREAM protocol constants: changing any breaks the wire. */
#define TBS_FRAME_SIZE		4096	/* TB_MAX_FRAME_SIZE, absent from 6.1 */
#define TBS_PDF_SOF		1	/* start-of-frame PDF on every frame */
#define TBS_PDF_DATA		2	/* end-of-frame PDF of a data frame */
#define TBS_PDF_CLOSE		3	/* end-of-frame PDF of the close frame */
#define TBS_CLOSE_FRAME_SIZE	256	/* a close frame carries 256 zero bytes */
#define TBS_MIN_HOPID		8	/* HopIDs below 8 are reserved */
#define TBS_PROTOCOL_KEY	"stream"
#define TBS_PROTOCOL_ID		1
#define TBS_PROTOCOL_VERSION	1
#define TBS_PROTOCOL_REVISION	0
#define TBS_PROTOCOL_SETTINGS	0

/* Frame status reported by the fabric on RX completion. */
#define TBS_FRAME_CRC_ERROR	BIT(0)
#define TBS_FRAME_OVERRUN	BIT(1)

struct tbs_ring;

/**
 * struct tbs_frame - one descriptor's worth of data, TX or RX
 * @list: free for the owner of the frame (the core while it holds it)
 * @ring: the ring the frame was last posted to
 * @buf: CPU address of the buffer, a page of its own from the page
 *	 allocator (tbs_frame_buf_alloc()); %NULL for a TX frame whose data
 *	 lives in memory the core does not map (a dma-buf segment, mapped by
 *	 the core for dma_device()): the fabric then sends from @dma, neither
 *	 syncs nor frees it; the core gives the frame its own buffer back
 *	 after completion
 * @dma: DMA address of the buffer for the ring's DMA device
 * @size: TX: bytes to send; RX: bytes received (set by the fabric)
 * @sof: start-of-frame PDF (TX: set by the core; RX: set by the fabric)
 * @eof: end-of-frame PDF (TX: set by the core; RX: set by the fabric)
 * @status: RX: %TBS_FRAME_CRC_ERROR / %TBS_FRAME_OVERRUN, set by the fabric
 * @fabric_priv: the fabric's own per-frame state (the real fabric keeps its
 *	 struct ring_frame here); the core never touches it
 * @core_priv: the core's own per-frame state; the fabric never touches it
 *
 * Frames are allocated by the core, buffers by the fabric (buf_alloc), so
 * each fabric decides what DMA-able memory is.  A fabric may exchange @buf
 * and @dma between a TX frame and an RX frame that both carry buffers it
 * allocated, while it owns both (the simulator hands buffers over instead of
 * copying); the core therefore re-reads @buf after every completion and
 * never caches it.
 *
 * A page rather than a kmalloc()ed object because the core copies user
 * memory in and out with copy_page_{from,to}_iter(): on a slab object,
 * copy_{from,to}_iter() run hardened usercopy's slab lookup once per 4 KiB
 * frame (kernel/README.md, "Where tbstream's extra cost went").
 */
struct tbs_frame {
	struct list_head list;
	struct tbs_ring *ring;
	void *buf;
	dma_addr_t dma;
	u32 size;
	u8 sof;
	u8 eof;
	u8 status;
	void *fabric_priv;
	void *core_priv;
};

static_assert(TBS_FRAME_SIZE <= PAGE_SIZE);

void *tbs_frame_buf_alloc(void);
void tbs_frame_buf_free(void *buf);

/**
 * typedef tbs_frame_done_t - a posted frame came back
 * @ring: the ring it was posted to
 * @frame: the frame; ownership returns to the core
 * @canceled: the ring was stopped before the frame completed
 */
typedef void (*tbs_frame_done_t)(struct tbs_ring *ring, struct tbs_frame *frame,
				 bool canceled);

/**
 * struct tbs_ring - a TX or RX ring as the core sees it
 * @port: the port it was created on
 * @tx: true for a TX ring
 * @size: number of descriptors (ConfigFS ring_size)
 * @hop: the ring's hop (TX: used as the RX ring's E2E TX hop)
 * @e2e_tx_hop: RX only: the TX hop whose credits this ring grants
 * @throttling: interrupt moderation interval in ns (ConfigFS throttling),
 *	0 for none; a fabric that cannot set it ignores it
 * @done: completion callback, set by the core before ring_start()
 * @priv: the core's pointer (the stream)
 * @fabric_priv: the fabric's ring (struct tb_ring * or a simulated one)
 *
 * The core allocates this and fills @tx, @size, @e2e_tx_hop, @throttling,
 * @done, @priv;
 * ring_alloc() fills @port, @hop and @fabric_priv.
 */
struct tbs_ring {
	struct tbs_port *port;
	bool tx;
	unsigned int size;
	int hop;
	int e2e_tx_hop;
	unsigned int throttling;
	tbs_frame_done_t done;
	void *priv;
	void *fabric_priv;
};

/**
 * struct tbs_port_ops - what a fabric does for the core on one port
 *
 * Every operation may sleep unless it says otherwise.  Negative errno on
 * failure; no operation leaves partial state behind on failure.
 *
 * @alloc_in_hopid: reserve an input HopID on the peer link. @hopid -1: any;
 *	otherwise exactly @hopid (-EBUSY if taken).  Returns the HopID.
 * @alloc_out_hopid: the same for output
 * @release_in_hopid: give back an input HopID
 * @release_out_hopid: give back an output HopID
 * @peer_stream_hopids: read the peer's announcement of stream @name: its
 *	@inhopid and @outhopid as the peer published them (not swapped).
 *	-ENOENT if the peer announces no such stream.  Peer data is untrusted:
 *	use tbs_props_find_stream().
 * @ring_alloc: create the fabric ring behind @ring (not started).  -EBUSY
 *	if the host interface has no ring (or interrupt vector) left for it
 * @ring_free: destroy it (stopped, or never started)
 * @ring_start: start it; frames may be posted afterwards
 * @ring_stop: stop it; returns every posted frame with @canceled set before
 *	it returns, and no callback runs afterwards
 * @ring_post: post @frame (TX: send it; RX: offer its buffer).  Never
 *	sleeps; may be called from a completion callback.  -ESHUTDOWN if the
 *	ring is not started.
 * @buf_alloc: give @frame a TBS_FRAME_SIZE buffer DMA-able by @ring
 * @buf_free: free it
 * @dma_device: the device that DMAs for @ring (dma-buf mappings use it)
 * @dma_p2p: optional: true if @ring's DMA device may read the memory of
 *	another PCIe device (peer-to-peer); %NULL means never
 * @enable_paths: set up the DMA paths: @tx_hopid over @tx ring, @rx_hopid
 *	into @rx ring.  Called with RX frames already posted.
 * @disable_paths: tear them down; called before the rings stop
 * @release: the core is done with a removed port: no call into it follows
 *	and the fabric may free it.  Called once, after tbs_port_remove() was
 *	called, from process context with no core lock held.
 */
struct tbs_port_ops {
	int (*alloc_in_hopid)(struct tbs_port *port, int hopid);
	int (*alloc_out_hopid)(struct tbs_port *port, int hopid);
	void (*release_in_hopid)(struct tbs_port *port, int hopid);
	void (*release_out_hopid)(struct tbs_port *port, int hopid);
	int (*peer_stream_hopids)(struct tbs_port *port, const char *name,
				  int *inhopid, int *outhopid);

	int (*ring_alloc)(struct tbs_port *port, struct tbs_ring *ring);
	void (*ring_free)(struct tbs_ring *ring);
	int (*ring_start)(struct tbs_ring *ring);
	void (*ring_stop)(struct tbs_ring *ring);
	int (*ring_post)(struct tbs_ring *ring, struct tbs_frame *frame);
	int (*buf_alloc)(struct tbs_ring *ring, struct tbs_frame *frame);
	void (*buf_free)(struct tbs_ring *ring, struct tbs_frame *frame);
	struct device *(*dma_device)(struct tbs_ring *ring);
	bool (*dma_p2p)(struct tbs_ring *ring);

	int (*enable_paths)(struct tbs_port *port, int tx_hopid,
			    struct tbs_ring *tx, int rx_hopid,
			    struct tbs_ring *rx);
	void (*disable_paths)(struct tbs_port *port, int tx_hopid,
			      struct tbs_ring *tx, int rx_hopid,
			      struct tbs_ring *rx);
	void (*release)(struct tbs_port *port);
};

/**
 * struct tbs_fabric_ops - what a fabric does for the core as a local host
 * @publish: replace this host's announcement of its streams with @dir (the
 *	`stream` service directory, built by tbs_props_build()); the fabric
 *	takes ownership of @dir and frees it with tb_property_free_dir().
 *	%NULL @dir withdraws the announcement.  May sleep.  Called from a
 *	work item without any core lock held (so it may call tbs_port_add()
 *	or tbs_port_remove()), never concurrently with itself for one fabric;
 *	tbs_fabric_register() schedules the first (empty) one and
 *	tbs_fabric_unregister() calls it with %NULL before it returns.
 * @publish_port: optional, for a host that can announce different streams
 *	to each peer (7.2's per-service properties): replace what @port's
 *	peer sees with @dir, the streams attached to @port (the fabric owns
 *	@dir).  Called right after publish(), in the same way, for every
 *	port still added when the work began; the core holds a reference
 *	on @port, which tbs_port_remove() may have been given meanwhile (the
 *	fabric then frees @dir and returns 0).  A fabric that has it gets
 *	only the protocol keys in publish()'s @dir.  It withdraws a port's
 *	announcement itself when the port goes.
 */
struct tbs_fabric_ops {
	int (*publish)(struct tbs_fabric *fabric, struct tb_property_dir *dir);
	int (*publish_port)(struct tbs_port *port, struct tb_property_dir *dir);
};

/**
 * struct tbs_fabric - a local host
 * @name: for messages ("nhi", "sim-1000")
 * @ops: its operations
 * @first_domain: the lowest ConfigFS group domain number it serves
 * @last_domain: the highest; the real fabric serves every domain no other
 *	fabric claims
 * @core_priv: the core's state (announced streams); fabric never touches it
 */
struct tbs_fabric {
	const char *name;
	const struct tbs_fabric_ops *ops;
	u32 first_domain;
	u32 last_domain;
	void *core_priv;
};

/**
 * struct tbs_port - the peer's stream service as seen by one local host
 * @fabric: the local host
 * @ops: its operations
 * @dev: the service device (for messages and as the misc device's parent)
 * @domain: domain index of the service name
 * @route: route of the peer XDomain
 * @service: service id (the `.N` suffix)
 * @max_hopid: highest HopID the peer link accepts
 * @core_priv: the core's state; the fabric never touches it
 *
 * The fabric fills everything but @core_priv before tbs_port_add().  The
 * ConfigFS group that attaches to the port is named
 * "<domain>-<route in hex>.<service>", as upstream's.
 */
struct tbs_port {
	struct tbs_fabric *fabric;
	const struct tbs_port_ops *ops;
	struct device *dev;
	u32 domain;
	u64 route;
	u32 service;
	int max_hopid;
	void *core_priv;
};

/* Exported by tbstream.ko for the fabrics, in symbol namespace TBSTREAM. */
int tbs_fabric_register(struct tbs_fabric *fabric);
void tbs_fabric_unregister(struct tbs_fabric *fabric);
int tbs_port_add(struct tbs_port *port);
void tbs_port_remove(struct tbs_port *port);
void tbs_port_suspend(struct tbs_port *port);

/* Announcement helpers shared by both fabrics (kernel/props.c). */
int tbs_props_find_stream(const struct tb_property_dir *stream_dir,
			  const char *name, int *inhopid, int *outhopid);
extern const uuid_t tbs_service_uuid;

#endif /* TBSTREAM_BACKEND_H */
