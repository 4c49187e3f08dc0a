"""At 80x24 (the SSH default) the train screen shows one view at a time, each measured for what it
promises: the chart's plot rows, the digits over their reconstructions, the scatter's whole key.
Larger, every view shows at once and any one can be maximised."""

from __future__ import annotations

from textual.widgets import Static

from aetui.ui.screens.train_layout import ROOMY
from aetui.ui.widgets.digit_panel import DigitPanel, ScatterPane
from aetui.ui.widgets.loss_chart import LossChart
from aetui.ui.widgets.param_slider import ParamSlider
from tests.support import ended, open_recipe, until
from tests.ui.scripted import ScriptedTrainer


def lines(widget) -> list[str]:
    """The widget's rows as they are drawn."""
    return [strip.text for strip in widget.render_lines(widget.region.reset_offset)]


def plot_rows(chart: LossChart) -> int:
    """Rows between the plot's top and bottom frame lines."""
    drawn = lines(chart)
    top = next(i for i, line in enumerate(drawn) if "┌" in line)
    bottom = next(i for i, line in enumerate(drawn) if "└" in line)
    return bottom - top - 1


def on_screen(app, widget) -> bool:
    """Whether all of `widget` is drawn (inside the screen and every container above it)."""
    region = widget.region
    return region.area > 0 and app.screen.region.contains_region(region) and \
        all(parent.region.contains_region(region) for parent in widget.ancestors
            if hasattr(parent, "region") and parent is not app)


async def trained(pilot, app, recipe: str, epochs: int = 3) -> None:
    await open_recipe(pilot, app, recipe)
    app.screen.query_one("#slider-epochs", ParamSlider).set_value(epochs)
    await pilot.press("space")
    await until(pilot, lambda: ended(app) and not app.runner.active)
    app.screen.redraw()
    await pilot.pause()


async def test_at_80x24_the_chart_alone_has_twelve_plot_rows_and_more(make_app):
    app = make_app(ScriptedTrainer())
    async with app.run_test(size=(80, 24)) as pilot:
        await trained(pilot, app, "sparse-kl")
        screen = app.screen
        assert screen.arrangement.single and screen.arrangement.view == "curves"
        assert not screen.query_one("#preview").display and not screen.query_one("#stats").display
        assert screen.query_one("#params").display  # the sliders beside it, until hidden
        assert plot_rows(screen.query_one(LossChart)) >= 12
        await pilot.press("m")  # maximised: the sliders go, the chart takes the width
        await pilot.pause()
        assert not screen.query_one("#params").display and plot_rows(screen.query_one(LossChart)) >= 12


async def test_at_80x24_the_digit_view_shows_five_digits_over_their_reconstructions(make_app):
    app = make_app(ScriptedTrainer())
    async with app.run_test(size=(80, 24)) as pilot:
        await trained(pilot, app, "sparse-kl")
        await pilot.press("2", "h")  # the digits, the sliders hidden
        digits = app.screen.query_one(DigitPanel)
        await until(pilot, lambda: digits.figure is not None and digits.drawn[0] > 60)
        await pilot.pause()
        assert not app.screen.query_one(LossChart).display or not app.screen.query_one("#chart-box").display
        labels = [name for row in digits.figure.notes.values() for _, name in row]
        assert len(labels) >= 5, labels
        picture = digits.picture
        assert on_screen(app, picture)
        assert picture.region.height >= 14  # (each digit over its reconstruction: two 14-pixel squares at least)
        await pilot.press("h")  # the sliders again, and focus on them
        await pilot.pause()
        assert isinstance(app.focused, ParamSlider) and on_screen(app, app.focused)


async def live_scatter(pilot, app) -> ScatterPane:
    """`vae-2d` trained a little (scripted), its scatter view shown; the pane once drawn."""
    await trained(pilot, app, "vae-2d")
    await pilot.press("3")
    scatter = app.screen.query_one(ScatterPane)
    await until(pilot, lambda: scatter.figure is not None and scatter.region.area > 0)
    await pilot.pause()
    return scatter


async def test_at_80x24_the_scatter_shows_its_whole_key(make_app):
    app = make_app(ScriptedTrainer())
    async with app.run_test(size=(80, 24)) as pilot:
        scatter = await live_scatter(pilot, app)
        key = scatter.query_one(".figure-side", Static)
        assert on_screen(app, key)
        shown = "".join(lines(key))
        classes = sorted(int(c) for c in scatter.figure.side.plain.split() if c.isdigit())
        assert classes and all(str(c) in shown for c in classes), shown
        assert key.region.height >= len(classes)
        assert on_screen(app, scatter.picture) and scatter.picture.region.height >= 8


async def test_with_room_every_view_shows_and_a_key_maximises_one(make_app):
    app = make_app(ScriptedTrainer())
    async with app.run_test(size=(160, 48)) as pilot:
        await trained(pilot, app, "vae-2d")
        screen = app.screen
        boxes = ("#chart-box", "#stats", "#preview")
        assert 160 >= ROOMY[0] and not screen.arrangement.single
        assert all(screen.query_one(box).display for box in boxes)
        await pilot.press("2")
        await pilot.pause()
        assert [screen.query_one(box).display for box in boxes] == [False, False, True]
        assert not screen.query_one("#params").display
        await pilot.press("2")  # its key again: every view
        await pilot.pause()
        assert all(screen.query_one(box).display for box in boxes) and screen.query_one("#params").display
