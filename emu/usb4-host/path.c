/*
 * Data frames follow the path tables the connection manager wrote: the
 * HOPS entry of the adapter a frame enters on, at the frame's HopID, names
 * the adapter it leaves through and the HopID it carries there.  A frame
 * whose entry is disabled, or that leads nowhere, is dropped and counted;
 * nothing is delivered by a shortcut around the tables.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "qemu/osdep.h"
#include "usb4.h"

#define HOP_ENABLE              (1u << 31)
#define HOP_NEXT(dw0)           ((dw0) & 0x7ff)
#define HOP_OUT(dw0)            (((dw0) >> 11) & 0x3f)

bool usb4_path_hop(Usb4Host *h, unsigned adapter, unsigned hopid,
                   unsigned *out_adapter, unsigned *next_hop)
{
    Usb4Adapter *a;
    uint32_t dw0;

    if (adapter >= USB4_ADP_COUNT) {
        return false;
    }
    a = &h->router.adp[adapter];
    if (hopid > a->max_hopid) {
        return false;
    }
    dw0 = a->hop[hopid][0];
    if (!(dw0 & HOP_ENABLE)) {
        return false;
    }
    *out_adapter = HOP_OUT(dw0);
    *next_hop = HOP_NEXT(dw0);
    return true;
}

/*
 * End-to-end flow control, as Linux programs it (nhi.c tb_ring_start()): a
 * TX ring with E2E sends a frame only on a credit from the RX ring its
 * path ends at, and that RX ring grants credits only if it has E2E on
 * itself; it sends them out through the path of the TX ring its options
 * name (bits 22:12), and at the sender they arrive on an RX ring whose
 * options name the sending TX ring.  Without every link of that loop the
 * sender gets no credit and its frames wait in its ring.
 */
static bool rx_e2e(Usb4Host *h, unsigned ring, unsigned *tx_pair)
{
    const Usb4Ring *r;

    if (ring >= USB4_NHI_HOPS) {
        return false;
    }
    r = &h->rx[ring];
    if (!(r->options & USB4_RING_ENABLE) || !(r->options & USB4_RING_E2E) ||
        !r->size) {
        return false;
    }
    *tx_pair = (r->options >> USB4_RING_E2E_HOP_SHIFT) & USB4_RING_E2E_HOP_MASK;
    return true;
}

bool usb4_path_credit_out(Usb4Host *h, unsigned rx_ring, unsigned *lane_hop)
{
    unsigned tx, out;

    return rx_e2e(h, rx_ring, &tx) &&
           usb4_path_hop(h, USB4_ADP_NHI, tx, &out, lane_hop) &&
           out == USB4_ADP_LANE;
}

bool usb4_path_credit_in(Usb4Host *h, unsigned lane_hop, unsigned tx_hop)
{
    unsigned out, ring, tx;

    return usb4_path_hop(h, USB4_ADP_LANE, lane_hop, &out, &ring) &&
           out == USB4_ADP_NHI && rx_e2e(h, ring, &tx) && tx == tx_hop;
}

bool usb4_path_credit_in_any(Usb4Host *h, unsigned tx_hop)
{
    unsigned hop;

    for (hop = 1; hop <= USB4_MAX_HOPID; hop++) {
        if (usb4_path_credit_in(h, hop, tx_hop)) {
            return true;
        }
    }
    return false;
}

/*
 * Leave through @adapter with @hopid.  With end-to-end flow control a
 * receiver without a free buffer has no credit to give, so the frame waits
 * in the sender's ring; without it the receiver drops the frame.
 */
static int path_deliver(Usb4Host *h, unsigned adapter, unsigned hopid,
                        const uint8_t *data, uint32_t len, uint8_t sof,
                        uint8_t eof, bool e2e, unsigned tx_hop)
{
    int ret;

    switch (adapter) {
    case USB4_ADP_NHI:
        ret = usb4_nhi_rx_frame(h, hopid, data, len, sof, eof);
        if (ret == -EAGAIN && e2e) {
            return USB4_FRAME_STALL;
        }
        if (ret) {
            h->rx_dropped++;
            usb4_dbg(h, "path: RX ring %u %s, frame dropped", hopid,
                     ret == -EAGAIN ? "full" : "not running");
        }
        return USB4_FRAME_DONE;
    case USB4_ADP_LANE:
        return usb4_cable_send_frame(h, hopid, data, len, sof, eof, e2e,
                                     tx_hop);
    }
    h->rx_dropped++;
    return USB4_FRAME_DONE;
}

int usb4_path_from_nhi(Usb4Host *h, unsigned tx_hop, const uint8_t *data,
                       uint32_t len, uint8_t sof, uint8_t eof, bool e2e)
{
    unsigned out, next;

    if (!usb4_path_hop(h, USB4_ADP_NHI, tx_hop, &out, &next)) {
        h->rx_dropped++;
        usb4_dbg(h, "path: TX ring %u has no enabled path, frame dropped",
                 tx_hop);
        return USB4_FRAME_DONE;
    }
    if (out == USB4_ADP_NHI) {
        /* a loop back into our own NHI is not a path USB4 allows */
        h->rx_dropped++;
        return USB4_FRAME_DONE;
    }
    return path_deliver(h, out, next, data, len, sof, eof, e2e, tx_hop);
}

int usb4_path_from_lane(Usb4Host *h, unsigned hopid, const uint8_t *data,
                        uint32_t len, uint8_t sof, uint8_t eof, bool e2e)
{
    unsigned out, next;

    if (!usb4_path_hop(h, USB4_ADP_LANE, hopid, &out, &next) ||
        out == USB4_ADP_LANE) {
        h->rx_dropped++;
        usb4_dbg(h, "path: lane HopID %u has no enabled path, frame dropped",
                 hopid);
        return USB4_FRAME_DONE;
    }
    return path_deliver(h, out, next, data, len, sof, eof, e2e, 0);
}
