/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdbool.h>

#include "policy.h"

/*
 * Thin, synchronous wrappers over the stream ConfigFS ABI (each is a handful of
 * cheap syscalls on a RAM filesystem, fine on the event loop; an item's rmdir
 * is not, and goes through configfs-remover.h):
 *   <root>/thunderbolt/stream/<domain>-<route>.<svc>/<name>/{index,in_hopid,...}
 * Same ABI for this project's module and upstream's thunderbolt_stream. Extra
 * attributes (our module's counters) are optional everywhere.
 */

typedef enum TbsConfigfsState {
	TBS_CONFIGFS_READY,
	TBS_CONFIGFS_NOT_MOUNTED, /* no ConfigFS at the root */
	TBS_CONFIGFS_NO_MODULE,	  /* ConfigFS there, but no thunderbolt/stream in it */
} TbsConfigfsState;

/*
 * require_mount: check that root really is a ConfigFS mount (off for test roots,
 * which are plain directories).
 */
TbsConfigfsState tbs_configfs_probe(const char *root, bool require_mount);
const char *tbs_configfs_state_to_string(TbsConfigfsState s);

typedef struct TbsItemInfo {
	int index; /* X of /dev/tbstreamX */
	int in_hopid, out_hopid;
	int ring_size;	/* -1 if the kernel does not say */
	int throttling; /* -1 if the kernel does not say */
	char state[32]; /* our module's optional "state", else empty */
} TbsItemInfo;

/* 1 if created, 0 if it existed already, negative errno otherwise. */
int tbs_configfs_make_group(const char *stream_dir, const char *group);
int tbs_configfs_make_item(const char *stream_dir, const char *group, const char *name);

/*
 * Write a template's settings into a fresh item. -EAGAIN while the item has no
 * "index" yet (the kernel has not populated it), nothing written then.
 */
int tbs_configfs_configure(const char *item_dir, const TbsStreamTemplate *t);
/* -EAGAIN while "index" is missing. */
int tbs_configfs_read(const char *item_dir, TbsItemInfo *ret);

/* 0 also when the group was not empty (-ENOTEMPTY is not an error here, it is kept). */
int tbs_configfs_remove_group(const char *stream_dir, const char *group);

typedef void (*TbsConfigfsScanFunc)(const char *group, const char *name, void *userdata);
/* Call func for every well-formed group/item; names that could not be ours are skipped. */
int tbs_configfs_scan(const char *stream_dir, TbsConfigfsScanFunc func, void *userdata);
