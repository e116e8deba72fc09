# SPDX-License-Identifier: GPL-2.0-or-later
"""The integration layer's world for a client in another process.

A private bus with the shipped bus policy (dbus/io.github.tbstream1.conf),
python3-dbusmock's polkitd, a umockdev testbed for the peers and the real
tbstreamd binary, started by D-Bus activation as on a real system, with the
fake kernel (fake-kernel-preload.c) standing in for ConfigFS and /dev. The
same world as bus-world.c, whose daemon runs inside the test instead.

The bus is a "session" bus only in name: dbus-daemon hands system-bus
activation to its setuid helper, which reads nothing but the system's own
service files.
"""

import os
import shutil
import signal
import subprocess
import tempfile
import time

import gi

gi.require_version("UMockdev", "1.0")
from gi.repository import Gio, GLib, UMockdev  # noqa: E402

BUS_NAME = "io.github.tbstream1"
ROOT = "/io/github/tbstream1"
MANAGER = BUS_NAME + ".Manager"
PEER = BUS_NAME + ".Peer"
STREAM = BUS_NAME + ".Stream"
POLKIT = "org.freedesktop.PolicyKit1"
POLKIT_PATH = "/org/freedesktop/PolicyKit1/Authority"
MOCK = "org.freedesktop.DBus.Mock"

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir={tmp}</listen>
  <auth>EXTERNAL</auth>
  <servicedir>{services}</servicedir>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Introspectable"/>
  </policy>
  <include>{source}/dbus/io.github.tbstream1.conf</include>
  <!-- test-only holes: everything runs as one user -->
  <policy context="default">
    <allow own="io.github.tbstream1"/>
    <allow own="org.freedesktop.PolicyKit1"/>
    <allow send_destination="org.freedesktop.PolicyKit1"/>
  </policy>
</busconfig>
"""


def wait_for(what, cond, timeout=30.0, interval=0.05):
    """Polls cond() until it returns a true value or timeout seconds pass."""
    end = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


class World:
    def __init__(self, tbstreamd, preload, source_dir, policy="", idle_timeout=0,
                 controller=True, stream_module=True, startable=True, configfs=True,
                 security="user", iommu=True):
        self.tbstreamd = tbstreamd
        self.preload = preload
        self.source_dir = source_dir
        self.policy = policy
        self.idle_timeout = idle_timeout
        self.controller = controller
        self.security = security
        self.iommu = iommu
        self.stream_module = stream_module
        self.configfs = configfs
        self.startable = startable
        self.tmp = tempfile.mkdtemp(prefix="tbstream-panel-world-")
        self.cfs = os.path.join(self.tmp, "config")
        self.stream_dir = os.path.join(self.cfs, "thunderbolt", "stream")
        self.dev = os.path.join(self.tmp, "dev")
        self.state = os.path.join(self.tmp, "state")
        self.etc = os.path.join(self.tmp, "etc")
        self.vendor = os.path.join(self.tmp, "vendor")
        self.services = os.path.join(self.tmp, "services")
        self.log = os.path.join(self.tmp, "tbstreamd.log")
        self.procs = []
        self.conn = None
        self.testbed = None
        self.address = None
        self.domains = {}  # name -> syspath in the testbed

    # ---- setup and teardown ---------------------------------------------------------------

    def start(self):
        # configfs=False: no mount point at all, as when ConfigFS is not mounted
        for d in ([self.stream_dir if self.stream_module else self.cfs] if self.configfs
                  else []) + [self.dev, self.etc, self.services]:
            os.makedirs(d, exist_ok=True)
        # the shipped vendor policy (default deny, enrollment honoured where it exists)
        shutil.copytree(os.path.join(self.source_dir, "tbstreamd", "vendor"), self.vendor,
                        dirs_exist_ok=True)
        with open(os.path.join(self.etc, "tbstreamd.conf"), "w") as f:
            f.write(self.policy)
        # Debian 12's umockdev (0.17.16) starts its worker thread, which reads the
        # environment, before it adds $UMOCKDEV_DIR; adding a variable moves
        # environ under that thread. Present already, it is replaced in place.
        # os.environ would not do: it is Python's copy and misses umockdev's unset.
        GLib.setenv("UMOCKDEV_DIR", self.tmp, False)
        self.testbed = UMockdev.Testbed.new()
        if self.controller:
            self.add_domain("domain0", self.security, self.iommu)
        self._write_activation()
        conf = os.path.join(self.tmp, "bus.conf")
        with open(conf, "w") as f:
            f.write(BUS_CONFIG.format(tmp=self.tmp, services=self.services,
                                      source=self.source_dir))
        bus = subprocess.Popen(["dbus-daemon", "--config-file", conf, "--nofork",
                                "--print-address=1"], stdout=subprocess.PIPE,
                               env=self.child_env(), text=True)
        self.procs.append(bus)
        self.address = bus.stdout.readline().strip()
        assert self.address, "dbus-daemon printed no address"
        self.conn = Gio.DBusConnection.new_for_address_sync(
            self.address, Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
            | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION, None, None)
        polkit = subprocess.Popen(["/usr/bin/python3", "-m", "dbusmock", "--template",
                                   "polkitd", "--system"], stdout=subprocess.DEVNULL,
                                  env=self.child_env())
        self.procs.append(polkit)
        wait_for("the polkit mock", lambda: self.has_owner(POLKIT))

    def child_env(self, **extra):
        env = {k: v for k, v in os.environ.items()
               if k not in ("LD_PRELOAD", "UMOCKDEV_DIR")}
        if self.address:
            env["DBUS_SYSTEM_BUS_ADDRESS"] = self.address
        env.update(extra)
        return env

    def _write_activation(self):
        """tbstreamd as D-Bus activation starts it, with the world's roots."""
        script = os.path.join(self.tmp, "start-tbstreamd")
        q = GLib.shell_quote
        with open(script, "w") as f:
            f.write("#!/bin/sh\n"
                    # ours first: umockdev's mkdir goes to libc directly
                    "exec env LD_PRELOAD=" + q(self.preload) + ":libumockdev-preload.so.0 "
                    "UMOCKDEV_DIR=" + q(self.testbed.get_root_dir()) + " "
                    "SYSTEMD_DEVICE_VERIFY_SYSFS=0 ASAN_OPTIONS=verify_asan_link_order=0 "
                    "TBS_FAKE_CONFIGFS_ROOT=" + q(self.cfs) + " "
                    "TBS_FAKE_DEV_ROOT=" + q(self.dev) + " " + q(self.tbstreamd) + " "
                    "--log-target=console --log-level=debug "
                    "--bus-address=\"$DBUS_STARTER_ADDRESS\" "
                    "--configfs-root " + q(self.cfs) + " --dev-root " + q(self.dev) + " "
                    "--state-dir " + q(self.state) + " --config-dir " + q(self.etc) + " "
                    "--vendor-dir " + q(self.vendor) + " --subsystem thunderbolt "
                    f"--idle-timeout={self.idle_timeout} >>" + q(self.log) + " 2>&1\n")
        os.chmod(script, 0o755)
        with open(os.path.join(self.services, BUS_NAME + ".service"), "w") as f:
            # not startable: installed, but the daemon fails before taking its name
            f.write(f"[D-BUS Service]\nName={BUS_NAME}\n"
                    f"Exec={script if self.startable else '/bin/false'}\n")

    def stop(self):
        self.stop_daemon()
        for p in reversed(self.procs):
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.procs = []
        shutil.rmtree(self.tmp, ignore_errors=True)

    def activate(self):
        """Starts tbstreamd as a client's first call would, and waits for its name."""
        self.call("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                  "StartServiceByName", GLib.Variant("(su)", (BUS_NAME, 0)))
        wait_for("tbstreamd on the bus", lambda: self.has_owner(BUS_NAME))

    def daemon_pid(self):
        try:
            return self.call("org.freedesktop.DBus", "/org/freedesktop/DBus",
                             "org.freedesktop.DBus", "GetConnectionUnixProcessID",
                             GLib.Variant("(s)", (BUS_NAME,)))[0]
        except GLib.Error:
            return None

    def stop_daemon(self):
        """SIGTERM, as systemd stops it; waits until the name is gone."""
        pid = self.daemon_pid()
        if pid:
            os.kill(pid, signal.SIGTERM)
            wait_for("tbstreamd to leave the bus", lambda: not self.has_owner(BUS_NAME))

    def daemon_log(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    # ---- domains and peers (umockdev) -----------------------------------------------------

    def add_domain(self, name, security, iommu):
        """A USB4/Thunderbolt domain as the kernel shows it (security "": no attribute)."""
        attrs = (["security", security] if security else []) + \
            ["iommu_dma_protection", "1" if iommu else "0"]
        path = self.testbed.add_device("thunderbolt", name, None, attrs,
                                       ["DEVTYPE", "thunderbolt_domain"])
        assert path
        self.domains[name] = path
        return path

    def change_domain(self, name, security, iommu):
        """The firmware setting changed: new attributes, and the kernel's "change" uevent."""
        path = self.domains[name]
        self.testbed.set_attribute(path, "security", security)
        self.testbed.set_attribute(path, "iommu_dma_protection", "1" if iommu else "0")
        self.testbed.uevent(path, "change")

    def remove_domain(self, name):
        path = self.domains.pop(name)
        self.testbed.uevent(path, "remove")
        self.testbed.remove_device(path)


    def plug(self, xd, uuid, name, tx_lanes=2):
        """Adds XDomain xd (e.g. "0-1") with a "stream" service, as world_add_peer().

        tx_lanes other than 2: an asymmetric link (USB4 v2 can give one direction more lanes).
        """
        path = self.testbed.add_device(
            "thunderbolt", xd, None,
            ["device_name", name, "unique_id", uuid, "vendor", "0x8086", "vendor_name",
             "Intel", "device", "0x1", "maxhopid", "15", "rx_speed", "20.0 Gb/s",
             "tx_speed", "20.0 Gb/s", "rx_lanes", "2", "tx_lanes", str(tx_lanes)],
            ["DEVTYPE", "thunderbolt_xdomain"])
        assert path
        svc = self.testbed.add_device(
            "thunderbolt", xd + ".0", path,
            ["key", "stream", "prtcid", "1", "prtcvers", "1", "prtcrevs", "0", "prtcstns",
             "0x00000000", "modalias", "tbsvc:kstreamp00000001v00000001r00000000"],
            ["DEVTYPE", "thunderbolt_service",
             "MODALIAS", "tbsvc:kstreamp00000001v00000001r00000000"])
        assert svc
        return path

    def unplug(self, xd_syspath):
        svc = f"{xd_syspath}/{os.path.basename(xd_syspath)}.0"
        # the kernel removes children first, and sends "remove" before sysfs goes
        self.testbed.uevent(svc, "remove")
        self.testbed.uevent(xd_syspath, "remove")
        self.testbed.remove_device(svc)
        self.testbed.remove_device(xd_syspath)

    # ---- polkit mock ----------------------------------------------------------------------

    def polkit_allow_all(self, allow):
        self.call(POLKIT, POLKIT_PATH, MOCK, "AllowUnknown", GLib.Variant("(b)", (allow,)))

    def polkit_allow(self, actions):
        self.call(POLKIT, POLKIT_PATH, MOCK, "SetAllowed", GLib.Variant("(as)", (actions,)))

    # ---- the daemon's state over D-Bus ----------------------------------------------------

    def call(self, name, path, iface, method, params=None, reply_type=None):
        return self.conn.call_sync(name, path, iface, method, params, reply_type,
                                   Gio.DBusCallFlags.NO_AUTO_START, 20000, None).unpack()

    def has_owner(self, name):
        return self.call("org.freedesktop.DBus", "/org/freedesktop/DBus",
                         "org.freedesktop.DBus", "NameHasOwner", GLib.Variant("(s)", (name,)))[0]

    def objects(self):
        """GetManagedObjects as {path: {iface: {prop: value}}}, {} without a daemon."""
        if not self.has_owner(BUS_NAME):
            return {}
        return self.call(BUS_NAME, ROOT, "org.freedesktop.DBus.ObjectManager",
                         "GetManagedObjects")[0]

    def peers(self):
        return {p: o[PEER] for p, o in self.objects().items() if PEER in o}

    def streams(self):
        return {p: o[STREAM] for p, o in self.objects().items() if STREAM in o}

    def peer(self, uuid):
        for props in self.peers().values():
            if props["UUID"] == uuid:
                return props
        return None

    def streams_of(self, uuid):
        return {s["Name"]: s for s in self.streams().values() if s["PeerId"] == uuid}

    def configfs_items(self, group):
        d = os.path.join(self.stream_dir, group)
        return sorted(os.listdir(d)) if os.path.isdir(d) else []
