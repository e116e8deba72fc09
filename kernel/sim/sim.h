/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tbstream_sim: what the simulator's files share.
 *
 * main.c owns the objects' lifetimes (written down at its top), host.c the
 * simulated hosts and their XDomain/service devices, ring.c the model of
 * the NHI rings, E2E credits and fault injection.
 */
#ifndef TBSIM_H
#define TBSIM_H

#include <linux/bitmap.h>
#include <linux/configfs.h>
#include <linux/device.h>
#include <linux/kthread.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/uuid.h>
#include <linux/version.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "backend.h"

#define TBSIM_MAX_LINKS		32
#define TBSIM_FIRST_DOMAIN	1000	/* link N: domains 1000+2N, 1001+2N */
#define TBSIM_ROUTE		1	/* each host sees its peer at route 1 */
#define TBSIM_SERVICE_ID	0

/* HopIDs: 8..maxhopid; a lane adapter's Max Input HopID is typically 19. */
#define TBSIM_MAX_HOPID		63
#define TBSIM_DEFAULT_MAXHOPID	19

/* NHI rings: ring 0 is the control channel; real NHIs have 12..16. */
#define TBSIM_MAX_RINGS		32
#define TBSIM_DEFAULT_RINGS	12

#define TBSIM_RING_SIZE_MIN	2
#define TBSIM_RING_SIZE_MAX	4096

#define TBSIM_HOSTNAME_MAX	64
#define TBSIM_LOG_LEN		64	/* frame log entries per side */
#define TBSIM_RX_DELAY_MAX	1000000	/* us */
#define TBSIM_ENGINE_BUDGET	256	/* frames per engine run */
#define TBSIM_TRANSIT_BATCH	16	/* frames moved per q_lock release */
/*
 * The engines' nice value.  They stand in for the NHIs' DMA, which takes no
 * CPU time from the tasks using the streams; at nice 0 an engine woken for
 * a frame preempts the writer that posted it, one kworker round trip per
 * 4 KiB write on a single CPU (kernel/README.md, "Throughput").  Below the
 * tasks it runs when they wait, as a real NHI's completions arrive while
 * the writer goes on, and still gets its share under load.
 */
#define TBSIM_ENGINE_NICE	10
#define TBSIM_PATH_DELAY_MAX	10000	/* ms */

/* kthread_create_worker() no longer wakes the thread from 6.14 on. */
#if KERNEL_VERSION(6, 14, 0) > LINUX_VERSION_CODE
#define tbsim_run_worker	kthread_create_worker
#else
#define tbsim_run_worker	kthread_run_worker
#endif

/* device_type.uevent() takes a const device since 6.3. */
#if KERNEL_VERSION(6, 3, 0) > LINUX_VERSION_CODE
#define TBSIM_UEVENT_DEV	struct device
#else
#define TBSIM_UEVENT_DEV	const struct device
#endif

/* What a frame in the frame log ended as. */
enum tbsim_fate {
	TBSIM_FATE_OK,
	TBSIM_FATE_CRC,
	TBSIM_FATE_OVERRUN,
	TBSIM_FATE_DROP,
};

/**
 * struct tbsim_log_entry - one transmitted frame, as the wire saw it
 * @seq: sequence number of the frame on its side (1, 2, ...)
 * @hop: output HopID it travelled on (0: no path)
 * @sof: start-of-frame PDF
 * @eof: end-of-frame PDF
 * @size: bytes
 * @fate: see &enum tbsim_fate
 * @zero: every byte was zero
 * @head: the first bytes (zero-padded)
 */
struct tbsim_log_entry {
	u64 seq;
	u16 hop;
	u8 sof;
	u8 eof;
	u16 size;
	u8 fate;
	u8 zero;
	u8 head[8];
};

/**
 * struct tbsim_stats - counters of one side (link->q_lock)
 * @tx_frames: frames this side's rings sent that reached the peer
 * @tx_bytes: their bytes
 * @rx_frames: frames this side's RX rings received
 * @rx_bytes: their bytes
 * @dropped: frames this side sent into an unplugged cable with
 *	drop_on_unplug set
 * @stalls: times a TX ring had to wait for the peer's E2E credits
 * @crc_errors: CRC errors injected into frames this side received
 * @overruns: overruns injected into frames this side received
 * @canceled: frames of this side's rings returned canceled by ring_stop
 * @swapped: frames delivered by handing the buffer over (no copy)
 * @copied: frames delivered by copying (a buffer the simulator did not
 *	allocate: dma-buf)
 * @copied_bytes: bytes copied for them
 */
struct tbsim_stats {
	u64 tx_frames;
	u64 tx_bytes;
	u64 rx_frames;
	u64 rx_bytes;
	u64 dropped;
	u64 stalls;
	u64 crc_errors;
	u64 overruns;
	u64 canceled;
	u64 swapped;
	u64 copied;
	u64 copied_bytes;
};

/* Fault injection knobs of a side, for the frames it receives. */
enum tbsim_knob {
	TBSIM_CRC_NEXT,		/* the next N frames arrive with a CRC error */
	TBSIM_CRC_EVERY,	/* every Nth frame does (0: off) */
	TBSIM_OVERRUN_NEXT,	/* the next N frames arrive overrun */
	TBSIM_RX_DELAY_US,	/* each RX completion is serviced this late */
	TBSIM_NR_KNOBS,
};

/**
 * struct tbsim_faults - fault injection for frames a side receives
 *	(link->q_lock)
 * @knob: values, by &enum tbsim_knob
 * @crc_count: frames counted for %TBSIM_CRC_EVERY
 */
struct tbsim_faults {
	unsigned int knob[TBSIM_NR_KNOBS];
	unsigned int crc_count;
};

struct tbsim_link;
struct tbsim_host;

/**
 * struct tbsim_ring - a simulated NHI ring
 * @core: the core's ring
 * @host: the host whose NHI it is on
 * @hop: ring number on that NHI (1..nhi_rings-1)
 * @tx: TX ring
 * @running: started and not stopped
 * @stalled: TX: waiting for credits (counted once per wait)
 * @path_hop: TX: output HopID of the enabled path; RX: input HopID; 0: none
 * @posted: frames posted and not yet completed, in order
 * @done: frames completed, waiting for the host's engine to return them
 * @transit: frames of the ring an engine is moving across the cable with
 *	q_lock released (on neither list); ring_stop() waits for 0
 *
 * Everything but @core, @host, @hop and @tx is under link->q_lock.
 */
struct tbsim_ring {
	struct tbs_ring *core;
	struct tbsim_host *host;
	int hop;
	bool tx;
	bool running;
	bool stalled;
	int path_hop;
	struct list_head posted;
	struct list_head done;
	unsigned int transit;
};

/**
 * struct tbsim_xdomain - the peer host as one host sees it (sysfs device)
 * @dev: "<domain>-<route>", DEVTYPE thunderbolt_xdomain
 * @host: the local host
 * @device_name: the peer's hostname when the cable was plugged
 * @remote_uuid: the peer's UUID
 * @maxhopid: the peer's maximum input HopID
 * @speed: link speed per lane, Gb/s
 * @lanes: lanes
 * @props_gen: generation of the peer's announcement last seen (link->lock)
 */
struct tbsim_xdomain {
	struct device dev;
	struct tbsim_host *host;
	char device_name[TBSIM_HOSTNAME_MAX];
	uuid_t remote_uuid;
	int maxhopid;
	unsigned int speed;
	unsigned int lanes;
	u64 props_gen;
};

/**
 * struct tbsim_service - the peer's `stream` service (sysfs device + port)
 * @dev: "<domain>-<route>.<id>", DEVTYPE thunderbolt_service
 * @port: what the core attaches to
 * @host: the local host
 * @port_added: tbs_port_add() succeeded
 * @unplugged: being removed (host->domain_lock held by the remover): path
 *	operations see a dead XDomain, as upstream's xd->is_unplugged
 * @key: the property directory's key
 * @prtcid: protocol id, from the peer's announcement
 * @prtcvers: protocol version
 * @prtcrevs: protocol revision
 * @prtcstns: protocol settings
 */
struct tbsim_service {
	struct device dev;
	struct tbs_port port;
	struct tbsim_host *host;
	bool port_added;
	bool unplugged;
	char key[9];
	u32 prtcid;
	u32 prtcvers;
	u32 prtcrevs;
	u32 prtcstns;
};

/**
 * struct tbsim_host - one simulated host (one end of a cable)
 * @link: the cable it belongs to
 * @peer: the other end
 * @side: 'a' or 'b'
 * @domain: its domain number
 * @name: "sim-<domain>", the fabric's name
 * @fabric: its registration with the core (a local host)
 * @fabric_registered: @fabric is registered
 * @dev: "domain<N>", DEVTYPE thunderbolt_domain, parent of @xd; allocated
 *	apart (its release frees it) so a late reference cannot outlive it
 * @group: its ConfigFS group ("a" or "b" under the link)
 * @hostname: announced name (link->lock)
 * @uuid: its UUID: the peer's XDomain shows it as unique_id (link->lock)
 * @dma_direct: its NHI may map dma-bufs for DMA (0 models a platform or
 *	exporter that refuses, so the direct path is not offered)
 * @nhi_rings: rings of its NHI, ring 0 reserved (link->lock; q_lock to read
 *	while plugged)
 * @props_lock: protects @props
 * @props: the `stream` directory it announces, %NULL if none
 * @props_gen: incremented by every publish()
 * @domain_lock: the model of the thunderbolt core's per-domain tb->lock:
 *	enable_paths() and disable_paths() take it, and the removal of the
 *	peer's service holds it across tbs_port_remove(), as the core's
 *	hotplug worker holds tb->lock across tb_xdomain_remove()
 * @xd: XDomain device of the peer (link->lock)
 * @svc: service device of the peer (link->lock)
 * @worker: the thread its engine runs in, at %TBSIM_ENGINE_NICE
 * @engine: moves this host's TX frames and returns its completions
 * @in_hopids: input HopIDs reserved (q_lock)
 * @out_hopids: output HopIDs reserved (q_lock)
 * @tx_rings: TX rings by ring number (q_lock)
 * @rx_rings: RX rings by ring number (q_lock)
 * @in_path: RX ring receiving on each input HopID (q_lock)
 * @faults: fault injection for frames it receives (q_lock)
 * @stats: its counters (q_lock)
 * @log: the frames it sent, a ring of %TBSIM_LOG_LEN (q_lock)
 * @log_seq: frames logged so far (q_lock)
 */
struct tbsim_host {
	struct tbsim_link *link;
	struct tbsim_host *peer;
	char side;
	u32 domain;
	char name[16];
	struct tbs_fabric fabric;
	bool fabric_registered;
	struct device *dev;
	struct config_group group;

	char hostname[TBSIM_HOSTNAME_MAX];
	uuid_t uuid;
	unsigned int nhi_rings;
	bool dma_direct;

	struct mutex props_lock;	/* @props, @props_gen */
	struct tb_property_dir *props;
	u64 props_gen;

	struct mutex domain_lock;	/* the model of tb->lock */
	struct tbsim_xdomain *xd;
	struct tbsim_service *svc;

	struct kthread_worker *worker;
	struct kthread_work engine;
	DECLARE_BITMAP(in_hopids, TBSIM_MAX_HOPID + 1);
	DECLARE_BITMAP(out_hopids, TBSIM_MAX_HOPID + 1);
	struct tbsim_ring *tx_rings[TBSIM_MAX_RINGS];
	struct tbsim_ring *rx_rings[TBSIM_MAX_RINGS];
	struct tbsim_ring *in_path[TBSIM_MAX_HOPID + 1];
	struct tbsim_faults faults;
	struct tbsim_stats stats;
	struct tbsim_log_entry log[TBSIM_LOG_LEN];
	u64 log_seq;
};

/**
 * struct tbsim_link - a simulated cable between two simulated hosts
 * @group: its ConfigFS group /sys/kernel/config/tbstream_sim/<name>
 * @index: N: the hosts are domains 1000+2N and 1001+2N
 * @lock: serialises plug, unplug, announcements and configuration
 * @connected: plugged (@lock)
 * @maxhopid: maximum HopID of both hosts' lane adapters (@lock)
 * @speed: Gb/s per lane (@lock)
 * @lanes: 1 or 2 (@lock)
 * @q_lock: the data path: rings, paths, HopIDs, faults, counters, log
 * @up: the data path sees the cable plugged (@q_lock)
 * @drop_on_unplug: TX into an unplugged cable completes (dropped) instead
 *	of waiting for credits that never come (@q_lock)
 * @unplug_after: unplug once this many more frames crossed (@q_lock)
 * @transit_wq: ring_stop() waits here for frames in transit
 * @path_delay_ms: path operations sleep this long holding the domain lock,
 *	as a software connection manager does while it builds tunnels
 * @path_hold: path operations wait before taking the domain lock until this
 *	is cleared or their service is being removed (a test's way to line an
 *	open or a close up with an unplug)
 * @paths_held: path operations waiting at @path_hold
 * @hold_wq: they wait here
 * @ports: ports added and not yet released by the core; rmdir waits for 0
 * @ports_wq: it waits here
 * @props_work: re-reads both hosts' announcements (as a real XDomain does
 *	on a "properties changed" notification)
 * @unplug_work: unplugs from process context when @unplug_after fires
 * @host: the two ends, a and b
 */
struct tbsim_link {
	struct config_group group;
	int index;

	struct mutex lock;	/* plug state, devices, configuration */
	bool connected;
	unsigned int maxhopid;
	unsigned int speed;
	unsigned int lanes;

	spinlock_t q_lock;	/* the data path, see ring.c */
	bool up;
	bool drop_on_unplug;
	unsigned int unplug_after;
	wait_queue_head_t transit_wq;

	unsigned int path_delay_ms;
	bool path_hold;
	atomic_t paths_held;
	wait_queue_head_t hold_wq;
	atomic_t ports;
	wait_queue_head_t ports_wq;

	struct work_struct props_work;
	struct work_struct unplug_work;
	struct tbsim_host host[2];
};

extern struct workqueue_struct *tbsim_wq;
extern struct device *tbsim_root;

/* main.c */
extern struct bus_type tbsim_bus;

/* host.c */
void tbsim_host_init(struct tbsim_link *link, struct tbsim_host *host,
		     char side);
int tbsim_host_register(struct tbsim_host *host);
void tbsim_host_unregister(struct tbsim_host *host);
void tbsim_host_free(struct tbsim_host *host);
int tbsim_link_plug(struct tbsim_link *link);
void tbsim_link_unplug(struct tbsim_link *link);
void tbsim_props_work(struct work_struct *work);
void tbsim_unplug_work(struct work_struct *work);
extern const struct tbs_port_ops tbsim_port_ops;

/* ring.c */
void tbsim_engine_work(struct kthread_work *work);
void tbsim_kick(struct tbsim_host *host);
int tbsim_ring_alloc(struct tbs_port *port, struct tbs_ring *ring);
void tbsim_ring_free(struct tbs_ring *ring);
int tbsim_ring_start(struct tbs_ring *ring);
void tbsim_ring_stop(struct tbs_ring *ring);
int tbsim_ring_post(struct tbs_ring *ring, struct tbs_frame *frame);
int tbsim_buf_alloc(struct tbs_ring *ring, struct tbs_frame *frame);
void tbsim_buf_free(struct tbs_ring *ring, struct tbs_frame *frame);
struct device *tbsim_dma_device(struct tbs_ring *ring);
ssize_t tbsim_log_show(struct tbsim_host *host, char *page);
void tbsim_log_clear(struct tbsim_host *host);
ssize_t tbsim_stats_show(struct tbsim_host *host, char *page);
ssize_t tbsim_announcement_show(struct tbsim_host *host, char *page);

static inline struct tbsim_service *tbsim_port_to_svc(struct tbs_port *port)
{
	return container_of(port, struct tbsim_service, port);
}

#endif /* TBSIM_H */
