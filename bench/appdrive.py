"""Driving the app from the benchmarks (importable: the scripts in bench/ run with it on sys.path)."""

from __future__ import annotations


async def start_training(app, pilot, recipe, epochs: int | None = None):
    """Open `recipe`'s train screen in a running app and start a run, as a person would; returns the screen."""
    from aetui.ui.screens.train import TrainScreen

    screen = TrainScreen(recipe, app.workbench)
    app.push_screen(screen)
    await pilot.pause(0.2)
    if epochs is not None:
        screen.run.settings["epochs"] = epochs
    screen.start()
    return screen
