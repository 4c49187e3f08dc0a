"""The replay and compare screens on sessions written to disk, driven by the Pilot."""

from pathlib import Path

from rich.style import Style
from rich.text import Text
from textual.widgets import DataTable, TabbedContent

from aetui.ui.messages import Compare, OpenSession
from aetui.ui.screens.compare import CompareScreen
from aetui.ui.screens.dialogs import NameDialog
from aetui.ui.screens.replay import ReplayScreen
from aetui.ui.widgets.compare_chart import CompareChart
from aetui.ui.widgets.figure_pane import FigurePane
from tests.support import ended, synthetic_session, until


async def test_scrub_epochs_switch_views_and_step_through_changes(make_app):
    path = synthetic_session(Path("sessions"))
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        app.post_message(OpenSession(path))
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ReplayScreen) and screen.epoch == 4
        await pilot.press("left", "left")
        assert screen.epoch == 2 and "epoch 2: loss 20" in str(screen.query_one("#epoch-values").render())
        await pilot.press("2")  # a view catches up with the epoch when it is shown
        recon = screen.query_one("#view-recon", FigurePane)
        await until(pilot, lambda: recon.figure is not None)
        assert screen.drawn == {"recon": 2} and recon.figure.caption.startswith("epoch 2: test digits")
        assert recon.picture.image is not None  # sweep and the others are not drawn until shown
        await pilot.press("home")
        assert screen.epoch == 1
        await pilot.press("end")
        assert screen.epoch == 4
        await pilot.press("g")
        assert isinstance(app.screen, NameDialog)
        app.screen.query_one("#name").value = "3"
        await pilot.press("enter")
        assert screen.epoch == 3
        await pilot.press("5")
        assert screen.query_one(TabbedContent).active == "tab-area"
        await pilot.press("c")
        assert screen.epoch == 2 and "beta 1 → 2 from batch 3 of epoch 2 (step 12)" in screen.note
        assert screen.query_one(TabbedContent).active == "tab-curves"
        await pilot.press("t")  # a 2-D code needs no projection: it says so
        await until(pilot, lambda: any("This code is 2-D" in n.message for n in app._notifications))
        assert screen.projection == "pca"
        await pilot.press("escape")
        assert not isinstance(app.screen, ReplayScreen)


async def test_tsne_runs_in_the_background_for_wide_codes(make_app):
    path = synthetic_session(Path("sessions"), "wide", code=8, kind="ae")
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        app.post_message(OpenSession(path))
        await pilot.pause()
        screen = app.screen
        await pilot.press("t")
        assert screen.projection == "tsne"
        await until(pilot, lambda: 4 in screen.tsne_cache, 60)
        points, how = screen.tsne_cache[4]
        assert points.shape == (len(screen.replay.fixed["subset_labels"]), 2) and "t-SNE" in how
        await pilot.press("left")  # t-SNE stays on: the next epoch is computed too
        assert screen.projection == "tsne"
        await until(pilot, lambda: 3 in screen.tsne_cache, 60)
        await pilot.press("right")  # and a map already made is reused
        assert screen.scatter_drawn == (4, "tsne")
        await pilot.press("t")
        assert screen.projection == "pca"


async def test_compare_at_80x24_keeps_each_session_s_symbols_and_cuts_a_first_epoch_far_above(make_app):
    """Three sessions close together, one whose first epoch's training loss is a thousand times the
    rest: the axis is the rest's (the first epoch cut at its top, how high written there), and every
    session's symbol is on the chart, none drawn over by another's line or symbol."""
    for name, loss, first in (("a", 1.0, 1.0), ("b", 1.2, 1000.0), ("c", 1.4, 1.0)):
        synthetic_session(Path("sessions"), name, epochs=10, kind="ae", loss=loss, first=first)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.post_message(Compare([Path("sessions") / n for n in "abc"]))
        await until(pilot, lambda: isinstance(app.screen, CompareScreen))
        await pilot.pause()
        chart = app.screen.query_one("#compare-chart", CompareChart)
        text = Text.from_ansi(chart.plt.build()).plain
        rows = [line for line in text.splitlines() if "┤" in line or "│" in line]
        assert "↑48" in text  # (b's 0.04 x 1.2 x 1000 at epoch 1, written where it leaves the top)
        for mark in "●▲■":
            assert sum(line.count(mark) for line in rows) >= 3, (mark, text)
        ticks = [float(line.split("┤")[0]) for line in rows if "┤" in line and line.split("┤")[0].strip()]
        assert max(ticks) < 1, ticks  # (the rest read on the axis: 0.04 at most, not 48)


async def test_compare_marked_sessions_from_home(make_app):
    synthetic_session(Path("sessions"), "first")
    synthetic_session(Path("sessions"), "second", epochs=3)
    app = make_app()
    async with app.run_test(size=(120, 34)) as pilot:
        table = app.screen.query_one("#sessions", DataTable)
        table.focus()
        await pilot.press("c")
        assert not isinstance(app.screen, CompareScreen)  # nothing marked: a warning
        await pilot.press("m", "down", "m")
        assert len(app.screen.marked) == 2
        marks = [table.get_row_at(row)[0] for row in (0, 1)]  # each in the symbol and colour compare gives it
        await pilot.press("c")
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        legend = {part.plain.split()[1]: part for part in screen.query_one("#compare-chart").legend.split("  ")}
        for mark in marks:
            name = mark.plain.split()[1]
            assert mark.plain.split()[0] == legend[name].plain.split()[0], (mark, legend)
            assert Style.parse(mark.style).color == Style.parse(str(legend[name].spans[0].style)).color
        assert len({mark.plain.split()[0] for mark in marks}) == len({str(mark.style) for mark in marks}) == 2
        assert screen.shared == [1, 2, 3] and screen.epoch == 3
        await pilot.press("left")
        assert screen.epoch == 2
        await pilot.press("l")  # losses a decade apart read better on a log axis
        await pilot.pause()
        assert screen.log_scale and "log y" in screen.query_one("#compare-chart").plt.build()
        await pilot.press("4")
        assert screen.query_one(TabbedContent).active == "tab-figures"
        assert "best test MSE/pixel first" in screen.query_one("#compare-figures").content.title
        await pilot.press("o")  # rank by the next figure: the cross-entropy per pixel
        assert screen.sort == "test_bce_pixel" and "best test BCE/pixel first" in \
            screen.query_one("#compare-figures").content.title
        await pilot.press("o")  # then (one family, one loss) the total validation loss
        assert screen.sort == "val_loss"


async def test_open_from_the_command_line(make_app, tmp_path):
    path = synthetic_session(Path("sessions"))
    from aetui.core import data
    from aetui.ui.app import AetuiApp

    app = AetuiApp(Path("sessions"), lambda: data.load("digits"), warm_up=False, opening=[path])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ReplayScreen) and app.screen.replay.session.name == "synthetic-vae"


async def test_b_in_replay_branches_at_the_shown_epoch_into_the_train_screen(make_app, recipes):
    """A real two-epoch session (its first epoch kept: a change was made in the second): `b` at
    epoch 1 makes a branch standing at it, and the train screen opens set to train it on."""
    from aetui.core import data, events
    from aetui.core.store import sessions
    from aetui.core.training import trainer
    from aetui.ui.screens.train import TrainScreen

    r = recipes["sparse-kl"]
    controls = trainer.Controls(r.tunables)

    def on_event(event):
        if isinstance(event, events.EpochEnded) and event.epoch == 1:
            controls.set("beta", 0.5)

    path = trainer.train(r, data.load("digits").limited(256), Path("sessions"), epochs=2, batch_size=32,
                         name="parent", controls=controls, on_event=on_event)  # (the app's store: cwd is tmp)
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        app.post_message(OpenSession(path))
        await until(pilot, lambda: isinstance(app.screen, ReplayScreen))
        await pilot.press("left")  # epoch 1
        assert app.screen.epoch == 1
        await pilot.press("b")
        await until(pilot, lambda: isinstance(app.screen, TrainScreen))
        branch = sessions.find(Path("sessions"), "parent-from-1")
        assert branch.meta.parent == {"name": "parent", "how": "branch", "epoch": 1}
        assert branch.status == "stopped" and branch.epochs_done == 1
        await pilot.press("space")  # trains the branch on from epoch 1, as a resume does
        await until(pilot, lambda: ended(app), seconds=120)
    branch = sessions.find(Path("sessions"), "parent-from-1")
    assert branch.status == "finished" and [e.epoch for e in branch.epochs] == [1, 2]
    assert branch.history[:2] == sessions.open_session(path).history[:2]  # the parent's start and epoch 1


async def test_the_neighbouring_epochs_are_made_while_idle_and_a_step_shows_them_as_drawn_anew(make_app):
    """Once a step is painted, a thread makes the chart (its mark a step either way) and the pictures
    of the epochs beside it; a step shows those, line for line what the screen draws anew."""
    from aetui.ui.screens.replay_ahead import chart_key, picture_key
    from aetui.ui.widgets.loss_chart import LossChart

    path = synthetic_session(Path("sessions"), epochs=6)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.post_message(OpenSession(path))
        await until(pilot, lambda: isinstance(app.screen, ReplayScreen))
        screen, chart = app.screen, app.screen.query_one(LossChart)
        assert screen.epoch == 6
        await until(pilot, lambda: any(at[0][0] == chart_key(5) for at in chart.rendered))
        made = next(lines for at, lines in chart.rendered.items() if at[0][0] == chart_key(5))
        await pilot.press("left")
        await pilot.pause()
        assert chart.key[0] == chart_key(5) and chart._render_cache.lines is made
        shown = [strip.text for strip in made]
        chart.rendered.clear()  # drawn anew, on the UI thread
        chart.show(screen.replay.state, mark=5, key=chart_key(5))
        await pilot.pause()
        assert [strip.text for strip in chart._render_cache.lines] == shown and chart.unplotted is None
        await pilot.press("2")  # the reconstructions: epoch 5's neighbours, made ahead
        pane = screen.query_one("#view-recon", FigurePane)
        await until(pilot, lambda: pane.made_ahead(picture_key("recon", 4)) is not None)
        ahead = pane.made_ahead(picture_key("recon", 4))
        await pilot.press("left")
        await pilot.pause()
        assert pane.figure is ahead[2] and pane.picture.image is ahead[2].image
        assert (pane.make(*pane.drawn).image == pane.picture.image).all()
        picture = pane.picture  # (half blocks: Textual's lines of its text were made ahead too)
        assert picture._render_cache.lines is ahead[3].lines[1]
        shown = [list(strip) for strip in picture._render_cache.lines]  # (segments: text and style)
        picture._lines = None  # drawn anew, on the UI thread
        picture.refresh()
        await pilot.pause()
        assert [list(strip) for strip in picture._render_cache.lines] == shown
