/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check-policy and cat-policy: tbstreamd's offline policy check and merged
 * view, reached from PATH. The daemon lives in libexec because nobody starts
 * it by hand, which made "tbstreamd --check-policy" a command not found; as
 * udevadm verify and systemd-analyze cat-config front their daemons' parsers,
 * tbstreamctl runs the installed daemon's own code rather than a copy of it.
 * No bus: it must work while the daemon is stopped or refuses its policy.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

#ifndef TBSTREAMD_INSTALLED_PATH
#define TBSTREAMD_INSTALLED_PATH "/usr/libexec/tbstreamd"
#endif

static int run_daemon(Ctl *c, const char *option, int argc, char **argv)
{
	/* tests run the build tree's daemon; sudo drops this like any variable */
	const char *path = getenv("TBSTREAMCTL_TBSTREAMD");
	char **a;

	if (c->json != JSON_OFF) {
		fprintf(stderr, "tbstreamctl: %s has no JSON output\n", argv[0]);
		return CTL_EXIT_USAGE;
	}
	if (!path || !*path)
		path = TBSTREAMD_INSTALLED_PATH;
	a = calloc((size_t)argc + 3, sizeof(*a));
	if (!a)
		return CTL_EXIT_FAILURE;
	a[0] = (char *)path;
	a[1] = (char *)option;
	/* DIRs stay DIRs even when one starts with '-' */
	a[2] = (char *)"--";
	for (int i = 1; i < argc; i++)
		a[i + 2] = argv[i];
	fflush(stdout);
	execv(path, a);
	fprintf(stderr, "tbstreamctl: cannot run %s: %s (is tbstreamd installed?)\n", path,
		strerror(errno));
	free(a);
	return CTL_EXIT_FAILURE;
}

int verb_check_policy(Ctl *c, int argc, char **argv)
{
	return run_daemon(c, "--check-policy", argc, argv);
}

int verb_cat_policy(Ctl *c, int argc, char **argv)
{
	return run_daemon(c, "--cat-policy", argc, argv);
}
