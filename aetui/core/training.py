"""The training engine: fits a recipe's model, reports plain events, and writes the session.

`train()` blocks; call it from a worker thread. `Controls` is its thread-safe handle: stop,
pause, resume, and live hyperparameter changes, which are applied between batches on the
training thread so each takes effect at exactly the next batch and is recorded with that step.
"""

from __future__ import annotations

import math
import platform
import threading
import time
from pathlib import Path
from typing import Callable

import numpy as np

from aetui.core import hparams
from aetui.core.data import Dataset
from aetui.core.errors import AetuiError
from aetui.core.recipe import Recipe
from aetui.core.sessions import SessionWriter

EventSink = Callable[[object], None]


class Controls:
    """Thread-safe handles to a run: stop, pause and resume, and live hyperparameter changes.

    While a model trains, `set` assigns the new value to its live variable at once (from any
    thread: it takes effect at the next batch, also with several steps per execution) and notes
    the step it applied from, read from the optimizer's step counter; the engine records the
    change at its next callback. Values set before training starts apply at step 0.
    """

    def __init__(self, tunables: tuple[str, ...]):
        self.tunables = tunables
        self.stop_event = threading.Event()
        self._also_stop_on: list[threading.Event] = []
        self._go = threading.Event()
        self._go.set()
        self._lock = threading.Lock()
        self._knobs = None
        self._step: Callable[[], int] = lambda: 0
        self._queued: list[tuple[str, float]] = []
        self._applied: list[tuple[str, float, float, int]] = []

    def stop(self) -> None:
        """Ask the run to stop after the current batch; completed epochs stay saved."""
        self.stop_event.set()
        self._go.set()

    def also_stop_on(self, event: threading.Event) -> None:
        """Stop as well when `event` is set (e.g. a UI worker's `cancelled_event` when the app exits)."""
        self._also_stop_on.append(event)

    @property
    def stopping(self) -> bool:
        """True once a stop was asked for, here or through a linked event."""
        return self.stop_event.is_set() or any(e.is_set() for e in self._also_stop_on)

    def pause(self) -> None:
        """Hold training after the current batch."""
        self._go.clear()

    def resume(self) -> None:
        """Continue a paused run."""
        self._go.set()

    @property
    def paused(self) -> bool:
        """True while a pause is asked for."""
        return not self._go.is_set()

    def wait_resumed(self, timeout: float) -> bool:
        """Block until resumed or stopped, at most `timeout` seconds; True if no longer paused."""
        return self._go.wait(timeout)

    def set(self, name: str, value: object) -> float:
        """Validate a new hyperparameter value and apply it (or keep it for the start of training)."""
        number = hparams.spec(name, self.tunables).check(value)
        with self._lock:
            if self._knobs is None:
                self._queued.append((name, number))
            else:
                self._apply(name, number)
        return number

    def attach(self, knobs, step: Callable[[], int]) -> None:
        """Connect to a training model's knobs (with `values()` and `assign()`) and its step counter;
        values set before now apply at once."""
        with self._lock:
            self._knobs, self._step = knobs, step
            for name, number in self._queued:
                self._apply(name, number)
            self._queued = []

    def detach(self) -> None:
        """Training ended: later values are kept for the next start."""
        with self._lock:
            self._knobs = None

    def _apply(self, name: str, number: float) -> None:
        old = self._knobs.values()[name]
        step = self._step()
        self._knobs.assign(name, number)
        self._applied.append((name, old, number, step))

    def take_applied(self) -> list[tuple[str, float, float, int]]:
        """The changes applied since the last call, as (name, old, new, first step using new)."""
        with self._lock:
            applied, self._applied = self._applied, []
        return applied


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
