/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host's USB4/Thunderbolt domains, as udev reports them. Kept so that a
 * client can tell "no controller" from "no cable" (D-Bus Manager.Controllers);
 * nothing else depends on them.
 */
#include <string.h>

#include "log.h"
#include "manager-private.h"

#define DOMAINS_MAX 64

void tbs_controller_free(TbsController *c)
{
	if (!c)
		return;
	g_free(c->syspath);
	g_free(c->name);
	g_free(c->subsystem);
	g_free(c);
}

static void notify_controllers(TbsManager *m)
{
	for (unsigned i = 0; i < m->observers->len; i++) {
		Observer *o = &g_array_index(m->observers, Observer, i);
		if (o->obs->controllers)
			o->obs->controllers(m, o->userdata);
	}
}

void mgr_domain_added(void *userdata, const TbsDomainInfo *d)
{
	TbsManager *m = userdata;
	TbsController *c = g_hash_table_lookup(m->controllers, d->syspath);
	bool is_new = !c;

	if (is_new) {
		if (g_hash_table_size(m->controllers) >= DOMAINS_MAX) {
			log_warning("More than %d USB4/Thunderbolt domains, ignoring %s",
				    DOMAINS_MAX, d->syspath);
			return;
		}
		c = g_new0(TbsController, 1);
		c->syspath = g_strdup(d->syspath);
		c->name = g_strdup(d->sysname);
		c->subsystem = g_strdup(d->subsystem);
		g_hash_table_insert(m->controllers, c->syspath, c);
	} else if (strcmp(c->security, d->security) == 0 && c->iommu == d->iommu)
		return;
	g_strlcpy(c->security, d->security, sizeof(c->security));
	c->iommu = d->iommu;
	log_info("USB4/Thunderbolt domain %s %s: security level %s, IOMMU DMA protection %s",
		 c->name, is_new ? "found" : "changed", *c->security ? c->security : "unknown",
		 c->iommu ? "on" : "off");
	notify_controllers(m);
}

void mgr_domain_removed(void *userdata, const char *syspath)
{
	TbsManager *m = userdata;
	TbsController *c = g_hash_table_lookup(m->controllers, syspath);

	if (!c)
		return;
	log_info("USB4/Thunderbolt domain %s went away", c->name);
	g_hash_table_remove(m->controllers, syspath);
	notify_controllers(m);
}

static gint cmp_name(gconstpointer a, gconstpointer b)
{
	const TbsController *x = *(const TbsController *const *)a;
	const TbsController *y = *(const TbsController *const *)b;
	return strcmp(x->name, y->name);
}

GPtrArray *tbs_manager_controllers(TbsManager *m)
{
	GPtrArray *a = g_ptr_array_new();
	GHashTableIter it;
	TbsController *c;

	g_hash_table_iter_init(&it, m->controllers);
	while (g_hash_table_iter_next(&it, NULL, (gpointer *)&c))
		g_ptr_array_add(a, c);
	g_ptr_array_sort(a, cmp_name);
	return a;
}
