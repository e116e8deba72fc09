/*
 * The cable.  Two kinds, one interface for the rest of the device:
 *
 * - local: two usb4-host devices of one QEMU process naming the same
 *   cable= are joined lane adapter to lane adapter;
 * - socket: one usb4-host with chardev= talks to a usb4-host in another
 *   QEMU process over a stream chardev (a UNIX or TCP socket), in the
 *   framed protocol described in README.md ("The socket cable").
 *
 * Plugging and unplugging (the "plugged" property of either end, settable
 * with qom-set; a socket that connects or closes) changes the link state
 * both routers report and sends each connection manager the hot-plug
 * event its router would.  Whatever crosses the cable was routed here by
 * the path tables (path.c) or is a control packet for the far router
 * (ctl.c); the far end routes it again by its own tables.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/visitor.h"
#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "usb4.h"

/* ---- wire format (README.md, "The socket cable") --------------------------- */

#define WIRE_VERSION            1
#define WIRE_HDR                8
#define WIRE_MAX_PAYLOAD        USB4_MAX_FRAME_SIZE

enum {
    WIRE_HELLO = 1,
    WIRE_PLUG = 2,
    WIRE_STATE = 3,
    WIRE_CTL = 4,
    WIRE_DATA = 5,
    WIRE_CREDIT = 6,
    WIRE_CREDIT_RESET = 7,
};

#define WIRE_STATE_WILLING      (1u << 0)
#define WIRE_STATE_TRAINING     (1u << 1)
#define WIRE_DATA_HOP(a)        ((a) & 0x7ff)
#define WIRE_DATA_SOF(a)        (((a) >> 16) & 0xf)
#define WIRE_DATA_EOF(a)        (((a) >> 20) & 0xf)
#define WIRE_DATA_E2E           (1u << 24)

/*
 * What may wait for the socket: enough for every data ring of a busy
 * host to have frames in flight, small enough that a far end that stops
 * reading costs us little.  A full queue is backpressure: E2E frames stay
 * in their TX ring, others are dropped as a full link would drop them.
 */
#define WIRE_OUTQ_MAX           (256 * 1024)

struct Usb4Cable {
    char *name;
    Usb4Host *end[2];
    bool plugged;

    /* socket cables: end[0] is ours, the far end is another process */
    bool remote;
    bool connected;             /* the far end said hello */
    bool far_willing;           /* its lane adapter enabled, port not in reset */
    bool far_training;
    int sent_state;             /* last STATE we sent, -1 none */
    GByteArray *outq;
    guint out_watch;
    uint8_t in[WIRE_HDR + WIRE_MAX_PAYLOAD];
    uint32_t in_len;
    uint32_t in_skip;           /* payload bytes of a rejected frame to discard */
    /*
     * E2E credits per lane HopID, cumulative over one connection: we grant
     * the far end frames our RX rings have room for (granted - received
     * are still owed), and send it frames it granted us (far_granted -
     * sent).  Cumulative counts make a credit message that crosses others
     * harmless.
     */
    uint32_t granted[USB4_MAX_HOPID + 1];
    uint32_t received[USB4_MAX_HOPID + 1];
    uint32_t far_granted[USB4_MAX_HOPID + 1];
    uint32_t sent[USB4_MAX_HOPID + 1];
};

static GHashTable *cables;

static void remote_event(void *opaque, QEMUChrEvent event);
static int remote_can_read(void *opaque);
static void remote_read(void *opaque, const uint8_t *buf, int size);

static void counter_get(Object *obj, Visitor *v, const char *name,
                        void *opaque, Error **errp)
{
    uint64_t value = *(uint64_t *)opaque;

    visit_type_uint64(v, name, &value, errp);
}

static void remote_attach(Usb4Host *h, Error **errp)
{
    Usb4Cable *c = g_new0(Usb4Cable, 1);

    c->remote = true;
    c->plugged = true;
    c->sent_state = -1;
    c->outq = g_byte_array_new();
    c->end[0] = h;
    h->cable = c;
    object_property_add(OBJECT(h), "cable-dropped", "uint64", counter_get,
                        NULL, NULL, &h->cable_dropped);
    qemu_chr_fe_set_handlers(&h->chr, remote_can_read, remote_read,
                             remote_event, NULL, h, NULL, true);
}

void usb4_cable_attach(Usb4Host *h, Error **errp)
{
    Usb4Cable *c;

    if (qemu_chr_fe_backend_connected(&h->chr)) {
        if (h->cable_name) {
            error_setg(errp, "usb4-host: cable= and chardev= are two cables");
            return;
        }
        remote_attach(h, errp);
        return;
    }
    if (!h->cable_name) {
        return; /* a host with nothing plugged in */
    }
    if (!cables) {
        cables = g_hash_table_new(g_str_hash, g_str_equal);
    }
    c = g_hash_table_lookup(cables, h->cable_name);
    if (!c) {
        c = g_new0(Usb4Cable, 1);
        c->name = g_strdup(h->cable_name);
        c->plugged = true;
        g_hash_table_insert(cables, c->name, c);
    }
    if (c->end[0] && c->end[1]) {
        error_setg(errp, "usb4-host: cable '%s' already has two ends",
                   h->cable_name);
        return;
    }
    c->end[c->end[0] ? 1 : 0] = h;
    h->cable = c;
}

void usb4_cable_detach(Usb4Host *h)
{
    Usb4Cable *c = h->cable;
    Usb4Host *peer;

    if (!c) {
        return;
    }
    if (c->remote) {
        qemu_chr_fe_deinit(&h->chr, false);
        if (c->out_watch) {
            g_source_remove(c->out_watch);
        }
        g_byte_array_free(c->outq, true);
        h->cable = NULL;
        g_free(c);
        return;
    }
    peer = usb4_cable_peer(h);
    c->end[c->end[0] == h ? 0 : 1] = NULL;
    h->cable = NULL;
    if (peer) {
        usb4_router_refresh_link(peer);
    }
    if (!c->end[0] && !c->end[1]) {
        g_hash_table_remove(cables, c->name);
        g_free(c->name);
        g_free(c);
    }
}

/* The host at the other end, whether or not the cable is plugged. */
static Usb4Host *cable_other(Usb4Host *h)
{
    Usb4Cable *c = h->cable;

    if (!c || c->remote) {
        return NULL;
    }
    return c->end[0] == h ? c->end[1] : c->end[0];
}

/* The host at the other end in this process, if plugged. */
Usb4Host *usb4_cable_peer(Usb4Host *h)
{
    return h->cable && h->cable->plugged ? cable_other(h) : NULL;
}

bool usb4_cable_plugged(Usb4Host *h)
{
    Usb4Cable *c = h->cable;

    return c && c->plugged && (!c->remote || c->connected);
}

/* Everything a link needs but training: the cable, both ends willing. */
bool usb4_cable_link_possible(Usb4Host *h)
{
    Usb4Cable *c = h->cable;
    Usb4Host *other;

    if (h->port_reset || !usb4_router_lane_enabled(h)) {
        return false;
    }
    if (c && c->remote) {
        return usb4_cable_plugged(h) && c->far_willing && !c->far_training;
    }
    other = usb4_cable_peer(h);
    return other && !other->port_reset && usb4_router_lane_enabled(other) &&
           !other->training;
}

/* ---- the socket: sending ------------------------------------------------- */

static gboolean remote_writable(void *do_not_use, GIOCondition cond,
                                void *opaque);
static void remote_grant(Usb4Host *h);

static void remote_flush(Usb4Host *h)
{
    Usb4Cable *c = h->cable;

    while (c->outq->len) {
        int n = qemu_chr_fe_write(&h->chr, c->outq->data, c->outq->len);

        if (n <= 0) {
            if (n < 0 && errno != EAGAIN) {
                /* closed under us: the CLOSED event tidies up */
                g_byte_array_set_size(c->outq, 0);
                return;
            }
            if (!c->out_watch) {
                c->out_watch = qemu_chr_fe_add_watch(&h->chr,
                                                     G_IO_OUT | G_IO_HUP,
                                                     remote_writable, h);
            }
            return;
        }
        g_byte_array_remove_range(c->outq, 0, n);
    }
}

static gboolean remote_writable(void *do_not_use, GIOCondition cond,
                                void *opaque)
{
    Usb4Host *h = opaque;

    h->cable->out_watch = 0;
    remote_flush(h);
    /*
     * Credits that found the queue full were not granted; nothing else may
     * come to grant them again (the far sender's frames, which would, wait
     * for them), so the far sender would wait for ever.  Seen both ways at
     * once, where our own frames fill the queue.
     */
    remote_grant(h);
    /* senders held back by a full queue may go on */
    usb4_nhi_kick(h);
    return G_SOURCE_REMOVE;
}

/* Queue one frame for the far end; false if the queue has no room. */
static bool remote_send(Usb4Host *h, uint8_t type, uint32_t arg,
                        const uint8_t *payload, uint32_t len)
{
    Usb4Cable *c = h->cable;
    uint8_t hdr[WIRE_HDR];

    if (!c->connected && type != WIRE_HELLO) {
        return false;
    }
    if (c->outq->len + WIRE_HDR + len > WIRE_OUTQ_MAX) {
        return false;
    }
    hdr[0] = WIRE_VERSION;
    hdr[1] = type;
    stw_be_p(hdr + 2, len);
    stl_be_p(hdr + 4, arg);
    g_byte_array_append(c->outq, hdr, WIRE_HDR);
    if (len) {
        g_byte_array_append(c->outq, payload, len);
    }
    if (!c->out_watch) {
        remote_flush(h);
    }
    return true;
}

static void remote_send_state(Usb4Host *h)
{
    Usb4Cable *c = h->cable;
    uint32_t state = 0;

    if (!h->port_reset && usb4_router_lane_enabled(h)) {
        state |= WIRE_STATE_WILLING;
    }
    if (h->training) {
        state |= WIRE_STATE_TRAINING;
    }
    if (!c->connected || (int)state == c->sent_state) {
        return;
    }
    if (remote_send(h, WIRE_STATE, state, NULL, 0)) {
        c->sent_state = state;
    }
}

/* Free descriptors of RX ring @hop: what the driver posted, not yet filled. */
static unsigned rx_free(Usb4Host *h, unsigned hop)
{
    const Usb4Ring *r = &h->rx[hop];

    if (!(r->options & USB4_RING_ENABLE) || !r->size) {
        return 0;
    }
    return (r->sw_index + r->size - r->hw_index) % r->size;
}

/*
 * Grant the far end what our RX rings can take: for every lane HopID
 * whose path leads to an NHI ring that grants credits (E2E on, its paired
 * TX ring's path out through the lane: path.c), that ring's free
 * descriptors less what is already owed to the lane HopIDs that share it.
 * Credits granted for a lane HopID whose ring no longer grants (stopped,
 * or its path gone) are void: the far end is told, so that a sender never
 * spends them on a ring that is not there, or on the next session of it.
 */
static void remote_grant(Usb4Host *h)
{
    Usb4Cable *c = h->cable;
    unsigned target[USB4_MAX_HOPID + 1];
    int64_t owed[USB4_NHI_HOPS] = { 0 };
    unsigned hop, out, next, back;

    if (!c->connected) {
        return;
    }
    for (hop = 1; hop <= USB4_MAX_HOPID; hop++) {
        target[hop] = 0;
        /* frames beyond our grants (sent before a reset reached them) */
        if ((int32_t)(c->received[hop] - c->granted[hop]) > 0) {
            c->granted[hop] = c->received[hop];
        }
        if (usb4_path_hop(h, USB4_ADP_LANE, hop, &out, &next) &&
            out == USB4_ADP_NHI && next && next < USB4_NHI_HOPS &&
            usb4_path_credit_out(h, next, &back)) {
            target[hop] = next;
            owed[next] += (uint32_t)(c->granted[hop] - c->received[hop]);
        } else if (c->granted[hop] != c->received[hop]) {
            uint8_t p[4];

            stl_be_p(p, c->received[hop]);
            if (remote_send(h, WIRE_CREDIT_RESET, hop, p, 4)) {
                usb4_dbg(h, "cable: credits for HopID %u void (%u unused)",
                         hop, c->granted[hop] - c->received[hop]);
                c->granted[hop] = c->received[hop];
            }
        }
    }
    for (hop = 1; hop <= USB4_MAX_HOPID; hop++) {
        int64_t avail;
        uint8_t p[4];

        if (!target[hop]) {
            continue;
        }
        avail = (int64_t)rx_free(h, target[hop]) - owed[target[hop]];
        if (avail <= 0) {
            continue;
        }
        stl_be_p(p, c->granted[hop] + (uint32_t)avail);
        if (remote_send(h, WIRE_CREDIT, hop, p, 4)) {
            c->granted[hop] += avail;
            owed[target[hop]] += avail;
        }
    }
}

/* ---- the socket: receiving ------------------------------------------------- */

static void remote_reset_credits(Usb4Cable *c)
{
    memset(c->granted, 0, sizeof(c->granted));
    memset(c->received, 0, sizeof(c->received));
    memset(c->far_granted, 0, sizeof(c->far_granted));
    memset(c->sent, 0, sizeof(c->sent));
}

static void remote_event(void *opaque, QEMUChrEvent event)
{
    Usb4Host *h = opaque;
    Usb4Cable *c = h->cable;
    uint8_t uid[8];

    switch (event) {
    case CHR_EVENT_OPENED:
        usb4_dbg(h, "cable: socket connected");
        c->in_len = 0;
        c->in_skip = 0;
        c->connected = false;
        c->sent_state = -1;
        g_byte_array_set_size(c->outq, 0);
        remote_reset_credits(c);
        stq_be_p(uid, h->uid);
        remote_send(h, WIRE_HELLO, c->plugged, uid, sizeof(uid));
        break;
    case CHR_EVENT_CLOSED:
        usb4_dbg(h, "cable: socket closed");
        c->connected = false;
        c->far_willing = false;
        c->far_training = false;
        g_byte_array_set_size(c->outq, 0);
        usb4_router_refresh_link(h);
        break;
    default:
        break;
    }
}

static void remote_bad(Usb4Host *h, const char *why, uint8_t type)
{
    h->cable_dropped++;
    usb4_dbg(h, "cable: frame type %u dropped: %s", type, why);
}

static void remote_plug(Usb4Host *h, bool plugged)
{
    Usb4Cable *c = h->cable;

    if (c->plugged == plugged) {
        return;
    }
    c->plugged = plugged;
    if (plugged) {
        usb4_router_train(h);
    } else {
        usb4_router_refresh_link(h);
    }
}

static void remote_data(Usb4Host *h, uint32_t arg, const uint8_t *p,
                        uint32_t len)
{
    Usb4Cable *c = h->cable;
    unsigned hop = WIRE_DATA_HOP(arg);
    bool e2e = arg & WIRE_DATA_E2E;

    if (!len || hop > USB4_MAX_HOPID) {
        remote_bad(h, "no such HopID or empty", WIRE_DATA);
        return;
    }
    if (!usb4_cable_plugged(h)) {
        h->rx_dropped++; /* in flight when the cable was pulled */
        return;
    }
    if (e2e) {
        c->received[hop]++;
    }
    if (usb4_path_from_lane(h, hop, p, len, WIRE_DATA_SOF(arg),
                            WIRE_DATA_EOF(arg), e2e) == USB4_FRAME_STALL) {
        /* sent beyond the credits we granted: nowhere to hold it */
        h->rx_dropped++;
        usb4_dbg(h, "cable: E2E frame on HopID %u without room, dropped", hop);
    }
    if (e2e) {
        remote_grant(h); /* a dropped frame frees its credit */
    }
}

static void remote_frame(Usb4Host *h, uint8_t type, uint32_t arg,
                         const uint8_t *p, uint32_t len)
{
    Usb4Cable *c = h->cable;
    uint32_t n;

    if (!c->connected && type != WIRE_HELLO) {
        remote_bad(h, "before hello", type);
        return;
    }
    switch (type) {
    case WIRE_HELLO:
        if (len != 8) {
            remote_bad(h, "hello without a UID", type);
            return;
        }
        usb4_dbg(h, "cable: hello from %016" PRIx64 ", %splugged",
                 ldq_be_p(p), (arg & 1) ? "" : "un");
        if (ldq_be_p(p) == h->uid) {
            warn_report("usb4-host: the far end of the cable has our UID "
                        "%#" PRIx64 ": their UUIDs will collide", h->uid);
        }
        c->connected = true;
        c->plugged = c->plugged && (arg & 1);
        if (c->plugged) {
            usb4_router_train(h);
        }
        remote_send_state(h);
        remote_grant(h);
        return;
    case WIRE_PLUG:
        if (len) {
            remote_bad(h, "plug with a payload", type);
            return;
        }
        remote_plug(h, arg & 1);
        return;
    case WIRE_STATE:
        if (len) {
            remote_bad(h, "state with a payload", type);
            return;
        }
        c->far_willing = arg & WIRE_STATE_WILLING;
        c->far_training = arg & WIRE_STATE_TRAINING;
        usb4_router_refresh_link(h);
        return;
    case WIRE_CTL:
        if (len < 12 || len % 4 || len > USB4_RAW_FRAME_SIZE || arg > 0xf) {
            remote_bad(h, "control packet of a bad size or type", type);
            return;
        }
        if (ldl_be_p(p + len - 4) != usb4_ctl_crc(p, len - 4)) {
            h->bad_crc++;
            remote_bad(h, "control packet with a bad CRC", type);
            return;
        }
        if (!usb4_cable_plugged(h)) {
            h->ctl_dropped++;
            return;
        }
        usb4_ctl_from_lane(h, USB4_ADP_LANE, arg, p, len);
        return;
    case WIRE_DATA:
        remote_data(h, arg, p, len);
        return;
    case WIRE_CREDIT:
        if (len != 4 || arg < 1 || arg > USB4_MAX_HOPID) {
            remote_bad(h, "credit of a bad size or HopID", type);
            return;
        }
        n = ldl_be_p(p);
        /* cumulative: an older count than the one we have changes nothing */
        if ((int32_t)(n - c->far_granted[arg]) > 0) {
            c->far_granted[arg] = n;
            usb4_nhi_kick(h);
        }
        return;
    case WIRE_CREDIT_RESET:
        if (len != 4 || arg < 1 || arg > USB4_MAX_HOPID) {
            remote_bad(h, "credit reset of a bad size or HopID", type);
            return;
        }
        /* the only count that may go back: unused credits are void */
        c->far_granted[arg] = ldl_be_p(p);
        return;
    }
    remote_bad(h, "unknown type", type);
}

static int remote_can_read(void *opaque)
{
    Usb4Host *h = opaque;
    Usb4Cable *c = h->cable;

    return sizeof(c->in) - c->in_len;
}

static void remote_read(void *opaque, const uint8_t *buf, int size)
{
    Usb4Host *h = opaque;
    Usb4Cable *c = h->cable;

    while (size > 0) {
        uint32_t n, len;

        if (c->in_skip) {
            n = MIN(c->in_skip, (uint32_t)size);
            c->in_skip -= n;
            buf += n;
            size -= n;
            continue;
        }
        n = MIN(sizeof(c->in) - c->in_len, (uint32_t)size);
        memcpy(c->in + c->in_len, buf, n);
        c->in_len += n;
        buf += n;
        size -= n;

        while (c->in_len >= WIRE_HDR) {
            len = lduw_be_p(c->in + 2);
            if (c->in[0] != WIRE_VERSION || len > WIRE_MAX_PAYLOAD) {
                /* the length still frames it: skip it and carry on */
                remote_bad(h, c->in[0] != WIRE_VERSION ? "unknown version"
                                                       : "oversized", c->in[1]);
                n = MIN(c->in_len - WIRE_HDR, len);
                c->in_skip = len - n;
                memmove(c->in, c->in + WIRE_HDR + n, c->in_len - WIRE_HDR - n);
                c->in_len -= WIRE_HDR + n;
                if (c->in_skip) {
                    break;
                }
                continue;
            }
            if (c->in_len < WIRE_HDR + len) {
                break;
            }
            remote_frame(h, c->in[1], ldl_be_p(c->in + 4), c->in + WIRE_HDR,
                         len);
            if (!h->cable) {
                return;
            }
            memmove(c->in, c->in + WIRE_HDR + len, c->in_len - WIRE_HDR - len);
            c->in_len -= WIRE_HDR + len;
        }
    }
}

/* ---- what the rest of the device calls --------------------------------------- */

void usb4_cable_set_plugged(Usb4Host *h, bool plugged)
{
    Usb4Cable *c = h->cable;
    Usb4Host *other = cable_other(h);

    if (c->plugged == plugged) {
        return;
    }
    if (c->remote) {
        remote_plug(h, plugged);
        remote_send(h, WIRE_PLUG, plugged, NULL, 0);
        return;
    }
    c->plugged = plugged;
    if (!other) {
        return; /* one end dangling: no link either way */
    }
    if (plugged) {
        usb4_router_train(h);
        usb4_router_train(other);
    } else {
        usb4_router_refresh_link(h);
        usb4_router_refresh_link(other);
    }
}

/* Our lane adapter's willingness or training changed: the far end cares. */
void usb4_cable_state_changed(Usb4Host *h)
{
    Usb4Cable *c = h->cable;
    Usb4Host *peer;

    if (!c) {
        return;
    }
    if (c->remote) {
        remote_send_state(h);
        return;
    }
    peer = usb4_cable_peer(h);
    if (peer) {
        usb4_router_refresh_link(peer);
    }
}

/*
 * Our router was reset.  Over a socket the far end learns our lane's new
 * state; in one process both ends are reset together and refresh their
 * links when the connection manager enables them.
 */
void usb4_cable_router_reset(Usb4Host *h)
{
    if (h->cable && h->cable->remote) {
        remote_send_state(h);
    }
}

/*
 * Fresh RX buffers, a ring started or stopped, or a path changed: credits
 * may have come or gone, so a held sender (the far end's, or ours, whose
 * credits come back through our RX rings) may go on.
 */
void usb4_cable_rx_posted(Usb4Host *h)
{
    Usb4Cable *c = h->cable;
    Usb4Host *peer;

    if (!c) {
        return;
    }
    usb4_nhi_kick(h);
    if (c->remote) {
        remote_grant(h);
        return;
    }
    peer = usb4_cable_peer(h);
    if (peer) {
        usb4_nhi_kick(peer);
    }
}

/*
 * Whether the far host's RX ring at the end of lane HopID @hopid has a
 * credit for our TX ring @tx_hop (path.c: the E2E loop): it grants (E2E
 * on, a path back to us), its credits reach that TX ring here, and it has
 * a free descriptor.  In one process nothing is in flight, so the credit
 * is the free descriptor itself.
 */
static bool local_credit(Usb4Host *h, Usb4Host *peer, unsigned hopid,
                         unsigned tx_hop)
{
    unsigned out, ring, back;

    return usb4_path_hop(peer, USB4_ADP_LANE, hopid, &out, &ring) &&
           out == USB4_ADP_NHI && usb4_path_credit_out(peer, ring, &back) &&
           usb4_path_credit_in(h, back, tx_hop) &&
           usb4_nhi_rx_has_room(peer, ring);
}

/*
 * A data frame from TX ring @tx_hop leaving through the lane adapter with
 * @hopid.  With E2E it leaves only on a credit; otherwise it stays in its
 * ring (USB4_FRAME_STALL) until the far end grants one.
 */
int usb4_cable_send_frame(Usb4Host *h, unsigned hopid, const uint8_t *data,
                          uint32_t len, uint8_t sof, uint8_t eof, bool e2e,
                          unsigned tx_hop)
{
    Usb4Cable *c = h->cable;
    Usb4Host *peer;

    if (!c || !c->remote) {
        peer = usb4_cable_peer(h);
        if (!peer) {
            h->rx_dropped++;
            return USB4_FRAME_DONE;
        }
        if (e2e && !local_credit(h, peer, hopid, tx_hop)) {
            return USB4_FRAME_STALL;
        }
        return usb4_path_from_lane(peer, hopid, data, len, sof, eof, e2e);
    }
    if (!usb4_cable_plugged(h) || hopid > USB4_MAX_HOPID) {
        h->rx_dropped++;
        return USB4_FRAME_DONE;
    }
    if (e2e && ((int32_t)(c->far_granted[hopid] - c->sent[hopid]) <= 0 ||
                !usb4_path_credit_in_any(h, tx_hop))) {
        return USB4_FRAME_STALL; /* no credit from the far ring (yet) */
    }
    if (!remote_send(h, WIRE_DATA, hopid | (sof & 0xf) << 16 |
                     (eof & 0xf) << 20 | (e2e ? WIRE_DATA_E2E : 0),
                     data, len)) {
        if (e2e) {
            return USB4_FRAME_STALL;
        }
        h->rx_dropped++;
        return USB4_FRAME_DONE;
    }
    if (e2e) {
        c->sent[hopid]++;
    }
    return USB4_FRAME_DONE;
}

/* A control packet for the far router; false if nothing is there. */
bool usb4_cable_send_ctl(Usb4Host *h, uint8_t pdf, const uint8_t *frame,
                         uint32_t len)
{
    Usb4Cable *c = h->cable;
    Usb4Host *peer;

    if (c && c->remote) {
        return usb4_cable_plugged(h) &&
               remote_send(h, WIRE_CTL, pdf, frame, len);
    }
    peer = usb4_cable_peer(h);
    if (!peer) {
        return false;
    }
    usb4_ctl_from_lane(peer, USB4_ADP_LANE, pdf, frame, len);
    return true;
}
