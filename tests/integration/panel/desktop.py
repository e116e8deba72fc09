# SPDX-License-Identifier: GPL-2.0-or-later
"""A headless desktop for the panel: Xvfb, a session bus with the AT-SPI bus
(at-spi2-core, activated on the session bus as on a desktop), the panel on the
world's private system bus, AT-SPI helpers to find and operate its controls,
and screenshots.

Every wait is bounded and waits for a real state (a control with a given name
and state in the accessibility tree), never for a fixed time.
"""

import os
import shutil
import subprocess
import tempfile
import warnings

import gi

gi.require_version("Atspi", "2.0")
from gi.repository import Atspi, GLib  # noqa: E402

from tbsworld import wait_for  # noqa: E402

# libatspi 2.46 marks get_*_iface deprecated in favour of names PyGObject lacks
warnings.filterwarnings("ignore", message="Atspi", category=DeprecationWarning)


class Desktop:
    def __init__(self, panel, artifacts):
        self.panel = panel
        self.artifacts = artifacts
        self.tmp = tempfile.mkdtemp(prefix="tbstream-panel-desktop-")
        self.procs = []
        self.app_proc = None
        self.display = None
        self.env = None

    def start(self):
        read_fd, write_fd = os.pipe()
        xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write_fd), "-screen", "0",
                                 "900x800x24", "-nolisten", "tcp", "-noreset"],
                                pass_fds=(write_fd,), stderr=subprocess.DEVNULL)
        os.close(write_fd)
        self.procs.append(xvfb)
        with os.fdopen(read_fd) as f:
            number = f.readline().strip()
        assert number, "Xvfb did not start"
        self.display = ":" + number
        runtime = os.path.join(self.tmp, "runtime")
        home = os.path.join(self.tmp, "home")
        os.makedirs(runtime, mode=0o700)
        os.makedirs(home)
        env = {k: v for k, v in os.environ.items()
               if k not in ("LD_PRELOAD", "UMOCKDEV_DIR", "NO_AT_BRIDGE", "WAYLAND_DISPLAY",
                            "DBUS_SESSION_BUS_ADDRESS", "GTK_THEME", "LANGUAGE",
                            "LC_MESSAGES")}
        env.update(DISPLAY=self.display, XDG_RUNTIME_DIR=runtime, HOME=home,
                   XDG_CONFIG_HOME=os.path.join(home, ".config"),
                   XDG_DATA_HOME=os.path.join(home, ".local", "share"),
                   XDG_CACHE_HOME=os.path.join(home, ".cache"),
                   GSETTINGS_BACKEND="memory", GDK_BACKEND="x11", GTK_A11Y="atspi",
                   LANG="C.UTF-8", LC_ALL="C.UTF-8", ADW_DISABLE_PORTAL="1",
                   GTK_USE_PORTAL="0", GIO_USE_VFS="local")
        # the catalogues of this build, not those of an installed panel
        if os.environ.get("TBS_PANEL_LOCALEDIR"):
            env["TBSTREAM_PANEL_LOCALEDIR"] = os.environ["TBS_PANEL_LOCALEDIR"]
        session = subprocess.Popen(["dbus-daemon", "--session", "--nofork",
                                    "--print-address=1"], stdout=subprocess.PIPE, env=env,
                                   text=True)
        self.procs.append(session)
        env["DBUS_SESSION_BUS_ADDRESS"] = session.stdout.readline().strip()
        assert env["DBUS_SESSION_BUS_ADDRESS"], "no session bus"
        self.env = env
        # this process is the screen reader: it talks to the same a11y bus
        for k in ("DISPLAY", "DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR"):
            os.environ[k] = env[k]
        os.environ.pop("NO_AT_BRIDGE", None)
        Atspi.init()

    def stop(self):
        self.stop_panel()
        for p in reversed(self.procs):
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.procs = []
        shutil.rmtree(self.tmp, ignore_errors=True)

    # ---- the panel ------------------------------------------------------------------------

    def start_panel(self, system_bus, stdout, env=None):
        """env: more variables for the panel (LANGUAGE=de)."""
        env = dict(self.env, DBUS_SYSTEM_BUS_ADDRESS=system_bus, **(env or {}))
        self.app_proc = subprocess.Popen([self.panel], env=env, stdout=stdout,
                                         stderr=subprocess.STDOUT)
        return self.app()

    def stop_panel(self):
        if self.app_proc:
            self.app_proc.terminate()
            try:
                self.app_proc.wait(10)
            except subprocess.TimeoutExpired:
                self.app_proc.kill()
                self.app_proc.wait()
            self.app_proc = None

    def app(self, timeout=60):
        def find():
            assert self.app_proc.poll() is None, "the panel exited"
            desktop = Atspi.get_desktop(0)
            for i in range(desktop.get_child_count()):
                a = desktop.get_child_at_index(i)
                if a and a.get_process_id() == self.app_proc.pid:
                    return a
            return None
        return wait_for("the panel on the accessibility bus", find, timeout)

    # ---- screenshots ----------------------------------------------------------------------

    def screenshot(self, name):
        """The screen, trimmed to the panel's window, as <artifacts>/<name>.png."""
        os.makedirs(self.artifacts, exist_ok=True)
        path = os.path.join(self.artifacts, name + ".png")
        subprocess.run(["import", "-display", self.display, "-window", "root", "-trim",
                        "+repage", path], check=True, env=self.env)
        return path


    def clipboard(self):
        """The text on the display's clipboard, read by another X client as a
        paste would (the panel owns the selection; no clipboard tool needed)."""
        reader = ("import gi, sys\n"
                  "gi.require_version('Gdk', '4.0')\n"
                  "from gi.repository import Gdk, GLib\n"
                  "loop, out = GLib.MainLoop(), []\n"
                  "def done(cb, res):\n"
                  "    out.append(cb.read_text_finish(res) or '')\n"
                  "    loop.quit()\n"
                  "Gdk.Display.open(sys.argv[1]).get_clipboard().read_text_async(None, done)\n"
                  "GLib.timeout_add_seconds(10, loop.quit)\n"
                  "loop.run()\n"
                  "print(out[0] if out else '', end='')\n")
        env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
        return subprocess.run(["/usr/bin/python3", "-c", reader, self.display], env=env,
                              capture_output=True, text=True, timeout=30, check=True).stdout

    def mean_luminance(self, name):
        """A screenshot of the window and its mean luminance, 0 (black) to 1 (white)."""
        path = self.screenshot(name)
        out = subprocess.run(["convert", path, "-colorspace", "Gray", "-format", "%[fx:mean]",
                              "info:"], check=True, env=self.env, capture_output=True,
                             text=True).stdout
        return float(out)


# ---- the accessibility tree ----------------------------------------------------------------

def walk(acc):
    """Every visible descendant of acc, depth first; hidden subtrees are skipped.

    GTK 4.8 sets no SHOWING state, so VISIBLE it is; the panel hides the pages
    it does not show (window.c)."""
    try:
        n = acc.get_child_count()
    except GLib.Error:
        return  # went away while we looked (a dialog closing): so it is not shown
    for i in range(n):
        try:
            child = acc.get_child_at_index(i)
            if child is None or not child.get_state_set().contains(Atspi.StateType.VISIBLE):
                continue
        except GLib.Error:
            continue
        yield child
        yield from walk(child)


def describe(acc):
    return f"{acc.get_role_name()} '{acc.get_name()}'"


def find_all(root, role=None, name=None, contains=None):
    out = []
    for a in walk(root):
        try:
            a_role, an, desc = a.get_role(), a.get_name() or "", a.get_description() or ""
        except GLib.Error:
            continue  # gone meanwhile
        if role is not None and a_role != role:
            continue
        # GTK 4.8 appends the text of a control's label to its accessible name
        if name is not None and an != name and not an.startswith(name + " ") and \
                not an.endswith(" " + name):
            continue
        if contains is not None and contains not in an and contains not in desc:
            continue
        out.append(a)
    return out


def find(root, role=None, name=None, contains=None, timeout=30, first=False):
    """Waits for exactly one visible control and returns it.

    first: take the first of several, for AdwMessageDialog's responses, which
    exist twice (a wide and a narrow layout, in an AdwSqueezer) and GTK 4.8
    does not say which one shows; both answer the same."""
    def once():
        found = find_all(root, role, name, contains)
        return found[0] if len(found) == 1 or (found and first) else None
    return wait_for(f"{role} named {name or contains!r}", once, timeout)


def gone(root, role=None, name=None, contains=None, timeout=30):
    wait_for(f"{role} named {name or contains!r} to go",
             lambda: not find_all(root, role, name, contains), timeout)


def texts(root):
    """The names and descriptions of everything showing (for assertions and failures)."""
    return [describe(a) + (f" ({a.get_description()})" if a.get_description() else "")
            for a in walk(root)]


def do_action(acc, names=("click", "activate", "press", "toggle")):
    """Performs acc's first action among names, as a screen reader does."""
    action = acc.get_action_iface()
    assert action, f"{describe(acc)} has no actions"
    available = [action.get_action_name(i) for i in range(action.get_n_actions())]
    for want in names:
        if want in available:
            assert action.do_action(available.index(want)), f"{want} on {describe(acc)}"
            return
    raise AssertionError(f"{describe(acc)} has none of {names}, only {available}")


# X keysyms the keyboard tests press
KEYS = {"Tab": 0xff09, "ISO_Left_Tab": 0xfe20, "Return": 0xff0d, "space": 0x20,
        "Escape": 0xff1b, "Up": 0xff52, "Down": 0xff54, "Left": 0xff51, "Right": 0xff53}


def key(name):
    """Presses and releases one key, as the keyboard does (XTEST through the
    AT-SPI registry): to whatever has the focus, not to a chosen control."""
    assert Atspi.generate_keyboard_event(KEYS[name], None, Atspi.KeySynthType.SYM), name


def type_text(text):
    """Types printable ASCII, a key press for each character (its keysym)."""
    for c in text:
        assert 0x20 <= ord(c) < 0x7f, f"cannot type {c!r}"
        assert Atspi.generate_keyboard_event(ord(c), None, Atspi.KeySynthType.SYM), c


def focused(root):
    """The control with the keyboard focus, or None."""
    for a in walk(root):
        try:
            if a.get_state_set().contains(Atspi.StateType.FOCUSED):
                return a
        except GLib.Error:
            continue
    return None


def set_text(acc, text):
    editable = acc.get_editable_text_iface()
    assert editable, f"{describe(acc)} is not editable"
    assert editable.set_text_contents(text), f"cannot set the text of {describe(acc)}"
