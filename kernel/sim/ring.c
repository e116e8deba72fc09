// SPDX-License-Identifier: GPL-2.0
/*
 * tbstream_sim: the model of the NHI rings, E2E credits and fault injection.
 *
 * The model, and where it is faithful:
 *
 *  - Each simulated host has one NHI with nhi_rings TX and nhi_rings RX
 *    rings (ring 0 is the control channel); ring_alloc() fails with -EBUSY
 *    once they are taken.  A ring has ring->size descriptors.
 *  - A TX frame leaves its ring only when the peer host has an RX ring with
 *    an enabled path on the frame's HopID *and* a posted buffer (end-to-end
 *    flow control: credits come only from a receiving ring): otherwise the
 *    TX ring stalls, in order, until credits come or the ring is stopped.
 *    Only with drop_on_unplug do frames get lost: sent into a dead cable.
 *  - Completions are never called from ring_post(): each host has an engine
 *    (a kthread work item on the host's own worker thread, process context,
 *    at TBSIM_ENGINE_NICE) that moves its TX frames across the cable and
 *    returns its completed frames, one at a time, with none of the
 *    simulator's locks held.  One run drains up to TBSIM_ENGINE_BUDGET
 *    frames, then requeues itself.
 *  - Data is handed over, not copied: when both frames carry buffers from
 *    tbsim_buf_alloc(), the TX and RX frames exchange @buf and @dma (allowed
 *    by backend.h).  A frame whose buffer the simulator did not allocate
 *    (@buf %NULL: a dma-buf segment) is copied from its DMA address, which
 *    the DMA device (tbsim_root, no IOMMU) maps one to one onto physical
 *    memory; the copies are counted apart (stats: copied, copied_bytes).
 *  - SOF and EOF PDFs travel as the 4-bit fields they are on the wire.
 *  - Faults, per receiving host: CRC errors (the frame arrives with
 *    TBS_FRAME_CRC_ERROR and corrupted bytes), overruns (TBS_FRAME_OVERRUN),
 *    a slow receiver (each RX completion serviced rx_delay_us late, so its
 *    buffers come back late and the sender stalls), unplug after N frames.
 *
 * Locking and lifetimes of the data path:
 *
 *  - link->q_lock protects every ring's state and lists, the hosts' ring
 *    tables, path tables and HopID maps, the faults, counters and frame
 *    logs of both hosts of the link.  IRQs are saved: ring_post() may be
 *    called from any context.
 *  - While posted, a frame's @list is the simulator's: it is on its ring's
 *    @posted list, then on its @done list until the engine returns it.
 *  - An engine takes up to TBSIM_TRANSIT_BATCH frame pairs off the lists
 *    under q_lock, releases it while it moves their bytes (a DMA engine
 *    takes no CPU lock, and a 4 KiB copy under a spinlock with interrupts
 *    off would make every poster spin for it), then retakes it to complete
 *    them.  Meanwhile the frames are on no list; their rings count them in
 *    @transit.
 *  - Only the host's engine calls a ring's callback with canceled=false.  It
 *    pops one frame under q_lock and calls back without the lock.
 *  - ring_stop() marks the ring stopped and takes every frame off it under
 *    q_lock, waits until no frame of it is in transit (an engine moving
 *    bytes waits for nothing, so this ends) and takes those too, waits for
 *    the engine of its host (kthread_flush_work(): a callback it had
 *    already popped returns first), then returns the frames canceled in
 *    the caller's context.  From the engine itself (a callback stopping a
 *    ring) it does not wait: nothing of the ring is outside its lists
 *    then.
 *  - The peer's engine reaches a ring only through the tables, under
 *    q_lock; ring_free() unlinks it there and frees it at once.
 *  - The link's teardown cancels both engines after both ports are gone
 *    (main.c), then destroys their workers with the hosts (host.c).
 */

#include <linux/delay.h>
#include <linux/dma-direct.h>
#include <linux/dma-mapping.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "sim.h"

/**
 * tbsim_kick() - let a host's engine run
 * @host: the host
 */
void tbsim_kick(struct tbsim_host *host)
{
	kthread_queue_work(host->worker, &host->engine);
}

/*
 * The CPU address of a frame's data, or NULL if it cannot be reached.  A
 * frame without @buf (a dma-buf segment) is read where its DMA address
 * points, as the NHI would read it: the core must have cut it within one
 * DMA segment, or the bytes past the segment's end are whatever memory
 * follows.
 */
static void *tbsim_frame_data(struct tbs_frame *frame)
{
	u32 len = frame->size ? frame->size : TBS_FRAME_SIZE;
	phys_addr_t phys;

	if (frame->buf)
		return frame->buf;
	phys = dma_to_phys(tbsim_root, frame->dma);
	if (!pfn_valid(PHYS_PFN(phys)) || !pfn_valid(PHYS_PFN(phys + len - 1)))
		return NULL;
	return phys_to_virt(phys);
}

/* What the frame log keeps of a frame's bytes (no lock needed). */
static void tbsim_log_data(struct tbsim_log_entry *e, const void *data,
			   u32 size)
{
	memset(e->head, 0, sizeof(e->head));
	if (data) {
		memcpy(e->head, data, min_t(u32, size, sizeof(e->head)));
		e->zero = !memchr_inv(data, 0, size);
	} else {
		e->zero = 0;
	}
}

/* Append @e, filled by tbsim_log_data(), to @host's log (q_lock held). */
static void tbsim_log(struct tbsim_host *host, int hop,
		      const struct tbs_frame *frame,
		      const struct tbsim_log_entry *data, enum tbsim_fate fate)
{
	struct tbsim_log_entry *e = &host->log[host->log_seq % TBSIM_LOG_LEN];

	*e = *data;
	e->seq = ++host->log_seq;
	e->hop = hop;
	e->sof = frame->sof;
	e->eof = frame->eof;
	e->size = frame->size;
	e->fate = fate;
}

/* Decide which faults hit a frame arriving at @rx_host (q_lock held). */
static u8 tbsim_faults(struct tbsim_host *rx_host)
{
	struct tbsim_faults *fl = &rx_host->faults;
	u8 status = 0;

	if (fl->knob[TBSIM_CRC_NEXT]) {
		fl->knob[TBSIM_CRC_NEXT]--;
		status |= TBS_FRAME_CRC_ERROR;
	}
	if (fl->knob[TBSIM_CRC_EVERY] &&
	    ++fl->crc_count >= fl->knob[TBSIM_CRC_EVERY]) {
		fl->crc_count = 0;
		status |= TBS_FRAME_CRC_ERROR;
	}
	if (fl->knob[TBSIM_OVERRUN_NEXT]) {
		fl->knob[TBSIM_OVERRUN_NEXT]--;
		status |= TBS_FRAME_OVERRUN;
	}
	return status;
}

/**
 * struct tbsim_transit - a frame on its way across the cable
 * @tf: the TX frame
 * @rf: the RX frame it lands in
 * @tx: @tf's ring
 * @rx: @rf's ring
 * @hop: the HopID it travels on
 * @status: the faults that hit it
 * @log: what the frame log keeps of it
 */
struct tbsim_transit {
	struct tbs_frame *tf;
	struct tbs_frame *rf;
	struct tbsim_ring *tx;
	struct tbsim_ring *rx;
	int hop;
	u8 status;
	struct tbsim_log_entry log;
};

/*
 * The part of a transfer the DMA engines of both NHIs do: move the bytes.
 * Runs without q_lock, as hardware takes no CPU lock: the frames are off
 * every list and their rings wait for them (@transit) if they stop.
 */
static void tbsim_move(struct tbsim_host *host, struct tbsim_transit *t)
{
	struct tbs_frame *tf = t->tf, *rf = t->rf;
	u32 size = tf->size;
	void *data;

	if (tf->buf && rf->buf) {
		swap(tf->buf, rf->buf);
		swap(tf->dma, rf->dma);
		data = rf->buf;
	} else {
		void *src = tbsim_frame_data(tf);

		data = tbsim_frame_data(rf);
		if (src && data) {
			memcpy(data, src, size);
		} else {
			dev_warn_ratelimited(host->dev,
					     "frame on HopID %d: unreachable DMA address\n",
					     t->hop);
			data = NULL;
			t->status |= TBS_FRAME_CRC_ERROR;
		}
	}
	tbsim_log_data(&t->log, data, size);
	if (data && (t->status & TBS_FRAME_CRC_ERROR)) {
		/* What a bad CRC usually means: bits flipped on the way. */
		((u8 *)data)[0] ^= 0xff;
		((u8 *)data)[size / 2] ^= 0x5a;
	}
}

/* Account for a moved frame and complete both halves (q_lock held). */
static void tbsim_land(struct tbsim_host *host, struct tbsim_transit *t)
{
	struct tbsim_host *peer = host->peer;
	struct tbs_frame *tf = t->tf, *rf = t->rf;
	enum tbsim_fate fate;

	if (t->status & TBS_FRAME_CRC_ERROR)
		fate = TBSIM_FATE_CRC;
	else if (t->status & TBS_FRAME_OVERRUN)
		fate = TBSIM_FATE_OVERRUN;
	else
		fate = TBSIM_FATE_OK;
	tbsim_log(host, t->hop, tf, &t->log, fate);
	if (t->status & TBS_FRAME_CRC_ERROR)
		peer->stats.crc_errors++;
	if (t->status & TBS_FRAME_OVERRUN)
		peer->stats.overruns++;

	rf->size = tf->size;
	rf->sof = tf->sof;
	rf->eof = tf->eof;
	rf->status = t->status;

	host->stats.tx_frames++;
	host->stats.tx_bytes += tf->size;
	peer->stats.rx_frames++;
	peer->stats.rx_bytes += tf->size;

	/* A ring stopped meanwhile gets them from ring_stop(). */
	list_add_tail(&tf->list, &t->tx->done);
	list_add_tail(&rf->list, &t->rx->done);
	t->tx->transit--;
	t->rx->transit--;
}

/*
 * Take the frames that can move out of @tx (q_lock held): each needs an E2E
 * credit, a posted buffer on the peer's RX ring of the path.  At most @max
 * frames are used, counted in *@used: those lost in a dead cable complete
 * at once, the others go into @batch.  Returns how many are in @batch.
 */
static unsigned int tbsim_take(struct tbsim_host *host, struct tbsim_ring *tx,
			       struct tbsim_transit *batch, unsigned int max,
			       unsigned int *used)
{
	struct tbsim_link *link = host->link;
	struct tbsim_host *peer = host->peer;
	unsigned int n = 0;

	*used = 0;
	while (*used < max && !list_empty(&tx->posted)) {
		struct tbs_frame *tf, *rf;
		struct tbsim_ring *rx = NULL;
		struct tbsim_log_entry drop;
		struct tbsim_transit *t;

		tf = list_first_entry(&tx->posted, struct tbs_frame, list);
		if (!link->up && link->drop_on_unplug) {
			/* Sent into a dead cable: lost. */
			tbsim_log_data(&drop, tbsim_frame_data(tf), tf->size);
			tbsim_log(host, tx->path_hop, tf, &drop, TBSIM_FATE_DROP);
			list_move_tail(&tf->list, &tx->done);
			host->stats.dropped++;
			(*used)++;
			continue;
		}
		if (link->up && tx->path_hop)
			rx = peer->in_path[tx->path_hop];
		if (rx && !rx->running)
			rx = NULL;

		if (!rx || list_empty(&rx->posted)) {
			/*
			 * No receiving ring on the path (or no link), or no
			 * buffer posted in it: no E2E credit.
			 */
			if (!tx->stalled) {
				tx->stalled = true;
				host->stats.stalls++;
			}
			break;
		}
		tx->stalled = false;

		rf = list_first_entry(&rx->posted, struct tbs_frame, list);
		list_del(&tf->list);
		list_del(&rf->list);
		tx->transit++;
		rx->transit++;
		(*used)++;
		t = &batch[n++];
		t->tf = tf;
		t->rf = rf;
		t->tx = tx;
		t->rx = rx;
		t->hop = tx->path_hop;
		t->status = tbsim_faults(peer);
		if (tf->buf && rf->buf) {
			peer->stats.swapped++;
		} else {
			peer->stats.copied++;
			peer->stats.copied_bytes += tf->size;
		}

		if (link->unplug_after && !--link->unplug_after) {
			link->up = false;
			queue_work(tbsim_wq, &link->unplug_work);
		}
	}
	return n;
}

/*
 * Move what can move out of @host's TX rings (called and returns with
 * q_lock held, saved in @flags; releases it while bytes move).  Returns
 * true if the peer has new RX completions.
 */
static bool tbsim_transfer(struct tbsim_host *host, unsigned int *budget,
			   unsigned long *flags)
	__must_hold(&host->link->q_lock)
{
	struct tbsim_transit batch[TBSIM_TRANSIT_BATCH];
	struct tbsim_link *link = host->link;
	bool delivered = false, stopped;
	unsigned int n, i, used;
	int r;

	for (r = 1; r < TBSIM_MAX_RINGS && *budget; r++) {
		struct tbsim_ring *tx = host->tx_rings[r];

		while (*budget && tx && tx->running && !list_empty(&tx->posted)) {
			n = tbsim_take(host, tx, batch,
				       min_t(unsigned int, *budget,
					     TBSIM_TRANSIT_BATCH), &used);
			*budget -= used;
			if (!used)
				break;
			if (!n)
				continue;
			spin_unlock_irqrestore(&link->q_lock, *flags);
			for (i = 0; i < n; i++)
				tbsim_move(host, &batch[i]);
			spin_lock_irqsave(&link->q_lock, *flags);
			stopped = false;
			for (i = 0; i < n; i++) {
				tbsim_land(host, &batch[i]);
				stopped |= !batch[i].tx->running ||
					   !batch[i].rx->running;
			}
			delivered = true;
			if (stopped)
				wake_up_all(&link->transit_wq);
			/* The table may have changed while unlocked. */
			tx = host->tx_rings[r];
		}
	}
	return delivered;
}

/* Take the next completed frame of @host off its ring (q_lock held). */
static struct tbs_frame *tbsim_pop_done(struct tbsim_host *host,
					struct tbsim_ring **ringp)
{
	struct tbsim_ring *r;
	struct tbs_frame *frame;
	int i;

	for (i = 1; i < 2 * TBSIM_MAX_RINGS; i++) {
		r = i < TBSIM_MAX_RINGS ? host->tx_rings[i] :
					  host->rx_rings[i - TBSIM_MAX_RINGS];
		if (!r || list_empty(&r->done))
			continue;
		frame = list_first_entry(&r->done, struct tbs_frame, list);
		list_del(&frame->list);
		*ringp = r;
		return frame;
	}
	return NULL;
}

/**
 * tbsim_engine_work() - a host's engine: send its TX frames, complete frames
 * @work: &tbsim_host.engine
 *
 * Runs on the host's worker.  Callbacks run here, without simulator locks.
 */
void tbsim_engine_work(struct kthread_work *work)
{
	struct tbsim_host *host = container_of(work, struct tbsim_host, engine);
	struct tbsim_link *link = host->link;
	unsigned int budget = TBSIM_ENGINE_BUDGET;
	unsigned int returned = 0;
	unsigned long flags;
	bool kick_peer;

	spin_lock_irqsave(&link->q_lock, flags);
	kick_peer = tbsim_transfer(host, &budget, &flags);
	spin_unlock_irqrestore(&link->q_lock, flags);
	if (kick_peer)
		tbsim_kick(host->peer);

	while (returned < TBSIM_ENGINE_BUDGET) {
		struct tbsim_ring *r = NULL;
		struct tbs_frame *frame;
		unsigned int delay = 0;

		spin_lock_irqsave(&link->q_lock, flags);
		frame = tbsim_pop_done(host, &r);
		if (frame && !r->tx)
			delay = host->faults.knob[TBSIM_RX_DELAY_US];
		spin_unlock_irqrestore(&link->q_lock, flags);
		if (!frame)
			break;

		if (delay)
			fsleep(delay);
		r->core->done(r->core, frame, false);
		returned++;
	}

	if (!budget || returned >= TBSIM_ENGINE_BUDGET)
		tbsim_kick(host);
}

/**
 * tbsim_ring_alloc() - take a ring of the host's NHI
 * @port: the port (its host's NHI)
 * @ring: the core's ring; @tx and @size are read, @port, @hop and
 *	@fabric_priv filled
 *
 * Return: 0, -EINVAL for a bad size, -EBUSY when the NHI has no free ring.
 */
int tbsim_ring_alloc(struct tbs_port *port, struct tbs_ring *ring)
{
	struct tbsim_host *host = tbsim_port_to_svc(port)->host;
	struct tbsim_link *link = host->link;
	struct tbsim_ring **table;
	struct tbsim_ring *r;
	unsigned long flags;
	unsigned int i;

	if (ring->size < TBSIM_RING_SIZE_MIN || ring->size > TBSIM_RING_SIZE_MAX)
		return -EINVAL;

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	r->core = ring;
	r->host = host;
	r->tx = ring->tx;
	INIT_LIST_HEAD(&r->posted);
	INIT_LIST_HEAD(&r->done);

	spin_lock_irqsave(&link->q_lock, flags);
	table = ring->tx ? host->tx_rings : host->rx_rings;
	for (i = 1; i < host->nhi_rings; i++)
		if (!table[i])
			break;
	if (i >= host->nhi_rings) {
		spin_unlock_irqrestore(&link->q_lock, flags);
		kfree(r);
		return -EBUSY;
	}
	r->hop = i;
	table[i] = r;
	spin_unlock_irqrestore(&link->q_lock, flags);

	ring->port = port;
	ring->hop = i;
	ring->fabric_priv = r;
	return 0;
}

/**
 * tbsim_ring_free() - give a ring back to the NHI
 * @ring: a stopped (or never started) ring
 */
void tbsim_ring_free(struct tbs_ring *ring)
{
	struct tbsim_ring *r = ring->fabric_priv;
	struct tbsim_host *host = r->host;
	struct tbsim_link *link = host->link;
	unsigned long flags;

	if (r->running) {
		dev_warn(host->dev, "ring %d freed while running\n", r->hop);
		tbsim_ring_stop(ring);
	}

	spin_lock_irqsave(&link->q_lock, flags);
	if (r->tx)
		host->tx_rings[r->hop] = NULL;
	else
		host->rx_rings[r->hop] = NULL;
	if (!r->tx && r->path_hop && host->in_path[r->path_hop] == r)
		host->in_path[r->path_hop] = NULL;
	spin_unlock_irqrestore(&link->q_lock, flags);

	ring->fabric_priv = NULL;
	kfree(r);
}

/**
 * tbsim_ring_start() - start a ring
 * @ring: the ring
 *
 * Return: 0
 */
int tbsim_ring_start(struct tbs_ring *ring)
{
	struct tbsim_ring *r = ring->fabric_priv;
	struct tbsim_link *link = r->host->link;
	unsigned long flags;

	spin_lock_irqsave(&link->q_lock, flags);
	r->running = true;
	r->stalled = false;
	spin_unlock_irqrestore(&link->q_lock, flags);
	return 0;
}

static bool tbsim_ring_idle(struct tbsim_ring *r)
{
	struct tbsim_link *link = r->host->link;
	unsigned long flags;
	bool idle;

	spin_lock_irqsave(&link->q_lock, flags);
	idle = !r->transit;
	spin_unlock_irqrestore(&link->q_lock, flags);
	return idle;
}

/**
 * tbsim_ring_stop() - stop a ring, cancel its frames
 * @ring: the ring
 *
 * Every frame posted and not yet returned comes back with @canceled set
 * before this returns; no callback of @ring runs afterwards.
 */
void tbsim_ring_stop(struct tbs_ring *ring)
{
	struct tbsim_ring *r = ring->fabric_priv;
	struct tbsim_host *host = r->host;
	struct tbsim_link *link = host->link;
	struct tbs_frame *frame, *tmp;
	unsigned long flags;
	LIST_HEAD(canceled);
	unsigned int n = 0;

	spin_lock_irqsave(&link->q_lock, flags);
	r->running = false;
	r->stalled = false;
	list_splice_tail_init(&r->done, &canceled);
	list_splice_tail_init(&r->posted, &canceled);
	spin_unlock_irqrestore(&link->q_lock, flags);

	/*
	 * Frames an engine is moving land on @done: wait for them (an engine
	 * never waits for anything while it moves bytes) and take them too.
	 */
	wait_event(link->transit_wq, tbsim_ring_idle(r));
	spin_lock_irqsave(&link->q_lock, flags);
	list_splice_tail_init(&r->done, &canceled);
	list_for_each_entry(frame, &canceled, list)
		n++;
	host->stats.canceled += n;
	spin_unlock_irqrestore(&link->q_lock, flags);

	if (current != host->worker->task)
		kthread_flush_work(&host->engine);

	list_for_each_entry_safe(frame, tmp, &canceled, list) {
		list_del(&frame->list);
		ring->done(ring, frame, true);
	}
}

/* Is a TX ring of the peer waiting for a buffer on @rx's HopID? */
static bool tbsim_peer_waits(struct tbsim_ring *rx)
{
	struct tbsim_host *peer = rx->host->peer;
	int i;

	if (!rx->path_hop)
		return false;
	for (i = 1; i < TBSIM_MAX_RINGS; i++) {
		struct tbsim_ring *tx = peer->tx_rings[i];

		if (tx && tx->stalled && tx->path_hop == rx->path_hop)
			return true;
	}
	return false;
}

/**
 * tbsim_ring_post() - post a frame
 * @ring: a started ring
 * @frame: TX: the frame to send; RX: a buffer to receive into
 *
 * Never sleeps, never calls back.
 *
 * Return: 0, -ESHUTDOWN if the ring is not running, -EINVAL for a TX frame
 * of no or more than %TBS_FRAME_SIZE bytes.
 */
int tbsim_ring_post(struct tbs_ring *ring, struct tbs_frame *frame)
{
	struct tbsim_ring *r = ring->fabric_priv;
	struct tbsim_host *host = r->host;
	struct tbsim_link *link = host->link;
	struct tbsim_host *kick = NULL;
	unsigned long flags;

	if (r->tx && (!frame->size || frame->size > TBS_FRAME_SIZE))
		return -EINVAL;

	spin_lock_irqsave(&link->q_lock, flags);
	if (!r->running) {
		spin_unlock_irqrestore(&link->q_lock, flags);
		return -ESHUTDOWN;
	}
	frame->ring = ring;
	if (r->tx) {
		frame->sof &= 0xf;
		frame->eof &= 0xf;
		kick = host;
	} else {
		frame->size = 0;
		frame->status = 0;
		if (tbsim_peer_waits(r))
			kick = host->peer;
	}
	list_add_tail(&frame->list, &r->posted);
	spin_unlock_irqrestore(&link->q_lock, flags);

	if (kick)
		tbsim_kick(kick);
	return 0;
}

/**
 * tbsim_buf_alloc() - give a frame a buffer
 * @ring: the ring it is for
 * @frame: gets @buf and @dma
 *
 * Return: 0 or -ENOMEM.
 */
int tbsim_buf_alloc(struct tbs_ring *ring, struct tbs_frame *frame)
{
	dma_addr_t dma;
	void *buf;

	buf = tbs_frame_buf_alloc();
	if (!buf)
		return -ENOMEM;
	dma = dma_map_single(tbsim_root, buf, TBS_FRAME_SIZE,
			     DMA_BIDIRECTIONAL);
	if (dma_mapping_error(tbsim_root, dma)) {
		tbs_frame_buf_free(buf);
		return -ENOMEM;
	}
	frame->buf = buf;
	frame->dma = dma;
	return 0;
}

/**
 * tbsim_buf_free() - free a buffer from tbsim_buf_alloc()
 * @ring: the ring it was for
 * @frame: the frame holding it
 */
void tbsim_buf_free(struct tbs_ring *ring, struct tbs_frame *frame)
{
	if (!frame->buf)
		return;
	dma_unmap_single(tbsim_root, frame->dma, TBS_FRAME_SIZE,
			 DMA_BIDIRECTIONAL);
	tbs_frame_buf_free(frame->buf);
	frame->buf = NULL;
	frame->dma = 0;
}

/**
 * tbsim_dma_device() - the device that "DMAs" for every simulated NHI
 * @ring: a ring of the host whose NHI would map the buffer
 *
 * All simulated hosts share one memory, so they share one DMA device: a
 * buffer handed from one host to the other stays valid for it.
 *
 * Return: tbsim_root, or %NULL when the host's dma_direct is 0 (no direct
 * path to offer).
 */
struct device *tbsim_dma_device(struct tbs_ring *ring)
{
	struct tbsim_ring *r = ring->fabric_priv;

	if (!r || !READ_ONCE(r->host->dma_direct))
		return NULL;
	return tbsim_root;
}

static const char *const tbsim_fate_names[] = {
	[TBSIM_FATE_OK] = "ok",
	[TBSIM_FATE_CRC] = "crc",
	[TBSIM_FATE_OVERRUN] = "overrun",
	[TBSIM_FATE_DROP] = "drop",
};

/**
 * tbsim_log_show() - format the frame log of a host, oldest first
 * @host: the sending host
 * @page: a PAGE_SIZE buffer
 *
 * One line per frame: "seq hop sof eof size fate head zero" (see README).
 *
 * Return: bytes written.
 */
ssize_t tbsim_log_show(struct tbsim_host *host, char *page)
{
	struct tbsim_link *link = host->link;
	struct tbsim_log_entry *copy;
	unsigned long flags;
	u64 seq, first;
	ssize_t len = 0;
	unsigned int n;

	copy = kmalloc_array(TBSIM_LOG_LEN, sizeof(*copy), GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	spin_lock_irqsave(&link->q_lock, flags);
	memcpy(copy, host->log, sizeof(host->log));
	seq = host->log_seq;
	spin_unlock_irqrestore(&link->q_lock, flags);

	first = seq > TBSIM_LOG_LEN ? seq - TBSIM_LOG_LEN : 0;
	for (n = 0; first + n < seq; n++) {
		const struct tbsim_log_entry *e =
			&copy[(first + n) % TBSIM_LOG_LEN];

		len += scnprintf(page + len, PAGE_SIZE - len,
				 "%llu %u %u %u %u %s %8phN %u\n",
				 e->seq, e->hop, e->sof, e->eof, e->size,
				 tbsim_fate_names[e->fate], e->head, e->zero);
	}
	kfree(copy);
	return len;
}

/**
 * tbsim_log_clear() - forget the logged frames of a host
 * @host: the host
 */
void tbsim_log_clear(struct tbsim_host *host)
{
	struct tbsim_link *link = host->link;
	unsigned long flags;

	spin_lock_irqsave(&link->q_lock, flags);
	host->log_seq = 0;
	memset(host->log, 0, sizeof(host->log));
	spin_unlock_irqrestore(&link->q_lock, flags);
}

/**
 * tbsim_stats_show() - format the counters of a host, "name value" lines
 * @host: the host
 * @page: a PAGE_SIZE buffer
 *
 * Return: bytes written.
 */
ssize_t tbsim_stats_show(struct tbsim_host *host, char *page)
{
	struct tbsim_link *link = host->link;
	struct tbsim_stats s;
	unsigned long flags;

	spin_lock_irqsave(&link->q_lock, flags);
	s = host->stats;
	spin_unlock_irqrestore(&link->q_lock, flags);

	return scnprintf(page, PAGE_SIZE,
			 "tx_frames %llu\ntx_bytes %llu\nrx_frames %llu\n"
			 "rx_bytes %llu\ndropped %llu\nstalls %llu\n"
			 "crc_errors %llu\noverruns %llu\ncanceled %llu\n"
			 "swapped %llu\ncopied %llu\ncopied_bytes %llu\n",
			 s.tx_frames, s.tx_bytes, s.rx_frames, s.rx_bytes,
			 s.dropped, s.stalls, s.crc_errors, s.overruns,
			 s.canceled, s.swapped, s.copied, s.copied_bytes);
}
