/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Forced in front of kernel/props.c (-include) in the fuzz build, in place
 * of kernel/tbstream.h (whose include guard it claims): the few core types
 * props.c touches, with the same member names and the protocol constants of
 * backend.h; it claims compat.h's guard as well.  The fuzzer builds groups and streams of these by
 * hand.
 */
#ifndef TBSTREAM_H
#define TBSTREAM_H
/* compat.h's guard too: version switches mean nothing here */
#define TBSTREAM_COMPAT_H

#include <stdbool.h>

#include <linux/thunderbolt.h>

#define TBS_NS TBSTREAM
#define TBS_NAME_MAX 8
#define TBS_MAX_HOPID 2047
#define TBS_MIN_HOPID 8
#define TBS_PROTOCOL_ID 1
#define TBS_PROTOCOL_VERSION 1
#define TBS_PROTOCOL_REVISION 0
#define TBS_PROTOCOL_SETTINGS 0

struct tbs_fabric {
	int unused;
};

struct tbs_port {
	struct tbs_fabric *fabric;
};

struct tbs_group {
	struct list_head node;
	struct tbs_port *port;
	struct list_head streams;
};

struct tbs_stream {
	struct list_head node;
	char name[TBS_NAME_MAX + 1];
	uuid_t uuid;
	struct mutex lock;
	int in_hopid;
	int out_hopid;
};

extern struct mutex tbs_lock;
extern struct list_head tbs_groups;
extern const uuid_t tbs_service_uuid;

struct tb_property_dir *tbs_props_build(struct tbs_fabric *fabric, struct tbs_port *port);
bool tbs_props_name_reserved(const char *name);
int tbs_props_find_stream(const struct tb_property_dir *stream_dir, const char *name, int *inhopid,
			  int *outhopid);

#endif
