/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <systemd/sd-bus.h>

/*
 * Named D-Bus errors of io.github.tbstream1, and the errno they map to. Clients
 * (tbstreamctl, tests) register tbs_bus_error_map with sd_bus_error_add_map()
 * so sd_bus_error_get_errno() gives the errno back.
 */

#define TBS_BUS_ERROR_PREFIX "io.github.tbstream1.Error."
#define TBS_BUS_ERROR_NO_SUCH_PEER TBS_BUS_ERROR_PREFIX "NoSuchPeer"
#define TBS_BUS_ERROR_NO_SUCH_STREAM TBS_BUS_ERROR_PREFIX "NoSuchStream"
#define TBS_BUS_ERROR_INVALID_NAME TBS_BUS_ERROR_PREFIX "InvalidName"
#define TBS_BUS_ERROR_INVALID_ARGUMENT TBS_BUS_ERROR_PREFIX "InvalidArgument"
#define TBS_BUS_ERROR_UNKNOWN_OPTION TBS_BUS_ERROR_PREFIX "UnknownOption"
#define TBS_BUS_ERROR_NOT_CONNECTED TBS_BUS_ERROR_PREFIX "PeerNotConnected"
#define TBS_BUS_ERROR_EXISTS TBS_BUS_ERROR_PREFIX "StreamExists"
#define TBS_BUS_ERROR_NO_KERNEL_SUPPORT TBS_BUS_ERROR_PREFIX "NoKernelSupport"
#define TBS_BUS_ERROR_NOT_ATTACHED TBS_BUS_ERROR_PREFIX "NotAttached"
#define TBS_BUS_ERROR_NOT_READY TBS_BUS_ERROR_PREFIX "NotReady"
#define TBS_BUS_ERROR_BUSY TBS_BUS_ERROR_PREFIX "Busy"
#define TBS_BUS_ERROR_NOT_OURS TBS_BUS_ERROR_PREFIX "NotOurs"
#define TBS_BUS_ERROR_TOO_MANY TBS_BUS_ERROR_PREFIX "TooManyStreams"
#define TBS_BUS_ERROR_TIMEOUT TBS_BUS_ERROR_PREFIX "Timeout"
#define TBS_BUS_ERROR_STREAM_FAILED TBS_BUS_ERROR_PREFIX "StreamFailed"
#define TBS_BUS_ERROR_STREAM_REMOVED TBS_BUS_ERROR_PREFIX "StreamRemoved"
#define TBS_BUS_ERROR_NOT_SUPPORTED TBS_BUS_ERROR_PREFIX "NotSupported"
#define TBS_BUS_ERROR_POLICY_INVALID TBS_BUS_ERROR_PREFIX "PolicyInvalid"
#define TBS_BUS_ERROR_TOO_MANY_WATCHERS TBS_BUS_ERROR_PREFIX "TooManyWatchers"
#define TBS_BUS_ERROR_NOT_WATCHING TBS_BUS_ERROR_PREFIX "NotWatching"
#define TBS_BUS_ERROR_FAILED TBS_BUS_ERROR_PREFIX "Failed"

extern const sd_bus_error_map tbs_bus_error_map[];

/* The error name for an errno (TBS_BUS_ERROR_FAILED for anything without a better one). */
const char *tbs_bus_error_name(int error);

/*
 * Fill e with the named error for error (negative or positive errno) and the
 * formatted message; returns -abs(error), so handlers can "return tbs_bus_error_set(...)".
 */
int tbs_bus_error_set(sd_bus_error *e, int error, const char *format, ...)
	__attribute__((format(printf, 3, 4)));
/* Same, with an explicit name (errno kept for sd-bus). */
int tbs_bus_error_set_name(sd_bus_error *e, const char *name, int error, const char *format, ...)
	__attribute__((format(printf, 4, 5)));
