"""A picture view fitted to its space: caption, picture (with its key beside it) and words under it.

The figure is made anew (`make(columns, rows)`, an `aetui.views.show.Figure`) when the pane is resized
or told that its data changed, never on a plain redraw: pictures are made once per epoch. Another
thread may make it ahead (`prepare`: the figure and its `Drawing` for the space the pane has), so
that showing that data costs the UI thread only handing it on. A pane that is not on screen makes
nothing: it draws once it shows again (`redraw`).
"""

from __future__ import annotations

from typing import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Static

from aetui.core.errors import AetuiError
from aetui.ui.widgets.in_place import update_in_place
from aetui.ui.widgets.picture import Drawing, Picture
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
        self._picture: Picture | None = None
        self.ahead: dict = {}
        """(data, space, figure, drawing) made ahead by `prepare`, by `data` (a tuple naming it, or the
        snapshot itself: by its id), the last `AHEAD` of them."""
        self.data: object = None
        """What the figure shows (the snapshot it is made from), as `show` was told."""

    def compose(self) -> ComposeResult:
        yield Static(classes="figure-caption")
        with Horizontal():
            yield Picture(self.graphics)
            yield Static(classes="figure-side")
        yield Static(classes="figure-below")

    @property
    def picture(self) -> Picture:
        if self._picture is None:  # (found on the UI thread, at the first drawing, before any `prepare`)
            self._picture = self.query_one(Picture)
        return self._picture

    def space(self) -> tuple[int, int]:
        """(columns, rows) the figure may take."""
        rows = self.content_size.height if self.fill else (self.parent.size.height if self.parent else 0)
        return self.content_size.width, rows

    def show(self, make: Callable[[int, int], Figure] | None = None, data: object = None) -> None:
        """Make the figure again (new data, or a new `make`) and draw it; `data` names what it shows,
        so a figure `prepare`d for it is taken instead of made."""
        if make is not None:
            self.make = make
        self.data = data
        self.drawn = None
        self.redraw()

    def prepare(self, make: Callable[[int, int], Figure], data: object) -> None:
        """Make the figure of `data` and its drawing ahead, for the space the pane had when last drawn
        (called from another thread: it reads what the UI thread set, and sets `ahead` alone)."""
        space = self.drawn
        if space is None or self.made_ahead(data, space) is not None:
            return
        figure = make(*space)
        self.ahead[_named(data)] = (data, space, figure, Drawing(figure.image, self.graphics, figure.notes,
                                                                self.picture))
        while len(self.ahead) > AHEAD:
            self.ahead.pop(next(iter(self.ahead)), None)

    def made_ahead(self, data: object, space: tuple | None = None) -> tuple | None:
        """What `prepare` made of `data` (for `space`, the space drawn if not given), if anything."""
        made = self.ahead.get(_named(data)) if data is not None else None
        if made is None or not (made[0] is data or isinstance(data, tuple) and made[0] == data):
            return None
        return made if made[1] == (space or self.drawn) else None

    def on_screen(self) -> bool:
        """Whether the pane shows: neither it nor a box around it hidden."""
        return self.is_mounted and all(node.display for node in self.ancestors_with_self if hasattr(node, "display"))

    def on_resize(self) -> None:
        self.redraw()

    def redraw(self) -> None:
        """Draw the figure for the current space, if the space or the data changed since."""
        if not self.on_screen():
            return
        columns, rows = self.space()
        if self.make is None or columns < 4 or rows < 2:
            return
        if self.drawn == (columns, rows):
            return
        self.drawn = (columns, rows)
        ahead, drawing = self.made_ahead(self.data), None
        if ahead is not None:
            figure, drawing = ahead[2], ahead[3]
        else:
            try:
                figure = self.make(columns, rows)
            except AetuiError as err:  # a missing or damaged snapshot: say so where the picture would be
                figure = Figure(str(err))
        self.figure = figure
        update_in_place(self.query_one(".figure-caption", Static), Text(figure.caption, style="dim"))
        self.picture.show(figure.image, figure.notes, drawing)
        side, below = self.query_one(".figure-side", Static), self.query_one(".figure-below", Static)
        update_in_place(side, figure.side or "")
        side.display = figure.side is not None
        update_in_place(below, figure.below or "")
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


AHEAD = 4
"""Figures a pane keeps made ahead (a replay's neighbouring epochs, a run's next snapshot)."""


def _named(data: object):
    """What a figure made ahead is kept by: a tuple naming the data, or the data object's id (the entry
    keeps the object, so the id is not reused while it is kept)."""
    return data if isinstance(data, tuple) else id(data)
