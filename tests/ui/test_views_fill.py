"""Views measured for what they promise, at the SSH default (80x24, half blocks) and at 160x48:
the latent sweep fills its view with as many legible cells as fit (all 15 x 15 with graphics), the
scatter keeps one scale for x and y with every point inside its axes, and the VAE's loss curves
each span a useful share of the chart's rows."""

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


async def replay_view(pilot, app, path, key: str, view: str) -> FigurePane:
    """Open `path` in replay, switch to the picture `view` with `key`, and return its pane once drawn."""
    app.post_message(OpenSession(path))
    await until(pilot, lambda: type(app.screen).__name__ == "ReplayScreen")
    await pilot.press(key)
    pane = app.screen.query_one(f"#view-{view}", FigurePane)
    await until(pilot, lambda: pane.figure is not None and pane.picture.image is not None)
    await pilot.pause()
    return pane


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
        pane = await replay_view(pilot, app, path, "4", "sweep")
        image = pane.picture.image
        n = int(re.search(r"(\d+) x \1", pane.figure.caption).group(1))
        cells = sweep_cells_drawn(image, n)
        kept = [cells[0][c] for c in range(n)]
        assert kept[0] == 0 and kept[-1] == SWEEP - 1 and kept == sorted(set(kept))  # spread over the grid
        assert all(cells[r][c] == cells[r][0] // SWEEP * SWEEP + kept[c] for r in range(n) for c in range(n))
        assert image.shape[0] // n >= LEGIBLE
        assert on_screen(app, pane.picture)
        columns, rows = pane.space()
        spare = 1 if graphics.pixels else 0  # (real pixels leave the row under the picture free)
        width, height = (columns * graphics.cell[0], (rows - 1 - spare) * graphics.cell[1])
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
        pane = await replay_view(pilot, app, path, "3", "scatter")
        check_scatter(app, pane, points)


async def test_the_live_scatter_at_80x24_keeps_its_aspect_and_every_point_inside_its_axes(make_app):
    from tests.ui.scripted import ScriptedTrainer
    from tests.ui.test_one_view import live_scatter

    app = make_app(ScriptedTrainer())
    async with app.run_test(size=(80, 24)) as pilot:
        scatter = await live_scatter(pilot, app)
        check_scatter(app, scatter, scatter.points)


VAE_EPOCHS = [  # a vae-2d run's epochs on the real MNIST (8 epochs, batch 128): loss, recon, kl, train and test
    (244.8, 230.7, 14.11, 196.6, 189.3, 7.23), (190.5, 184.3, 6.27, 182.8, 177.2, 5.6),
    (179.6, 174.2, 5.40, 174.9, 169.8, 5.2), (173.8, 168.8, 5.08, 171.2, 166.2, 5.0),
    (171.2, 166.3, 4.98, 169.6, 164.7, 4.94), (169.7, 164.7, 4.97, 168.2, 163.1, 5.01),
    (168.4, 163.4, 4.99, 167.3, 162.4, 4.94), (167.3, 162.3, 5.04, 166.3, 161.4, 4.95)]


def vae_state(batches: bool):
    """The run state of that run, its epochs, and (`batches`) the running mean of its loss as the
    train screen sees it during each epoch (from about 543 nats at the first batch: 784 x ln 2)."""
    from aetui.core import events
    from aetui.core.runstate import RunState

    state = RunState()
    state.apply(events.TrainingStarted("s", "vae-2d", 8, 178, 22699, "CPU", {"beta": 1.0}))
    previous = 543.0
    for epoch, (loss, recon, kl, val, val_recon, val_kl) in enumerate(VAE_EPOCHS, 1):
        if batches:
            for batch in range(10, 179, 24):  # the running mean falls from the last epoch's end towards this one's
                mean = loss + (previous - loss) * (1 - batch / 178) ** 3
                state.apply(events.BatchEnded(epoch, batch, (epoch - 1) * 178 + batch, {"loss": mean}, {"loss": mean}))
        previous = loss
        logs = {"loss": loss, "recon": recon, "kl": kl, "val_loss": val, "val_recon": val_recon, "val_kl": val_kl}
        state.apply(events.EpochEnded(epoch, epoch * 178, logs, {}, 1.0, 1000.0))
    return state


def curve_rows(chart, name: str) -> set[int]:
    """The rows of the plot (inside its frame) where the curve `name` is drawn, in its own colour."""
    from aetui.ui.widgets.loss_chart import COLOURS

    colour = COLOURS[name]
    strips = list(chart.render_lines(chart.region.reset_offset))
    texts = [strip.text for strip in strips]
    top = next(i for i, line in enumerate(texts) if "┌" in line)
    bottom = next(i for i, line in enumerate(texts) if "└" in line)
    rows = set()
    for i in range(top + 1, bottom):
        for segment in strips[i]:
            c = segment.style.color if segment.style else None
            if c is not None and segment.text.strip() and c.triplet and tuple(c.triplet) == colour:
                rows.add(i)
    return rows


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
@pytest.mark.parametrize("batches", [False, True], ids=["replay", "live"])
async def test_the_vae_curves_each_span_a_useful_share_of_the_plot_rows(size, batches):
    """The loss (about 170) and its KL part (about 5): on one log axis each was a flat line over a
    row or two; the KL now reads against a right axis of its own, each curve spanning a third of
    the plot's rows at least (the replay's per-epoch curves; live, the batches' running mean too,
    whose first epoch, from near 543, goes past the top, how high written there), the legend
    naming the right axis's curves."""
    from textual.app import App

    from aetui.ui.widgets.loss_chart import LossChart, MARKS
    from tests.ui.test_one_view import plot_rows

    class ChartApp(App):
        def compose(self):
            yield LossChart()

    app = ChartApp()
    async with app.run_test(size=size) as pilot:
        chart = app.query_one(LossChart)
        chart.show(vae_state(batches))
        await pilot.pause()
        rows = plot_rows(chart)
        assert rows >= 12 and chart.drawn_right == ["kl"] and not chart.drawn_log
        assert f"right axis: [rgb(230,100,230)]{MARKS['kl']} kl" in chart.legend
        spans = {name: len(range(min(r), max(r) + 1)) / rows if (r := curve_rows(chart, name)) else 0
                 for name in ("loss", "recon", "kl", "val_loss")}
        assert all(span >= 1 / 3 for span in spans.values()), spans
        assert ("loss" in chart.cut) == batches  # live, the first epoch's batches go past the top, and it says so
        drawn = [strip.text for strip in chart.render_lines(chart.region.reset_offset)]
        top = drawn[next(i for i, line in enumerate(drawn) if "┌" in line) + 1]
        assert ("↑495.5" in top) == batches, top  # (on the top row, where the curve leaves it)


async def test_a_part_with_negative_values_reads_on_a_linear_axis_of_its_own():
    """Losses spanning decades beside a part that goes below zero: the losses keep their log axis, the
    part gets the right axis, linear (a log axis cannot show it), every point of it drawn."""
    from textual.app import App

    from aetui.core import events
    from aetui.core.runstate import RunState
    from aetui.ui.widgets.loss_chart import LossChart

    class ChartApp(App):
        def compose(self):
            yield LossChart()

    state = RunState()
    state.apply(events.TrainingStarted("s", "aae", 6, 10, 100, "CPU", {}))
    for epoch in range(1, 7):
        logs = {"loss": 500.0 / epoch ** 3, "val_loss": 550.0 / epoch ** 3, "gen": 0.02 * (3 - epoch)}
        state.apply(events.EpochEnded(epoch, 10 * epoch, logs, {}, 1.0, 100.0))
    app = ChartApp()
    async with app.run_test(size=(80, 24)) as pilot:
        chart = app.query_one(LossChart)
        chart.show(state)
        await pilot.pause()
        assert chart.drawn_log and chart.drawn_right == ["gen"] and "right axis: " in chart.legend
        assert "(log)" not in chart.legend  # the right axis is linear
        drawn = [strip.text for strip in chart.render_lines(chart.region.reset_offset)]
        right = [line.rstrip().rsplit("├", 1)[-1] for line in drawn if "├" in line]
        assert right[0] == "0.04" and right[-1] == "-0.06" and "0" in right, drawn  # its values, below zero too
        assert len(curve_rows(chart, "gen")) >= 10  # from +0.04 down to -0.06, over the plot's height
