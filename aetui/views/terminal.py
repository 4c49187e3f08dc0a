"""The user's terminal: what it can draw (graphics, colour) and letting go of it after a hangup.

Shared by the command line and the workbench; nothing here imports Textual. Graphics are chosen
once, before the workbench starts (a terminal is asked by writing a query and reading its answer,
which is impossible once Textual reads the keyboard): `--graphics` or `AETUI_GRAPHICS`, else what
the terminal answers (textual-image asks it for Sixel, then for the Kitty graphics protocol).
"""

from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import dataclass

from aetui.core.errors import AetuiError

MODES = ("auto", "kitty", "sixel", "halfblock", "ascii")
"""What `--graphics` accepts: `auto` asks the terminal; the others force a renderer."""
PIXELS = ("kitty", "sixel")
"""The renderers that draw real pixels."""
HALF_CELL = (1, 2)
"""Pixels per cell (width, height) where images are drawn in half blocks or ASCII."""
ENV = "AETUI_GRAPHICS"
ANSWER_SECONDS = 0.2
"""How long a terminal may take to answer a query (one that cannot draw may not answer at all)."""


@dataclass(frozen=True)
class Graphics:
    """How images are drawn: `kitty`, `sixel`, `halfblock` or `ascii`, why, and pixels per cell."""

    mode: str
    reason: str
    cell: tuple[int, int] = HALF_CELL
    """(width, height) in pixels of one cell: the terminal's font for graphics, (1, 2) otherwise."""

    @property
    def pixels(self) -> bool:
        """True where images are drawn in real pixels (Kitty or Sixel graphics)."""
        return self.mode in PIXELS

    def describe(self) -> str:
        """One line for the home screen: the renderer and why."""
        name = {"kitty": "Kitty graphics", "sixel": "Sixel graphics", "halfblock": "half blocks",
                "ascii": "ASCII"}[self.mode]
        return f"{name} ({self.reason})"


def colour_available() -> bool:
    """False where the user asked for no colour (`NO_COLOR`) or the terminal is dumb."""
    return "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def choose_graphics(asked: str | None = None, ascii: bool = False) -> Graphics:
    """The renderer for images: `asked` (`--graphics`), else `AETUI_GRAPHICS`, else `auto`, which
    asks the terminal. `--ascii` and `NO_COLOR` keep images in ASCII whatever else is asked."""
    source = "--graphics" if asked else ENV
    asked = asked or os.environ.get(ENV) or "auto"
    if asked not in MODES:
        raise AetuiError(f"{source} {asked}: choose one of {', '.join(MODES)}")
    if ascii or not colour_available():
        why = "--ascii" if ascii else "NO_COLOR is set" if "NO_COLOR" in os.environ else "TERM=dumb"
        return Graphics("ascii", why)
    tmux = "TMUX" in os.environ
    if asked == "halfblock":
        return Graphics("halfblock", f"asked for with {source}")
    if asked == "ascii":
        return Graphics("ascii", f"asked for with {source}")
    if asked in PIXELS:
        note = "; inside tmux, which passes it only where set up to" if tmux else ""
        return _with_pixels(asked, f"asked for with {source}{note}")
    if not (sys.__stdout__ and sys.__stdout__.isatty() and sys.__stdin__ and sys.__stdin__.isatty()):
        return Graphics("halfblock", "not a terminal")
    found = _ask_terminal(tmux)
    if found in PIXELS:
        return _with_pixels(found, "the terminal answered that it draws them")
    if tmux:
        return Graphics("halfblock", "inside tmux, which passes no graphics by default")
    return Graphics("halfblock", "the terminal draws neither Kitty nor Sixel graphics")


def _ask_terminal(tmux: bool) -> str:
    """`sixel` or `kitty` where the terminal says it draws them, else ``, in one round trip: the Kitty
    graphics protocol's query (not inside tmux, which shows it as the pane's title), then the device
    attributes query, which every terminal answers (Sixel is attribute 4). A Kitty answer comes
    before the attributes; no answer at all means neither (after `ANSWER_SECONDS`)."""
    import re
    import select
    import termios
    import time
    import tty

    kitty_query = "" if tmux else "\x1b_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\"
    fd = sys.__stdin__.fileno()
    try:
        saved = termios.tcgetattr(fd)
    except termios.error:
        return ""
    answer = ""
    try:
        tty.setcbreak(fd, termios.TCSANOW)  # no echo: the answer is read, not shown
        sys.__stdout__.write(kitty_query + "\x1b[c")
        sys.__stdout__.flush()
        deadline = time.monotonic() + ANSWER_SECONDS
        while not (found := re.search(r"\x1b\[\?([\d;]*)c", answer)):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return ""
            answer += os.read(fd, 1024).decode("ascii", "replace")
    except OSError:
        return ""
    finally:
        termios.tcsetattr(fd, termios.TCSANOW, saved)
    if re.search(r"\x1b_G[^\x1b]*;OK\x1b\\", answer[:found.start()]):
        return "kitty"
    return "sixel" if "4" in found.group(1).split(";") else ""


def _with_pixels(mode: str, reason: str) -> Graphics:
    """Graphics in `mode`, with the terminal's cell in pixels as textual-image measures it. Importing
    its widgets asks the terminal (impossible once the workbench reads the keyboard): done here,
    before. Where that fails (a terminal that reports no size), half blocks, saying why."""
    try:
        import textual_image.widget  # noqa: F401
        from textual_image._terminal import get_cell_size

        size = get_cell_size()
    except Exception as err:  # noqa: BLE001  (a library's failure to start is no reason to stop)
        return Graphics("halfblock", f"{mode} graphics could not start: {type(err).__name__}: {err}")
    return Graphics(mode, reason, (max(1, int(size.width)), max(1, int(size.height))))


def detach(fds: list[int]) -> None:
    """Point these file descriptors (the terminal's) at /dev/null: after a hangup the terminal is
    gone, and writing to it would fail."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in fds:
        with contextlib.suppress(OSError):
            os.dup2(null, fd)
    os.close(null)
