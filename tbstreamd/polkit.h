/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <sys/types.h>

#include <systemd/sd-bus.h>

/*
 * Asynchronous polkit checks for incoming method calls. A check never blocks
 * the event loop: the request message stays referenced until polkit answers,
 * and the answer arrives through a callback. If the caller leaves the bus while
 * its check is pending, the check is cancelled and the callback sees -ECANCELED
 * (no reply is wanted then). No polkit on the bus means "not authorized".
 */

typedef struct TbsPolkit TbsPolkit;

/*
 * Called exactly once per check: r == 0 authorized; r < 0 not authorized, with
 * error set to what the caller should be told (AccessDenied,
 * InteractiveAuthorizationRequired, or polkit being unavailable); r == -ECANCELED
 * with no error set: the caller is gone or the daemon is stopping, do not reply.
 */
typedef void (*TbsPolkitCallback)(sd_bus_message *m, int r, const sd_bus_error *error,
				  void *userdata);

int tbs_polkit_new(sd_bus *bus, TbsPolkit **ret);
/* Called before the callback of every check that was authorized. */
void tbs_polkit_set_authorized_hook(TbsPolkit *pk, void (*hook)(void *userdata), void *userdata);
/* Called after the callback of every check, whatever its answer (no longer pending then). */
void tbs_polkit_set_done_hook(TbsPolkit *pk, void (*hook)(void *userdata), void *userdata);
/* Cancels pending checks (callbacks see -ECANCELED). */
TbsPolkit *tbs_polkit_free(TbsPolkit *pk);

/*
 * Check action for the sender of m. details: NULL or a NULL-terminated list of
 * key, value pairs passed to polkit (rules can see them). userdata_free (may be
 * NULL) frees userdata after the callback ran; if the check cannot even be
 * started, it frees it at once, the callback is not called and a negative errno
 * is returned.
 */
int tbs_polkit_check(TbsPolkit *pk, sd_bus_message *m, const char *action,
		     const char *const *details, TbsPolkitCallback callback, void *userdata,
		     void (*userdata_free)(void *));

/* Who a caller is, as the bus daemon knows it (GetConnectionCredentials). */
typedef struct TbsCallerCreds {
	uid_t uid;
	gid_t *gids; /* primary and supplementary groups */
	int n_gids;  /* -1: the bus did not say (then gids is NULL) */
} TbsCallerCreds;

void tbs_caller_creds_clear(TbsCallerCreds *c);

/*
 * The uid and groups of the sender of m, asked of the bus without blocking.
 * It is a check like the others: counted as pending, dropped (-ECANCELED) when
 * the caller leaves, answered with NoServer when the daemon stops. With r == 0
 * the callback finds *out filled (out must live as long as userdata); r < 0
 * comes with the error to reply.
 */
int tbs_polkit_caller_creds(TbsPolkit *pk, sd_bus_message *m, TbsCallerCreds *out,
			    TbsPolkitCallback callback, void *userdata,
			    void (*userdata_free)(void *));

/* Checks waiting for polkit (for tests and the status line). */
unsigned tbs_polkit_n_pending(TbsPolkit *pk);

/* Reply the error of a failed check (convenience for callbacks). */
void tbs_polkit_reply_error(sd_bus_message *m, const sd_bus_error *error);
