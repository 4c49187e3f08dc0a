"""SVG snapshots pinning the layout at 80x24 and 160x48 (fixed sessions, scripted trainer, no clocks).

Update after an intended change with `pytest tests/snapshots --snapshot-update`, and look at the
new SVGs before committing them.
"""

from pathlib import Path

import pytest

from aetui.ui.widgets.param_slider import ParamSlider
from tests.ui.conftest import fake_session
from tests.ui.scripted import ScriptedTrainer
from tests.ui.test_app import ended, open_recipe, until

SIZES = [(80, 24), (160, 48)]


@pytest.fixture
def sessions_on_disk(make_app):
    store = Path("sessions")
    fake_session(store, "vae-2d-night", "vae-2d", 30, "finished", "2026-11-01T22:10:00")
    fake_session(store, "sparse-kl-p001", "sparse-kl", 12, "stopped", "2026-11-02T09:30:00")
    return store


async def loaded(pilot):
    await until(pilot, lambda: "digits" in pilot.app.info_line())
    pilot.app.screen.show_info()
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
def test_home(snap_compare, make_app, sessions_on_disk, size):
    assert snap_compare(make_app(), terminal_size=size, run_before=loaded)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("recipe", ["vae-2d", "sparse-kl"])
def test_train_after_three_epochs(snap_compare, make_app, size, recipe):
    async def run_before(pilot):
        app = pilot.app
        await loaded(pilot)
        await open_recipe(pilot, app, recipe)
        app.screen.query_one("#slider-epochs", ParamSlider).set_value(3)
        await pilot.press("space")
        await until(pilot, lambda: ended(app))
        await pilot.pause(0.3)  # let the last events drain and the redraw timer settle
        app.screen.forget()
        app.screen.redraw()
        app.clear_notifications()
        await pilot.pause(0.3)

    assert snap_compare(make_app(ScriptedTrainer()), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("tab", ["1", "5"])
def test_replay(snap_compare, make_app, size, tab):
    from tests.ui.conftest import synthetic_session

    path = synthetic_session(Path("sessions"))

    async def run_before(pilot):
        pilot.app.open_session(str(path))
        await pilot.pause()
        await pilot.press("left", tab)
        await pilot.pause(0.2)

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before)
