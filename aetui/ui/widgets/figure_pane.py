"""A picture view fitted to its space: caption, picture (with its key beside it) and words under it.

The figure is made anew (`make(columns, rows)`, an `aetui.views.show.Figure`) when the pane is resized
or told that its data changed, never on a plain redraw: pictures are made once per epoch.
"""

from __future__ import annotations

from typing import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Static

from aetui.core.errors import AetuiError
from aetui.ui.widgets.picture import Picture
from aetui.views.show import Figure
from aetui.views.terminal import Graphics


class FigurePane(Vertical):
    """Shows the `Figure` that `make(columns, rows)` gives for the space the pane has.

    With `fill`, the pane's own height is the space; otherwise (a pane in a scrolling view, as tall
    as its content) the visible height of its container is.
    """

    DEFAULT_CSS = """
    FigurePane { height: auto; }
    FigurePane.fill { height: 1fr; }
    FigurePane > .figure-caption { height: 1; color: $text-muted; text-wrap: nowrap; text-overflow: ellipsis; }
    FigurePane > Horizontal { height: auto; }
    FigurePane .figure-side { width: auto; padding: 0 0 0 1; }
    FigurePane > .figure-below { height: auto; }
    """

    def __init__(self, graphics: Graphics, make: Callable[[int, int], Figure] | None = None,
                 fill: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.graphics = graphics
        self.make = make
        self.fill = fill
        if fill:
            self.add_class("fill")
        self.drawn: tuple | None = None
        self.figure: Figure | None = None

    def compose(self) -> ComposeResult:
        yield Static(classes="figure-caption")
        with Horizontal():
            yield Picture(self.graphics)
            yield Static(classes="figure-side")
        yield Static(classes="figure-below")

    @property
    def picture(self) -> Picture:
        return self.query_one(Picture)

    def space(self) -> tuple[int, int]:
        """(columns, rows) the figure may take."""
        rows = self.content_size.height if self.fill else (self.parent.size.height if self.parent else 0)
        return self.content_size.width, rows

    def show(self, make: Callable[[int, int], Figure] | None = None) -> None:
        """Make the figure again (new data, or a new `make`) and draw it."""
        if make is not None:
            self.make = make
        self.drawn = None
        self.redraw()

    def on_resize(self) -> None:
        self.redraw()

    def redraw(self) -> None:
        """Draw the figure for the current space, if the space or the data changed since."""
        columns, rows = self.space()
        if self.make is None or columns < 4 or rows < 2 or not self.is_mounted:
            return
        if self.drawn == (columns, rows):
            return
        self.drawn = (columns, rows)
        try:
            figure = self.make(columns, rows)
        except AetuiError as err:  # a missing or damaged snapshot: say so where the picture would be
            figure = Figure(str(err))
        self.figure = figure
        self.query_one(".figure-caption", Static).update(Text(figure.caption, style="dim"))
        self.picture.show(figure.image, figure.notes)
        side, below = self.query_one(".figure-side", Static), self.query_one(".figure-below", Static)
        side.update(figure.side or "")
        side.display = figure.side is not None
        below.update(figure.below or "")
        below.display = figure.below is not None

    def clear(self, caption: str = "") -> None:
        """Show no picture, only `caption`."""
        self.make = None
        self.drawn = None
        self.figure = None
        if self.is_mounted:
            self.query_one(".figure-caption", Static).update(Text(caption, style="dim"))
            self.picture.show(None)
            for name in (".figure-side", ".figure-below"):
                self.query_one(name, Static).display = False


def fit_panes(screen) -> None:
    """Once the screen is laid out anew, make each picture of `screen` again where the rows its view
    has changed (a view maximised, the terminal taller): a pane as tall as its picture hears of no
    change in the rows around it, its own size staying, and a picture left at the old size would
    overflow its view (a scrollbar for a row or two; Sixel scrolling the terminal) or waste it."""
    screen.call_after_refresh(lambda: [pane.redraw() for pane in screen.query(FigurePane)])
