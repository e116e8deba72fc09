/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Allowing a peer and taking it back (enroll, revoke, forget), and the host's
 * controllers: the verbs for "why does nothing work" and "allow this computer".
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bus.h"
#include "format.h"
#include "json.h"
#include "objects.h"

static int peer_message(Ctl *c, const char *arg, const char *member, sd_bus_message **ret,
			char **ret_name)
{
	_cleanup_(objects_free) Objects o = {};
	const Object *peer;
	int r;

	r = ctl_connect(c);
	if (r)
		return r;
	r = objects_load_peer(c, &o, arg, &peer);
	if (r)
		return r;
	r = sd_bus_message_new_method_call(c->bus, ret, TBS_BUS_NAME, peer->path, TBS_IFACE_PEER,
					   member);
	if (r < 0)
		return ctl_fail("Cannot build the call", NULL, r);
	*ret_name = strdup(value_get_str(peer->props, "DisplayName", arg));
	return 0;
}

int verb_enroll(Ctl *c, int argc, char **argv)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	_cleanup_(freep) char *name = NULL;
	char *const none[] = {NULL};
	int r;

	r = peer_message(c, argv[1], "Enroll", &m, &name);
	if (r)
		return r;
	r = sd_bus_message_open_container(m, 'a', "{sv}");
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'e', "sv");
	if (r >= 0)
		r = sd_bus_message_append(m, "s", "Streams");
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'v', "as");
	if (r >= 0)
		r = sd_bus_message_append_strv(m, c->streams ? c->streams : (char **)none);
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	if (r >= 0)
		r = sd_bus_message_append(m, "{sv}", "Persistent", "b", (int)c->persistent);
	if (r >= 0 && c->owner >= 0)
		r = sd_bus_message_append(m, "{sv}", "Owner", "u", (uint32_t)c->owner);
	if (r >= 0 && c->group >= 0)
		r = sd_bus_message_append(m, "{sv}", "Group", "u", (uint32_t)c->group);
	if (r >= 0 && c->mode >= 0)
		r = sd_bus_message_append(m, "{sv}", "Mode", "u", (uint32_t)c->mode);
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	if (r < 0)
		return ctl_fail("Cannot build the call", NULL, r);
	r = ctl_call_message(c, "Cannot enroll the peer", m, NULL);
	if (r)
		return r;
	if (c->json == JSON_OFF) {
		printf("Enrolled ");
		fputs_safe(name ? name : argv[1], stdout);
		printf(": it is allowed from now on.\n");
	}
	return 0;
}

/*
 * Revoke keeps the peer's record (label, first seen), so a panel or a later
 * enroll still knows it; forget is for a machine that is gone for good.
 */
int verb_revoke(Ctl *c, int argc, char **argv)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	_cleanup_(freep) char *name = NULL;
	int r;

	r = peer_message(c, argv[1], "Revoke", &m, &name);
	if (r)
		return r;
	r = ctl_call_message(c, "Cannot revoke the peer's enrollment", m, NULL);
	if (r)
		return r;
	if (c->json == JSON_OFF) {
		printf("Revoked ");
		fputs_safe(name ? name : argv[1], stdout);
		/* a policy rule may still allow it: info says which */
		printf(": it is no longer enrolled.\n");
	}
	return 0;
}

int verb_forget(Ctl *c, int argc, char **argv)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	_cleanup_(freep) char *name = NULL;
	int r;

	r = peer_message(c, argv[1], "Forget", &m, &name);
	if (r)
		return r;
	return ctl_call_message(c, "Cannot forget the peer", m, NULL);
}

typedef struct Controller {
	const char *name, *security;
	int iommu;
} Controller;

static int read_controller(sd_bus_message *reply, Controller *d)
{
	const char *key;
	int r;

	*d = (Controller){.name = "?", .security = ""};
	while ((r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
		r = sd_bus_message_read(reply, "s", &key);
		if (r >= 0 && strcmp(key, "Name") == 0)
			r = sd_bus_message_read(reply, "v", "s", &d->name);
		else if (r >= 0 && strcmp(key, "SecurityLevel") == 0)
			r = sd_bus_message_read(reply, "v", "s", &d->security);
		else if (r >= 0 && strcmp(key, "IOMMUProtection") == 0)
			r = sd_bus_message_read(reply, "v", "b", &d->iommu);
		else if (r >= 0)
			/* keys a newer daemon adds */
			r = sd_bus_message_skip(reply, "v");
		if (r >= 0)
			r = sd_bus_message_exit_container(reply);
		if (r < 0)
			return r;
	}
	return r;
}

int verb_controllers(Ctl *c, int argc, char **argv)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	JsonWriter j;
	unsigned n = 0;
	int r;

	r = ctl_connect(c);
	if (r)
		return r;
	r = sd_bus_get_property(c->bus, TBS_BUS_NAME, TBS_BUS_PATH, TBS_IFACE_MANAGER,
				"Controllers", &error, &reply, "aa{sv}");
	if (r < 0)
		return ctl_fail("Cannot read the controllers", &error, r);
	if (c->json != JSON_OFF) {
		json_init(&j, stdout, c->json == JSON_PRETTY);
		json_begin_array(&j);
	}
	r = sd_bus_message_enter_container(reply, 'a', "a{sv}");
	while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'a', "{sv}")) > 0) {
		Controller d;

		r = read_controller(reply, &d);
		if (r >= 0)
			r = sd_bus_message_exit_container(reply);
		if (r < 0)
			break;
		n++;
		if (c->json != JSON_OFF) {
			json_begin_object(&j);
			json_key(&j, "Name");
			json_string(&j, d.name);
			json_key(&j, "SecurityLevel");
			json_string(&j, d.security);
			json_key(&j, "IOMMUProtection");
			json_bool(&j, d.iommu);
			json_end_object(&j);
			continue;
		}
		fputs_safe(d.name, stdout);
		printf(": security level %s, IOMMU DMA protection %s\n",
		       *d.security ? d.security : "unknown", d.iommu ? "on" : "off");
	}
	if (r < 0)
		return ctl_fail("Cannot read the controllers", NULL, r);
	if (c->json != JSON_OFF) {
		json_end_array(&j);
		json_finish(&j);
	} else if (n == 0 && c->legend)
		printf("No USB4/Thunderbolt controller (or its driver is not loaded).\n");
	return 0;
}
