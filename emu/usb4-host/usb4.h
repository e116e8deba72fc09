/*
 * tbstream's USB4 host emulation: one NHI (the PCI function of class
 * 0x0c0340) with its host router, cabled to a peer host.
 *
 * The register layouts follow the USB4 specification as Linux's
 * drivers/thunderbolt reads it; every name here is this project's own.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#ifndef TBSTREAM_USB4_H
#define TBSTREAM_USB4_H

#include "hw/pci/pci.h"
#include "qom/object.h"
#include "qemu/queue.h"
#include "qemu/log.h"
#include "chardev/char-fe.h"

#define TYPE_USB4_HOST "usb4-host"
OBJECT_DECLARE_SIMPLE_TYPE(Usb4Host, USB4_HOST)

/* ---- NHI ---------------------------------------------------------------- */

/* Rings (= HopIDs of the NHI adapter); Ice Lake has 12 too. */
#define USB4_NHI_HOPS           12
#define USB4_NHI_MMIO_SIZE      0x40000
#define USB4_NHI_VECTORS        16
#define USB4_RAW_FRAME_SIZE     256
#define USB4_MAX_FRAME_SIZE     4096

/* Descriptor flags (bits 31:20 of the descriptor's third dword). */
#define USB4_DESC_COMPLETED     0x2
#define USB4_DESC_POSTED        0x4
#define USB4_DESC_INTERRUPT     0x8
#define USB4_DESC_RX_OVERRUN    0x4 /* RX: shares POSTED's bit, set on completion */

/* Ring options (the first dword of a ring's options block). */
#define USB4_RING_E2E           (1u << 28)
#define USB4_RING_RAW           (1u << 30)
#define USB4_RING_ENABLE        (1u << 31)
#define USB4_RING_E2E_HOP_SHIFT 12
#define USB4_RING_E2E_HOP_MASK  0x7ffu

typedef struct Usb4Ring {
    uint64_t base;
    uint16_t size;
    uint16_t sw_index;  /* TX: producer (driver); RX: first unposted (driver) */
    uint16_t hw_index;  /* next descriptor the NHI works on */
    uint16_t frame_size;
    uint32_t options;
    uint32_t pdf_mask;  /* RX: sof mask << 16 | eof mask (frame mode) */
} Usb4Ring;

/* ---- router ------------------------------------------------------------- */

enum {
    USB4_SPACE_HOPS = 0,
    USB4_SPACE_PORT = 1,
    USB4_SPACE_SWITCH = 2,
    USB4_SPACE_COUNTERS = 3,
};

/* Adapters of the host router: one USB4 port with one lane, and the NHI. */
enum {
    USB4_ADP_CONTROL = 0,
    USB4_ADP_LANE = 1,
    USB4_ADP_NHI = 2,
    USB4_ADP_COUNT = 3,
};

#define USB4_PORT_CS_DWORDS     64
#define USB4_SWITCH_CS_DWORDS   64
#define USB4_MAX_HOPID          19 /* lane adapters; the NHI adapter has 11 */

typedef struct Usb4Adapter {
    uint32_t cs[USB4_PORT_CS_DWORDS];
    uint32_t hop[USB4_MAX_HOPID + 1][2];
    /* reads left before a disabled hop entry stops reporting pending */
    uint8_t hop_drain[USB4_MAX_HOPID + 1];
    unsigned max_hopid;
} Usb4Adapter;

typedef struct Usb4Router {
    uint32_t cs[USB4_SWITCH_CS_DWORDS];
    Usb4Adapter adp[USB4_ADP_COUNT];
} Usb4Router;

/* ---- control packets ------------------------------------------------------ */

enum {
    USB4_PKT_READ = 1,
    USB4_PKT_WRITE = 2,
    USB4_PKT_ERROR = 3,
    USB4_PKT_EVENT = 5,
    USB4_PKT_XDOMAIN_REQ = 6,
    USB4_PKT_XDOMAIN_RESP = 7,
    USB4_PKT_RESET = 9,
};

enum {
    USB4_ERR_NOT_CONNECTED = 0,
    USB4_ERR_INVALID_SPACE = 2,
    USB4_ERR_NO_SUCH_PORT = 4,
    USB4_ERR_ACK_PLUG = 7,
    USB4_ERR_LOCK = 15,
};

/* A control packet waiting for a free RX descriptor of ring 0. */
typedef struct Usb4CtlPacket {
    QSIMPLEQ_ENTRY(Usb4CtlPacket) next;
    uint8_t pdf;
    uint32_t len;               /* bytes, CRC included */
    uint8_t data[USB4_RAW_FRAME_SIZE];
} Usb4CtlPacket;

/* Bounded: a driver that never posts RX buffers must not grow us. */
#define USB4_CTL_QUEUE_MAX      64

/* ---- the device ------------------------------------------------------------ */

typedef struct Usb4Cable Usb4Cable;

struct Usb4Host {
    PCIDevice parent_obj;
    MemoryRegion mmio;
    QEMUBH *bh;

    Usb4Ring tx[USB4_NHI_HOPS];
    Usb4Ring rx[USB4_NHI_HOPS];
    uint32_t notify[2];         /* TX, RX, RX overflow status bits */
    uint32_t int_enable;        /* TX, RX enable bits */
    uint32_t ivr[3];            /* 4-bit MSI-X vector per TX and RX ring */
    uint32_t dma_misc;

    Usb4Router router;

    QSIMPLEQ_HEAD(, Usb4CtlPacket) ctl_queue;
    unsigned ctl_queued;

    /* properties */
    uint64_t uid;
    char *cable_name;
    CharBackend chr;            /* a socket cable to another QEMU process */
    bool debug;

    Usb4Cable *cable;
    /* the link: up as last reported; reasons it may not be up */
    bool link_up;
    bool port_reset;            /* PORT_CS_19.DPR held by the CM */
    bool training;              /* link training after plug or reset */
    QEMUTimer *train_timer;
    /* counters, visible as QOM properties */
    uint64_t rx_dropped;
    uint64_t ctl_dropped;
    uint64_t bad_crc;
    uint64_t cable_dropped;     /* malformed frames from a socket cable */
};

/* nhi.c */
void usb4_nhi_kick(Usb4Host *h);
/* Frame to RX ring @hop: 0 delivered, -EAGAIN no free descriptor, -ENODEV off. */
int usb4_nhi_rx_frame(Usb4Host *h, unsigned hop, const uint8_t *data,
                      uint32_t len, uint8_t sof, uint8_t eof);
bool usb4_nhi_rx_has_room(Usb4Host *h, unsigned hop);
void usb4_nhi_reset(Usb4Host *h);

/* ctl.c */
uint32_t usb4_ctl_crc(const uint8_t *data, size_t len);
void usb4_ctl_from_nhi(Usb4Host *h, uint8_t pdf, const uint8_t *frame,
                       uint32_t len);
void usb4_ctl_from_lane(Usb4Host *h, unsigned adapter, uint8_t pdf,
                        const uint8_t *frame, uint32_t len);
void usb4_ctl_send_event(Usb4Host *h, unsigned adapter, bool unplug);
void usb4_ctl_flush(Usb4Host *h);
void usb4_ctl_reset(Usb4Host *h);

/* router.c */
void usb4_router_reset(Usb4Host *h);
/* Config access: 0 or a USB4_ERR_* code (as a positive number). */
int usb4_router_read(Usb4Host *h, unsigned adapter, unsigned space,
                     unsigned offset, unsigned len, uint32_t *out);
int usb4_router_write(Usb4Host *h, unsigned adapter, unsigned space,
                      unsigned offset, unsigned len, const uint32_t *in);
void usb4_router_refresh_link(Usb4Host *h);
void usb4_router_train(Usb4Host *h);
bool usb4_router_lane_enabled(Usb4Host *h);
bool usb4_router_lane_locked(Usb4Host *h);
bool usb4_router_hotplug_enabled(Usb4Host *h, unsigned adapter);

/* path.c */
enum { USB4_FRAME_DONE, USB4_FRAME_STALL };
int usb4_path_from_nhi(Usb4Host *h, unsigned tx_hop, const uint8_t *data,
                       uint32_t len, uint8_t sof, uint8_t eof, bool e2e);
int usb4_path_from_lane(Usb4Host *h, unsigned hopid, const uint8_t *data,
                        uint32_t len, uint8_t sof, uint8_t eof, bool e2e);
bool usb4_path_hop(Usb4Host *h, unsigned adapter, unsigned hopid,
                   unsigned *out_adapter, unsigned *next_hop);
/* E2E: RX ring @rx_ring grants credits, which leave on lane HopID *lane_hop */
bool usb4_path_credit_out(Usb4Host *h, unsigned rx_ring, unsigned *lane_hop);
/* E2E: credits coming in on @lane_hop reach TX ring @tx_hop */
bool usb4_path_credit_in(Usb4Host *h, unsigned lane_hop, unsigned tx_hop);
bool usb4_path_credit_in_any(Usb4Host *h, unsigned tx_hop);

/* cable.c */
void usb4_cable_attach(Usb4Host *h, Error **errp);
void usb4_cable_detach(Usb4Host *h);
Usb4Host *usb4_cable_peer(Usb4Host *h);
bool usb4_cable_plugged(Usb4Host *h);
bool usb4_cable_link_possible(Usb4Host *h);
void usb4_cable_set_plugged(Usb4Host *h, bool plugged);
void usb4_cable_state_changed(Usb4Host *h);
void usb4_cable_router_reset(Usb4Host *h);
void usb4_cable_rx_posted(Usb4Host *h);
int usb4_cable_send_frame(Usb4Host *h, unsigned hopid, const uint8_t *data,
                          uint32_t len, uint8_t sof, uint8_t eof, bool e2e,
                          unsigned tx_hop);
bool usb4_cable_send_ctl(Usb4Host *h, uint8_t pdf, const uint8_t *frame,
                         uint32_t len);

#define usb4_dbg(h, fmt, ...) \
    do { \
        if ((h)->debug) { \
            qemu_log("usb4 %04" PRIx64 ": " fmt "\n", (h)->uid & 0xffff, \
                     ## __VA_ARGS__); \
        } \
    } while (0)

#endif
