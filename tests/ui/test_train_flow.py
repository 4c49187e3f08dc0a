"""The issue's flow with the real training engine on the embedded digits, driven by the Pilot."""

from pathlib import Path

from textual.widgets import DataTable

from aetui.core import events
from aetui.core.store import sessions
from aetui.ui.screens.home import HomeScreen
from aetui.ui.widgets.param_slider import ParamSlider
from tests.support import ended, open_recipe, until


async def test_pick_tune_train_change_beta_stop_and_find_the_session(make_app):
    app = make_app(warm_up=True)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_recipe(pilot, app, "sparse-kl")
        screen = app.screen
        epochs = screen.query_one("#slider-epochs", ParamSlider)
        epochs.set_value(1000)  # (stopped with s long before)
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
        for made in (1, 2):  # (two presses within one batch are one change: from the first old value to the last)
            await pilot.press("right")
            await until(pilot, lambda: len(app.runner.state.changes) == made, 60)
        await pilot.press("s")
        await until(pilot, lambda: ended(app), 120)
        state = app.runner.state
        assert state.status == "stopped"
        session = sessions.open_session(Path("sessions") / state.session)
        assert session.meta.params["p"] == chosen_p and session.meta.batch_size == 16
        first, second = session.changes  # one per key press, each with the batch it applied from
        assert (first.name, first.old, second.new) == ("beta", 3.0, beta.value)
        assert second.old == first.new and 0 < first.step <= second.step
        assert session.epochs_done >= 2 and session.status == "stopped"
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)
        names = [str(row[0]) for row in (app.screen.query_one("#sessions", DataTable).get_row_at(i)
                                    for i in range(app.screen.query_one("#sessions", DataTable).row_count))]
        assert state.session in names


async def test_divergence_is_shown_then_a_lower_value_resumes_the_session(make_app):
    """A value that makes the loss non-finite: the status line says so and offers u; lowering the
    value and pressing u goes on with the same session from its last good epoch."""
    app = make_app(warm_up=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await open_recipe(pilot, app, "vae-2d")
        screen = app.screen
        screen.query_one("#slider-epochs", ParamSlider).set_value(30)  # (runs on while beta is changed)
        screen.query_one("#slider-batch_size", ParamSlider).set_value(16)
        await pilot.press("space")
        await until(pilot, lambda: app.runner.state and len(app.runner.state.epochs) >= 1, 120)
        screen.query_one("#slider-beta", ParamSlider).set_value(1e38)  # the KL term overflows
        await until(pilot, lambda: ended(app), 120)
        state = app.runner.state
        assert state.status == "diverged"
        await until(pilot, lambda: "u resumes" in str(screen.query_one("#status").render()), 10)  # next redraw
        status = str(screen.query_one("#status").render())
        assert "diverged" in status and "u resumes" in status and "weights of epoch" in status
        kept = len(state.epochs)
        screen.query_one("#slider-beta", ParamSlider).set_value(1.0)
        await pilot.press("u")
        await until(pilot, lambda: app.runner.state is not state, 60)  # a new run (it may end at once)
        await until(pilot, lambda: ended(app), 180)
        state = app.runner.state
        assert state.status == "finished" and len(state.epochs) == 30
        session = sessions.open_session(Path("sessions") / state.session)
        assert session.status == "finished" and session.epochs_done == 30 and session.meta.resumes == 1
        assert [e.epoch for e in session.epochs] == list(range(1, 31)) and session.epochs[kept].epoch == kept + 1
        # The diverging change was in force after epoch `kept` only: the run went on with that epoch's values.
        resumed = next(e for e in session.history if isinstance(e, events.TrainingResumed))
        assert resumed.params["beta"] == 1.0 and resumed.previous.startswith("diverged: loss became")
        end_of_kept = session.epochs[kept - 1].step  # (a change may be recorded as the kept epoch validates:
        assert all(c.new < 1e38 or c.step >= end_of_kept for c in session.changes)  # then it is in force after it)


async def test_home_u_resumes_a_stopped_session(make_app, digits, recipes):
    from aetui.core.training import trainer

    trainer.train(recipes["ae-32"], digits, Path("sessions"), epochs=1, name="short")
    app = make_app(warm_up=True)
    async with app.run_test(size=(120, 36)) as pilot:
        table = app.screen.query_one("#sessions", DataTable)
        table.focus()
        await pilot.press("u")
        await until(pilot, lambda: type(app.screen).__name__ == "TrainScreen", 10)
        status = str(app.screen.query_one("#status").render())
        assert "finished after epoch 1" in status and "space resumes short" in status
        app.screen.query_one("#slider-epochs", ParamSlider).set_value(3)
        await pilot.press("space")
        await until(pilot, lambda: app.runner.state is not None and ended(app), 120)
        assert app.runner.state.status == "finished"
    session = sessions.open_session(Path("sessions") / "short")
    assert session.epochs_done == 3 and session.status == "finished"
