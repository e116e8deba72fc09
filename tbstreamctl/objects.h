/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "ctl.h"
#include "value.h"

/*
 * Everything the daemon offers, from one GetManagedObjects call (plus the
 * Manager's own properties): peers sorted by display name, streams by group
 * and name. And the rules by which a command-line argument names a peer or a
 * stream.
 */

typedef struct Object {
	char *path;
	Value *props; /* a{sv} of the object's io.github.tbstream1 interface */
} Object;

typedef struct Objects {
	Value *manager;
	Object *peers;
	size_t n_peers;
	Object *streams;
	size_t n_streams;
} Objects;

/* Returns 0 or an exit code, having printed why. */
int objects_fetch(Ctl *c, Objects *o);
void objects_free(Objects *o);

const Object *objects_peer_by_path(const Objects *o, const char *path);

/*
 * PEER is its Id or UUID (any case), a unique UUID prefix of at least 8
 * characters (what the masked display shows), its object path, its Label or
 * its Name. STREAM is its object path, PEER/NAME, GROUP/NAME or a NAME that
 * only one stream has. Return the object, or NULL after printing why (*code:
 * the exit code: not found, or usage for an ambiguous argument).
 */
const Object *objects_find_peer(const Objects *o, const char *arg, int *code);
const Object *objects_find_stream(const Objects *o, const char *arg, int *code);
/*
 * What most verbs start with: connect, fetch, find ARG. 0 and *ret, or an exit
 * code having printed why.
 */
int objects_load_peer(Ctl *c, Objects *o, const char *arg, const Object **ret);
int objects_load_stream(Ctl *c, Objects *o, const char *arg, const Object **ret);
/* Like both; exactly one of *peer and *stream is set on success. */
int objects_find_any(const Objects *o, const char *arg, const Object **peer, const Object **stream);

/* status.c: the Manager's PolicyErrors, one per line after indent, made safe. */
void print_policy_errors(const Value *manager, const char *indent);

/* {"Path": ..., <every property by its D-Bus name>} */
void object_to_json(const Object *obj, JsonWriter *j);
