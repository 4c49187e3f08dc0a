"""A scripted stand-in for `trainer.train`: the same signature and events, instant and deterministic.

UI tests use it so the Pilot is not slowed by real training; the real engine is tested in
tests/core and end to end (tests/ui/test_train_flow.py, tests/test_tmux.py), and
tests/ui/test_scripted.py checks that the two report the same sequence of events.
"""

from __future__ import annotations

import threading

import numpy as np

from aetui.core import events
from aetui.core.analysis.images import to_u8
from aetui.core.analysis.sparsity import code_stats, gaussian_stats
from aetui.core.training.controls import Controls
from aetui.core.training.trainer import fixed_panel


class DictKnobs:
    """The `values()` / `assign()` a real model's knobs offer, over a dict."""

    def __init__(self, values: dict[str, float]):
        self._values = dict(values)

    def values(self) -> dict[str, float]:
        return dict(self._values)

    def assign(self, name: str, value: float) -> None:
        self._values[name] = value


class ScriptedTrainer:
    """Emits `batches` batch events per epoch; `hold` makes it wait after each epoch until released."""

    def __init__(self, batches: int = 4, hold: bool = False):
        self.batches = batches
        self.release = threading.Event()
        if not hold:
            self.release.set()
        self.calls: list[dict] = []

    def __call__(self, recipe, data, store, *, params, epochs, batch_size, on_event, controls: Controls, **_):
        self.calls.append({"recipe": recipe.name, "params": dict(params), "epochs": epochs,
                           "batch_size": batch_size})
        values = dict(params)
        fixed = fixed_panel(data, recipe)
        rng = np.random.default_rng(0)
        on_event(events.TrainingStarted("scripted", recipe.name, epochs, self.batches, len(data.x_train),
                                        "scripted", dict(values)))
        step, done = 0, 0
        knobs = DictKnobs(values)
        controls.attach(knobs, lambda: step)
        for epoch in range(1, epochs + 1):
            for batch in range(1, self.batches + 1):
                step += 1
                loss = 1.0 / (epoch + batch / self.batches)
                on_event(events.BatchEnded(epoch, batch, step, {"loss": loss, "recon": loss / 2},
                                           {"loss": loss, "recon": loss / 2}))
                for name, old, new, at, origin in controls.take_applied():  # as the engine's LiveControls does
                    on_event(events.HParamChanged(name, old, new, at // self.batches + 1, at, origin))
                if controls.paused and not controls.stopping:
                    on_event(events.Paused(step))
                    while not controls.wait_resumed(0.05) and not controls.stopping:
                        pass
                    on_event(events.Resumed(step))
                if controls.stopping:
                    controls.detach()
                    on_event(events.TrainingFinished("stopped", f"stopped after {done} epoch(s)", done, step))
                    return None
            codes = rng.random((len(fixed["subset_index"]), recipe.net["code"])).astype(np.float32) * 0.1
            stats = code_stats(codes)
            unit_means = stats.pop("unit_means")
            arrays = {"codes": codes, "unit_means": unit_means}
            if recipe.kind == "vae":
                gauss = gaussian_stats(codes, np.zeros_like(codes))
                arrays["kl_per_dim"] = gauss.pop("kl_per_dim")
                stats.update(gauss)
            logs = {"loss": 1.0 / epoch, "recon": 0.5 / epoch, "val_loss": 1.1 / epoch, "val_recon": 0.55 / epoch}
            if recipe.loss["sparsity"] == "kl" and recipe.kind in ("sparse", "nonneg"):  # as the real one logs it
                logs.update(recon=0.45 / epoch, sparsity=0.05 / epoch, sparsity_epoch=0.002 / epoch,
                            val_recon=0.5 / epoch, val_sparsity=0.006 / epoch)
                logs["val_loss"] = logs["val_recon"] + logs["val_sparsity"]
            stats.update(test_mse_pixel=0.05 / epoch, test_bce_pixel=0.2 / epoch, train_images=len(data.x_train),
                         test_images=len(data.x_test))
            on_event(events.Validating(epoch))
            on_event(events.EpochEnded(epoch, step, logs, stats, 0.5, 1000.0))
            recon = to_u8(data.x_test[fixed["panel_index"]] * (1 - 0.5 / epoch))
            on_event(events.SnapshotTaken(epoch, {"recon": recon, **arrays}, fixed))
            done = epoch
            while not self.release.wait(0.05) and not controls.stopping:
                pass
        controls.detach()
        on_event(events.TrainingFinished("finished", f"{done} epoch(s)", done, step))
        return None
