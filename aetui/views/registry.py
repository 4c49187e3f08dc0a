"""Every view of a saved session, named once: its name (`aetui show --view NAME`, the replay's
tab), its key and title in the replay, what makes it (a table, or a picture for a space in
pixels), and what `aetui export` writes of it for the sessions it applies to. The replay screen,
`aetui show` and `aetui export` all read this one list: a new view is a module that makes it and a
line here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from rich.console import Group, RenderableType

from aetui.views import figures, show, tables
from aetui.views.replay import Replay
from aetui.views.show import Figure

Picture = Callable[[Replay, int, int, int, bool, str], Figure]
"""(replay, epoch, width and height in pixels, real pixels?, projection) -> the view's `Figure`."""


@dataclass(frozen=True)
class View:
    """One view of a saved session."""

    name: str
    key: str
    """The replay screen's key for it (its tab reads `KEY TITLE`)."""
    title: str
    table: Callable[[Replay, int], RenderableType] | None = None
    """What makes a view that is words (tables): (replay, epoch) -> a renderable."""
    picture: Picture | None = None
    """What makes a view that is a picture, for the space it has."""
    words: int = 1
    """Rows of words a picture puts around itself (caption, axes, a table)."""
    key_cells: int = 0
    """Columns a key takes beside a picture drawn in half blocks."""
    text: Callable[[Replay, int, int, int, str], RenderableType] | None = None
    """A picture for terminals without colour (`--ascii`): (replay, epoch, columns, rows, projection)."""
    projections: bool = False
    """It shows codes in 2-D: `--projection` (`t` in the replay) chooses how."""
    chart: bool = False
    """The replay draws the live loss chart for it (a table in `aetui show`)."""
    fill: bool = False
    """Its picture fills the replay's tab (the others scroll)."""
    epochless: bool = False
    """It shows before any epoch has completed."""
    png: Callable[[Replay, int], np.ndarray] | None = None
    """What `aetui export` writes as `FILE-epoch-N.png` at the last pictured epoch, at native size."""
    file: str = ""
    applies: Callable[[Replay, int], bool] = lambda replay, epoch: True
    """The sessions (at an epoch) whose export has it; the others' replay and `aetui show` say why not."""
    live: bool = False
    """The train screen shows it as the run goes (by the same key: `2` is the digits everywhere)."""


VIEWS: tuple[View, ...] = (
    View("curves", "1", "curves", chart=True, live=True,
         table=lambda replay, epoch: Group(tables.curves_table(replay, epoch), tables.changes_table(replay))),
    View("recon", "2", "reconstructions", picture=show.recon_figure, live=True, png=show.digits_png, file="digits"),
    View("scatter", "3", "scatter", picture=show.codes_figure, words=2, key_cells=show.KEY_CELLS,
         text=show.codes_text, projections=True, fill=True, live=True, png=show.scatter_png, file="scatter"),
    View("sweep", "4", "sweep", picture=show.sweep_figure, fill=True, png=show.sweep_png, file="sweep"),
    View("area", "5", "area", picture=show.area_figure, words=15, png=show.area_png, file="area",
         applies=show.two_d),
    View("sparsity", "6", "sparsity", table=tables.sparsity_view, live=True),
    View("params", "7", "session", table=lambda replay, epoch: tables.params_view(replay), epochless=True),
    View("metrics", "8", "metrics", table=tables.metrics_view),
)
NAMED = {view.name: view for view in VIEWS}
NAMES = tuple(NAMED)
LIVE = tuple(view for view in VIEWS if view.live)
"""The views the train screen shows, in the registry's order."""


def figure(replay: Replay, view: View | str, epoch: int, columns: int, rows: int, pixels: bool = False,
           cell: tuple[int, int] = (1, 2), projection: str = "pca") -> Figure:
    """The picture view `view` at `epoch` for `columns` x `rows` cells of `cell` pixels each (half
    blocks: 1 x 2), leaving room for its words (and, in half blocks, its key)."""
    view = NAMED[view] if isinstance(view, str) else view
    width = (columns - (0 if pixels else view.key_cells)) * cell[0]
    spare = 1 if pixels and view.fill else 0  # (a real-pixel image down to the footer made xterm scroll a row)
    height = max(rows - view.words - spare, 4) * cell[1]
    if pixels:
        width, height = min(width, figures.LARGEST), min(height, figures.LARGEST)
    return view.picture(replay, epoch, width, height, pixels, projection)


def render_view(replay: Replay, view: View | str, epoch: int, width: int = 100, height: int = 30,
                ascii: bool = False, projection: str = "pca") -> RenderableType:
    """The renderable for one view at one epoch, `width` x `height` cells (pictures in half blocks)."""
    view = NAMED[view] if isinstance(view, str) else view
    if view.table is not None:
        return view.table(replay, epoch)
    if ascii and view.text is not None:
        return view.text(replay, epoch, width, height, projection)
    return figure(replay, view, epoch, width, height, projection=projection).text(ascii)
