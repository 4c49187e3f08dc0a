"""Widgets and the image renderer, alone."""

import numpy as np
import pytest
from textual.app import App

from aetui.core.hparams import HPARAMS, RUN_SETTINGS
from aetui.ui.widgets.param_slider import ParamSlider, ticks
from aetui.ui.widgets.sparsity_panel import bar_rows, histogram
from aetui.views.render import half_block_text
from tests.support import SliderApp


async def test_arrow_keys_step_along_a_log_scale():
    app = SliderApp(HPARAMS["lam"], 1e-7)
    async with app.run_test() as pilot:
        slider = app.query_one(ParamSlider)
        await pilot.press("right")
        up = slider.value
        assert up > 1e-7 and up < 1e-6
        await pilot.press("left", "left")
        assert slider.value < 1e-7
        await pilot.press(*["left"] * 60)
        assert slider.value == 0.0  # zero is valid for lam and sits at the left end
        assert app.changes[0] == ("lam", up)


async def test_exact_entry_and_refusal_with_reason():
    app = SliderApp(HPARAMS["p"], 0.05)
    async with app.run_test() as pilot:
        slider = app.query_one(ParamSlider)
        await pilot.press("enter")
        entry = slider.query_one("#entry")
        entry.value = "1.5"
        await pilot.press("enter")
        assert slider.value == 0.05 and "out of range (valid: 0 < p < 1)" in slider.error
        entry.value = "0.01"
        await pilot.press("enter")
        assert slider.value == 0.01 and slider.error == "" and entry.has_class("hidden")
        await pilot.press("enter")
        entry.value = "abc"
        await pilot.press("enter")
        assert "must be a number" in slider.error
        await pilot.press("escape")
        assert slider.error == "" and slider.value == 0.01


async def test_locked_slider_refuses():
    app = SliderApp(RUN_SETTINGS["epochs"], 30)
    async with app.run_test() as pilot:
        slider = app.query_one(ParamSlider)
        slider.locked = True
        await pilot.press("right")
        assert slider.value == 30 and "fixed while a run goes on" in slider.error


async def test_slider_bars_line_up_and_stay_put_as_values_change_width():
    def bar(app) -> tuple[int, int]:
        from textual.widgets import Static

        line = str(app.query_one("#line", Static).render())
        return line.index("●") if "●" in line else -1, len(line.rstrip())

    where = {}
    for spec, values in ((HPARAMS["lam"], (1e-7, 0.0, 1.25e-5)), (HPARAMS["learning_rate"], (0.001, 0.0125))):
        app = SliderApp(spec, values[0])
        async with app.run_test(size=(40, 5)) as pilot:
            start = str(app.query_one(ParamSlider).query_one("#line").render()).index("━" if values[0] else "●")
            ends = set()
            for value in values:
                app.query_one(ParamSlider).set_value(value, announce=False)
                await pilot.pause()
                ends.add(bar(app)[1])
            assert len(ends) == 1, (spec.name, ends)  # the value's column does not move
            where[spec.name] = start
    assert where["lam"] == where["learning_rate"]  # the bars begin in one column, whatever the name


def test_ticks_are_valid_and_ordered():
    for spec in [*HPARAMS.values(), *RUN_SETTINGS.values()]:
        values = ticks(spec)
        assert values == sorted(values)
        for v in values:
            spec.check(v)


def test_batch_size_ticks_are_whole_numbers():
    assert all(v.is_integer() for v in ticks(RUN_SETTINGS["batch_size"]))


def test_half_blocks_draw_two_pixels_a_cell_in_their_exact_colours():
    image = np.zeros((3, 2, 3), np.uint8)
    image[0, 0] = (255, 0, 0)
    image[1, 0] = (0, 0, 255)
    image[2, 1] = (7, 8, 9)
    text = half_block_text(image)
    assert text.plain == "▀▀\n▀▀"
    from rich.console import Console

    console = Console()
    first = text.get_style_at_offset(console, 0)
    assert first.color.triplet == (255, 0, 0) and first.bgcolor.triplet == (0, 0, 255)
    last = text.get_style_at_offset(console, 4)
    assert last.color.triplet == (7, 8, 9) and last.bgcolor.triplet == (0, 0, 0)  # odd height: padded


def test_notes_write_labels_over_the_picture():
    text = half_block_text(np.zeros((4, 6), np.uint8), notes={0: [(2, "7")]})
    assert text.plain.splitlines()[0] == "▀▀7▀▀▀"


def test_ascii_ramp():
    img = np.zeros((4, 4), np.uint8)
    img[:2, :2] = 255
    text = half_block_text(img, ascii=True)
    assert text.plain.splitlines()[0].startswith("@@") and text.plain.splitlines()[1] == "    "


def test_histogram_and_bars():
    counts = histogram(np.array([0.0, 0.01, 0.05, 0.05, 0.2]), 4, 0.0, 0.1)
    assert counts == [2, 0, 2, 1]
    rows = bar_rows([4, 0, 2], 2)
    assert len(rows) == 2 and rows[1][0] == "█" and rows[0][0] == "█"


@pytest.mark.parametrize("low, high, expected", [
    (1e-3, 50.0, [1e-3, 1e-2, 0.1, 1.0, 10.0]),  # several decades: powers of ten
    (0.25, 0.7, [0.3, 0.4, 0.5, 0.6, 0.7]),  # less than a decade: every digit inside the range
    (0.15, 3.0, [0.2, 0.5, 1.0, 2.0]),  # about a decade: 1, 2, 5
    (0.301, 0.302, [0.301, 0.302]),  # a sliver: its two ends
    (2.5, 2.5, [2.5]),  # a flat line: its value, once
    (1e-40, 3e38, [10.0 ** d for d in range(-40, 39, 10)]),  # 79 decades: every tenth
])
def test_log_axis_ticks_are_round_numbers_inside_the_range(low, high, expected):
    import math

    from aetui.ui.widgets.axes import log_ticks

    assert log_ticks([math.log10(low), math.log10(high)]) == pytest.approx(expected)


def test_log_axis_labels_tell_close_ticks_apart():
    from aetui.ui.widgets.axes import tick_labels

    assert tick_labels([1.1, 1.104]) == ["1.1", "1.104"]
    assert tick_labels([0.001, 10.0]) == ["0.001", "10"]


async def test_the_scatter_pane_places_points_by_pixel_and_keys_the_colours():
    from aetui.ui.widgets.digit_panel import ScatterPane
    from aetui.ui.widgets.picture import Picture
    from aetui.views.figures import class_rgb
    from aetui.views.scatter import FRAME
    from aetui.views.terminal import Graphics

    class ScatterApp(App):
        def compose(self):
            yield ScatterPane(Graphics("halfblock", "test"))

    points = np.random.default_rng(0).normal(size=(200, 2))
    labels = np.arange(200) % 10
    app = ScatterApp()
    async with app.run_test(size=(60, 20)) as pilot:
        pane = app.query_one(ScatterPane)
        pane.show_codes(points, labels)
        await pilot.pause()
        image = app.query_one(Picture).image
        assert image.shape[1] <= 60 - 5 and image.shape[0] <= 2 * (20 - 2)
        colours = {tuple(int(v) for v in p) for p in image.reshape(-1, 3) if p.any()}
        assert colours == {class_rgb(c) for c in range(10)} | {FRAME}  # every class in its colour, and the axes' frame
        assert "the 2-D code itself" in pane.figure.caption and "● 9" in pane.figure.side.plain
        await pilot.resize_terminal(80, 30)
        await pilot.pause()
        assert app.query_one(Picture).image.shape[1] > image.shape[1]  # remade for the larger space


async def test_the_loss_chart_marks_changes_planned_ahead_until_they_apply():
    from aetui.core import events
    from aetui.core.runstate import RunState
    from aetui.ui.widgets.loss_chart import LossChart

    class ChartApp(App):
        def compose(self):
            yield LossChart()

    state = RunState()
    state.apply(events.TrainingStarted("s", "sparse-kl", 5, 10, 100, "CPU", {"beta": 3.0}))
    for epoch in (1, 2):
        state.apply(events.EpochEnded(epoch, 10 * epoch, {"loss": 1.0 / epoch, "val_loss": 1.1 / epoch}, {}, 1.0, 100.0))
    app = ChartApp()
    async with app.run_test(size=(80, 24)) as pilot:
        chart = app.query_one(LossChart)
        chart.show(state, pending=[3.0])
        await pilot.pause()
        assert "planned" in chart.legend
        chart.show(state)
        assert "planned" not in chart.legend


async def test_on_a_log_axis_a_curve_of_zeros_keeps_its_own_row_and_each_curve_its_symbol():
    """An `l2` of 0 beside losses spanning decades: the axis stays logarithmic, zero is labelled on a
    row of its own under the smallest decade, and every curve is in the legend with its symbol."""
    from aetui.core import events
    from aetui.core.runstate import RunState
    from aetui.ui.widgets.loss_chart import MARKS, LossChart

    class ChartApp(App):
        def compose(self):
            yield LossChart()

    state = RunState()
    state.apply(events.TrainingStarted("s", "sparse-kl", 5, 10, 100, "CPU", {"beta": 3.0}))
    for epoch in (1, 2, 3):
        logs = {"loss": 100.0 / epoch ** 3, "recon": 0.1 / epoch, "l2": 0.0, "val_loss": 120.0 / epoch ** 3}
        state.apply(events.EpochEnded(epoch, 10 * epoch, logs, {}, 1.0, 100.0))
    app = ChartApp()
    async with app.run_test(size=(80, 24)) as pilot:
        chart = app.query_one(LossChart)
        chart.show(state)
        await pilot.pause()
        assert chart.drawn_log
        drawn = [strip.text for strip in chart.render_lines(chart.region.reset_offset)]
        zero = [line for line in drawn if line.strip().startswith("0┤")]
        assert zero, drawn  # zero has its row, labelled
        for name in ("loss", "recon", "l2", "val_loss"):
            assert f"{MARKS[name]} {name}" in chart.legend
        symbols = "".join(drawn)
        assert MARKS["l2"] in symbols and MARKS["recon"] in symbols  # drawn on the curves themselves


async def test_curves_lying_on_one_another_each_show_their_symbol():
    """Training and validation loss and a part that equal each other at every epoch: one line, and
    every curve's symbol still on it (each curve's symbols shifted along it, on one grid over the
    x range of them all: the live loss, per batch, starts before the per-epoch curves)."""
    from aetui.core import events
    from aetui.core.runstate import RunState
    from aetui.ui.widgets.loss_chart import MARKS, SYMBOLS, LossChart

    class ChartApp(App):
        def compose(self):
            yield LossChart()

    def state(epochs: int, batches: bool) -> RunState:
        state = RunState()
        state.apply(events.TrainingStarted("s", "ae-32", epochs, 10, 100, "CPU", {}))
        for epoch in range(1, epochs + 1):
            value = 0.1 / epoch ** 0.5
            for batch in range(1, 11) if batches else ():  # (the live loss: a running mean per batch)
                state.apply(events.BatchEnded(epoch, batch, 10 * (epoch - 1) + batch, {"loss": value}, {}))
            state.apply(events.EpochEnded(epoch, 10 * epoch, {"loss": value, "recon": value, "val_loss": value}, {},
                                          1.0, 100.0))
        return state

    app = ChartApp()
    async with app.run_test(size=(80, 24)) as pilot:
        chart = app.query_one(LossChart)
        for epochs, batches in ((30, False), (2, True), (3, True), (12, True)):  # (a replay; live runs)
            chart.show(state(epochs, batches))
            await pilot.pause()
            plot = "".join(strip.text for strip in chart.render_lines(chart.region.reset_offset))
            counts = {name: plot.count(MARKS[name]) for name in ("loss", "recon", "val_loss")}
            assert counts["loss"] == SYMBOLS and min(counts.values()) >= 4, (epochs, batches, counts, plot)


async def test_a_panel_updated_with_content_of_its_size_is_not_laid_out_again(monkeypatch):
    """A layout pass arranges and repaints the whole screen: an epoch's panels ask for one only
    where their auto size changes (`update_in_place`), and then get their new size."""
    from textual.screen import Screen
    from textual.widgets import Static

    from aetui.ui.widgets.in_place import update_in_place

    passes = []
    laid_out = Screen._refresh_layout
    monkeypatch.setattr(Screen, "_refresh_layout", lambda self, *a, **k: (passes.append(1), laid_out(self, *a, **k)))

    class PanelApp(App):
        def compose(self):
            yield Static("one\ntwo", id="panel")
            yield Static("hidden", id="hidden")

    app = PanelApp()
    async with app.run_test(size=(40, 12)) as pilot:
        panel, hidden = app.query_one("#panel", Static), app.query_one("#hidden", Static)
        hidden.display = False
        await pilot.pause()
        before = len(passes)
        update_in_place(panel, "uno\ndos")
        update_in_place(hidden, "still\nhidden\nthree rows")
        await pilot.pause()
        assert len(passes) == before and panel.size.height == 2
        assert "uno" in "".join(strip.text for strip in panel.render_lines(panel.region.reset_offset))
        update_in_place(panel, "1\n2\n3")
        await pilot.pause()
        assert len(passes) > before and panel.size.height == 3


async def test_a_chart_that_costs_more_to_draw_is_redrawn_less_often_during_a_run():
    """The chart's redraws take at most its SHARE of a run's time: its rendering is timed, and the
    train screen waits `every(CHART_EVERY)` between redraws."""
    from aetui.core import events
    from aetui.core.runstate import RunState
    from aetui.ui.screens.train import CHART_EVERY
    from aetui.ui.widgets.loss_chart import SHARE, LossChart

    class ChartApp(App):
        def compose(self):
            yield LossChart()

    state = RunState()
    state.apply(events.TrainingStarted("s", "ae-32", 5, 10, 100, "CPU", {}))
    state.apply(events.EpochEnded(1, 10, {"loss": 0.1, "val_loss": 0.12}, {}, 1.0, 100.0))
    async with ChartApp().run_test(size=(80, 24)) as pilot:
        chart = pilot.app.query_one(LossChart)
        chart.show(state)
        await pilot.pause()
        assert chart.cost > 0  # (its rendering, timed)
        assert chart.every(CHART_EVERY) == max(CHART_EVERY, chart.cost / SHARE)
        chart.cost = 0.001
        assert chart.every(CHART_EVERY) == CHART_EVERY
        chart.cost = 0.03  # (a slow machine, a large terminal)
        assert chart.every(CHART_EVERY) == pytest.approx(0.03 / SHARE) and 0.03 / SHARE > CHART_EVERY
