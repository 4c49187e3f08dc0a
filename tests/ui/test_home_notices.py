"""Home's notices: "Running in the background" names the runs other processes train, never the
workbench's own run (not even while it starts, before its session is known), nor the run just left."""

from __future__ import annotations

import threading
from pathlib import Path

from aetui.core import events
from aetui.core.store.writer import SessionWriter
from aetui.ui.screens.home import HomeScreen
from tests.support import open_recipe, until


def new_session(store: Path, name: str, recipe) -> SessionWriter:
    """A session made (its lock held, `running`) by the real writer, as a trainer makes it."""
    return SessionWriter.create(store, name, {"recipe": recipe.to_dict(), "params": dict(recipe.params), "epochs": 1,
                                              "batch_size": 32, "dataset": {"name": "digits"}, "device": "test",
                                              "versions": {}, "parts": ["recon"]})


class SlowStart:
    """A trainer that makes its session first and reports its start only once released, as the real
    one does (the session is written, then Keras's fit begins and `TrainingStarted` is sent)."""

    def __init__(self):
        self.made, self.release = threading.Event(), threading.Event()

    def __call__(self, recipe, data, store, *, params, epochs, on_event, controls, **_):
        writer = new_session(store, "own-run", recipe)
        try:
            self.made.set()
            self.release.wait(30)
            on_event(events.TrainingStarted(writer.name, recipe.name, epochs, 1, 10, "test", dict(params)))
            on_event(events.TrainingFinished("stopped", "stopped after 0 epoch(s)", 0, 0))
        finally:
            writer.update(status="stopped")
            writer.close()


def notices(app) -> list[str]:
    return [str(n.message) for n in app._notifications if "Running in the background" in str(n.message)]


async def test_the_own_run_starting_is_not_told_as_running_in_the_background(make_app):
    from aetui.core import recipe as recipes
    from aetui.core.store import paths

    trainer = SlowStart()
    app = make_app(trainer)
    store = Path("sessions")
    elsewhere = new_session(store, "elsewhere-run", recipes.load_file(recipes.discover(paths.recipe_dirs())["ae-32"]))
    try:
        async with app.run_test(size=(120, 40), notifications=True) as pilot:
            await until(pilot, lambda: notices(app))  # the run another process trains: told once
            assert "elsewhere-run" in notices(app)[0]
            app.clear_notifications()
            await open_recipe(pilot, app, "ae-32")
            await pilot.press("space")
            await until(pilot, lambda: trainer.made.is_set())
            await pilot.press("escape")  # back home while the run starts: its session exists, unnamed yet
            await until(pilot, lambda: isinstance(app.screen, HomeScreen))
            home = app.screen
            home.poll()  # (what its clock does every two seconds)
            await until(pilot, lambda: "own-run" in str([k.value for k in home.query_one("#sessions").rows]))
            await pilot.pause(1.5)  # (past the second home waits before it tells)
            assert not notices(app), notices(app)
            trainer.release.set()
            await until(pilot, lambda: not app.runner.active)
            home.poll()
            await pilot.pause(1.5)
            assert not notices(app), notices(app)
    finally:
        trainer.release.set()
        elsewhere.close()
