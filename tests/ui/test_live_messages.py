"""The live run reaches the workbench as messages: each event posted by the thread that has it,
folded into the run's state, the screen redrawing what it changes. No clock drains events or
redraws, no version counter; a batch's progress collapses to the newest in a backlog, and a change
says who made it, so a slider follows others' changes and never its own echo."""

from __future__ import annotations

from aetui.core import events
from aetui.ui.messages import RunEvent, RunProgress
from aetui.ui.widgets.param_slider import ParamSlider
from tests.support import ended, open_recipe, until
from tests.ui.scripted import ScriptedTrainer


def clocks(app) -> set[str]:
    """What every timer of the app, its screens and their widgets calls, by qualified name."""
    nodes = [app, *app.screen_stack, *(w for s in app.screen_stack for w in s.walk_children())]
    return {getattr(t._callback, "__qualname__", repr(t._callback)) for n in nodes for t in getattr(n, "_timers", ())
            if t._callback is not None}


def test_a_backlog_of_batches_collapses_into_the_newest_and_nothing_else_does():
    batch = RunProgress(events.BatchEnded(1, 1, 1, {}, {}), run=1)
    newer = RunProgress(events.BatchEnded(1, 2, 2, {}, {}), run=1)
    epoch = RunEvent(events.EpochEnded(1, 2, {}, {}, 0.0, 0.0), run=1)
    assert batch.can_replace(newer) and newer.events == [batch.event, newer.event]  # (it takes the batch along)
    assert not batch.can_replace(epoch) and not epoch.can_replace(batch) and not epoch.can_replace(epoch)
    assert not batch.can_replace(RunProgress(events.BatchEnded(1, 1, 1, {}, {}), run=2))  # (another run's)


async def test_the_train_screen_redraws_from_messages_with_no_clock(make_app):
    trainer = ScriptedTrainer(hold=True)
    app = make_app(trainer)
    async with app.run_test(size=(100, 32)) as pilot:
        await open_recipe(pilot, app, "sparse-kl")
        await pilot.press("space")
        await until(pilot, lambda: app.runner.state.epochs and app.screen.query_one("#chart-box").border_subtitle)
        ticking = clocks(app)
        assert "HomeScreen.poll" in ticking  # (home looks at the store, which other processes write)
        assert not [name for name in ticking if name.startswith(("TrainScreen", "AetuiApp", "Runner"))], ticking
        status = str(app.screen.query_one("#status").render())
        assert "running" in status and "epoch 1/" in status
        trainer.release.set()
        await until(pilot, lambda: ended(app))
        await until(pilot, lambda: "finished" in str(app.screen.query_one("#status").render()))


async def test_a_slider_follows_others_changes_and_never_its_own_echo(make_app):
    trainer = ScriptedTrainer(hold=True)
    app = make_app(trainer)
    async with app.run_test(size=(100, 32)) as pilot:
        await open_recipe(pilot, app, "sparse-kl")
        beta = app.screen.query_one("#slider-beta", ParamSlider)
        await pilot.press("space")
        await until(pilot, lambda: app.runner.state.status == "running")
        beta.focus()
        await pilot.press("right", "right", "right")
        moved = beta.value
        trainer.release.set()
        await until(pilot, lambda: [c for c in app.runner.state.changes if c.name == "beta"])
        own = [c for c in app.runner.state.changes if c.name == "beta"]
        assert {c.origin for c in own} == {events.WORKBENCH} and beta.value == moved  # (no step back)
        await until(pilot, lambda: ended(app))
        run = app.runner.run  # (a change as the run reports it: an echo of this workbench's, then another's)
        app.post_message(RunEvent(events.HParamChanged("beta", moved, 0.5, 3, 9, events.WORKBENCH), run))
        await until(pilot, lambda: app.runner.state.changes[-1].new == 0.5)
        await pilot.pause()
        assert beta.value == moved  # (its own change: the slider is where the user left it)
        app.post_message(RunEvent(events.HParamChanged("beta", 0.5, 7.0, 3, 10, "alice@elsewhere pid 1"), run))
        await until(pilot, lambda: beta.value == 7.0)
        assert [c.new for c in app.runner.state.changes[-2:]] == [0.5, 7.0]


async def test_a_stopped_runs_last_events_never_reach_the_next_run(make_app):
    trainer = ScriptedTrainer(hold=True)
    app = make_app(trainer)
    async with app.run_test(size=(100, 32)) as pilot:
        await open_recipe(pilot, app, "sparse-kl")
        await pilot.press("space")
        await until(pilot, lambda: app.runner.state.status == "running")
        first = app.runner.run
        app.post_message(RunEvent(events.TrainingFinished("failed", "a straggler", 0, 0), run=first - 1))
        await pilot.pause()
        assert app.runner.state.status == "running"  # (an earlier run's event: not this one's)
        trainer.release.set()
        await until(pilot, lambda: ended(app))



async def test_a_burst_of_batches_loses_no_point_of_the_curve(make_app):
    """Batches posted faster than the screen draws (from another thread, as the engine posts them):
    every one reaches the run's state, in order."""
    import threading

    trainer = ScriptedTrainer(hold=True)
    app = make_app(trainer)
    async with app.run_test(size=(100, 32)) as pilot:
        await open_recipe(pilot, app, "sparse-kl")
        await pilot.press("space")
        await until(pilot, lambda: app.runner.state.status == "running" and app.runner.state.epochs)
        run, before = app.runner.run, len(app.runner.state.batches)

        def burst() -> None:
            for n in range(1, 301):
                app.post_message(RunProgress(events.BatchEnded(2, 1, 1000 + n, {"loss": 1.0 / n}, {}), run))

        thread = threading.Thread(target=burst)
        thread.start()
        thread.join()
        await until(pilot, lambda: len(app.runner.state.batches) == before + 300)
        assert [logs["loss"] for _, logs in app.runner.state.batches[before:]] == [1.0 / n for n in range(1, 301)]
        trainer.release.set()
        await until(pilot, lambda: ended(app))
