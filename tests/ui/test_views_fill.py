"""Views measured for what they promise, at the SSH default (80x24, half blocks) and at 160x48:
the latent sweep fills its view with as many legible cells as fit (all 15 x 15 with graphics), and the
scatter keeps one scale for x and y with every point inside its axes."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from aetui.ui.messages import OpenSession
from aetui.ui.widgets.figure_pane import FigurePane
from aetui.views.figures import LEGIBLE
from aetui.views.terminal import Graphics
from tests.support import mnist_sized, synthetic_session, until
from tests.ui.test_one_view import on_screen

SWEEP = 15


def sweep_cells_drawn(image: np.ndarray, n: int) -> list[list[int]]:
    """The index of the sweep cell drawn in each of the n x n squares of `image` (the numbered
    sweep's cells are flat grays, 10 + their index), checking each square is one flat gray."""
    side = image.shape[0] // n
    assert image.shape[:2] == (n * side, n * side)
    found = []
    for r in range(n):
        row = []
        for c in range(n):
            square = image[r * side:(r + 1) * side, c * side:(c + 1) * side]
            assert (square == square.flat[0]).all()  # one cell, whole, nothing of a neighbour
            row.append(int(square.flat[0]) - 10)
        found.append(row)
    return found


@pytest.mark.parametrize("size, graphics, expected", [
    ((80, 24), Graphics("halfblock", "test"), None),
    ((160, 48), Graphics("halfblock", "test"), None),
    ((160, 48), Graphics("sixel", "test", (10, 20)), SWEEP),
    ((80, 24), Graphics("kitty", "test", (8, 16)), SWEEP),
])
async def test_the_sweep_fills_its_view_with_every_cell_that_stays_legible(make_app, size, graphics, expected):
    """Counted on the picture drawn: n x n distinct cells, spread over the whole 15 x 15 grid (both
    ends kept), each `LEGIBLE` pixels or more, all on screen without scrolling; and no larger grid
    would keep its cells legible in the space the view has (in graphics: all 15 x 15)."""
    path = synthetic_session(Path("sessions"), dataset=mnist_sized(), sweep=SWEEP, numbered_sweep=True)
    app = make_app()
    app.workbench.graphics = graphics
    async with app.run_test(size=size) as pilot:
        app.post_message(OpenSession(path))
        await until(pilot, lambda: type(app.screen).__name__ == "ReplayScreen")
        await pilot.press("4")
        pane = app.screen.query_one("#view-sweep", FigurePane)
        await until(pilot, lambda: pane.figure is not None and pane.picture.image is not None)
        await pilot.pause()
        image = pane.picture.image
        n = int(re.search(r"(\d+) x \1", pane.figure.caption).group(1))
        cells = sweep_cells_drawn(image, n)
        kept = [cells[0][c] for c in range(n)]
        assert kept[0] == 0 and kept[-1] == SWEEP - 1 and kept == sorted(set(kept))  # spread over the grid
        assert all(cells[r][c] == cells[r][0] // SWEEP * SWEEP + kept[c] for r in range(n) for c in range(n))
        assert image.shape[0] // n >= LEGIBLE
        assert on_screen(app, pane.picture)
        columns, rows = pane.space()
        width, height = (columns * graphics.cell[0], (rows - 1) * graphics.cell[1])
        if expected is not None:
            assert n == expected and f"{n} x {n}" in pane.figure.caption
        else:  # one more cell a side would leave cells under LEGIBLE pixels
            assert n < SWEEP and (n + 1) * LEGIBLE > min(width, height)
            assert f"{n} x {n} of the {SWEEP} x {SWEEP} sweep" in pane.figure.caption
        assert image.shape[0] >= min(width, height) - n  # it fills the space's smaller side (to a cell's rounding)


def scatter_axes_words(words: str) -> tuple[float, float, float, float]:
    """(x low, x high, y low, y high) as the line under the scatter writes them."""
    x0, x1, y0, y1 = (float(v) for v in re.findall(r"(-?[\d.]+(?:e-?\d+)?)", words)[:4])
    return x0, x1, y0, y1


def check_scatter(app, pane, points: np.ndarray) -> None:
    """Every point drawn inside the frame with room to spare, on screen, to one scale on x and y."""
    from aetui.views.scatter import FRAME

    image = pane.picture.image
    h, w = image.shape[:2]
    lit = image.any(axis=2) & ~(image == FRAME).all(axis=2)
    rows, cols = np.nonzero(lit)
    assert len(rows) and rows.min() >= 2 and cols.min() >= 2 and rows.max() <= h - 3 and cols.max() <= w - 3
    assert (image[[0, -1]] == FRAME).all() and (image[:, [0, -1]] == FRAME).all()  # the axes' frame, whole
    assert on_screen(app, pane.picture)
    x0, x1, y0, y1 = scatter_axes_words(pane.query_one(".figure-below").render().plain)
    assert x0 <= points[:, 0].min() and x1 >= points[:, 0].max() and y0 <= points[:, 1].min() and \
        y1 >= points[:, 1].max()
    assert (x1 - x0) / (w - 1) == pytest.approx((y1 - y0) / (h - 1), rel=0.02)  # (three digits written)
    # the points' own extent: as wide for a unit of x as tall for a unit of y, in pixels
    span = points.max(axis=0) - points.min(axis=0)
    assert (cols.max() - cols.min()) / span[0] == pytest.approx((rows.max() - rows.min()) / span[1], abs=2 / span.min())


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_the_replay_scatter_keeps_its_aspect_and_every_point_inside_its_axes(make_app, size):
    from aetui.core.store.sessions import open_session
    from aetui.views.replay import Replay

    path = synthetic_session(Path("sessions"))
    points = Replay(open_session(path)).codes(4)[0].astype(np.float64)
    app = make_app()
    async with app.run_test(size=size) as pilot:
        app.post_message(OpenSession(path))
        await until(pilot, lambda: type(app.screen).__name__ == "ReplayScreen")
        await pilot.press("3")
        pane = app.screen.query_one("#view-scatter", FigurePane)
        await until(pilot, lambda: pane.figure is not None and pane.picture.image is not None)
        await pilot.pause()
        check_scatter(app, pane, points)


async def test_the_live_scatter_at_80x24_keeps_its_aspect_and_every_point_inside_its_axes(make_app):
    from aetui.ui.widgets.digit_panel import ScatterPane
    from tests.ui.scripted import ScriptedTrainer
    from tests.ui.test_one_view import trained

    app = make_app(ScriptedTrainer())
    async with app.run_test(size=(80, 24)) as pilot:
        await trained(pilot, app, "vae-2d")
        await pilot.press("3")
        scatter = app.screen.query_one(ScatterPane)
        await until(pilot, lambda: scatter.figure is not None and scatter.region.area > 0)
        await pilot.pause()
        check_scatter(app, scatter, scatter.points)

