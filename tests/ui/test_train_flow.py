"""The issue's flow with the real training engine on the embedded digits, driven by the Pilot."""

from pathlib import Path

from textual.widgets import DataTable

from aetui.core import sessions
from aetui.ui.screens.home import HomeScreen
from aetui.ui.widgets.param_slider import ParamSlider
from tests.ui.test_app import ended, open_recipe, until


async def test_pick_tune_train_change_beta_stop_and_find_the_session(make_app):
    app = make_app(warm_up=True)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_recipe(pilot, app, "sparse-kl")
        screen = app.screen
        epochs = screen.query_one("#slider-epochs", ParamSlider)
        epochs.set_value(40)
        batch = screen.query_one("#slider-batch_size", ParamSlider)
        batch.set_value(16)  # 16 batches an epoch of the 256 digits: time to act mid-run
        p = screen.query_one("#slider-p", ParamSlider)
        p.focus()
        await pilot.press("right")
        chosen_p = p.value
        await pilot.press("space")
        await until(pilot, lambda: app.runner.state and len(app.runner.state.epochs) >= 2, 120)
        points = len(app.runner.state.series()["loss"][0])
        await until(pilot, lambda: len(app.runner.state.series()["loss"][0]) > points, 60)  # the chart gains points
        beta = screen.query_one("#slider-beta", ParamSlider)
        beta.focus()
        await pilot.press("right", "right")
        await until(pilot, lambda: len(app.runner.state.changes) == 2, 60)
        await pilot.press("s")
        await until(pilot, lambda: ended(app), 120)
        state = app.runner.state
        assert state.status == "stopped"
        session = sessions.open_session(Path("sessions") / state.session)
        assert session.meta["params"]["p"] == chosen_p and session.meta["batch_size"] == 16
        first, second = session.changes  # one per key press, each with the batch it applied from
        assert (first.name, first.old, second.new) == ("beta", 3.0, beta.value)
        assert second.old == first.new and 0 < first.step <= second.step
        assert session.epochs_done >= 2 and session.status == "stopped"
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)
        names = [row[0] for row in (app.screen.query_one("#sessions", DataTable).get_row_at(i)
                                    for i in range(app.screen.query_one("#sessions", DataTable).row_count))]
        assert state.session in names
