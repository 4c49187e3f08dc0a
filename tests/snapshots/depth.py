"""Screenshots in the colours a terminal of fewer colours shows.

Textual's SVG export (`App.export_screenshot`, which pytest-textual-snapshot calls) records every
colour in full (24 bits), whatever the terminal. What reaches a terminal is less: the app's console
decides its colour system from the environment (rich's `Console._detect_color_system`: `COLORTERM`
`truecolor` or `24bit` is full colour, a `TERM` ending in `-256color` 256 colours, any other `TERM`
(`xterm`, `screen`, `xterm-16color`: xterm `-ti vt340`, plain tmux) the 16 standard colours;
`TEXTUAL_COLOR_SYSTEM` overrides it, and `NO_COLOR` takes colour away), and each segment's colours
are downgraded to that system as Textual writes it out (`Strip.render`: `Color.downgrade`). A
`Terminal` takes the app's screenshots the same way: the screen rendered as Textual exports it,
each colour downgraded to the app's own colour system, then drawn in the SVG with the standard
colours of rich's export theme, so the snapshot shows what such a terminal shows.
"""

from __future__ import annotations

import io

from rich.color import ColorSystem
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual.app import App

SIXTEEN_COLOURS = {"TERM": "xterm"}
"""The environment of a 16-colour terminal (xterm -ti vt340's own; `COLORTERM` unset)."""


def downgraded(style: Style | None, system: ColorSystem) -> Style | None:
    """`style` with its colours as a terminal of `system` is sent them."""
    if style is None or (style.color is None and style.bgcolor is None):
        return style
    return style + Style(color=style.color and style.color.downgrade(system),
                         bgcolor=style.bgcolor and style.bgcolor.downgrade(system))


class Terminal:
    """Takes the screenshots of `app` (in place of its `export_screenshot`) as its terminal shows
    them; `segments` keeps the last one's, a list per line, for tests to read."""

    def __init__(self, app: App):
        self.app = app
        self.segments: list[list[Segment]] = []
        app.export_screenshot = self.export_screenshot

    @property
    def system(self) -> ColorSystem:
        """The colour system the app writes to its terminal in (as its driver does: `Strip.render`)."""
        return self.app.console._color_system or ColorSystem.TRUECOLOR

    def export_screenshot(self, *, title: str | None = None, simplify: bool = False) -> str:
        """As `App.export_screenshot`, every colour downgraded to the terminal's system."""
        app = self.app
        width, height = app.size
        console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                          color_system="truecolor", record=True, legacy_windows=False, safe_box=False)
        console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens,
                                                           simplify=simplify))
        with console._record_buffer_lock:
            recorded = [Segment(text, downgraded(style, self.system), control)
                        for text, style, control in console._record_buffer]
            console._record_buffer[:] = recorded
        self.segments = [list(line) for line in Segment.split_lines(s for s in recorded if not s.control)]
        return console.export_svg(title=title or app.title)

    def colours_of(self, text: str) -> list:
        """The foreground colour of each cell showing `text` (a single character) in the last screenshot."""
        return [style.color for line in self.segments for segment_text, style, _ in line
                if style is not None for character in segment_text if character == text]
