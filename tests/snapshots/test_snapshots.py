"""SVG snapshots pinning the layout at 80x24 and 160x48 (fixed sessions, scripted trainer, no clocks).

Update after an intended change with `pytest tests/snapshots --snapshot-update`, and look at the
new SVGs before committing them.
"""

from pathlib import Path

import pytest

from aetui.ui.messages import OpenSession
from aetui.ui.widgets.param_slider import ParamSlider
from tests.support import ended, fake_session, open_recipe, until
from tests.ui.scripted import ScriptedTrainer

SIZES = [(80, 24), (160, 48)]


@pytest.fixture
def sessions_on_disk(make_app):
    store = Path("sessions")
    fake_session(store, "vae-2d-night", "vae-2d", 30, "finished", "2026-11-01T22:10:00")
    fake_session(store, "sparse-kl-p001", "sparse-kl", 12, "stopped", "2026-11-02T09:30:00")
    return store


async def loaded(pilot):
    await until(pilot, lambda: "digits" in pilot.app.workbench.info_line())
    pilot.app.screen.show_info()
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
def test_home(snap_compare, make_app, sessions_on_disk, size):
    assert snap_compare(make_app(), terminal_size=size, run_before=loaded)


async def trained(pilot, recipe: str) -> None:
    """The train screen of `recipe` after a three-epoch run: every event drained, the worker gone,
    drawn anew, no notification over it."""
    app = pilot.app
    await loaded(pilot)
    await open_recipe(pilot, app, recipe)
    app.screen.query_one("#slider-epochs", ParamSlider).set_value(3)
    await pilot.press("space")
    await until(pilot, lambda: ended(app) and not app.runner.active)
    app.screen.redraw()
    app.clear_notifications()


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("recipe", ["vae-2d", "sparse-kl"])
def test_train_after_three_epochs(snap_compare, make_app, size, recipe):
    async def run_before(pilot):
        await trained(pilot, recipe)
        await pilot.pause()

    assert snap_compare(make_app(ScriptedTrainer()), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("tab", ["1", "5"])
def test_replay(snap_compare, make_app, size, tab):
    from tests.support import synthetic_session

    path = synthetic_session(Path("sessions"))

    async def run_before(pilot):
        pilot.app.post_message(OpenSession(path))
        await until(pilot, lambda: type(pilot.app.screen).__name__ == "ReplayScreen")
        await pilot.press("left", tab)
        if tab != "1":  # a picture view: made once the pane has its size
            await until(pilot, lambda: pilot.app.screen.query_one("#view-area").figure is not None)
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_compare_three_sessions(snap_compare, make_app, size):
    """Each session in its own colour and symbol: on the curves, in the legend and the first line."""
    from aetui.ui.messages import Compare
    from tests.support import synthetic_session

    paths = [synthetic_session(Path("sessions"), name, epochs=epochs, error=error)
             for name, epochs, error in (("run-a", 4, 0.05), ("run-b", 3, 0.08), ("run-c", 4, 0.03))]

    async def run_before(pilot):
        pilot.app.post_message(Compare([str(p) for p in paths]))
        await until(pilot, lambda: type(pilot.app.screen).__name__ == "CompareScreen")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("recipe, keys", [("sparse-kl", ("2", "h")), ("vae-2d", ("3",)), ("sparse-kl", ("6", "m"))],
                         ids=["digits", "scatter", "sparsity-maximised"])
def test_train_one_view_at_80x24(snap_compare, make_app, recipe, keys):
    """At 80x24 one view at a time: the digits without the sliders, the scatter beside them, the
    sparsity figures maximised."""
    async def run_before(pilot):
        await trained(pilot, recipe)
        await pilot.press(*keys)
        await pilot.pause()

    assert snap_compare(make_app(ScriptedTrainer()), terminal_size=(80, 24), run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_replay_digits(snap_compare, make_app, size):
    """Replay's digits over their reconstructions (MNIST-sized, as a session of real MNIST has them)."""
    from tests.support import mnist_sized, synthetic_session

    path = synthetic_session(Path("sessions"), dataset=mnist_sized())

    async def run_before(pilot):
        pilot.app.post_message(OpenSession(path))
        await until(pilot, lambda: type(pilot.app.screen).__name__ == "ReplayScreen")
        await pilot.press("left", "2")
        await until(pilot, lambda: pilot.app.screen.query_one("#view-recon").figure is not None)
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_compare_reconstructions(snap_compare, make_app, size):
    """Each session's digits over their reconstructions, five at least, under its symbol."""
    from aetui.ui.messages import Compare
    from aetui.ui.widgets.figure_pane import FigurePane
    from tests.support import mnist_sized, synthetic_session

    digits = mnist_sized()
    paths = [str(synthetic_session(Path("sessions"), name, epochs=2, dataset=digits, error=error))
             for name, error in (("run-a", 0.05), ("run-b", 0.08))]

    async def run_before(pilot):
        pilot.app.post_message(Compare(paths))
        await until(pilot, lambda: type(pilot.app.screen).__name__ == "CompareScreen")
        await pilot.press("3")
        await until(pilot, lambda: all(p.figure is not None for p in pilot.app.screen.query(FigurePane)))
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_quit_dialog_during_a_run(snap_compare, make_app, size):
    """Ctrl+Q during a run asks: stop it, keep it running in the background, or cancel."""
    async def run_before(pilot):
        app = pilot.app
        await loaded(pilot)
        await open_recipe(pilot, app, "sparse-kl")
        await pilot.press("space")
        await until(pilot, lambda: app.runner.state is not None and app.runner.state.epochs)  # (held after it)
        app.screen.redraw()
        app.clear_notifications()
        await pilot.press("ctrl+q")
        await until(pilot, lambda: type(app.screen).__name__ == "ChoiceDialog")
        await pilot.pause()

    assert snap_compare(make_app(ScriptedTrainer(hold=True)), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_help(snap_compare, make_app, size):
    """The train screen's keys (its help), over the screen."""
    async def run_before(pilot):
        await loaded(pilot)
        await open_recipe(pilot, pilot.app, "sparse-kl")
        await pilot.press("question_mark")
        await until(pilot, lambda: type(pilot.app.screen).__name__ == "HelpDialog")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before)
