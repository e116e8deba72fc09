/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A benchmark (not a test) of the D-Bus API on a private bus with the polkit
 * mock, daemon and clients in one process on one event loop (every call still
 * goes through dbus-daemon and, for verbs, python3-dbusmock's polkitd):
 *   - RequestStream (immediate polkit answer) and RequestStream+RemoveStream
 *     round trips;
 *   - GetManagedObjects with 64 peers x 8 streams;
 *   - RequestStream while another caller's polkit check is held for 5 s.
 * Prints median and p99. Targets: RequestStream p99 <= 20 ms; a held check
 * delays nobody by more than 5 ms. Run under umockdev-wrapper:
 *   cmake --build build --target bench-bus
 */
#include <stdio.h>
#include <stdlib.h>

#include "bus-world.h"
#include "util.h"

#define PATH "/io/github/tbstream1"
#define MANAGER "io.github.tbstream1.Manager"
#define N_PEERS 64
#define N_STREAMS 8

static BusEnv env;
static BusWorld bw;
static sd_bus *client;

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void report(const char *what, uint64_t *v, size_t n)
{
	size_t p99 = (n * 99) / 100;

	if (p99 >= n)
		p99 = n - 1;
	qsort(v, n, sizeof(*v), cmp_u64);
	printf("%-46s n=%4zu  median %7.3f ms  p99 %7.3f ms  max %7.3f ms\n", what, n,
	       v[n / 2] / 1000.0, v[p99] / 1000.0, v[n - 1] / 1000.0);
}

static char *request(const char *uuid, const char *name)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
	const char *p;

	m = bus_world_method(client, PATH, MANAGER, "RequestStream");
	g_assert(sd_bus_message_append(m, "ssa{sv}", uuid, name, 1, "Persistent", "b", 1) >= 0);
	if (bus_world_call(&bw, m, 10000, &reply, &e) < 0)
		g_error("RequestStream %s %s: %s", uuid, name, e.message);
	g_assert(sd_bus_message_read(reply, "o", &p) >= 0);
	return g_strdup(p);
}

static void remove_stream(const char *path)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;

	m = bus_world_method(client, PATH, MANAGER, "RemoveStream");
	g_assert(sd_bus_message_append(m, "o", path) >= 0);
	if (bus_world_call(&bw, m, 10000, NULL, &e) < 0)
		g_error("RemoveStream %s: %s", path, e.message);
}

static void uuid_of(unsigned i, char buf[static 37])
{
	snprintf(buf, 37, "%08x-0000-4000-8000-%012x", i + 1, i + 1);
}

static void round_trips(const char *label, unsigned n, uint64_t *req, uint64_t *pair)
{
	char uuid[37];

	uuid_of(0, uuid);
	for (unsigned i = 0; i < n; i++) {
		uint64_t t0 = tbs_now(CLOCK_MONOTONIC), t1;
		g_autofree char *p = request(uuid, "bench");
		t1 = tbs_now(CLOCK_MONOTONIC);
		remove_stream(p);
		req[i] = t1 - t0;
		pair[i] = tbs_now(CLOCK_MONOTONIC) - t0;
	}
}

int main(void)
{
	enum { N = 300 };
	static uint64_t req[N], pair[N], held_req[N * 4], held_pair[N * 4], gmo[50];
	const char *hang[] = {"io.github.tbstream1.open-stream", NULL};
	char uuid[37], xd[16];
	size_t n_held = 0;
	uint64_t end;

	bus_env_start(&env, true);
	bus_world_init(&bw, &env);
	for (unsigned i = 0; i < N_PEERS; i++) {
		uuid_of(i, uuid);
		snprintf(xd, sizeof(xd), "0-%x", i + 1);
		g_free(world_add_peer(&bw.w, "thunderbolt", xd, uuid, "bench"));
	}
	bus_world_start(&bw);
	bus_env_polkit_allow_all(&env, true);
	client = bus_world_client(&bw);
	/* peers are coldplugged by the core at start */
	bus_world_run(&bw, 200);

	round_trips("warm-up", 20, req, pair);
	round_trips("baseline", N, req, pair);
	report("RequestStream (polkit answers at once)", req, N);
	report("RequestStream + RemoveStream", pair, N);

	/* 64 peers x 8 streams (the 0-1 peer gets its 8 too) */
	for (unsigned i = 0; i < N_PEERS; i++)
		for (unsigned j = 0; j < N_STREAMS; j++) {
			char name[8];
			uuid_of(i, uuid);
			snprintf(name, sizeof(name), "s%u", j);
			g_free(request(uuid, name));
		}
	for (unsigned i = 0; i < G_N_ELEMENTS(gmo); i++) {
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
		_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
		uint64_t t0 = tbs_now(CLOCK_MONOTONIC);
		g_assert(sd_bus_message_new_method_call(client, &m, "io.github.tbstream1", PATH,
							"org.freedesktop.DBus.ObjectManager",
							"GetManagedObjects") >= 0);
		g_assert(bus_world_call(&bw, m, 10000, &reply, &e) == 0);
		gmo[i] = tbs_now(CLOCK_MONOTONIC) - t0;
	}
	report("GetManagedObjects, 64 peers x 8 streams", gmo, G_N_ELEMENTS(gmo));
	/* the held run below happens with 512 streams about: compare it with this */
	round_trips("populated", N, req, pair);
	report("RequestStream, 512 streams exist", req, N);
	report("RequestStream + RemoveStream, 512 streams exist", pair, N);

	/* one caller's open-stream check held by polkit for 5 s; everyone else goes on */
	{
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
		sd_bus *holder = bus_world_client(&bw);
		g_autofree char *path = NULL;

		uuid_of(1, uuid);
		path = g_strdup_printf(PATH "/stream/_30_2d2_2e0/s0");
		bus_env_polkit_hang(&env, hang);
		m = bus_world_method(holder, PATH, MANAGER, "OpenStream");
		g_assert(sd_bus_message_append(m, "ou", path, 1) >= 0);
		g_assert(sd_bus_call_async(holder, NULL, m, NULL, NULL, 0) >= 0);
		while (tbs_bus_n_pending_checks(bw.bus) == 0)
			bus_world_run(&bw, 1);
		end = tbs_now(CLOCK_MONOTONIC) + 5 * 1000000;
		uuid_of(0, uuid);
		while (tbs_now(CLOCK_MONOTONIC) < end && n_held < G_N_ELEMENTS(held_req)) {
			uint64_t t0 = tbs_now(CLOCK_MONOTONIC), t1;
			g_autofree char *p = request(uuid, "held");
			t1 = tbs_now(CLOCK_MONOTONIC);
			remove_stream(p);
			held_req[n_held] = t1 - t0;
			held_pair[n_held++] = tbs_now(CLOCK_MONOTONIC) - t0;
		}
		g_assert(tbs_bus_n_pending_checks(bw.bus) == 1);
		bus_env_polkit_hang(&env, NULL);
		bus_env_polkit_release(&env);
		sd_bus_flush_close_unref(holder);
	}
	report("RequestStream while a check is held 5 s", held_req, n_held);
	report("RequestStream + RemoveStream while held", held_pair, n_held);

	client = sd_bus_flush_close_unref(client);
	bus_world_destroy(&bw);
	bus_env_stop(&env);
	return 0;
}
