/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The peer store's record files under libFuzzer: whatever is on disk (a
 * crash mid-write, an older or newer daemon, a hand edit), parsing either
 * refuses it with the documented errors or yields a record whose saved form
 * parses back to the same saved form.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(TbsPeerRecord) rec = NULL;
	g_autoptr(TbsPeerRecord) again = NULL;
	g_autofree char *saved = NULL, *resaved = NULL;
	size_t len, relen;
	int r;

	r = tbs_peer_record_parse((const char *)data, size, &rec);
	if (r == -EBADMSG || r == -EPROTONOSUPPORT)
		return 0;
	if (r < 0 || !rec)
		abort();
	saved = tbs_peer_record_serialize(rec, &len);
	if (!saved || tbs_peer_record_parse(saved, len, &again) < 0)
		abort();
	resaved = tbs_peer_record_serialize(again, &relen);
	if (!resaved || relen != len || memcmp(saved, resaved, len)) {
		fprintf(stderr, "saved:\n%.*s\nsaved again:\n%.*s\n", (int)len, saved, (int)relen,
			resaved ? resaved : "");
		abort();
	}
	if (strcmp(rec->uuid, again->uuid) || rec->trusted != again->trusted)
		abort();
	return 0;
}
