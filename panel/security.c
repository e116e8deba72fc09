/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <glib/gi18n.h>

#include "security.h"

typedef struct {
	const char *level;
	const char *text;
} LevelText;

/*
 * The kernel's levels as Documentation/admin-guide/thunderbolt.rst describes
 * them: each one says which devices get PCIe (and DisplayPort, USB) tunnels.
 * The documentation names none that stops connections between computers
 * (XDomain, what streams use), so no text here claims one does.
 */
static const LevelText levels[] = {
	{"none", N_("No security: every device is connected without asking.")},
	{"user", N_("User authorization: a device is connected once someone approves it.")},
	{"secure", N_("Secure connect: a device is connected once someone approves it, and "
		      "is checked with a key when it comes back.")},
	{"dponly", N_("DisplayPort and USB only: devices are never connected over PCIe.")},
	{"usbonly", N_("USB only: a dock’s USB and DisplayPort are connected, nothing behind "
		       "it over PCIe.")},
	{"nopcie", N_("PCIe turned off: the firmware settings forbid PCIe connections.")},
};

char *tbs_security_level_describe(const char *level)
{
	if (!level || !*level)
		return g_strdup(_("The security level is not reported."));
	for (size_t i = 0; i < G_N_ELEMENTS(levels); i++)
		if (g_str_equal(level, levels[i].level))
			return g_strdup(_(levels[i].text));
	/* TRANSLATORS: %s is the kernel's name of a security level it added later */
	return g_strdup_printf(_("Security level “%s”."), level);
}

const char *tbs_dma_protection_describe(gboolean on)
{
	/* admin-guide/thunderbolt.rst, "DMA protection utilizing IOMMU" */
	return on ? _("DMA protection (IOMMU) is on: a device reaches only the memory its "
		      "driver gives it.")
		  : _("DMA protection (IOMMU) is off or not reported.");
}
