/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <systemd/sd-device.h>

#include <glib.h>

#include "log.h"
#include "udev.h"

#define DEVTYPE_XDOMAIN "thunderbolt_xdomain"
#define DEVTYPE_SERVICE "thunderbolt_service"
#define DEVTYPE_DOMAIN "thunderbolt_domain"

struct TbsUdev {
	sd_event *event;
	char **subsystems;
	TbsUdevHandler handler;
	void *userdata;
	sd_device_monitor *monitor;
	char *node_subsystem;
};

void tbs_xdomain_info_clear(TbsXdomainInfo *x)
{
	free(x->name);
	free(x->vendor_name);
	x->name = x->vendor_name = NULL;
}

static char *read_string(const char *syspath, const char *attr)
{
	char buf[TBS_ATTR_MAX];
	int n = tbs_read_attr(syspath, attr, buf, sizeof(buf));

	return tbs_sanitize_string(buf, n > 0 ? (size_t)n : 0, TBS_PEER_STRING_MAX);
}

static unsigned read_uint(const char *syspath, const char *attr, long max)
{
	char buf[64], *end;
	unsigned long v;

	/* the kernel prints IDs as "0x8086" and counts in decimal: base 0 here only */
	if (tbs_read_attr(syspath, attr, buf, sizeof(buf)) <= 0 || !isxdigit((unsigned char)buf[0]))
		return 0;
	errno = 0;
	v = strtoul(buf, &end, 0);
	if (errno || *end || v > (unsigned long)max)
		return 0;
	return (unsigned)v;
}

static unsigned read_speed(const char *syspath, const char *attr)
{
	char buf[64];
	unsigned v;

	if (tbs_read_attr(syspath, attr, buf, sizeof(buf)) <= 0 || tbs_parse_speed(buf, &v) < 0)
		return 0;
	return v;
}

int tbs_xdomain_info_read(const char *syspath, const char *sysname, TbsXdomainInfo *x)
{
	char buf[64];

	memset(x, 0, sizeof(*x));
	if (tbs_xdomain_name_parse(sysname, NULL, NULL) < 0)
		return -EINVAL;
	/* a late "add" for a device that is gone again: its remove event follows */
	if (access(syspath, F_OK) < 0)
		return -ENODEV;
	x->syspath = syspath;
	x->sysname = sysname;
	if (tbs_read_attr(syspath, "unique_id", buf, sizeof(buf)) <= 0 ||
	    tbs_uuid_normalize(buf, x->uuid) < 0)
		x->uuid[0] = '\0';
	x->name = read_string(syspath, "device_name");
	x->vendor_name = read_string(syspath, "vendor_name");
	if (!x->name || !x->vendor_name) {
		tbs_xdomain_info_clear(x);
		return -ENOMEM;
	}
	x->vendor = read_uint(syspath, "vendor", 0xffffffffL);
	x->device = read_uint(syspath, "device", 0xffffffffL);
	x->maxhopid = read_uint(syspath, "maxhopid", 65535);
	x->rx_speed = read_speed(syspath, "rx_speed");
	x->tx_speed = read_speed(syspath, "tx_speed");
	x->rx_lanes = read_uint(syspath, "rx_lanes", 16);
	x->tx_lanes = read_uint(syspath, "tx_lanes", 16);
	return 0;
}

int tbs_service_info_read(const char *syspath, const char *sysname, TbsServiceInfo *s)
{
	char buf[64];

	memset(s, 0, sizeof(*s));
	if (tbs_group_name_parse(sysname, NULL, NULL, NULL) < 0)
		return -EINVAL;
	if (access(syspath, F_OK) < 0)
		return -ENODEV;
	s->syspath = syspath;
	s->sysname = sysname;
	if (tbs_read_attr(syspath, "key", buf, sizeof(buf)) > 0 && strlen(buf) < sizeof(s->key))
		strcpy(s->key, buf);
	/*
	 * The key is the peer's, and the kernel's "%pE" lets bytes 0xa0-0xff through
	 * raw (printable in its Latin-1 ctype): it is logged, so it is made printable
	 * ASCII. Not trimmed as a peer string would be: only "stream" is "stream".
	 */
	for (char *c = s->key; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
			*c = '?';
	s->prtcid = read_uint(syspath, "prtcid", 0xffffffffL);
	s->prtcvers = read_uint(syspath, "prtcvers", 0xffffffffL);
	s->prtcrevs = read_uint(syspath, "prtcrevs", 0xffffffffL);
	s->prtcstns = read_uint(syspath, "prtcstns", 0xffffffffL);
	return 0;
}

int tbs_domain_info_read(const char *syspath, const char *sysname, const char *subsystem,
			 TbsDomainInfo *d)
{
	char buf[64];
	int n;

	memset(d, 0, sizeof(*d));
	if (access(syspath, F_OK) < 0)
		return -ENODEV;
	d->syspath = syspath;
	d->sysname = sysname;
	d->subsystem = subsystem;
	/* a level this daemon does not know yet is still shown, if it looks like one */
	n = tbs_read_attr(syspath, "security", buf, sizeof(buf));
	if (n > 0 && (size_t)n < sizeof(d->security)) {
		bool ok = true;
		for (int i = 0; i < n; i++)
			ok &= islower((unsigned char)buf[i]) || buf[i] == '_';
		if (ok)
			memcpy(d->security, buf, (size_t)n + 1);
	}
	d->iommu = read_uint(syspath, "iommu_dma_protection", 1) == 1;
	return 0;
}

static void announce_domain(TbsUdev *u, sd_device *d, const char *subsystem)
{
	const char *syspath, *sysname;
	TbsDomainInfo info;

	if (!u->handler.domain_added || sd_device_get_syspath(d, &syspath) < 0 ||
	    sd_device_get_sysname(d, &sysname) < 0)
		return;
	if (tbs_domain_info_read(syspath, sysname, subsystem, &info) < 0) {
		log_debug("Domain %s is already gone, ignoring its event", syspath);
		return;
	}
	u->handler.domain_added(u->userdata, &info);
}

static bool watched(TbsUdev *u, const char *subsystem)
{
	for (char **s = u->subsystems; *s; s++)
		if (strcmp(*s, subsystem) == 0)
			return true;
	return false;
}

static void announce_xdomain(TbsUdev *u, sd_device *d, bool change)
{
	TbsXdomainInfo x;
	const char *syspath, *sysname;
	int r;

	if (sd_device_get_syspath(d, &syspath) < 0 || sd_device_get_sysname(d, &sysname) < 0)
		return;
	r = tbs_xdomain_info_read(syspath, sysname, &x);
	if (r == -ENODEV) {
		log_debug("XDomain %s is already gone, ignoring its event", syspath);
		return;
	}
	if (r < 0) {
		log_warning_errno(r, "Ignoring XDomain device %s: %m", syspath);
		return;
	}
	u->handler.xdomain_added(u->userdata, &x, change);
	tbs_xdomain_info_clear(&x);
}

static void announce_service(TbsUdev *u, sd_device *d)
{
	const char *syspath, *sysname;
	sd_device *parent;
	TbsServiceInfo s;
	int r;

	if (sd_device_get_syspath(d, &syspath) < 0 || sd_device_get_sysname(d, &sysname) < 0)
		return;
	r = tbs_service_info_read(syspath, sysname, &s);
	if (r == -ENODEV)
		return;
	if (r < 0) {
		log_warning("Ignoring service device %s: name is not <domain>-<route>.<id>",
			    syspath);
		return;
	}
	if (strcmp(s.key, "stream") != 0) {
		log_debug("Ignoring service %s with key \"%s\"", sysname, s.key);
		return;
	}
	if (sd_device_get_parent(d, &parent) < 0 ||
	    sd_device_get_syspath(parent, &s.parent_syspath) < 0 ||
	    sd_device_get_sysname(parent, &s.parent_sysname) < 0) {
		log_warning("Ignoring service %s: no parent XDomain device", sysname);
		return;
	}
	if (u->handler.service_added(u->userdata, &s) == -ENOENT) {
		/* a service seen before its XDomain (enumeration order, lost event) */
		announce_xdomain(u, parent, false);
		(void)u->handler.service_added(u->userdata, &s);
	}
}

static void handle_device(TbsUdev *u, sd_device *d, sd_device_action_t action)
{
	const char *subsystem = NULL, *devtype = NULL, *syspath = NULL;

	if (sd_device_get_subsystem(d, &subsystem) < 0 || sd_device_get_syspath(d, &syspath) < 0)
		return;
	if (strcmp(subsystem, "module") == 0) {
		const char *name;
		if (action == SD_DEVICE_ADD && u->handler.module_added &&
		    sd_device_get_sysname(d, &name) >= 0)
			u->handler.module_added(u->userdata, name);
		return;
	}
	if (u->node_subsystem && strcmp(subsystem, u->node_subsystem) == 0) {
		const char *name;
		/* the monitor hears udev's events: its rules and links are done */
		if ((action == SD_DEVICE_ADD || action == SD_DEVICE_CHANGE) &&
		    u->handler.node_processed && sd_device_get_sysname(d, &name) >= 0)
			u->handler.node_processed(u->userdata, name);
		return;
	}
	if (!watched(u, subsystem) || sd_device_get_devtype(d, &devtype) < 0)
		return;

	if (strcmp(devtype, DEVTYPE_XDOMAIN) == 0) {
		if (action == SD_DEVICE_ADD || action == SD_DEVICE_CHANGE)
			announce_xdomain(u, d, action == SD_DEVICE_CHANGE);
		else if (action == SD_DEVICE_REMOVE)
			u->handler.xdomain_removed(u->userdata, syspath);
	} else if (strcmp(devtype, DEVTYPE_SERVICE) == 0) {
		if (action == SD_DEVICE_ADD || action == SD_DEVICE_CHANGE)
			announce_service(u, d);
		else if (action == SD_DEVICE_REMOVE)
			u->handler.service_removed(u->userdata, syspath);
	} else if (strcmp(devtype, DEVTYPE_DOMAIN) == 0) {
		if (action == SD_DEVICE_ADD || action == SD_DEVICE_CHANGE)
			announce_domain(u, d, subsystem);
		else if (action == SD_DEVICE_REMOVE && u->handler.domain_removed)
			u->handler.domain_removed(u->userdata, syspath);
	}
}

static int on_monitor(sd_device_monitor *m, sd_device *d, void *userdata)
{
	sd_device_action_t action;

	if (sd_device_get_action(d, &action) < 0)
		return 0;
	handle_device(userdata, d, action);
	return 0;
}

int tbs_udev_new(sd_event *event, char *const *subsystems, const TbsUdevHandler *handler,
		 void *userdata, TbsUdev **ret)
{
	TbsUdev *u = g_new0(TbsUdev, 1);

	u->event = sd_event_ref(event);
	u->subsystems = g_strdupv((char **)subsystems);
	u->handler = *handler;
	u->userdata = userdata;
	*ret = u;
	return 0;
}

static void device_unref(gpointer d)
{
	sd_device_unref(d);
}

static int enumerate(TbsUdev *u)
{
	sd_device_enumerator *e = NULL;
	g_autoptr(GPtrArray) services = g_ptr_array_new_with_free_func(device_unref);
	int r;

	r = sd_device_enumerator_new(&e);
	if (r < 0)
		return log_error_errno(r, "Cannot enumerate devices: %m");
	(void)sd_device_enumerator_allow_uninitialized(e);
	for (char **s = u->subsystems; *s; s++) {
		r = sd_device_enumerator_add_match_subsystem(e, *s, true);
		if (r < 0)
			goto out;
	}
	/* peers first, then their services, so a service always finds its peer */
	for (sd_device *d = sd_device_enumerator_get_device_first(e); d;
	     d = sd_device_enumerator_get_device_next(e)) {
		const char *devtype;
		if (sd_device_get_devtype(d, &devtype) < 0)
			continue;
		if (strcmp(devtype, DEVTYPE_XDOMAIN) == 0 || strcmp(devtype, DEVTYPE_DOMAIN) == 0)
			handle_device(u, d, SD_DEVICE_ADD);
		else if (strcmp(devtype, DEVTYPE_SERVICE) == 0)
			g_ptr_array_add(services, sd_device_ref(d));
	}
	for (unsigned i = 0; i < services->len; i++)
		handle_device(u, services->pdata[i], SD_DEVICE_ADD);
	r = 0;
out:
	sd_device_enumerator_unref(e);
	if (r < 0)
		log_error_errno(r, "Cannot enumerate devices: %m");
	return r;
}

void tbs_udev_set_node_subsystem(TbsUdev *u, const char *subsystem)
{
	g_free(u->node_subsystem);
	u->node_subsystem = g_strdup(subsystem);
}

int tbs_udev_start(TbsUdev *u)
{
	int r;

	r = sd_device_monitor_new(&u->monitor);
	if (r < 0)
		return log_error_errno(r, "Cannot create udev monitor: %m");
	for (char **s = u->subsystems; *s; s++) {
		r = sd_device_monitor_filter_add_match_subsystem_devtype(u->monitor, *s, NULL);
		if (r < 0)
			return log_error_errno(r, "Cannot filter udev monitor on %s: %m", *s);
	}
	r = sd_device_monitor_filter_add_match_subsystem_devtype(u->monitor, "module", NULL);
	if (r < 0)
		return log_error_errno(r, "Cannot filter udev monitor on modules: %m");
	if (u->node_subsystem) {
		r = sd_device_monitor_filter_add_match_subsystem_devtype(u->monitor,
									 u->node_subsystem, NULL);
		if (r < 0)
			return log_error_errno(r, "Cannot filter udev monitor on %s: %m",
					       u->node_subsystem);
	}
	r = sd_device_monitor_attach_event(u->monitor, u->event);
	if (r < 0)
		return log_error_errno(r, "Cannot attach udev monitor: %m");
	r = sd_device_monitor_start(u->monitor, on_monitor, u);
	if (r < 0)
		return log_error_errno(r, "Cannot start udev monitor: %m");
	return enumerate(u);
}

TbsUdev *tbs_udev_free(TbsUdev *u)
{
	if (!u)
		return NULL;
	sd_device_monitor_unref(u->monitor);
	sd_event_unref(u->event);
	g_strfreev(u->subsystems);
	g_free(u->node_subsystem);
	g_free(u);
	return NULL;
}
