#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""open-stream.py STREAM_PATH read|write CMD [ARG...]

What an unprivileged program does to use a stream (docs/dbus-api.md): ask
tbstreamd's OpenStream for a file descriptor of the stream's device node, then
run CMD with that descriptor as its standard input (read) or output (write).
The caller needs no permission on /dev/tbstreamN itself; polkit decides.
On a D-Bus error, prints the error's name on stderr and exits 3."""

import os
import sys

from gi.repository import Gio, GLib

FLAGS = {"read": 1, "write": 2}


def main():
    if len(sys.argv) < 4 or sys.argv[2] not in FLAGS:
        sys.stderr.write(__doc__.split("\n", 1)[0] + "\n")
        return 2
    path, mode, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
    bus = Gio.bus_get_sync(Gio.BusType.SYSTEM, None)
    try:
        _, fds = bus.call_with_unix_fd_list_sync(
            "io.github.tbstream1", "/io/github/tbstream1",
            "io.github.tbstream1.Manager", "OpenStream",
            GLib.Variant("(ou)", (path, FLAGS[mode])), GLib.VariantType("(h)"),
            Gio.DBusCallFlags.NONE, 30000, None, None)
    except GLib.Error as e:
        sys.stderr.write("%s\n" % Gio.DBusError.get_remote_error(e))
        return 3
    fd = fds.steal_fds()[0]
    os.dup2(fd, 0 if mode == "read" else 1)
    os.close(fd)
    os.execvp(cmd[0], cmd)
    return 127


if __name__ == "__main__":
    sys.exit(main())
