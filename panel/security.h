/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <glib.h>

/*
 * What a domain's security level means to a person, translated: level is
 * Manager.Controllers' SecurityLevel (the kernel's `security` attribute, ""
 * where the kernel does not say). Unknown levels are named as they are.
 */
char *tbs_security_level_describe(const char *level);
/* The domain's IOMMU DMA protection, translated (false: off or not reported). */
const char *tbs_dma_protection_describe(gboolean on);
