/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include <systemd/sd-event.h>

#include "util.h"

/*
 * udev side: enumerates, then monitors, XDomain peers and their "stream"
 * services on a configurable set of subsystems ("thunderbolt" for real
 * hardware, "tbstream_sim" for the simulated fabric: same DEVTYPEs, same
 * attributes). Attributes are read once, bounded and sanitized, into plain
 * structs; removes carry only the syspath because sysfs is gone by then.
 */

typedef struct TbsXdomainInfo {
	const char *syspath;
	const char *sysname; /* "<domain>-<route>" */
	char uuid[37];	     /* normalized unique_id, "" if missing or malformed */
	char *name;	     /* device_name, sanitized, never NULL */
	char *vendor_name;   /* sanitized, never NULL */
	unsigned vendor, device, maxhopid;
	unsigned rx_speed, tx_speed, rx_lanes, tx_lanes; /* 0 if unknown */
} TbsXdomainInfo;

void tbs_xdomain_info_clear(TbsXdomainInfo *x);
/* Reads a device's attributes from <syspath>/<attr>. Returns -EINVAL for a bad sysname. */
int tbs_xdomain_info_read(const char *syspath, const char *sysname, TbsXdomainInfo *ret);

typedef struct TbsServiceInfo {
	const char *syspath;
	const char *sysname; /* "<domain>-<route>.<svc>" = the ConfigFS group */
	const char *parent_syspath;
	const char *parent_sysname;
	char key[16];
	unsigned prtcid, prtcvers, prtcrevs, prtcstns;
} TbsServiceInfo;

int tbs_service_info_read(const char *syspath, const char *sysname, TbsServiceInfo *ret);

/* A USB4/Thunderbolt domain (a host controller), e.g. "domain0". */
typedef struct TbsDomainInfo {
	const char *syspath;
	const char *sysname;
	const char *subsystem;
	char security[16]; /* the kernel's "security" attribute, "" if it has none */
	bool iommu;	   /* "iommu_dma_protection" is 1 */
} TbsDomainInfo;

int tbs_domain_info_read(const char *syspath, const char *sysname, const char *subsystem,
			 TbsDomainInfo *ret);

typedef struct TbsUdevHandler {
	/* change=true for a "change" event on a known device */
	void (*xdomain_added)(void *userdata, const TbsXdomainInfo *x, bool change);
	void (*xdomain_removed)(void *userdata, const char *syspath);
	/* return -ENOENT if the parent XDomain is unknown: it is then read and announced first */
	int (*service_added)(void *userdata, const TbsServiceInfo *s);
	void (*service_removed)(void *userdata, const char *syspath);
	/* a kernel module was loaded: ConfigFS may have gained thunderbolt/stream */
	void (*module_added)(void *userdata, const char *name);
	/* a domain appeared or changed (add and change events), or went away */
	void (*domain_added)(void *userdata, const TbsDomainInfo *d);
	void (*domain_removed)(void *userdata, const char *syspath);
	/* udev has handled an add or change event of a device node (tbstream_set_node_subsystem) */
	void (*node_processed)(void *userdata, const char *sysname);
} TbsUdevHandler;

typedef struct TbsUdev TbsUdev;

int tbs_udev_new(sd_event *event, char *const *subsystems, const TbsUdevHandler *handler,
		 void *userdata, TbsUdev **ret);
/* Also watch the device nodes of this subsystem (before tbs_udev_start). */
void tbs_udev_set_node_subsystem(TbsUdev *u, const char *subsystem);
/* Starts the monitor, then enumerates (so nothing is missed in between). */
int tbs_udev_start(TbsUdev *u);
TbsUdev *tbs_udev_free(TbsUdev *u);
