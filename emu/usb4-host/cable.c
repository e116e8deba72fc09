/*
 * The cable: two usb4-host devices of one QEMU process naming the same
 * cable= are joined lane adapter to lane adapter.  Plugging and unplugging
 * (the "plugged" property of either end, settable with qom-set) changes
 * the link state both routers report and sends each connection manager
 * the hot-plug event its router would.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "usb4.h"

struct Usb4Cable {
    char *name;
    Usb4Host *end[2];
    bool plugged;
};

static GHashTable *cables;

void usb4_cable_attach(Usb4Host *h, Error **errp)
{
    Usb4Cable *c;

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

    if (!c) {
        return NULL;
    }
    return c->end[0] == h ? c->end[1] : c->end[0];
}

Usb4Host *usb4_cable_peer(Usb4Host *h)
{
    return h->cable && h->cable->plugged ? cable_other(h) : NULL;
}

bool usb4_cable_plugged(Usb4Host *h)
{
    return h->cable && h->cable->plugged;
}

/* Everything a link needs but training: the cable, both ends willing. */
bool usb4_cable_link_possible(Usb4Host *h)
{
    Usb4Host *other = usb4_cable_peer(h);

    return other && !h->port_reset && !other->port_reset &&
           usb4_router_lane_enabled(h) && usb4_router_lane_enabled(other) &&
           !other->training;
}

void usb4_cable_set_plugged(Usb4Host *h, bool plugged)
{
    Usb4Cable *c = h->cable;
    Usb4Host *other = cable_other(h);

    if (c->plugged == plugged) {
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
