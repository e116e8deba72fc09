/*
 * The host router's configuration spaces: the router itself (with a TMU
 * capability), the control adapter, one lane adapter that forms the USB4
 * port (lane adapter and USB4 port capabilities), and the NHI adapter.
 * Path tables (the HOPS space) are in path.c.
 *
 * Registers the connection manager only stores and reads back are plain
 * storage; the ones with behaviour (router operations, configuration
 * valid/ready, the lock and hot-plug bits, link state, sideband) are
 * modelled below.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/timer.h"
#include "usb4.h"

#define RTR_VENDOR              0x1234
#define RTR_DEVICE              0x7554
#define USB4_VERSION_1_0        0x20

/* router config space (dwords) */
#define RTR_CS_1                1
#define RTR_CS_4                4
#define RTR_CS_5                5
#define RTR_CS_5_CV             (1u << 31)
#define RTR_CS_6                6
#define RTR_CS_6_CR             (1u << 25)
#define RTR_CS_7                7
#define RTR_CS_8                8
#define RTR_CS_9                9
#define RTR_CS_25               0x19
#define RTR_CS_26               0x1a
#define RTR_OP_BUFFER_ALLOC     0x33
#define RTR_BA_MAX_HI           0x5
#define RTR_DMA_CREDITS         14
#define RTR_CS_26_ONS           (1u << 30)
#define RTR_CS_26_OV            (1u << 31)
#define RTR_TMU_CAP             0x30
#define CAP_ID_TMU              0x03

/* adapter config space (dwords) */
#define ADP_CS_2                2
#define ADP_CS_3                3
#define ADP_CS_4                4
#define ADP_CS_4_NFC_MASK       0x3ffu
#define ADP_CS_4_TOTAL_SHIFT    20
#define ADP_CS_4_LCK            (1u << 31)
#define ADP_CS_5                5
#define ADP_CS_5_DHP            (1u << 31)
#define ADP_TYPE_PORT           0x000001
#define ADP_TYPE_NHI            0x000002

#define LANE_CAP                0x10
#define CAP_ID_LANE             0x01
#define LANE_CS_1               (LANE_CAP + 1)
#define LANE_CS_1_LD            (1u << 14)
#define LANE_CS_1_CUR_MASK      (0x3ffu << 16)
#define LANE_CS_1_STATE_SHIFT   26
#define LANE_STATE_DISABLED     0
#define LANE_STATE_CL0          2
#define LANE_STATE_CLD          7
#define LANE_SPEED_GEN3         0x4
#define LANE_SPEEDS_GEN2_GEN3   0xc
#define LANE_WIDTH_SINGLE       0x1

#define USB4_PORT_CAP           0x20
#define CAP_ID_USB4_PORT        0x06
#define PORT_CS_1               (USB4_PORT_CAP + 1)
#define PORT_CS_1_NR            (1u << 25)
#define PORT_CS_1_PND           (1u << 31)
#define PORT_CS_19              (USB4_PORT_CAP + 0x13)
#define PORT_CS_19_DPR          (1u << 0)

static void adapter_init(Usb4Adapter *a, unsigned num, uint32_t type,
                         unsigned first_cap, unsigned max_hopid,
                         unsigned buffers)
{
    memset(a, 0, sizeof(*a));
    a->max_hopid = max_hopid;
    a->cs[0] = RTR_VENDOR | RTR_DEVICE << 16;
    a->cs[1] = first_cap;
    a->cs[ADP_CS_2] = type;
    a->cs[ADP_CS_3] = num << 20;
    a->cs[ADP_CS_4] = buffers << ADP_CS_4_TOTAL_SHIFT;
    a->cs[ADP_CS_5] = max_hopid | max_hopid << 11;
}

static void lane_update_state(Usb4Host *h)
{
    uint32_t *cs = h->router.adp[USB4_ADP_LANE].cs;
    unsigned state;

    cs[LANE_CS_1] &= ~(LANE_CS_1_CUR_MASK | 0xfu << LANE_CS_1_STATE_SHIFT);
    if (cs[LANE_CS_1] & LANE_CS_1_LD) {
        state = LANE_STATE_DISABLED;
    } else if (h->link_up) {
        state = LANE_STATE_CL0;
        cs[LANE_CS_1] |= LANE_SPEED_GEN3 << 16 | LANE_WIDTH_SINGLE << 20;
    } else {
        state = LANE_STATE_CLD;
    }
    cs[LANE_CS_1] |= state << LANE_CS_1_STATE_SHIFT;
}

void usb4_router_reset(Usb4Host *h)
{
    Usb4Router *r = &h->router;
    Usb4Adapter *lane = &r->adp[USB4_ADP_LANE];

    memset(r->cs, 0, sizeof(r->cs));
    r->cs[0] = RTR_VENDOR | RTR_DEVICE << 16;
    r->cs[RTR_CS_1] = RTR_TMU_CAP | (USB4_ADP_COUNT - 1) << 14;
    r->cs[RTR_CS_4] = (uint32_t)USB4_VERSION_1_0 << 24;
    r->cs[RTR_CS_7] = (uint32_t)h->uid;
    r->cs[RTR_CS_8] = h->uid >> 32;
    r->cs[RTR_TMU_CAP] = CAP_ID_TMU << 8;

    adapter_init(&r->adp[USB4_ADP_CONTROL], 0, ADP_TYPE_PORT, 0, 7, 0);
    adapter_init(lane, 1, ADP_TYPE_PORT, LANE_CAP, USB4_MAX_HOPID, 60);
    adapter_init(&r->adp[USB4_ADP_NHI], 2, ADP_TYPE_NHI, 0, 11, 24);

    /* Downstream lane adapters start locked and with hot plug disabled. */
    lane->cs[ADP_CS_4] |= ADP_CS_4_LCK;
    lane->cs[ADP_CS_5] |= ADP_CS_5_DHP;
    lane->cs[LANE_CAP] = USB4_PORT_CAP | CAP_ID_LANE << 8 |
                         LANE_SPEEDS_GEN2_GEN3 << 16 |
                         LANE_WIDTH_SINGLE << 20;
    lane->cs[LANE_CS_1] = LANE_SPEEDS_GEN2_GEN3 | LANE_WIDTH_SINGLE << 4;
    lane->cs[USB4_PORT_CAP] = CAP_ID_USB4_PORT << 8;
    /* buffers the lane reserves for the control path (HopID 0) */
    lane->hop[0][0] = 2u << 17;
    h->port_reset = false;
    h->link_up = usb4_cable_link_possible(h) && !h->training;
    lane_update_state(h);
    usb4_cable_router_reset(h);
}

bool usb4_router_lane_locked(Usb4Host *h)
{
    return h->router.adp[USB4_ADP_LANE].cs[ADP_CS_4] & ADP_CS_4_LCK;
}

bool usb4_router_hotplug_enabled(Usb4Host *h, unsigned adapter)
{
    return !(h->router.adp[adapter].cs[ADP_CS_5] & ADP_CS_5_DHP);
}

bool usb4_router_lane_enabled(Usb4Host *h)
{
    return !(h->router.adp[USB4_ADP_LANE].cs[LANE_CS_1] & LANE_CS_1_LD);
}

/*
 * Recompute whether the link is up (cable, both lane adapters enabled and
 * out of reset, training done); a change is what the lane adapter reports
 * and, with hot plug enabled, what it tells the connection manager.
 */
void usb4_router_refresh_link(Usb4Host *h)
{
    bool up = usb4_cable_link_possible(h) && !h->training;

    if (up == h->link_up) {
        return;
    }
    h->link_up = up;
    lane_update_state(h);
    usb4_dbg(h, "link %s", up ? "up" : "down");
    if (usb4_router_hotplug_enabled(h, USB4_ADP_LANE)) {
        usb4_ctl_send_event(h, USB4_ADP_LANE, !up);
    }
}

/* Link training takes a while on silicon; events come when it is done. */
#define USB4_TRAIN_NS           (200 * 1000 * 1000)

static void train_done(void *opaque)
{
    Usb4Host *h = opaque;

    h->training = false;
    usb4_router_refresh_link(h);
    usb4_cable_state_changed(h);
}

void usb4_router_train(Usb4Host *h)
{
    if (!h->train_timer) {
        h->train_timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, train_done, h);
    }
    h->training = true;
    timer_mod(h->train_timer,
              qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) + USB4_TRAIN_NS);
    usb4_router_refresh_link(h);
    usb4_cable_state_changed(h);
}

/*
 * Downstream port reset (PORT_CS_19.DPR): the link drops while it is set
 * and trains again when the connection manager clears it.  Linux 6.12 and
 * later reset the host's USB4 ports when they start and then rely on the
 * plug event that follows to find the peer.
 */
static void port_reset_write(Usb4Host *h, bool dpr)
{
    if (dpr == h->port_reset) {
        return;
    }
    h->port_reset = dpr;
    usb4_dbg(h, "port reset %s", dpr ? "asserted" : "released");
    if (dpr) {
        usb4_router_refresh_link(h);
        usb4_cable_state_changed(h);
    } else {
        usb4_router_train(h);
    }
}

/* ---- router space ---------------------------------------------------------- */

/*
 * Router operations.  Only the buffer allocation query is implemented (a
 * host router must report baMaxHI, the credits a DMA path may use); for
 * the others (NVM, DROM, DP resources) the router answers "not
 * supported", which USB4 allows and after which Linux skips them.
 */
static void router_op(Usb4Host *h, uint32_t val)
{
    uint16_t opcode = val & 0xffff;
    uint32_t *cs = h->router.cs;

    if (opcode == RTR_OP_BUFFER_ALLOC) {
        cs[RTR_CS_9] = RTR_BA_MAX_HI | RTR_DMA_CREDITS << 16;
        cs[RTR_CS_25] = 1; /* entries in the data registers */
        cs[RTR_CS_26] = opcode; /* done, status 0 */
        return;
    }
    usb4_dbg(h, "router operation %#x: not supported", opcode);
    cs[RTR_CS_26] = opcode | RTR_CS_26_ONS;
}

static void switch_write(Usb4Host *h, unsigned off, uint32_t val)
{
    uint32_t *cs = h->router.cs;
    /* fields the router owns: capability pointer, ports, revision, version */
    static const uint32_t ro_mask[USB4_SWITCH_CS_DWORDS] = {
        [0] = 0xffffffff,
        [RTR_CS_1] = 0xff0fc0ff,
        [RTR_CS_4] = 0xff000000,
        [RTR_CS_7] = 0xffffffff,
        [RTR_CS_8] = 0xffffffff,
        [RTR_TMU_CAP] = 0x0000ffff,
    };

    switch (off) {
    case RTR_CS_26:
        if (val & RTR_CS_26_OV) {
            router_op(h, val);
        }
        return;
    case RTR_CS_5:
        cs[off] = val;
        /* configuration valid -> configuration ready, at once */
        if (val & RTR_CS_5_CV) {
            cs[RTR_CS_6] |= RTR_CS_6_CR;
        } else {
            cs[RTR_CS_6] &= ~RTR_CS_6_CR;
        }
        return;
    }
    cs[off] = (cs[off] & ro_mask[off]) | (val & ~ro_mask[off]);
}

/* ---- adapter spaces ---------------------------------------------------------- */

/* Sideband: no retimers and no link partner answer on this cable. */
static void sideband_write(Usb4Adapter *a, uint32_t val)
{
    if (val & PORT_CS_1_PND) {
        val &= ~PORT_CS_1_PND;
        val |= PORT_CS_1_NR;
    }
    a->cs[PORT_CS_1] = val;
}

static void adapter_write(Usb4Host *h, unsigned num, unsigned off, uint32_t val)
{
    Usb4Adapter *a = &h->router.adp[num];
    uint32_t ro;

    if (off < ADP_CS_4) {
        return; /* identification: read-only */
    }
    switch (off) {
    case ADP_CS_4:
        ro = ~(ADP_CS_4_NFC_MASK | ADP_CS_4_LCK);
        break;
    case ADP_CS_5:
        ro = ~ADP_CS_5_DHP;
        break;
    default:
        ro = 0;
        break;
    }
    if (num == USB4_ADP_LANE) {
        if (off == LANE_CAP) {
            return;
        }
        if (off == LANE_CS_1) {
            a->cs[off] = (a->cs[off] & (LANE_CS_1_CUR_MASK | 0xfu << 26)) |
                         (val & ~(LANE_CS_1_CUR_MASK | 0xfu << 26));
            lane_update_state(h);
            usb4_router_refresh_link(h);
            usb4_cable_state_changed(h);
            return;
        }
        if (off == PORT_CS_19) {
            a->cs[off] = val;
            port_reset_write(h, val & PORT_CS_19_DPR);
            return;
        }
        if (off == PORT_CS_1) {
            sideband_write(a, val);
            return;
        }
        if (off == USB4_PORT_CAP) {
            return;
        }
    }
    a->cs[off] = (a->cs[off] & ro) | (val & ~ro);
}

/* ---- access -------------------------------------------------------------------- */

/* Whether [offset, offset + len) exists in that space of that adapter. */
static bool access_ok(Usb4Router *r, unsigned adapter, unsigned space,
                      unsigned offset, unsigned len)
{
    switch (space) {
    case USB4_SPACE_SWITCH:
        return offset + len <= USB4_SWITCH_CS_DWORDS;
    case USB4_SPACE_PORT:
        return adapter < USB4_ADP_COUNT &&
               offset + len <= USB4_PORT_CS_DWORDS;
    case USB4_SPACE_HOPS:
        return adapter < USB4_ADP_COUNT &&
               offset + len <= 2 * (r->adp[adapter].max_hopid + 1);
    case USB4_SPACE_COUNTERS:
        return adapter < USB4_ADP_COUNT;
    }
    return false;
}

int usb4_router_read(Usb4Host *h, unsigned adapter, unsigned space,
                     unsigned offset, unsigned len, uint32_t *out)
{
    Usb4Router *r = &h->router;
    unsigned i;

    if (!access_ok(r, adapter, space, offset, len)) {
        return USB4_ERR_INVALID_SPACE;
    }
    switch (space) {
    case USB4_SPACE_SWITCH:
        memcpy(out, r->cs + offset, 4 * len);
        return 0;
    case USB4_SPACE_PORT:
        memcpy(out, r->adp[adapter].cs + offset, 4 * len);
        return 0;
    case USB4_SPACE_HOPS:
        for (i = 0; i < len; i++) {
            Usb4Adapter *a = &r->adp[adapter];
            unsigned hop = (offset + i) / 2, half = (offset + i) % 2;

            out[i] = a->hop[hop][half];
            if (half == 1 && a->hop_drain[hop]) {
                /* still draining: report pending (bit 28) this once */
                out[i] |= 1u << 28;
                a->hop_drain[hop]--;
            }
        }
        return 0;
    case USB4_SPACE_COUNTERS:
        memset(out, 0, 4 * len);
        return 0;
    }
    return USB4_ERR_INVALID_SPACE;
}

int usb4_router_write(Usb4Host *h, unsigned adapter, unsigned space,
                      unsigned offset, unsigned len, const uint32_t *in)
{
    Usb4Router *r = &h->router;
    unsigned i;

    if (!access_ok(r, adapter, space, offset, len)) {
        return USB4_ERR_INVALID_SPACE;
    }
    switch (space) {
    case USB4_SPACE_SWITCH:
        for (i = 0; i < len; i++) {
            switch_write(h, offset + i, in[i]);
        }
        return 0;
    case USB4_SPACE_PORT:
        for (i = 0; i < len; i++) {
            adapter_write(h, adapter, offset + i, in[i]);
        }
        return 0;
    case USB4_SPACE_HOPS:
        for (i = 0; i < len; i++) {
            Usb4Adapter *a = &r->adp[adapter];
            unsigned hop = (offset + i) / 2, half = (offset + i) % 2;
            bool was = a->hop[hop][0] & (1u << 31);

            a->hop[hop][half] = in[i] & (half ? ~(1u << 28) : ~0u);
            if (half == 0 && was && !(in[i] & (1u << 31))) {
                a->hop_drain[hop] = 1;
            }
            if (half == 0) {
                usb4_dbg(h, "path: adapter %u hop %u %s -> adapter %u hop %u",
                         adapter, hop, (in[i] >> 31) ? "on" : "off",
                         (in[i] >> 11) & 0x3f, in[i] & 0x7ff);
            }
        }
        /* a path to an RX ring is room the far end may be granted */
        usb4_cable_rx_posted(h);
        return 0;
    case USB4_SPACE_COUNTERS:
        return 0;
    }
    return USB4_ERR_INVALID_SPACE;
}
