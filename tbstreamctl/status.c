/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * status: the daemon at a glance, for the administrator who wants to know why
 * nothing happens: its state, the kernel interface, the policy and every
 * error in it, the controllers, and how many peers and streams there are.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "format.h"
#include "objects.h"

#define KEY_WIDTH 12

static void key(const char *k)
{
	printf("%*s: ", KEY_WIDTH, k);
}

static size_t n_policy_errors(const Value *manager)
{
	const Value *errors = value_get(manager, "PolicyErrors");

	return errors && errors->kind == VALUE_ARRAY ? errors->n_items : 0;
}

void print_policy_errors(const Value *manager, const char *indent)
{
	const Value *errors = value_get(manager, "PolicyErrors");

	/* the daemon sends them sorted by file and line */
	for (size_t i = 0; i < n_policy_errors(manager); i++) {
		if (errors->items[i]->kind != VALUE_STRING)
			continue;
		fputs(indent, stdout);
		fputs_safe(errors->items[i]->str, stdout);
		fputc('\n', stdout);
	}
}

static void print_kernel(const Value *m)
{
	const char *ki = value_get_str(m, "KernelInterface", "");

	key("Kernel");
	if (value_get_bool(m, "StreamModule", false))
		printf("ready (ConfigFS mounted, stream module loaded)\n");
	else if (value_get_bool(m, "ConfigFS", false))
		printf("stream module not loaded (modprobe tbstream)\n");
	else {
		fputs_safe(*ki ? ki : "ConfigFS is not mounted", stdout);
		fputc('\n', stdout);
	}
}

static void print_policy(const Value *m)
{
	size_t n = n_policy_errors(m);

	key("Policy");
	if (!n) {
		printf("loaded, no errors\n");
		return;
	}
	/* the daemon's Status says which policy is in force instead */
	printf("%zu error%s, not in force (tbstreamctl check-policy):\n", n, n == 1 ? "" : "s");
	print_policy_errors(m, "              ");
}

static void print_controllers(const Value *m)
{
	const Value *cs = value_get(m, "Controllers");
	size_t n = cs && cs->kind == VALUE_ARRAY ? cs->n_items : 0;

	key("Controllers");
	if (!n)
		printf("none (no USB4/Thunderbolt controller, or its driver is not loaded)\n");
	for (size_t i = 0; i < n; i++) {
		const Value *c = cs->items[i];
		const char *sec = value_get_str(c, "SecurityLevel", "");

		if (i)
			printf("%*s  ", KEY_WIDTH, "");
		fputs_safe(value_get_str(c, "Name", "?"), stdout);
		printf(": security level ");
		fputs_safe(*sec ? sec : "unknown", stdout);
		printf(", IOMMU DMA protection %s\n",
		       value_get_bool(c, "IOMMUProtection", false) ? "on" : "off");
	}
}

typedef struct Counts {
	size_t peers, connected, allowed, streams, ready;
} Counts;

static Counts count(const Objects *o)
{
	Counts n = {.peers = o->n_peers, .streams = o->n_streams};

	for (size_t i = 0; i < o->n_peers; i++) {
		n.connected += value_get_bool(o->peers[i].props, "Connected", false);
		n.allowed += value_get_bool(o->peers[i].props, "Allowed", false);
	}
	for (size_t i = 0; i < o->n_streams; i++)
		n.ready +=
			strcmp(value_get_str(o->streams[i].props, "State", ""), "configured") == 0;
	return n;
}

static void status_json(const Ctl *c, const Objects *o)
{
	Counts n = count(o);
	JsonWriter j;

	json_init(&j, stdout, c->json == JSON_PRETTY);
	json_begin_object(&j);
	json_key(&j, "Manager");
	value_to_json(o->manager, &j);
	json_key(&j, "Peers");
	json_begin_object(&j);
	json_key(&j, "Known");
	json_uint(&j, n.peers);
	json_key(&j, "Connected");
	json_uint(&j, n.connected);
	json_key(&j, "Allowed");
	json_uint(&j, n.allowed);
	json_end_object(&j);
	json_key(&j, "Streams");
	json_begin_object(&j);
	json_key(&j, "Total");
	json_uint(&j, n.streams);
	json_key(&j, "Configured");
	json_uint(&j, n.ready);
	json_end_object(&j);
	json_end_object(&j);
	json_finish(&j);
}

int verb_status(Ctl *c, int argc, char **argv)
{
	_cleanup_(objects_free) Objects o = {};
	Counts n;
	int r;

	r = ctl_connect(c);
	if (!r)
		r = objects_fetch(c, &o);
	if (r)
		return r;
	if (c->json != JSON_OFF) {
		status_json(c, &o);
		return CTL_EXIT_OK;
	}
	n = count(&o);
	key("Daemon");
	printf("tbstreamd ");
	fputs_safe(value_get_str(o.manager, "Version", "?"), stdout);
	printf(", ");
	fputs_safe(value_get_str(o.manager, "State", "?"), stdout);
	fputc('\n', stdout);
	key("Status");
	fputs_safe(value_get_str(o.manager, "Status", ""), stdout);
	fputc('\n', stdout);
	print_kernel(o.manager);
	print_policy(o.manager);
	print_controllers(o.manager);
	key("Peers");
	printf("%zu known, %zu connected, %zu allowed\n", n.peers, n.connected, n.allowed);
	key("Streams");
	printf("%zu, %zu configured\n", n.streams, n.ready);
	return CTL_EXIT_OK;
}
