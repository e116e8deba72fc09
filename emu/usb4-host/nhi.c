/*
 * The NHI: a PCI function of class 0x0c0340 whose BAR0 holds the ring
 * registers.  Rings move frames between guest memory and the host router:
 * TX ring 0 and RX ring 0 carry control packets (RAW mode), the others
 * carry data frames along the paths the driver programmed.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/module.h"
#include "qemu/main-loop.h"
#include "qapi/error.h"
#include "qapi/visitor.h"
#include "hw/pci/pci.h"
#include "hw/pci/msix.h"
#include "hw/qdev-properties.h"
#include "hw/qdev-properties-system.h"
#include "qemu/timer.h"
#include "usb4.h"

/* BAR0 layout (offsets as Linux's nhi_regs.h names them) */
#define NHI_TX_RING_BASE        0x00000
#define NHI_RX_RING_BASE        0x08000
#define NHI_TX_OPTIONS_BASE     0x19800
#define NHI_RX_OPTIONS_BASE     0x29800
#define NHI_NOTIFY_BASE         0x37800
#define NHI_INT_CLEAR_BASE      0x37808
#define NHI_INT_ENABLE_BASE     0x38200
#define NHI_INT_MASK_CLEAR_BASE 0x38208
#define NHI_VEC_ALLOC_BASE      0x38c40
#define NHI_HOP_COUNT           0x39640
#define NHI_DMA_MISC            0x39864

/* An emulator-only ID: not Intel, so Linux picks its software CM. */
#define USB4_EMU_VENDOR         0x1234
#define USB4_EMU_DEVICE         0x7554

/*
 * Frames one TX ring sends per run of the engine before the next ring, and
 * the main loop, get a turn.  The engine runs under QEMU's big lock, which
 * every MMIO access of the guest's vCPU needs too: a doorbell write that
 * arrives while the engine sweeps a whole ring (256 frames, two 4 KiB
 * copies each) waits for the sweep, where silicon's posted write costs the
 * CPU the same few hundred nanoseconds whatever the DMA engine is doing.
 * Those waits are counted as the guest's CPU, so they made every driver's
 * per-frame cost look larger and, varying with how the vCPU and the engine
 * interleaved, made it noisy.  A burst of 16 bounds the wait.
 */
#define NHI_TX_BURST            16

static unsigned ring_irq_index(bool tx, unsigned hop)
{
    return tx ? hop : USB4_NHI_HOPS + hop;
}

static void nhi_raise(Usb4Host *h, unsigned index)
{
    PCIDevice *pdev = PCI_DEVICE(h);
    unsigned vector;

    h->notify[index / 32] |= 1u << (index % 32);
    if (index >= 2 * USB4_NHI_HOPS || !(h->int_enable & (1u << index))) {
        return;
    }
    vector = (h->ivr[index / 8] >> (index % 8 * 4)) & 0xf;
    if (msix_enabled(pdev)) {
        msix_notify(pdev, vector);
    }
}

/* An interrupt unmasked while its status is pending fires now. */
static void nhi_int_enable_write(Usb4Host *h, uint32_t val)
{
    uint32_t newly = val & ~h->int_enable;
    unsigned i;

    h->int_enable = val & ((1u << (2 * USB4_NHI_HOPS)) - 1);
    for (i = 0; i < 2 * USB4_NHI_HOPS; i++) {
        if ((newly & (1u << i)) && (h->notify[0] & (1u << i))) {
            nhi_raise(h, i);
        }
    }
}

static bool ring_running(const Usb4Ring *r)
{
    return (r->options & USB4_RING_ENABLE) && r->size;
}

static MemTxResult desc_read(Usb4Host *h, const Usb4Ring *r, unsigned idx,
                             uint64_t *addr, uint32_t *ctl)
{
    uint8_t d[16];
    MemTxResult res;

    res = pci_dma_read(PCI_DEVICE(h), r->base + idx * 16ull, d, sizeof(d));
    if (res == MEMTX_OK) {
        *addr = ldq_le_p(d);
        *ctl = ldl_le_p(d + 8);
    }
    return res;
}

static MemTxResult desc_complete(Usb4Host *h, const Usb4Ring *r, unsigned idx,
                                 uint32_t ctl)
{
    uint8_t d[4];

    stl_le_p(d, ctl);
    return pci_dma_write(PCI_DEVICE(h), r->base + idx * 16ull + 8, d, 4);
}

bool usb4_nhi_rx_has_room(Usb4Host *h, unsigned hop)
{
    Usb4Ring *r;

    if (hop >= USB4_NHI_HOPS) {
        return false;
    }
    r = &h->rx[hop];
    return ring_running(r) && r->hw_index != r->sw_index;
}

int usb4_nhi_rx_frame(Usb4Host *h, unsigned hop, const uint8_t *data,
                      uint32_t len, uint8_t sof, uint8_t eof)
{
    Usb4Ring *r;
    uint64_t addr;
    uint32_t ctl, cap, flags;
    bool want_irq;

    if (hop >= USB4_NHI_HOPS || !ring_running(&h->rx[hop])) {
        return -ENODEV;
    }
    r = &h->rx[hop];
    if (r->hw_index == r->sw_index) {
        return -EAGAIN;
    }
    if (desc_read(h, r, r->hw_index, &addr, &ctl) != MEMTX_OK) {
        qemu_log_mask(LOG_GUEST_ERROR, "usb4: RX ring %u descriptor unreadable\n",
                      hop);
        return -EIO;
    }
    want_irq = (ctl >> 20) & USB4_DESC_INTERRUPT;
    /*
     * The NHI rewrites an RX descriptor's flags: COMPLETED, plus overrun
     * (the bit POSTED used) when the frame did not fit; CRC error never,
     * as the cable makes none.
     */
    flags = USB4_DESC_COMPLETED;
    cap = (r->options & USB4_RING_RAW) ? r->frame_size : USB4_MAX_FRAME_SIZE;
    if (!cap || cap > USB4_MAX_FRAME_SIZE) {
        cap = USB4_MAX_FRAME_SIZE;
    }
    if (len > cap) {
        /* The buffer is smaller than the frame: the tail is lost. */
        len = cap;
        flags |= USB4_DESC_RX_OVERRUN;
    }
    if (pci_dma_write(PCI_DEVICE(h), addr, data, len) != MEMTX_OK) {
        qemu_log_mask(LOG_GUEST_ERROR, "usb4: RX ring %u buffer %#" PRIx64
                      " not writable\n", hop, addr);
    }
    ctl = (len & 0xfff) | (eof & 0xf) << 12 | (sof & 0xf) << 16 |
          (flags & 0xfff) << 20;
    desc_complete(h, r, r->hw_index, ctl);
    r->hw_index = (r->hw_index + 1) % r->size;
    if (want_irq) {
        nhi_raise(h, ring_irq_index(false, hop));
    }
    return 0;
}

/*
 * Send what TX ring @hop holds, up to NHI_TX_BURST frames; true if more are
 * waiting.  A frame the path cannot take yet (E2E flow control, no credit
 * at the receiver) stays in the ring: the credit's arrival kicks the
 * engine again.
 */
static bool nhi_tx_ring(Usb4Host *h, unsigned hop)
{
    Usb4Ring *r = &h->tx[hop];
    uint8_t buf[USB4_MAX_FRAME_SIZE];
    unsigned budget = NHI_TX_BURST;

    while (ring_running(r) && r->hw_index != r->sw_index) {
        uint64_t addr;
        uint32_t ctl, len;
        uint8_t sof, eof;

        if (!budget--) {
            return true;
        }

        if (desc_read(h, r, r->hw_index, &addr, &ctl) != MEMTX_OK) {
            qemu_log_mask(LOG_GUEST_ERROR, "usb4: TX ring %u descriptor "
                          "unreadable\n", hop);
            return false;
        }
        len = ctl & 0xfff;
        if (!len) {
            len = USB4_MAX_FRAME_SIZE;
        }
        eof = (ctl >> 12) & 0xf;
        sof = (ctl >> 16) & 0xf;
        if (pci_dma_read(PCI_DEVICE(h), addr, buf, len) != MEMTX_OK) {
            qemu_log_mask(LOG_GUEST_ERROR, "usb4: TX ring %u buffer %#" PRIx64
                          " not readable\n", hop, addr);
            return false;
        }
        if (hop == 0) {
            usb4_ctl_from_nhi(h, eof, buf, len);
        } else if (usb4_path_from_nhi(h, hop, buf, len, sof, eof,
                                      r->options & USB4_RING_E2E) ==
                   USB4_FRAME_STALL) {
            return false;
        }
        ctl |= USB4_DESC_COMPLETED << 20;
        desc_complete(h, r, r->hw_index, ctl);
        r->hw_index = (r->hw_index + 1) % r->size;
        if ((ctl >> 20) & USB4_DESC_INTERRUPT) {
            nhi_raise(h, ring_irq_index(true, hop));
        }
    }
    return false;
}

static void nhi_work(void *opaque)
{
    Usb4Host *h = opaque;
    bool more = false;
    unsigned hop;

    for (hop = 0; hop < USB4_NHI_HOPS; hop++) {
        more |= nhi_tx_ring(h, hop);
    }
    usb4_ctl_flush(h);
    if (more) {
        qemu_bh_schedule(h->bh);
    }
}

void usb4_nhi_kick(Usb4Host *h)
{
    qemu_bh_schedule(h->bh);
}

static void ring_stop(Usb4Ring *r)
{
    r->hw_index = 0;
    r->sw_index = 0;
}

static uint64_t ring_reg_read(Usb4Ring *r, bool tx, unsigned off)
{
    switch (off) {
    case 0:
        return (uint32_t)r->base;
    case 4:
        return r->base >> 32;
    case 8:
        return tx ? (uint32_t)r->sw_index << 16 | r->hw_index
                  : (uint32_t)r->hw_index << 16 | r->sw_index;
    case 12:
        return (uint32_t)r->frame_size << 16 | r->size;
    }
    return 0;
}

static void ring_reg_write(Usb4Host *h, Usb4Ring *r, bool tx, unsigned off,
                           uint32_t val)
{
    switch (off) {
    case 0:
        r->base = (r->base & ~0xffffffffull) | val;
        break;
    case 4:
        r->base = (r->base & 0xffffffffull) | (uint64_t)val << 32;
        break;
    case 8:
        /* only the driver's half is writable */
        r->sw_index = tx ? val >> 16 : val & 0xffff;
        if (r->size) {
            r->sw_index %= r->size;
        }
        usb4_nhi_kick(h);
        if (!tx) {
            /* Fresh RX buffers may unblock a sender held by flow control. */
            usb4_cable_rx_posted(h);
        }
        break;
    case 12:
        r->size = val & 0xffff;
        r->frame_size = tx ? 0 : val >> 16;
        if (!r->size) {
            ring_stop(r);
        }
        usb4_cable_rx_posted(h);
        break;
    }
}

static void ring_options_write(Usb4Host *h, Usb4Ring *r, unsigned off,
                               uint32_t val)
{
    if (off == 0) {
        bool was = r->options & USB4_RING_ENABLE;

        r->options = val;
        if (was && !(val & USB4_RING_ENABLE)) {
            ring_stop(r);
        }
        /* E2E on or off, a ring gone: credits change (path.c) */
        usb4_cable_rx_posted(h);
        usb4_nhi_kick(h);
    } else if (off == 4) {
        r->pdf_mask = val;
    }
}

static uint64_t nhi_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    Usb4Host *h = opaque;
    unsigned hop;

    if (addr < NHI_TX_RING_BASE + USB4_NHI_HOPS * 16) {
        return ring_reg_read(&h->tx[addr / 16], true, addr % 16);
    }
    if (addr >= NHI_RX_RING_BASE && addr < NHI_RX_RING_BASE + USB4_NHI_HOPS * 16) {
        hop = (addr - NHI_RX_RING_BASE) / 16;
        return ring_reg_read(&h->rx[hop], false, addr % 16);
    }
    if (addr >= NHI_TX_OPTIONS_BASE &&
        addr < NHI_TX_OPTIONS_BASE + USB4_NHI_HOPS * 32) {
        hop = (addr - NHI_TX_OPTIONS_BASE) / 32;
        return (addr % 32) == 0 ? h->tx[hop].options : 0;
    }
    if (addr >= NHI_RX_OPTIONS_BASE &&
        addr < NHI_RX_OPTIONS_BASE + USB4_NHI_HOPS * 32) {
        hop = (addr - NHI_RX_OPTIONS_BASE) / 32;
        switch (addr % 32) {
        case 0:
            return h->rx[hop].options;
        case 4:
            return h->rx[hop].pdf_mask;
        }
        return 0;
    }
    switch (addr) {
    case NHI_NOTIFY_BASE:
    case NHI_NOTIFY_BASE + 4:
        return h->notify[(addr - NHI_NOTIFY_BASE) / 4];
    case NHI_INT_ENABLE_BASE:
        return h->int_enable;
    case NHI_VEC_ALLOC_BASE:
    case NHI_VEC_ALLOC_BASE + 4:
    case NHI_VEC_ALLOC_BASE + 8:
        return h->ivr[(addr - NHI_VEC_ALLOC_BASE) / 4];
    case NHI_HOP_COUNT:
        /* version field (23:16) zero: no host-interface reset needed */
        return USB4_NHI_HOPS;
    case NHI_DMA_MISC:
        return h->dma_misc;
    }
    return 0;
}

static void nhi_mmio_write(void *opaque, hwaddr addr, uint64_t val,
                           unsigned size)
{
    Usb4Host *h = opaque;
    unsigned hop;

    if (addr < NHI_TX_RING_BASE + USB4_NHI_HOPS * 16) {
        ring_reg_write(h, &h->tx[addr / 16], true, addr % 16, val);
        return;
    }
    if (addr >= NHI_RX_RING_BASE && addr < NHI_RX_RING_BASE + USB4_NHI_HOPS * 16) {
        hop = (addr - NHI_RX_RING_BASE) / 16;
        ring_reg_write(h, &h->rx[hop], false, addr % 16, val);
        return;
    }
    if (addr >= NHI_TX_OPTIONS_BASE &&
        addr < NHI_TX_OPTIONS_BASE + USB4_NHI_HOPS * 32) {
        hop = (addr - NHI_TX_OPTIONS_BASE) / 32;
        ring_options_write(h, &h->tx[hop], addr % 32, val);
        return;
    }
    if (addr >= NHI_RX_OPTIONS_BASE &&
        addr < NHI_RX_OPTIONS_BASE + USB4_NHI_HOPS * 32) {
        hop = (addr - NHI_RX_OPTIONS_BASE) / 32;
        ring_options_write(h, &h->rx[hop], addr % 32, val);
        return;
    }
    switch (addr) {
    case NHI_INT_CLEAR_BASE:
    case NHI_INT_CLEAR_BASE + 4:
        h->notify[(addr - NHI_INT_CLEAR_BASE) / 4] &= ~(uint32_t)val;
        break;
    case NHI_INT_ENABLE_BASE:
        nhi_int_enable_write(h, val);
        break;
    case NHI_INT_MASK_CLEAR_BASE:
        h->int_enable &= ~(uint32_t)val;
        break;
    case NHI_VEC_ALLOC_BASE:
    case NHI_VEC_ALLOC_BASE + 4:
    case NHI_VEC_ALLOC_BASE + 8:
        h->ivr[(addr - NHI_VEC_ALLOC_BASE) / 4] = val;
        break;
    case NHI_DMA_MISC:
        h->dma_misc = val;
        break;
    default:
        /* throttling, mailboxes: accepted and ignored */
        break;
    }
}

static const MemoryRegionOps nhi_mmio_ops = {
    .read = nhi_mmio_read,
    .write = nhi_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 4, .max_access_size = 4 },
    .impl = { .min_access_size = 4, .max_access_size = 4 },
};

void usb4_nhi_reset(Usb4Host *h)
{
    memset(h->tx, 0, sizeof(h->tx));
    memset(h->rx, 0, sizeof(h->rx));
    memset(h->notify, 0, sizeof(h->notify));
    memset(h->ivr, 0, sizeof(h->ivr));
    h->int_enable = 0;
    h->dma_misc = 0;
    usb4_ctl_reset(h);
}

static void usb4_host_reset(DeviceState *dev)
{
    Usb4Host *h = USB4_HOST(dev);

    usb4_nhi_reset(h);
    usb4_router_reset(h);
}

static void usb4_host_realize(PCIDevice *pdev, Error **errp)
{
    Usb4Host *h = USB4_HOST(pdev);
    unsigned i;

    if (!h->uid) {
        error_setg(errp, "usb4-host: set uid= to a value unique per host");
        return;
    }
    pdev->config[PCI_CLASS_PROG] = 0x40;
    pci_config_set_interrupt_pin(pdev->config, 1);

    memory_region_init_io(&h->mmio, OBJECT(h), &nhi_mmio_ops, h, "usb4-nhi",
                          USB4_NHI_MMIO_SIZE);
    pci_register_bar(pdev, 0, PCI_BASE_ADDRESS_SPACE_MEMORY, &h->mmio);
    if (msix_init_exclusive_bar(pdev, USB4_NHI_VECTORS, 1, errp)) {
        return;
    }
    for (i = 0; i < USB4_NHI_VECTORS; i++) {
        msix_vector_use(pdev, i);
    }
    h->bh = qemu_bh_new(nhi_work, h);
    QSIMPLEQ_INIT(&h->ctl_queue);
    usb4_cable_attach(h, errp);
}

static void usb4_host_exit(PCIDevice *pdev)
{
    Usb4Host *h = USB4_HOST(pdev);

    usb4_cable_detach(h);
    usb4_ctl_reset(h);
    if (h->train_timer) {
        timer_free(h->train_timer);
    }
    qemu_bh_delete(h->bh);
    msix_uninit_exclusive_bar(pdev);
}

/*
 * Test hooks that are not silicon: byte 0xf0 of the PCI config space
 * reads the cable state (1 plugged) and plugs or unplugs the cable when
 * written, so a guest test can do what qom-set does from the host; the
 * dword at 0xf4 reads the low half of the rx-dropped counter.
 */
#define USB4_EMU_CABLE_REG      0xf0
#define USB4_EMU_DROPPED_REG    0xf4

static void usb4_host_config_write(PCIDevice *pdev, uint32_t addr,
                                   uint32_t val, int len)
{
    Usb4Host *h = USB4_HOST(pdev);

    if (addr == USB4_EMU_CABLE_REG && h->cable) {
        usb4_cable_set_plugged(h, val & 1);
        return;
    }
    pci_default_write_config(pdev, addr, val, len);
}

static uint32_t usb4_host_config_read(PCIDevice *pdev, uint32_t addr, int len)
{
    Usb4Host *h = USB4_HOST(pdev);

    if (addr == USB4_EMU_CABLE_REG) {
        return usb4_cable_plugged(h);
    }
    if (addr == USB4_EMU_DROPPED_REG && len == 4) {
        return (uint32_t)h->rx_dropped;
    }
    return pci_default_read_config(pdev, addr, len);
}

static bool plugged_get(Object *obj, Error **errp)
{
    return usb4_cable_plugged(USB4_HOST(obj));
}

static void plugged_set(Object *obj, bool value, Error **errp)
{
    Usb4Host *h = USB4_HOST(obj);

    if (!h->cable) {
        error_setg(errp, "usb4-host: no cable= to plug");
        return;
    }
    usb4_cable_set_plugged(h, value);
}

static void counter_get(Object *obj, Visitor *v, const char *name,
                        void *opaque, Error **errp)
{
    uint64_t value = *(uint64_t *)opaque;

    visit_type_uint64(v, name, &value, errp);
}

static void usb4_host_init(Object *obj)
{
    Usb4Host *h = USB4_HOST(obj);

    object_property_add_bool(obj, "plugged", plugged_get, plugged_set);
    object_property_add(obj, "rx-dropped", "uint64", counter_get, NULL, NULL,
                        &h->rx_dropped);
    object_property_add(obj, "ctl-dropped", "uint64", counter_get, NULL, NULL,
                        &h->ctl_dropped);
    object_property_add(obj, "bad-crc", "uint64", counter_get, NULL, NULL,
                        &h->bad_crc);
}

static Property usb4_host_props[] = {
    DEFINE_PROP_UINT64("uid", Usb4Host, uid, 0),
    DEFINE_PROP_STRING("cable", Usb4Host, cable_name),
    DEFINE_PROP_CHR("chardev", Usb4Host, chr),
    DEFINE_PROP_BOOL("debug", Usb4Host, debug, false),
    DEFINE_PROP_END_OF_LIST(),
};

static void usb4_host_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);

    k->realize = usb4_host_realize;
    k->exit = usb4_host_exit;
    k->config_write = usb4_host_config_write;
    k->config_read = usb4_host_config_read;
    k->vendor_id = USB4_EMU_VENDOR;
    k->device_id = USB4_EMU_DEVICE;
    k->revision = 1;
    k->class_id = PCI_CLASS_SERIAL_USB;
    dc->desc = "USB4 host interface (NHI) with its host router";
    dc->reset = usb4_host_reset;
    device_class_set_props(dc, usb4_host_props);
    set_bit(DEVICE_CATEGORY_USB, dc->categories);
}

static const TypeInfo usb4_host_info = {
    .name = TYPE_USB4_HOST,
    .parent = TYPE_PCI_DEVICE,
    .instance_size = sizeof(Usb4Host),
    .instance_init = usb4_host_init,
    .class_init = usb4_host_class_init,
    .interfaces = (InterfaceInfo[]) {
        { INTERFACE_CONVENTIONAL_PCI_DEVICE },
        { },
    },
};

static void usb4_host_register(void)
{
    type_register_static(&usb4_host_info);
}

type_init(usb4_host_register)
