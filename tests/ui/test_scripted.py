"""The stand-in trainer the UI tests use reports what the real engine reports, in the same order:
a run with a pause and a live change, by both."""

from __future__ import annotations

import threading

from aetui.core import events
from aetui.core.training import trainer as training
from aetui.core.training.controls import Controls
from tests.ui.scripted import ScriptedTrainer


def sequence(trainer, recipe, data, store) -> list[str]:
    """The event types of a two-epoch run paused at its first batch, with `beta` changed meanwhile;
    batch progress (whose count depends on how often batches are reported) is left out."""
    controls = Controls(recipe.tunables)
    seen: list = []

    def on_event(event) -> None:
        seen.append(event)
        if isinstance(event, events.BatchEnded) and not controls.paused and not any(
                isinstance(e, events.Paused) for e in seen):
            controls.pause()
            controls.set("beta", 2.0)
            threading.Timer(0.2, controls.resume).start()

    trainer(recipe, data, store, params=dict(recipe.params), epochs=2, batch_size=64, on_event=on_event,
            controls=controls)
    assert any(isinstance(e, events.BatchEnded) for e in seen)
    return [type(e).__name__ for e in seen if not isinstance(e, events.BatchEnded)]


def test_the_stand_in_reports_what_the_engine_reports(recipes, digits, tmp_path):
    real = sequence(training.train, recipes["sparse-kl"], digits, tmp_path / "real")
    scripted = sequence(ScriptedTrainer(), recipes["sparse-kl"], digits, tmp_path / "scripted")
    assert real == scripted == ["TrainingStarted", "HParamChanged", "Paused", "Resumed", "Validating", "EpochEnded",
                                "SnapshotTaken", "Validating", "EpochEnded", "SnapshotTaken", "TrainingFinished"]
