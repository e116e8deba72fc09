#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""tbstream-panel under Xvfb against the real tbstreamd, driven through AT-SPI.

Each test builds its own world (tbsworld.py: private bus, polkit mock,
umockdev peers, tbstreamd started by D-Bus activation, fake ConfigFS) and
desktop (desktop.py: Xvfb, session bus, AT-SPI), operates the panel as a
screen reader user would, and after every action asserts the daemon's state
over D-Bus (GetManagedObjects on the private bus) besides what the panel
shows. Screenshots of each state go to $TBS_PANEL_ARTIFACTS.

Runs under umockdev-wrapper (the testbed's sysfs is this process's view).
Environment: TBSTREAMD, TBS_FAKE_KERNEL_PRELOAD, TBS_PANEL, TBS_SOURCE_DIR,
TBS_PANEL_ARTIFACTS, TBS_PANEL_LOCALEDIR (the build's catalogues).
"""

import os
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import desktop as D  # noqa: E402
from desktop import Atspi, find, find_all, gone, do_action, set_text  # noqa: E402
from desktop import focused, key, type_text  # noqa: E402
from tbsworld import GLib, World, wait_for  # noqa: E402

UUID_A = "3a1cb984-c4d9-4469-a277-ce2fdfd11f0d"
UUID_B = "11111111-2222-3333-4444-555555555555"
BUTTON = Atspi.Role.PUSH_BUTTON
ITEM = Atspi.Role.LIST_ITEM
ARTIFACTS = os.environ.get("TBS_PANEL_ARTIFACTS", os.path.join(os.getcwd(), "panel-artifacts"))

# One desktop for the whole run: libatspi binds this process to the first
# accessibility bus it meets. The world and the panel are per test.
desktop = None


def setUpModule():
    global desktop
    desktop = D.Desktop(os.environ["TBS_PANEL"], ARTIFACTS)
    try:
        desktop.start()
    except BaseException:
        desktop.stop()
        raise


def tearDownModule():
    desktop.stop()


class PanelTest(unittest.TestCase):
    policy = ""
    idle_timeout = 0
    world_options = {}

    def setUp(self):
        self.world = World(os.environ["TBSTREAMD"], os.environ["TBS_FAKE_KERNEL_PRELOAD"],
                           os.environ["TBS_SOURCE_DIR"], policy=self.policy,
                           idle_timeout=self.idle_timeout, **self.world_options)
        self.addCleanup(self.world.stop)
        self.prepare_world(self.world)
        self.world.start()
        self.desktop = desktop
        self.addCleanup(self.desktop.stop_panel)
        self.panel_log = os.path.join(ARTIFACTS, self.id().split(".")[-1] + ".log")
        os.makedirs(ARTIFACTS, exist_ok=True)
        self.log_file = open(self.panel_log, "w")
        self.addCleanup(self.log_file.close)
        self.addCleanup(self.dump_on_failure)

    def prepare_world(self, world):
        """Before the world starts: subclasses break it."""

    def dump_on_failure(self):
        outcome = getattr(self, "_outcome", None)
        result = getattr(outcome, "result", None)
        failed = result and any(t is self for t, _ in result.failures + result.errors)
        if failed:
            name = self.id().split(".")[-1]
            with open(os.path.join(ARTIFACTS, name + ".daemon.log"), "w") as f:
                f.write(self.world.daemon_log())
            try:
                self.desktop.screenshot(name + ".failure")
                with open(os.path.join(ARTIFACTS, name + ".a11y.txt"), "w") as f:
                    f.write("\n".join(D.texts(self.app)))
            except Exception as e:  # the panel may be gone: the logs say why
                print(f"no failure screenshot: {e}", file=sys.stderr)

    def start_panel(self, env=None):
        self.app = self.desktop.start_panel(self.world.address, self.log_file, env)
        return self.app

    def shot(self, name):
        self.desktop.screenshot(name)

    # ---- helpers that act as a person and wait for the daemon ---------------------------------

    def open_peer(self, name):
        do_action(find(self.app, BUTTON, f"Details of {name}"))
        find(self.app, BUTTON, "Back")
        find(self.app, None, "Computer name")

    def back(self):
        do_action(find(self.app, BUTTON, "Back"))
        find(self.app, Atspi.Role.LIST, "Computers")

    def allow(self, button, streams, name="alpha"):
        do_action(find(self.app, BUTTON, button))
        dialog = find(self.app, Atspi.Role.DIALOG, f"Allow {name}?")
        set_text(find(dialog, Atspi.Role.TEXT, "Streams to make on connection"), streams)
        do_action(find(dialog, BUTTON, "Allow", first=True))

    def toast(self, contains):
        """A toast is a label in the toast overlay; waits for it."""
        return find(self.app, Atspi.Role.LABEL, contains=contains)


class TestPeers(PanelTest):
    def test_no_cable_then_a_peer_plugs_in_and_appears_highlighted(self):
        self.start_panel()
        find(self.app, Atspi.Role.LABEL, "No Computer Connected")
        self.assertTrue(self.world.has_owner("io.github.tbstream1"),
                        "the panel did not start the daemon through D-Bus activation")
        self.assertEqual(self.world.peers(), {})
        self.shot("no-cable")

        self.world.plug("0-1", UUID_A, "alpha")
        row = find(self.app, ITEM, "alpha")
        self.assertIn("Connected, 2 × 20 Gb/s", row.get_description())
        self.assertIn("Not allowed", row.get_description())
        find(self.app, BUTTON, "Allow alpha")
        find(self.app, Atspi.Role.LABEL, "New")
        gone(self.app, Atspi.Role.LABEL, "No Computer Connected")
        peer = self.world.peer(UUID_A)
        self.assertTrue(peer["Connected"])
        self.assertFalse(peer["Allowed"])
        self.shot("new-peer")

    def test_an_asymmetric_link_shows_each_direction(self):
        self.world.plug("0-1", UUID_A, "alpha", tx_lanes=1)
        self.start_panel()
        row = find(self.app, ITEM, "alpha")
        peer = self.world.peer(UUID_A)
        self.assertEqual((peer["RxLanes"], peer["RxSpeed"], peer["TxLanes"], peer["TxSpeed"]),
                         (2, 20, 1, 20))
        self.assertIn("Connected, receiving 2 × 20 Gb/s, sending 1 × 20 Gb/s",
                      row.get_description())
        self.open_peer("alpha")
        wait_for("the page's connection row to say both", lambda: [
            a for a in find_all(self.app, Atspi.Role.LABEL, contains="receiving")
            if a.get_name() == "Connected, receiving 2 × 20 Gb/s, sending 1 × 20 Gb/s"])

    def test_unplug_shows_the_peer_as_not_connected(self):
        xd = self.world.plug("0-1", UUID_A, "alpha")
        self.start_panel()
        find(self.app, BUTTON, "Allow alpha")
        self.world.unplug(xd)
        wait_for("the daemon to see the unplug",
                 lambda: not self.world.peer(UUID_A)["Connected"])
        row = wait_for("the row to say so", lambda: next(
            (r for r in find_all(self.app, ITEM, "alpha")
             if "Last seen" in r.get_description()), None))
        self.assertIn("Not allowed", row.get_description())
        # only a connected, unknown computer offers Allow in the list
        gone(self.app, BUTTON, "Allow alpha")
        self.shot("unplugged")

    def test_rename_sets_the_daemons_label(self):
        self.world.plug("0-1", UUID_A, "alpha")
        self.world.polkit_allow(["io.github.tbstream1.manage-peers"])
        self.start_panel()
        self.open_peer("alpha")
        set_text(find(self.app, Atspi.Role.TEXT, "Computer name"), "Desk PC")
        do_action(find(self.app, BUTTON, "Save the name"))
        wait_for("the label on the bus", lambda: self.world.peer(UUID_A)["Label"] == "Desk PC")
        self.assertEqual(self.world.peer(UUID_A)["DisplayName"], "Desk PC")
        # the page and the list follow the daemon's change signal
        gone(self.app, BUTTON, "Save the name")
        find(self.app, Atspi.Role.LABEL, "Desk PC")
        self.back()
        find(self.app, ITEM, "Desk PC")

    def test_denied_rename_shows_an_error_and_changes_nothing(self):
        self.world.plug("0-1", UUID_A, "alpha")
        self.start_panel()
        self.open_peer("alpha")
        set_text(find(self.app, Atspi.Role.TEXT, "Computer name"), "Mallory")
        do_action(find(self.app, BUTTON, "Save the name"))
        self.toast("Could not rename the computer: You are not allowed to do this.")
        self.shot("denied")
        peer = self.world.peer(UUID_A)
        self.assertEqual(peer["Label"], "")
        self.assertEqual(peer["DisplayName"], "alpha")
        self.assertIn("Checking io.github.tbstream1.manage-peers", self.world.daemon_log())
        # the interactive flag reached the daemon: a desktop agent could have asked
        self.assertIn("(interactive)", self.world.daemon_log())


class TestStreams(PanelTest):
    def create_stream(self, name):
        do_action(find(self.app, BUTTON, "New stream"))
        set_text(find(self.app, Atspi.Role.TEXT, "Stream name"), name)
        do_action(find(self.app, BUTTON, "Create", first=True))

    def test_create_and_remove_a_stream(self):
        self.world.plug("0-1", UUID_A, "alpha")
        self.world.polkit_allow(["io.github.tbstream1.request-stream",
                                 "io.github.tbstream1.remove-stream"])
        self.start_panel()
        self.open_peer("alpha")
        find(self.app, ITEM, "No Streams")
        self.create_stream("backup")

        s = wait_for("the stream on the bus, configured", lambda: next(
            (s for n, s in self.world.streams_of(UUID_A).items()
             if n == "backup" and s["State"] == "configured"), None))
        self.assertEqual(s["Origin"], "request")
        self.assertTrue(s["Persistent"], "the panel's default is kept until removed")
        self.assertEqual(self.world.configfs_items("0-1.0"), ["backup"])
        row = find(self.app, ITEM, "backup")
        wait_for("the row to show its device path",
                 lambda: "/dev/tbstream/by-name/alpha/backup" in row.get_description())
        self.assertIn("Ready", row.get_description())
        # its owner: the program behind the bus name the daemon reports
        self.assertTrue(s["Owner"].startswith(":"))
        wait_for("the row to name its owner",
                 lambda: "requested by tbstream-panel" in row.get_description())
        gone(self.app, ITEM, "No Streams")
        self.shot("streams")

        # the copy button puts the by-name path on the clipboard, for a terminal
        do_action(find(self.app, BUTTON, "Copy the device path of stream backup"))
        self.toast("Device path copied")
        self.assertEqual(self.desktop.clipboard(), "/dev/tbstream/by-name/alpha/backup")

        do_action(find(self.app, BUTTON, "Remove stream backup"))
        wait_for("the stream to go on the bus", lambda: not self.world.streams_of(UUID_A))
        self.assertEqual(self.world.configfs_items("0-1.0"), [])
        gone(self.app, ITEM, "backup")
        find(self.app, ITEM, "No Streams")

    def test_a_stream_not_kept_goes_with_the_panel(self):
        self.world.plug("0-1", UUID_A, "alpha")
        self.world.polkit_allow(["io.github.tbstream1.request-stream"])
        self.start_panel()
        self.open_peer("alpha")
        do_action(find(self.app, BUTTON, "New stream"))
        set_text(find(self.app, Atspi.Role.TEXT, "Stream name"), "scratch")
        do_action(find(self.app, None, "Keep until removed"))
        do_action(find(self.app, BUTTON, "Create", first=True))

        s = wait_for("the stream on the bus, configured", lambda: next(
            (s for n, s in self.world.streams_of(UUID_A).items()
             if n == "scratch" and s["State"] == "configured"), None))
        self.assertFalse(s["Persistent"])
        self.assertEqual(s["Origin"], "request")
        self.assertTrue(s["Owner"].startswith(":"))
        row = find(self.app, ITEM, "scratch")
        wait_for("the row to say it lasts while the panel runs", lambda: (
            "made on request, kept while its program runs" in row.get_description()))
        # its owner leaves: the daemon removes it
        self.desktop.stop_panel()
        wait_for("the stream to go with its owner", lambda: not self.world.streams_of(UUID_A))
        self.assertEqual(self.world.configfs_items("0-1.0"), [])

    def test_a_stream_another_program_requested_names_that_program(self):
        self.world.plug("0-1", UUID_A, "alpha")
        self.world.polkit_allow(["io.github.tbstream1.request-stream"])
        self.start_panel()
        find(self.app, BUTTON, "Allow alpha")  # the panel has started the daemon
        # this test's own connection asks, as a command-line tool would
        self.world.call("io.github.tbstream1", "/io/github/tbstream1",
                        "io.github.tbstream1.Manager", "RequestStream",
                        GLib.Variant("(ssa{sv})", (UUID_A, "cam", {})))
        with open("/proc/self/comm") as f:
            me = f.read().strip()
        self.open_peer("alpha")
        row = find(self.app, ITEM, "cam")
        wait_for("the row to name the requesting program", lambda: (
            f"made on request, kept while its program runs, requested by {me}"
            in row.get_description()))
        self.assertEqual(self.world.streams_of(UUID_A)["cam"]["Owner"],
                         self.world.conn.get_unique_name())

    def test_denied_create_shows_an_error_and_makes_nothing(self):
        self.world.plug("0-1", UUID_A, "alpha")
        self.start_panel()
        self.open_peer("alpha")
        self.create_stream("backup")
        self.toast("Could not create the stream: You are not allowed to do this.")
        self.assertEqual(self.world.streams_of(UUID_A), {})
        self.assertEqual(self.world.configfs_items("0-1.0"), [])
        find(self.app, ITEM, "No Streams")


    def test_live_throughput_in_each_direction_while_the_page_shows(self):
        self.world.plug("0-1", UUID_A, "alpha")
        self.world.polkit_allow(["io.github.tbstream1.request-stream"])
        self.start_panel()
        find(self.app, BUTTON, "Allow alpha")  # the list has loaded
        # a stream the list knows of, made by another program (the reply comes once it
        # is configured): a panel that watched every stream it knows would ask now
        self.world.call("io.github.tbstream1", "/io/github/tbstream1",
                        "io.github.tbstream1.Manager", "RequestStream",
                        GLib.Variant("(ssa{sv})", (UUID_A, "backup", {})))
        self.assertEqual(self.world.streams_of(UUID_A)["backup"]["State"], "configured")
        # the list stays on screen for longer than a sampling period, asking for nothing
        time.sleep(1.5)
        find(self.app, BUTTON, "Allow alpha")
        self.assertNotIn("Throughput watch added", self.world.daemon_log(),
                         "the list alone must not wake the daemon every second")
        self.open_peer("alpha")
        find(self.app, ITEM, "backup")

        # traffic: the fake kernel's counters grow about 1 MB/s in, 250 kB/s out
        item = os.path.join(self.world.stream_dir, "0-1.0", "backup")
        stop = threading.Event()

        def traffic():
            rx = tx = 0
            while not stop.wait(0.1):
                rx, tx = rx + 100000, tx + 25000
                for name, value in (("rx_bytes", rx), ("tx_bytes", tx)):
                    with open(os.path.join(item, name + ".new"), "w") as f:
                        f.write(f"{value}\n")
                    os.replace(os.path.join(item, name + ".new"), os.path.join(item, name))
        writer = threading.Thread(target=traffic)
        writer.start()
        self.addCleanup(writer.join)
        self.addCleanup(stop.set)

        stream = wait_for("the daemon's rates in both directions", lambda: (
            lambda s: s if s["RxRate"] > 0 and s["TxRate"] > 0 else None)(
            self.world.streams_of(UUID_A)["backup"]))
        self.assertGreater(stream["RxRate"], stream["TxRate"])
        graph = find(self.app, Atspi.Role.IMAGE, contains="Receiving")
        wait_for("the graph to show the traffic", lambda: "Receiving 0 bytes" not in
                 graph.get_name() and "sending 0 bytes" not in graph.get_name())
        find(self.app, Atspi.Role.LABEL, contains="↓")
        self.shot("throughput")
        self.assertIn("Throughput watch added", self.world.daemon_log())

        # off screen, nobody watches: the daemon stops sampling
        self.back()
        wait_for("the daemon to stop sampling", lambda: "Throughput sampling stopped: "
                 "nobody watches" in self.world.daemon_log())
        stop.set()


class TestEnrollment(PanelTest):
    def test_allow_with_a_profile_makes_its_streams_then_revoke(self):
        self.world.plug("0-1", UUID_A, "alpha")
        self.world.polkit_allow(["io.github.tbstream1.manage-peers"])
        self.start_panel()
        self.allow("Allow alpha", "backup, cam")

        wait_for("the daemon to enroll it", lambda: self.world.peer(UUID_A)["Enrolled"])
        peer = self.world.peer(UUID_A)
        self.assertTrue(peer["Allowed"])
        self.assertEqual(list(peer["Profile"]["Streams"]), ["backup", "cam"])
        self.assertEqual(peer["Profile"]["Owner"], os.getuid())
        self.assertEqual(peer["Profile"]["Mode"], 0o600)
        self.assertFalse(peer["Profile"]["Persistent"], "the dialog's Keep switch is off")
        wait_for("the daemon to make the profile's streams", lambda: sorted(
            n for n, s in self.world.streams_of(UUID_A).items()
            if s["Origin"] == "enrollment" and s["State"] == "configured") == ["backup", "cam"])
        self.assertEqual(self.world.configfs_items("0-1.0"), ["backup", "cam"])
        gone(self.app, BUTTON, "Allow alpha")
        row = find(self.app, ITEM, "alpha")
        wait_for("the row to say allowed", lambda: "· Allowed" in row.get_description())

        self.open_peer("alpha")
        backup = find(self.app, ITEM, "backup")
        find(self.app, ITEM, "cam")
        find(self.app, ITEM, "Allowed")
        wait_for("the stream's row to say where it came from",
                 lambda: "made when the computer was allowed" in backup.get_description())
        self.shot("peer")
        do_action(find(self.app, BUTTON, "Revoke this computer’s access"))
        wait_for("the daemon to revoke it", lambda: not self.world.peer(UUID_A)["Enrolled"])
        wait_for("its streams to go", lambda: not self.world.streams_of(UUID_A))
        self.assertFalse(self.world.peer(UUID_A)["Allowed"])
        gone(self.app, ITEM, "backup")
        find(self.app, ITEM, "Not Allowed")

    def test_allow_from_the_peer_page_with_its_switches(self):
        xd = self.world.plug("0-1", UUID_A, "alpha")
        self.world.polkit_allow(["io.github.tbstream1.manage-peers"])
        self.start_panel()
        self.open_peer("alpha")
        find(self.app, ITEM, "Not Allowed")
        do_action(find(self.app, BUTTON, "Allow this computer"))
        dialog = find(self.app, Atspi.Role.DIALOG, "Allow alpha?")
        set_text(find(dialog, Atspi.Role.TEXT, "Streams to make on connection"), "backup")
        # both switches the other way round from their defaults
        do_action(find(dialog, None, "Keep streams when unplugged"))
        do_action(find(dialog, None, "Only I may open the streams"))
        do_action(find(dialog, BUTTON, "Allow", first=True))

        wait_for("the daemon to enroll it", lambda: self.world.peer(UUID_A)["Enrolled"])
        profile = self.world.peer(UUID_A)["Profile"]
        self.assertEqual(list(profile["Streams"]), ["backup"])
        self.assertTrue(profile["Persistent"])
        # not only this user's: the daemon leaves the nodes as udev makes them
        self.assertEqual((profile["Owner"], profile["Mode"]), (0xffffffff, 0xffffffff))
        wait_for("the profile's stream", lambda: self.world.streams_of(UUID_A).get(
            "backup", {}).get("State") == "configured")
        self.assertEqual(self.world.streams_of(UUID_A)["backup"]["Origin"], "enrollment")
        find(self.app, ITEM, "Allowed")
        gone(self.app, BUTTON, "Allow this computer")
        # kept when unplugged, as the switch asked
        self.world.unplug(xd)
        wait_for("the stream to be detached, not removed", lambda: self.world.streams_of(
            UUID_A).get("backup", {}).get("State") == "detached")
        self.assertEqual(self.world.configfs_items("0-1.0"), ["backup"])

    def test_forget_a_connected_peer_keeps_it_as_a_new_one(self):
        self.world.plug("0-1", UUID_A, "alpha")
        self.world.polkit_allow(["io.github.tbstream1.manage-peers"])
        self.start_panel()
        self.allow("Allow alpha", "backup")
        wait_for("the profile's stream", lambda: "backup" in self.world.streams_of(UUID_A))
        self.open_peer("alpha")
        do_action(find(self.app, BUTTON, "Forget this computer"))
        dialog = find(self.app, Atspi.Role.DIALOG, "Forget alpha?")
        do_action(find(dialog, BUTTON, "Forget", first=True))
        wait_for("the daemon to forget its enrollment",
                 lambda: not self.world.peer(UUID_A)["Enrolled"])
        wait_for("its streams to go", lambda: not self.world.streams_of(UUID_A))
        self.assertEqual(self.world.configfs_items("0-1.0"), [])
        # still plugged in: the same computer, unknown again
        peer = self.world.peer(UUID_A)
        self.assertTrue(peer["Connected"])
        self.assertFalse(peer["Allowed"])
        self.assertEqual(dict(peer["Profile"]), {})
        find(self.app, ITEM, "Not Allowed")
        find(self.app, BUTTON, "Allow this computer")
        self.back()
        find(self.app, BUTTON, "Allow alpha")
        find(self.app, Atspi.Role.LABEL, "New")

    def test_forget_a_disconnected_peer_removes_it(self):
        xd = self.world.plug("0-1", UUID_A, "alpha")
        self.world.polkit_allow(["io.github.tbstream1.manage-peers"])
        self.start_panel()
        self.allow("Allow alpha", "")
        wait_for("the daemon to enroll it", lambda: self.world.peer(UUID_A)["Enrolled"])
        self.world.unplug(xd)
        wait_for("the unplug", lambda: not self.world.peer(UUID_A)["Connected"])
        self.open_peer("alpha")
        do_action(find(self.app, BUTTON, "Forget this computer"))
        dialog = find(self.app, Atspi.Role.DIALOG, "Forget alpha?")
        do_action(find(dialog, BUTTON, "Forget", first=True))
        wait_for("the daemon to forget it", lambda: self.world.peer(UUID_A) is None)
        # its page closes and the list is empty again
        find(self.app, Atspi.Role.LABEL, "No Computer Connected")
        gone(self.app, ITEM, "alpha")

    def test_denied_allow_shows_an_error_and_changes_nothing(self):
        self.world.plug("0-1", UUID_A, "alpha")
        self.start_panel()
        self.allow("Allow alpha", "backup")
        self.toast("Could not allow the computer: You are not allowed to do this.")
        peer = self.world.peer(UUID_A)
        self.assertFalse(peer["Enrolled"])
        self.assertFalse(peer["Allowed"])
        self.assertEqual(self.world.streams_of(UUID_A), {})
        find(self.app, BUTTON, "Allow alpha")


class TestOverride(PanelTest):
    """An administrator's Allow=no rule takes precedence over an enrollment; the
    daemon names the rule in PolicyOverride and the panel says which one."""
    policy = f"[Peer lockdown]\nMatchUUID={UUID_A}\nAllow=no\n"

    def test_a_denying_rule_overrides_the_allow_and_the_page_names_it(self):
        self.world.plug("0-1", UUID_A, "alpha")
        self.world.polkit_allow(["io.github.tbstream1.manage-peers"])
        self.start_panel()
        self.allow("Allow alpha", "backup")

        wait_for("the daemon to enroll it", lambda: self.world.peer(UUID_A)["Enrolled"])
        peer = self.world.peer(UUID_A)
        self.assertFalse(peer["Allowed"])
        self.assertEqual(peer["PolicyOverride"], "lockdown")
        self.assertEqual(self.world.streams_of(UUID_A), {})
        self.assertEqual(self.world.configfs_items("0-1.0"), [])
        row = find(self.app, ITEM, "alpha")
        wait_for("the row to say overridden",
                 lambda: "Allowed, but overridden" in row.get_description())

        self.open_peer("alpha")
        find(self.app, ITEM, "Allowed, but Overridden")
        find(self.app, Atspi.Role.LABEL,
             "The administrator’s rule “lockdown” denies this computer.")
        find(self.app, BUTTON, "Revoke this computer’s access")
        self.shot("overridden")


# What a person operates: each needs a name a screen reader can say.
CONTROL_ROLES = tuple(getattr(Atspi.Role, r) for r in (
    "PUSH_BUTTON", "TOGGLE_BUTTON", "CHECK_BOX", "RADIO_BUTTON", "TEXT", "ENTRY",
    "PASSWORD_TEXT", "SPIN_BUTTON", "COMBO_BOX", "MENU_ITEM", "CHECK_MENU_ITEM", "LINK",
    "SLIDER", "LIST_ITEM", "SWITCH") if hasattr(Atspi.Role, r))


class TestAccessibleNames(PanelTest):
    """Every control in every view has an accessible name: the list, the Allow
    dialog, a computer's page with a stream, the New Stream and Forget dialogs,
    the main menu."""

    def assert_all_named(self, view):
        unnamed = []
        for a in D.walk(self.app):
            try:
                if a.get_role() in CONTROL_ROLES and not (a.get_name() or "").strip():
                    unnamed.append(D.describe(a) + " in " + D.describe(a.get_parent()))
            except D.GLib.Error:
                continue  # gone while we looked
        self.assertEqual(unnamed, [], f"controls without an accessible name in {view}")
        checked = [a for a in D.walk(self.app) if a.get_role() in CONTROL_ROLES]
        self.assertTrue(checked, f"no control found in {view}: the walk saw nothing")

    def cancel(self, dialog_name):
        dialog = find(self.app, Atspi.Role.DIALOG, dialog_name)
        do_action(find(dialog, BUTTON, "Cancel", first=True))
        gone(self.app, Atspi.Role.DIALOG, dialog_name)

    def test_every_control_has_an_accessible_name(self):
        self.world.plug("0-1", UUID_A, "alpha")
        self.world.polkit_allow(["io.github.tbstream1.request-stream"])
        self.start_panel()
        find(self.app, BUTTON, "Allow alpha")
        self.assert_all_named("the list")

        # GTK 4.8 shows the menu button and the toggle inside it, both named
        find(self.app, BUTTON, "Main menu", first=True)
        do_action(find_all(self.app, BUTTON, "Main menu")[-1])
        find(self.app, Atspi.Role.MENU_ITEM, "About Thunderbolt Streams")
        self.assert_all_named("the main menu")
        D.key("Escape")
        gone(self.app, Atspi.Role.MENU_ITEM, "About Thunderbolt Streams")

        do_action(find(self.app, BUTTON, "Allow alpha"))
        find(self.app, Atspi.Role.DIALOG, "Allow alpha?")
        self.assert_all_named("the Allow dialog")
        self.cancel("Allow alpha?")

        self.open_peer("alpha")
        do_action(find(self.app, BUTTON, "New stream"))
        find(self.app, Atspi.Role.TEXT, "Stream name")
        self.assert_all_named("the New Stream dialog")
        set_text(find(self.app, Atspi.Role.TEXT, "Stream name"), "backup")
        do_action(find(self.app, BUTTON, "Create", first=True))
        wait_for("the stream on the bus", lambda: "backup" in self.world.streams_of(UUID_A))
        row = find(self.app, ITEM, "backup")
        wait_for("the row to show its device path",
                 lambda: "/dev/tbstream/by-name/alpha/backup" in row.get_description())
        self.assert_all_named("a computer's page with a stream")
        find(self.app, BUTTON, "Copy the device path of stream backup")
        find(self.app, BUTTON, "Remove stream backup")

        do_action(find(self.app, BUTTON, "Forget this computer"))
        find(self.app, Atspi.Role.DIALOG, "Forget alpha?")
        self.assert_all_named("the Forget dialog")
        self.cancel("Forget alpha?")


class TestGerman(PanelTest):
    """LANGUAGE=de: the panel speaks German, errors too (translated from their codes).

    The locale stays C.UTF-8, the one every Debian system has: gettext
    honours LANGUAGE with any locale but C, so no de_DE locale is needed."""

    def test_the_panel_and_its_errors_are_in_german(self):
        if not os.environ.get("TBS_PANEL_LOCALEDIR"):
            self.skipTest("TBS_PANEL_LOCALEDIR: no catalogues built")
        self.world.plug("0-1", UUID_A, "alpha")
        self.world.polkit_allow(["io.github.tbstream1.request-stream"])
        self.start_panel({"LANGUAGE": "de"})
        row = find(self.app, ITEM, "alpha")
        self.assertIn("Verbunden, 2 × 20 Gbit/s", row.get_description())
        self.assertIn("Nicht zugelassen", row.get_description())
        find(self.app, Atspi.Role.LABEL, "Neu")
        self.assertEqual(find_all(self.app, BUTTON, "Allow alpha"), [])
        controller = find(self.app, ITEM, "Thunderbolt- oder USB4-Controller")
        self.assertIn("Benutzerautorisierung", controller.get_description())
        self.assertIn("DMA-Schutz (IOMMU) ist an", controller.get_description())
        self.shot("german")

        # a refusal polkit makes (no code: the panel's own words)
        do_action(find(self.app, BUTTON, "alpha zulassen"))
        dialog = find(self.app, Atspi.Role.DIALOG, "alpha zulassen?")
        do_action(find(dialog, BUTTON, "Zulassen", first=True))
        self.toast("Der Computer konnte nicht zugelassen werden: Sie dürfen das nicht tun.")
        self.assertFalse(self.world.peer(UUID_A)["Enrolled"])

        # an error the daemon names by its code: StreamExists
        self.open_peer_de("alpha")
        for attempt in range(2):
            do_action(find(self.app, BUTTON, "Neuer Datenstrom"))
            set_text(find(self.app, Atspi.Role.TEXT, "Name des Datenstroms"), "backup")
            do_action(find(self.app, BUTTON, "Anlegen", first=True))
            if attempt == 0:
                wait_for("the stream on the bus", lambda: "backup" in
                         self.world.streams_of(UUID_A))
                find(self.app, ITEM, "backup")
        self.toast("Der Datenstrom konnte nicht angelegt werden: Dieser Computer hat bereits "
                   "einen Datenstrom dieses Namens.")
        self.assertEqual(list(self.world.streams_of(UUID_A)), ["backup"])
        self.assertEqual(self.world.configfs_items("0-1.0"), ["backup"])

    def open_peer_de(self, name):
        do_action(find(self.app, BUTTON, f"Details zu {name}"))
        find(self.app, BUTTON, "Zurück")
        find(self.app, None, "Name des Computers")


class TestKeyboard(PanelTest):
    """The main actions with the keyboard alone: Tab, Shift+Tab, arrows, Enter,
    Space and typing, sent as key presses to whatever has the focus (no
    AT-SPI action, no pointer)."""

    def tab_to(self, role, name, back=False, limit=25):
        """Presses Tab (Shift+Tab: back) until the control has the focus."""
        for _ in range(limit):
            f = focused(self.app)
            if f and f.get_role() == role and f in find_all(self.app, role, name):
                return f
            key("ISO_Left_Tab" if back else "Tab")
            wait_for("the focus to move", lambda: focused(self.app) != f, timeout=5)
        raise AssertionError(f"{name!r} not reached with {limit} presses of Tab; "
                             f"the focus is on {D.describe(focused(self.app))}")

    def type_into(self, name, text):
        """Tabs to the text field and types text into it.

        GTK 4.8 neither gives the text inside an AdwEntryRow a FOCUSED state
        nor its content to AT-SPI's Text interface: the field is the one stop
        where no control reports the focus, and what the daemon receives
        proves the keys went there."""
        find(self.app, Atspi.Role.TEXT, name)
        for _ in range(25):
            f = focused(self.app)
            if f is None:
                break
            key("Tab")
            wait_for("the focus to move", lambda: focused(self.app) != f, timeout=5)
        else:
            raise AssertionError(f"Tab never reached the text field {name!r}")
        type_text(text)

    def test_allow_and_rename_with_the_keyboard_only(self):
        self.world.plug("0-1", UUID_A, "alpha")
        self.world.plug("0-3", UUID_B, "beta")
        self.world.polkit_allow(["io.github.tbstream1.manage-peers"])
        self.start_panel()
        find(self.app, BUTTON, "Allow alpha")
        find(self.app, BUTTON, "Allow beta")

        # the arrows move between the computers in the list
        first = self.tab_to(ITEM, None)

        def focused_row():
            f = focused(self.app)
            return f.get_name() if f and f.get_role() == ITEM else None

        key("Down")
        second = wait_for("the next row", lambda: focused_row() not in (None, first.get_name())
                          and focused_row())
        self.assertEqual({first.get_name().split()[0], second.split()[0]}, {"alpha", "beta"})
        key("Up")
        wait_for("the first row again", lambda: focused_row() == first.get_name())

        # allow alpha with a stream: Space on its button, type, Enter on Allow
        self.tab_to(BUTTON, "Allow alpha")
        key("space")
        find(self.app, Atspi.Role.DIALOG, "Allow alpha?")
        self.type_into("Streams to make on connection", "backup")
        self.tab_to(BUTTON, "Allow")
        key("Return")
        wait_for("the daemon to enroll alpha", lambda: self.world.peer(UUID_A)["Enrolled"])
        self.assertEqual(list(self.world.peer(UUID_A)["Profile"]["Streams"]), ["backup"])
        wait_for("the profile's stream", lambda: [
            n for n, s in self.world.streams_of(UUID_A).items()
            if s["Origin"] == "enrollment" and s["State"] == "configured"] == ["backup"])
        self.assertFalse(self.world.peer(UUID_B)["Enrolled"], "beta was not chosen")
        gone(self.app, BUTTON, "Allow alpha")

        # its page with Enter, a new name typed and Enter to save, back with Space
        self.tab_to(BUTTON, "Details of alpha")
        key("Return")
        find(self.app, BUTTON, "Back")
        # the field shows "alpha" and keyboard focus selects it all: typing replaces it
        self.type_into("Computer name", "Desk PC")
        key("Return")
        wait_for("the label on the bus", lambda: self.world.peer(UUID_A)["Label"] == "Desk PC")
        self.tab_to(BUTTON, "Back", back=True)
        key("space")
        find(self.app, ITEM, "Desk PC")
        self.shot("keyboard")


class TestDarkMode(PanelTest):
    """The desktop's color-scheme preference (org.gnome.desktop.interface, what
    GNOME Settings' Appearance panel writes; read by libadwaita's style manager
    when there is no settings portal) turns the panel dark while it runs.

    GSettings' keyfile backend stands in for dconf: the same key, in a file
    this test writes and GLib watches. Dark or light is measured on the
    screen: Adwaita's window background is #fafafa light, #242424 dark."""

    def set_scheme(self, scheme):
        with open(os.path.join(self.settings, "keyfile.new"), "w") as f:
            f.write(f"[org/gnome/desktop/interface]\ncolor-scheme='{scheme}'\n")
        os.replace(os.path.join(self.settings, "keyfile.new"),
                   os.path.join(self.settings, "keyfile"))

    def test_follows_the_desktops_dark_preference(self):
        config = os.path.join(self.desktop.tmp, "dark-mode-config")
        self.settings = os.path.join(config, "glib-2.0", "settings")
        os.makedirs(self.settings, exist_ok=True)
        self.set_scheme("default")
        self.world.plug("0-1", UUID_A, "alpha")
        self.start_panel({"GSETTINGS_BACKEND": "keyfile", "XDG_CONFIG_HOME": config})
        find(self.app, BUTTON, "Allow alpha")
        light = wait_for("a light window", lambda: (lambda m: m if m > 0.7 else None)(
            self.desktop.mean_luminance("light")))

        self.set_scheme("prefer-dark")
        dark = wait_for("the window to turn dark", lambda: (lambda m: m if m < 0.35 else None)(
            self.desktop.mean_luminance("dark")), timeout=20, interval=0.5)
        self.assertLess(dark, light)
        # still the same panel, and it still works: nothing restarted
        find(self.app, BUTTON, "Allow alpha")

        self.set_scheme("prefer-light")
        wait_for("the window to turn light again", lambda: self.desktop.mean_luminance(
            "light-again") > 0.7, timeout=20, interval=0.5)


class TestControllers(PanelTest):
    """"This Computer" shows each domain's security level and IOMMU DMA
    protection from Manager.Controllers, and follows udev: a changed firmware
    setting, a second domain, a domain that goes."""
    world_options = {"security": "secure", "iommu": True}
    CONTROLLER = "Thunderbolt or USB4 Controller"

    def controllers(self):
        return self.world.call("io.github.tbstream1", "/io/github/tbstream1",
                               "org.freedesktop.DBus.Properties", "Get",
                               GLib.Variant("(ss)", ("io.github.tbstream1.Manager",
                                                     "Controllers")))[0]

    def rows(self, name):
        # find_all() also takes "NAME 1" for NAME: here the number matters (GTK 4.8
        # repeats the title's label after the row's name)
        return [r for r in find_all(self.app, ITEM, name)
                if r.get_name() in (name, f"{name} {name}")]

    def row_saying(self, name, *texts):
        return wait_for(f"the row {name!r} to say {texts}", lambda: next(
            (r for r in self.rows(name)
             if all(t in (r.get_description() or "") for t in texts)), None))

    def test_security_level_and_dma_protection_follow_the_domain(self):
        self.start_panel()
        find(self.app, Atspi.Role.LABEL, "No Computer Connected")
        self.assertEqual(self.controllers(), [{"Name": "domain0", "Subsystem": "thunderbolt",
                                               "SecurityLevel": "secure",
                                               "IOMMUProtection": True}])
        # on the empty page too: it is where a person wonders why nothing shows
        find(self.app, Atspi.Role.LABEL, "This Computer")
        self.row_saying(self.CONTROLLER, "Secure connect: a device is connected once someone "
                        "approves it", "DMA protection (IOMMU) is on")
        find(self.app, Atspi.Role.LABEL, contains="Streams between computers do not go over PCIe")
        self.shot("controllers")

        # the firmware setting changes: the kernel says so with a "change" uevent
        self.world.change_domain("domain0", "dponly", False)
        wait_for("the daemon to see the change",
                 lambda: self.controllers()[0]["SecurityLevel"] == "dponly")
        self.assertFalse(self.controllers()[0]["IOMMUProtection"])
        self.row_saying(self.CONTROLLER, "DisplayPort and USB only",
                        "DMA protection (IOMMU) is off or not reported")
        gone(self.app, ITEM, contains="Secure connect")

        # a computer plugs in and a second domain appears: under the list, numbered
        self.world.plug("0-1", UUID_A, "alpha")
        find(self.app, BUTTON, "Allow alpha")
        self.world.add_domain("domain1", "nopcie", True)
        wait_for("the daemon to see domain1", lambda: len(self.controllers()) == 2)
        self.assertEqual([(c["Name"], c["SecurityLevel"], c["IOMMUProtection"])
                          for c in self.controllers()],
                         [("domain0", "dponly", False), ("domain1", "nopcie", True)])
        self.row_saying(self.CONTROLLER + " 1", "DisplayPort and USB only", "is off")
        self.row_saying(self.CONTROLLER + " 2", "PCIe turned off", "is on")
        self.assertEqual(self.rows(self.CONTROLLER), [])
        self.shot("controllers-with-a-peer")

        # domains go: their rows go, and the section with the last one
        self.world.remove_domain("domain1")
        wait_for("the daemon to see domain1 go", lambda: len(self.controllers()) == 1)
        self.row_saying(self.CONTROLLER, "DisplayPort and USB only")
        self.assertEqual(self.rows(self.CONTROLLER + " 2"), [])
        self.world.remove_domain("domain0")
        wait_for("the daemon to see domain0 go", lambda: self.controllers() == [])
        gone(self.app, ITEM, self.CONTROLLER)
        gone(self.app, Atspi.Role.LABEL, "This Computer")
        find(self.app, ITEM, "alpha")


class TestNoController(PanelTest):
    world_options = {"controller": False}

    def test_no_controller_says_so(self):
        self.start_panel()
        find(self.app, Atspi.Role.LABEL, "No Thunderbolt or USB4 Port")
        self.assertEqual(self.world.call("io.github.tbstream1", "/io/github/tbstream1",
                                         "org.freedesktop.DBus.Properties", "Get",
                                         GLib.Variant("(ss)", ("io.github.tbstream1.Manager",
                                                           "Controllers")))[0], [])
        self.shot("no-controller")

    def test_a_known_peer_does_not_hide_the_missing_controller(self):
        xd = self.world.plug("0-1", UUID_A, "alpha")
        self.start_panel()
        find(self.app, BUTTON, "Allow alpha")
        # a computer plugged in proves a controller, whatever the kernel listed
        self.assertEqual(find_all(self.app, ITEM, "No Thunderbolt or USB4 Port"), [])
        self.world.unplug(xd)
        wait_for("the unplug", lambda: not self.world.peer(UUID_A)["Connected"])
        self.assertEqual(self.world.call("io.github.tbstream1", "/io/github/tbstream1",
                                         "org.freedesktop.DBus.Properties", "Get",
                                         GLib.Variant("(ss)", ("io.github.tbstream1.Manager",
                                                           "Controllers")))[0], [])
        problem = find(self.app, ITEM, "No Thunderbolt or USB4 Port")
        self.assertIn("firmware settings", problem.get_description())
        row = find(self.app, ITEM, "alpha")
        self.assertIn("Last seen", row.get_description())


class TestNoStreamModule(PanelTest):
    world_options = {"stream_module": False}

    def test_missing_stream_module_says_what_to_do(self):
        self.start_panel()
        find(self.app, Atspi.Role.LABEL, "Streams Are Not Available")
        find(self.app, Atspi.Role.LABEL, contains="modprobe tbstream")
        self.assertEqual(self.world.call("io.github.tbstream1", "/io/github/tbstream1",
                                         "org.freedesktop.DBus.Properties", "Get",
                                         GLib.Variant("(ss)", ("io.github.tbstream1.Manager",
                                                           "StatusCode")))[0],
                         "no-stream-module")
        self.shot("no-module")

    def test_a_listed_peer_does_not_hide_the_missing_module(self):
        self.world.plug("0-1", UUID_A, "alpha")
        self.world.polkit_allow(["io.github.tbstream1.manage-peers"])
        self.world.activate()
        wait_for("the peer on the bus", lambda: self.world.peer(UUID_A))
        path = next(p for p, props in self.world.peers().items() if props["UUID"] == UUID_A)
        self.world.call("io.github.tbstream1", path, "io.github.tbstream1.Peer", "Enroll",
                        GLib.Variant("(a{sv})", ({"Streams": GLib.Variant("as", ["backup"])},)))
        self.assertTrue(self.world.peer(UUID_A)["Enrolled"])
        self.assertEqual(self.world.call("io.github.tbstream1", "/io/github/tbstream1",
                                         "org.freedesktop.DBus.Properties", "Get",
                                         GLib.Variant("(ss)", ("io.github.tbstream1.Manager",
                                                           "StatusCode")))[0],
                         "no-stream-module")
        self.start_panel()
        row = find(self.app, ITEM, "alpha")
        self.assertIn("Allowed", row.get_description())
        # above the list, not instead of it
        problem = find(self.app, ITEM, "Streams Are Not Available")
        self.assertIn("modprobe tbstream", problem.get_description())
        self.assertEqual(self.world.streams_of(UUID_A), {})
        self.shot("no-module-with-a-peer")


class TestNoConfigFS(PanelTest):
    world_options = {"configfs": False}

    def test_configfs_not_mounted_says_what_to_do(self):
        self.start_panel()
        find(self.app, Atspi.Role.LABEL, "Streams Are Not Available")
        find(self.app, Atspi.Role.LABEL, contains="ConfigFS is not mounted")
        manager = GLib.Variant("(s)", ("io.github.tbstream1.Manager",))
        props = self.world.call("io.github.tbstream1", "/io/github/tbstream1",
                                "org.freedesktop.DBus.Properties", "GetAll", manager)[0]
        self.assertEqual(props["StatusCode"], "no-configfs")
        self.assertFalse(props["ConfigFS"])
        self.assertFalse(props["StreamModule"])
        self.shot("no-configfs")


class TestDaemonCannotStart(PanelTest):
    world_options = {"startable": False}

    def test_a_daemon_that_cannot_start_is_reported_with_a_retry(self):
        self.start_panel()
        find(self.app, Atspi.Role.LABEL, "The Stream Service Is Not Running")
        find(self.app, BUTTON, "Try Again")
        self.assertFalse(self.world.has_owner("io.github.tbstream1"))
        self.shot("not-running")


class TestIdleExit(PanelTest):
    idle_timeout = 1

    def test_the_daemon_leaving_when_idle_is_normal(self):
        self.start_panel()
        find(self.app, Atspi.Role.LABEL, "No Computer Connected")
        first = wait_for("a daemon", self.world.daemon_pid)
        # it exits when idle; the panel, on screen, starts it again: no error page
        wait_for("a new daemon", lambda: self.world.daemon_pid() not in (None, first))
        find(self.app, Atspi.Role.LABEL, "No Computer Connected")
        self.assertEqual(find_all(self.app, Atspi.Role.LABEL,
                                  "The Stream Service Is Not Running"), [])

    def unplug_and_outlive_the_daemon(self, xd):
        """Unplugs alpha and waits for the next daemon (the idle one exits, the
        panel starts another); returns alpha's bus properties and its row."""
        self.world.unplug(xd)
        wait_for("the unplug", lambda: not self.world.peer(UUID_A)["Connected"])
        first = wait_for("a daemon", self.world.daemon_pid)
        wait_for("a new daemon", lambda: self.world.daemon_pid() not in (None, first))
        # the new daemon knows it from its store, before it plugs in again
        peer = wait_for("the peer on the bus", lambda: self.world.peer(UUID_A))
        self.assertFalse(peer["Connected"])
        self.assertEqual(peer["Name"], "alpha")
        row = wait_for("the row, unplugged", lambda: next(
            (r for r in find_all(self.app, ITEM, "alpha")
             if "Last seen" in r.get_description()), None))
        return peer, row

    def test_an_unplugged_peer_is_still_listed_after_the_daemon_came_back(self):
        xd = self.world.plug("0-1", UUID_A, "alpha")
        self.start_panel()
        find(self.app, BUTTON, "Allow alpha")
        _, row = self.unplug_and_outlive_the_daemon(xd)
        self.assertIn("Not allowed", row.get_description())
        gone(self.app, Atspi.Role.LABEL, "No Computer Connected")

    def test_an_enrolled_peer_not_judged_yet_is_not_shown_overridden(self):
        xd = self.world.plug("0-1", UUID_A, "alpha")
        self.world.polkit_allow(["io.github.tbstream1.manage-peers"])
        self.start_panel()
        self.allow("Allow alpha", "")
        wait_for("the daemon to enroll it", lambda: self.world.peer(UUID_A)["Enrolled"])
        peer, row = self.unplug_and_outlive_the_daemon(xd)
        # the new daemon has not judged it (it is not plugged in): no rule
        # overrides its enrollment, so the panel must not say one does
        self.assertTrue(peer["Enrolled"])
        self.assertEqual(peer["PolicyOverride"], "")
        self.assertIn("Allowed", row.get_description())
        self.assertNotIn("overridden", row.get_description())


if __name__ == "__main__":
    unittest.main(verbosity=2)
