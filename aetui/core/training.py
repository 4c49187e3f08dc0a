"""The training engine: fits a recipe's model, reports plain events, and writes the session.

`train()` blocks; call it from a worker thread. `Controls` is its thread-safe handle: stop,
pause, resume, and live hyperparameter changes, which are applied between batches on the
training thread so each takes effect at exactly the next batch and is recorded with that step.
"""

from __future__ import annotations

import math
import platform
import time
from pathlib import Path
from typing import Callable

import numpy as np

from aetui.core import hparams
from aetui.core.data import Dataset
from aetui.core.errors import AetuiError
from aetui.core.recipe import Recipe
from aetui.core.controls import Controls
from aetui.core.sessions import SessionWriter

EventSink = Callable[[object], None]


def fixed_panel(data: Dataset, recipe: Recipe) -> dict[str, np.ndarray]:
    """The fixed test images every snapshot shows: a panel (one per class first) and a labelled subset."""
    wanted = recipe.snapshot["panel"]
    firsts = [int(np.flatnonzero(data.y_test == c)[0]) for c in range(data.classes) if (data.y_test == c).any()]
    rest = [i for i in range(len(data.y_test)) if i not in set(firsts)]
    panel = np.array((firsts + rest)[:wanted])
    rng = np.random.default_rng(recipe.train["seed"])
    subset = np.sort(rng.choice(len(data.x_test), min(recipe.snapshot["subset"], len(data.x_test)), replace=False))
    return {"panel_index": panel, "panel": to_u8(data.x_test[panel]), "panel_labels": data.y_test[panel],
            "subset_index": subset, "subset_labels": data.y_test[subset],
            "image_shape": np.array(data.image_shape)}


def to_u8(images: np.ndarray) -> np.ndarray:
    """Images in [0, 1] as bytes 0..255 (the compact form snapshots keep)."""
    return np.round(np.clip(images, 0.0, 1.0) * 255).astype(np.uint8)


def versions() -> dict[str, str]:
    """Library versions, stored with each session."""
    import keras
    import tensorflow as tf

    import aetui

    return {"aetui": aetui.__version__, "python": platform.python_version(), "numpy": np.__version__,
            "keras": keras.__version__, "tensorflow": tf.__version__}


def train(recipe: Recipe, data: Dataset, store: Path, *, params: dict[str, float] | None = None,
          epochs: int | None = None, batch_size: int | None = None, name: str | None = None,
          on_event: EventSink | None = None, controls: Controls | None = None,
          batch_interval: float = 0.15, gpu: int | None = None) -> Path:
    """Train `recipe` on `data`, writing a session into `store`; returns the session folder.

    Batch events reach `on_event` at most every `batch_interval` seconds (0: every batch);
    every other event always does. Stops when `controls.stop()` is called, when the loss stops
    being finite (status `diverged`, last good epoch kept), or after the last epoch.
    """
    from aetui.core import backend, families

    params = {**recipe.params, **{k: hparams.spec(k, recipe.tunables).check(v) for k, v in (params or {}).items()}}
    epochs = epochs or recipe.train["epochs"]
    batch_size = batch_size or recipe.train["batch_size"]
    if epochs < 1 or batch_size < 1:
        raise AetuiError("epochs and batch size must be at least 1")
    controls = controls or Controls(recipe.tunables)
    device = backend.configure(gpu=gpu)
    built = families.build(recipe, data.input_dim, params)
    fixed = fixed_panel(data, recipe)
    writer = SessionWriter.create(store, name or f"{recipe.name}-{time.strftime('%Y%m%d-%H%M%S')}", {
        "recipe": recipe.to_dict(), "params": params, "epochs": epochs, "batch_size": batch_size,
        "dataset": data.describe(), "device": device.name, "versions": versions(), "parts": list(built.parts)})
    writer.save_fixed(fixed)
    from aetui.core.reporter import Reporter

    reporter = Reporter(built, data, writer, fixed, controls, on_event or (lambda e: None), batch_interval,
                         steps=math.ceil(len(data.x_train) / batch_size), epochs=epochs)
    try:
        built.model.fit(data.x_train, data.x_train, batch_size=batch_size, epochs=epochs, verbose=0,
                        shuffle=True, callbacks=[reporter])
    except Exception as err:
        reporter.finish("failed", f"{type(err).__name__}: {err}")
        raise
    reporter.finish(*reporter.outcome())
    return writer.path
