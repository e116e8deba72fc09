/*
 * The control channel: config packets the connection manager sends on TX
 * ring 0, the router's replies and events on RX ring 0, and XDomain
 * packets crossing the cable to the peer host.
 *
 * On the wire a packet is big-endian dwords followed by a CRC32C
 * (Castagnoli, initial value ~0, final complement), the packet type in
 * the frame's PDF.  The first two dwords are the route string; bit 31 of
 * the first marks a reply.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/crc32c.h"
#include "usb4.h"

#define CTL_REPLY_BIT           (1u << 31)
#define CTL_ROUTE_HI_MASK       0x3fffffu
#define CTL_MAX_DWORDS          (USB4_RAW_FRAME_SIZE / 4 - 1)

/* The address dword of read and write requests. */
#define ADDR_OFFSET(a)          ((a) & 0x1fff)
#define ADDR_LENGTH(a)          (((a) >> 13) & 0x3f)
#define ADDR_PORT(a)            (((a) >> 19) & 0x3f)
#define ADDR_SPACE(a)           (((a) >> 25) & 0x3)

uint32_t usb4_ctl_crc(const uint8_t *data, size_t len)
{
    /* QEMU's crc32c() complements its result: Linux's ~crc32c(~0, ...). */
    return crc32c(0xffffffff, data, len);
}

static uint64_t pkt_route(const uint32_t *dw)
{
    return (uint64_t)(dw[0] & CTL_ROUTE_HI_MASK) << 32 | dw[1];
}

/* Queue a packet (host-order dwords) for RX ring 0, CRC appended. */
static void ctl_queue(Usb4Host *h, uint8_t pdf, const uint32_t *dw,
                      unsigned ndw)
{
    Usb4CtlPacket *p;
    unsigned i;

    if (h->ctl_queued >= USB4_CTL_QUEUE_MAX) {
        h->ctl_dropped++;
        usb4_dbg(h, "ctl: queue full, dropping type %u", pdf);
        return;
    }
    p = g_new0(Usb4CtlPacket, 1);
    p->pdf = pdf;
    for (i = 0; i < ndw; i++) {
        stl_be_p(p->data + 4 * i, dw[i]);
    }
    stl_be_p(p->data + 4 * ndw, usb4_ctl_crc(p->data, 4 * ndw));
    p->len = 4 * ndw + 4;
    QSIMPLEQ_INSERT_TAIL(&h->ctl_queue, p, next);
    h->ctl_queued++;
    usb4_nhi_kick(h);
}

/* Hand queued packets to RX ring 0 while it has buffers. */
void usb4_ctl_flush(Usb4Host *h)
{
    Usb4CtlPacket *p;

    while ((p = QSIMPLEQ_FIRST(&h->ctl_queue))) {
        int ret = usb4_nhi_rx_frame(h, 0, p->data, p->len, 0, p->pdf);

        if (ret == -EAGAIN) {
            /* no buffer posted yet: the router's buffers hold it */
            return;
        }
        if (ret) {
            /*
             * The ring is stopped (driver unloaded, runtime suspend):
             * nobody would take the packet, so it is lost, and the
             * sender's request times out.
             */
            h->ctl_dropped++;
            usb4_dbg(h, "ctl: RX ring 0 not running, type %u dropped", p->pdf);
        }
        QSIMPLEQ_REMOVE_HEAD(&h->ctl_queue, next);
        h->ctl_queued--;
        g_free(p);
    }
}

void usb4_ctl_reset(Usb4Host *h)
{
    Usb4CtlPacket *p;

    while ((p = QSIMPLEQ_FIRST(&h->ctl_queue))) {
        QSIMPLEQ_REMOVE_HEAD(&h->ctl_queue, next);
        g_free(p);
    }
    h->ctl_queued = 0;
}

static void ctl_error(Usb4Host *h, uint64_t route, unsigned port,
                      unsigned code)
{
    uint32_t dw[3];

    dw[0] = (uint32_t)(route >> 32) | CTL_REPLY_BIT;
    dw[1] = (uint32_t)route;
    dw[2] = (code & 0xf) | (port & 0x3f) << 8;
    usb4_dbg(h, "ctl: error %u for %" PRIx64 ":%u", code, route, port);
    ctl_queue(h, USB4_PKT_ERROR, dw, 3);
}

void usb4_ctl_send_event(Usb4Host *h, unsigned adapter, bool unplug)
{
    uint32_t dw[3] = { 0, 0, (adapter & 0x3f) | (unplug ? 1u << 31 : 0) };

    usb4_dbg(h, "ctl: %splug event on adapter %u", unplug ? "un" : "",
             adapter);
    ctl_queue(h, USB4_PKT_EVENT, dw, 3);
}

/*
 * A request for a router beyond our lane adapter.  The only thing there
 * is the peer's host router, which its own domain enumerated: it does not
 * answer another domain's config requests, which is what makes the
 * connection manager try XDomain discovery instead.
 */
static void ctl_beyond_lane(Usb4Host *h, uint64_t route, unsigned first_port)
{
    if (first_port != USB4_ADP_LANE) {
        ctl_error(h, route, first_port, USB4_ERR_NO_SUCH_PORT);
    } else if (usb4_router_lane_locked(h)) {
        ctl_error(h, route, first_port, USB4_ERR_LOCK);
    } else {
        ctl_error(h, route, first_port, USB4_ERR_NOT_CONNECTED);
    }
}

/*
 * A reply echoes the request's route (reply bit set) and address, then
 * carries the data @reply already holds after them; or the error.
 */
static void ctl_answer(Usb4Host *h, const uint32_t *dw, unsigned err,
                       uint8_t pdf, uint32_t *reply, unsigned ndw)
{
    if (err) {
        ctl_error(h, pkt_route(dw), ADDR_PORT(dw[2]), err);
        return;
    }
    reply[0] = dw[0] | CTL_REPLY_BIT;
    reply[1] = dw[1];
    reply[2] = dw[2];
    ctl_queue(h, pdf, reply, ndw);
}

static void ctl_read(Usb4Host *h, const uint32_t *dw, unsigned ndw)
{
    uint64_t route = pkt_route(dw);
    uint32_t reply[3 + 64];
    unsigned len, err;

    if (ndw != 3) {
        usb4_dbg(h, "ctl: read of %u dwords, dropped", ndw);
        return;
    }
    if (route) {
        ctl_beyond_lane(h, route, route & 0xff);
        return;
    }
    len = ADDR_LENGTH(dw[2]);
    if (len > CTL_MAX_DWORDS - 3) {
        ctl_error(h, route, ADDR_PORT(dw[2]), USB4_ERR_INVALID_SPACE);
        return;
    }
    err = usb4_router_read(h, ADDR_PORT(dw[2]), ADDR_SPACE(dw[2]),
                           ADDR_OFFSET(dw[2]), len, reply + 3);
    ctl_answer(h, dw, err, USB4_PKT_READ, reply, 3 + len);
}

static void ctl_write(Usb4Host *h, const uint32_t *dw, unsigned ndw)
{
    uint64_t route = pkt_route(dw);
    uint32_t reply[3];
    unsigned len, err;

    if (ndw < 3) {
        return;
    }
    if (route) {
        ctl_beyond_lane(h, route, route & 0xff);
        return;
    }
    len = ADDR_LENGTH(dw[2]);
    if (ndw != 3 + len) {
        usb4_dbg(h, "ctl: write says %u dwords, carries %u", len, ndw - 3);
        ctl_error(h, route, ADDR_PORT(dw[2]), USB4_ERR_INVALID_SPACE);
        return;
    }
    err = usb4_router_write(h, ADDR_PORT(dw[2]), ADDR_SPACE(dw[2]),
                            ADDR_OFFSET(dw[2]), len, dw + 3);
    ctl_answer(h, dw, err, USB4_PKT_WRITE, reply, 3);
}

/* An XDomain packet leaves through the lane adapter its route names. */
static void ctl_xdomain_out(Usb4Host *h, uint8_t pdf, const uint8_t *frame,
                            uint32_t len, uint64_t route)
{
    if ((route & 0xff) != USB4_ADP_LANE || (route >> 8) ||
        usb4_router_lane_locked(h) ||
        !usb4_cable_send_ctl(h, pdf, frame, len)) {
        /* nothing answers there: the sender's request times out */
        usb4_dbg(h, "ctl: XDomain type %u to %" PRIx64 " goes nowhere",
                 pdf, route);
        h->ctl_dropped++;
    }
}

void usb4_ctl_from_nhi(Usb4Host *h, uint8_t pdf, const uint8_t *frame,
                       uint32_t len)
{
    uint32_t dw[CTL_MAX_DWORDS];
    unsigned ndw, i;

    if (len < 12 || len % 4 || len > USB4_RAW_FRAME_SIZE) {
        usb4_dbg(h, "ctl: bad frame length %u", len);
        h->ctl_dropped++;
        return;
    }
    ndw = len / 4 - 1;
    if (ldl_be_p(frame + 4 * ndw) != usb4_ctl_crc(frame, 4 * ndw)) {
        usb4_dbg(h, "ctl: CRC mismatch on type %u", pdf);
        h->bad_crc++;
        return;
    }
    for (i = 0; i < ndw; i++) {
        dw[i] = ldl_be_p(frame + 4 * i);
    }
    switch (pdf) {
    case USB4_PKT_READ:
        ctl_read(h, dw, ndw);
        break;
    case USB4_PKT_WRITE:
        ctl_write(h, dw, ndw);
        break;
    case USB4_PKT_ERROR:
        /* the connection manager acknowledging a plug event */
        usb4_dbg(h, "ctl: ack for port %u", (dw[2] >> 8) & 0x3f);
        break;
    case USB4_PKT_XDOMAIN_REQ:
    case USB4_PKT_XDOMAIN_RESP:
        ctl_xdomain_out(h, pdf, frame, len, pkt_route(dw));
        break;
    default:
        usb4_dbg(h, "ctl: type %u not modelled, dropped", pdf);
        h->ctl_dropped++;
        break;
    }
}

/*
 * An XDomain packet came in over the cable.  The receiver learns its route
 * back to the sender from the packet, so the router replaces the route
 * with its ingress adapter (keeping the reply bit) and recomputes the CRC.
 */
void usb4_ctl_from_lane(Usb4Host *h, unsigned adapter, uint8_t pdf,
                        const uint8_t *frame, uint32_t len)
{
    uint32_t dw[CTL_MAX_DWORDS];
    unsigned ndw, i;

    if (len < 12 || len % 4 || len > USB4_RAW_FRAME_SIZE) {
        return;
    }
    ndw = len / 4 - 1;
    for (i = 0; i < ndw; i++) {
        dw[i] = ldl_be_p(frame + 4 * i);
    }
    dw[0] &= CTL_REPLY_BIT;
    dw[1] = adapter;
    usb4_dbg(h, "ctl: XDomain type %u in on adapter %u, %u dwords", pdf,
             adapter, ndw);
    ctl_queue(h, pdf, dw, ndw);
}
