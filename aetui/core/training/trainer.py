"""Training a session: `train` a new one or `resume` a stopped one, writing it as it goes.

Both block (call them from a worker thread) and report plain events to `on_event`. `Controls` is
the run's thread-safe handle: stop, pause, resume, and live hyperparameter changes, which
`Controls.set` assigns to the model's variables from any thread, so each is in force from the next
batch (one set while an epoch is validated and saved waits for the next epoch's first batch); the
engine's callbacks (`aetui.core.training.engine`) record it with that step.
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
import warnings
from pathlib import Path
from typing import Callable

import numpy as np

from aetui.core import conventions, events, hparams
from aetui.core.analysis.images import empty_borders, to_u8
from aetui.core.data import Dataset
from aetui.core.errors import AetuiError, cannot_write
from aetui.core.events import EventSink
from aetui.core.recipe import Recipe
from aetui.core.store import caps
from aetui.core.store.writer import SessionWriter
from aetui.core.backend import versions  # noqa: F401  (stored with each session; `lineage` compares them)
from aetui.core.training.controls import Controls


def fixed_panel(data: Dataset, recipe: Recipe) -> dict[str, np.ndarray]:
    """The fixed test images every snapshot shows: a panel (one per class first: the first of its
    class with the widest empty frame, so views crop the frame and cut no stroke) and a labelled
    subset."""
    wanted = recipe.snapshot["panel"]
    images = data.x_test.reshape(len(data.x_test), *data.image_shape)
    firsts = []
    for c in range(data.classes):
        members = np.flatnonzero(data.y_test == c)
        if len(members):
            head = members[:500]
            firsts.append(int(head[np.argmax(empty_borders(images[head]))]))  # (the first of the emptiest)
    chosen = set(firsts)
    rest = [i for i in range(len(data.y_test)) if i not in chosen]
    panel = np.array((firsts + rest)[:wanted])
    rng = np.random.default_rng(recipe.train["seed"])
    subset = np.sort(rng.choice(len(data.x_test), min(recipe.snapshot["subset"], len(data.x_test)), replace=False))
    return {"panel_index": panel, "panel": to_u8(data.x_test[panel]), "panel_labels": data.y_test[panel],
            "subset_index": subset, "subset_labels": data.y_test[subset],
            "image_shape": np.array(data.image_shape)}


def train(recipe: Recipe, data: Dataset, store: Path, *, params: dict[str, float] | None = None,
          epochs: int | None = None, batch_size: int | None = None, name: str | None = None,
          on_event: EventSink | None = None, controls: Controls | None = None,
          batch_interval: float = 0.15, gpu: int | None = None, strategy: str | None = None,
          extra_meta: dict | None = None) -> Path:
    """Train `recipe` on `data`, writing a new session into `store`; returns the session folder.

    `strategy="mirrored"` trains with `tf.distribute.MirroredStrategy` across the visible GPUs (one
    replica on a CPU-only machine). `extra_meta` is stored in `session.json` (a sweep's name).

    Batch events reach `on_event` at most every `batch_interval` seconds (0: every batch);
    every other event always does. Stops when `controls.stop()` or `controls.interrupt()` is
    called, when the loss stops being finite (status `diverged`, last good epoch kept), or after
    the last epoch.
    """
    from aetui.core import backend, families

    params = {**recipe.params, **{k: hparams.spec(k, recipe.tunables).check(v) for k, v in (params or {}).items()}}
    epochs = epochs or recipe.train["epochs"]
    batch_size = batch_size or recipe.train["batch_size"]
    if epochs < 1 or batch_size < 1:
        raise AetuiError("epochs and batch size must be at least 1")
    families.check_memory(recipe, data.input_dim, batch_size)
    caps.check_run(recipe, data.input_dim, len(data.x_test), families.weight_count(recipe, data.input_dim))
    device = backend.configure(gpu=gpu)
    distribution, how = backend.distribution(strategy)
    built = _build(recipe, data, params, distribution)
    fixed = fixed_panel(data, recipe)
    writer = _writing(lambda: SessionWriter.create(
        store, name or f"{recipe.name}-{time.strftime('%Y%m%d-%H%M%S')}", {
            "recipe": recipe.to_dict(), "params": params, "epochs": epochs, "batch_size": batch_size,
            "dataset": data.describe(), "device": device.name + (f"; {how}" if how else ""),
            "strategy": strategy if isinstance(strategy, str) else None, "versions": versions(), "parts": list(built.parts),
            "figures": conventions.figures(recipe, len(data.x_train), len(data.x_test)), "keep": recipe.train["keep"],
            **(extra_meta or {})}, fixed), store)
    return _fit(built, data, writer, fixed, controls or Controls(recipe.tunables), on_event, batch_interval)


def resume(session_path: Path, data: Dataset, *, params: dict[str, float] | None = None,
           epochs: int | None = None, on_event: EventSink | None = None, controls: Controls | None = None,
           batch_interval: float = 0.15, gpu: int | None = None) -> Path:
    """Go on training a stopped session from its last completed epoch, as Keras's
    `BackupAndRestore` would: the weights and optimizer state of that epoch, its hyperparameters
    (`params` changes them, recorded as changes at the resume step) and its history. `epochs` is
    the new total (default: the session's). Returns the session folder.

    The session's record is checked before its lock is taken (for a clear refusal), and the whole
    session again under it, from a fresh read (its history is read that once): two resumes cannot
    both act on what they read before."""
    from aetui.core import backend, families
    from aetui.core.store import sessions

    path = Path(session_path)
    before = sessions.open_session(path)
    recipe = before.recipe()
    changes = {k: hparams.spec(k, recipe.tunables).check(v) for k, v in (params or {}).items()}
    total = epochs or before.meta.epochs
    check_resumable(before, total, history=False)
    families.check_memory(recipe, data.input_dim, before.meta.batch_size or 1)
    caps.check_run(recipe, data.input_dim, len(data.x_test), families.weight_count(recipe, data.input_dim))
    writer, session = _writing(lambda: SessionWriter.lock(path, lambda s: check_resumable(s, total)), path)
    try:
        done = kept_epoch(session)
        shape = session.meta.image_shape
        if shape is None:
            raise AetuiError(f"{session.name}/session.json: dataset.image_shape must be the images' height and "
                             "width; the record is damaged")
        if tuple(data.image_shape) != shape:
            raise AetuiError(f"{session.name} was trained on {session.meta.dataset_name} images of "
                             f"{shape[0]}x{shape[1]}; pass the same data (--data or --dataset)")
        device = backend.configure(gpu=gpu)
        distribution, how = backend.distribution(session.meta.strategy)
        start = params_at_end(session)
        built = _build(recipe, data, start, distribution)
        if done:
            _load_weights(session, built, done)
        fixed = session.fixed()
        previous = f"{session.status}: {session.meta.reason}".rstrip(": ")
        if done < session.epochs_done:  # killed before the weights of its last epochs were written
            previous += (f"; epochs {done + 1}-{session.epochs_done} are trained again (their weights were not "
                         "written before it stopped)")
        _writing(lambda: writer.take_up(session, done), path, writer)
        _writing(lambda: writer.update(epochs=total, device=device.name + (f"; {how}" if how else ""),
                                       resumes=writer.meta.resumes + 1), path, writer)
    except BaseException:
        writer.close()
        raise
    controls = controls or Controls(recipe.tunables)
    for name, value in changes.items():
        if value != start.get(name):
            controls.set(name, value, origin=events.RESUME)
    return _fit(built, data, writer, fixed, controls, on_event, batch_interval, initial_epoch=done,
                previous=previous if done else None, history=session.history)


def kept_epoch(session) -> int:
    """The epoch a stopped session goes on from: its last completed one, or, where it was killed
    before that epoch's weights were written (they are written every few seconds: engine.WEIGHTS_EVERY),
    the last epoch whose weights are there."""
    found = session.weights()
    done = session.epochs_done
    return found[0] if found is not None and found[0] < done else done


def _load_weights(session, built, epoch: int) -> None:
    """Load the weights (and optimizer state) of `epoch`, or say in one line why they cannot be."""
    from aetui.core.store.files import private_copy
    from aetui.core.store.sessions import LIMITS, WEIGHTS, epoch_files

    found = dict(epoch_files(session.path, WEIGHTS)).get(epoch)
    if found is None:
        raise AetuiError(f"{session.name}: the weights of epoch {epoch} are missing, so it cannot go on")
    relative = f"{WEIGHTS}/{found.name}"
    with private_copy(session.path, relative, LIMITS[WEIGHTS], f"{session.name}/{relative}") as copy, \
            warnings.catch_warnings(record=True) as caught:  # Keras warns where it skips a part
        warnings.simplefilter("always")
        try:
            built.load_weights(copy)  # (a private copy: HDF5 opens it by name)
        except Exception as err:
            raise AetuiError(f"{session.name}: its weights do not match its recipe ({type(err).__name__})") from None
    if any("skipping" in str(w.message).lower() for w in caught):
        raise AetuiError(f"{session.name}: its weights do not match its recipe (parts of the model were not found)")


def resumed_data(session, given: Callable[[], Dataset] | None = None) -> Dataset:
    """The data to go on training `session` with, as many training images as it had: `given` (data
    named anew), else the data its record names, found again. The one place that decides it (a
    sweep's trials go on with the data its manifest names, resolved once for the whole sweep)."""
    from aetui.core import data

    stored, limit = session.meta.dataset, session.meta.train_images
    if given is not None:
        return given().limited(limit)
    name, source = str(stored.get("name", "")), str(stored.get("source", "")).split(" (first ")[0]
    if source and Path(source).exists():
        return data.load_path(Path(source)).limited(limit)
    if name == "digits" or (name in data.NAMES and source.startswith("keras.datasets")):
        return data.load(name).limited(limit)
    raise AetuiError(f"{session.name} was trained on {name or '?'} from {source or '?'}, which is not there "
                     f"now: pass --data PATH or --dataset NAME")


def check_resumable(session, epochs: int, history: bool = True) -> None:
    """An error saying why `session` cannot go on to `epochs` epochs, if it cannot; with `history`
    false, what its record alone says (running, stillborn, its count of epochs, which may lag the
    history's by the one a kill cut short, never lead it), without reading its history."""
    if session.status == "running":
        raise AetuiError(f"{session.name} is {_trainer(session.meta)}; stop it first")
    if session.stillborn:
        raise AetuiError(f"{session.name} was cut short while it was being made (it has no fixed panel and no "
                         "history): there is nothing to go on with; `aetui train` with its name takes the folder over")
    done = session.epochs_done if history else session.meta.epochs_done
    if done >= epochs:
        raise AetuiError(f"{session.name} already has {done} of {epochs} epochs: ask for more "
                         f"than {done} (--epochs N, or the epochs slider) to train it further")


def _trainer(meta) -> str:
    """Who holds the lock: the record's process if alive, else one that took it a moment ago."""
    import socket

    try:
        if meta.host == socket.gethostname() and isinstance(meta.pid, int) and meta.pid > 0:
            os.kill(meta.pid, 0)
    except ProcessLookupError:
        return "being trained by another process (it took the session's lock a moment ago)"
    except OSError:
        pass
    return f"still running (process {meta.pid} on {meta.host})"


def params_at_end(session) -> dict[str, float]:
    """The hyperparameters in force at the end of the session's last completed epoch."""
    from aetui.core import events

    params = dict(session.recipe().params)
    last = session.epochs[-1].step if session.epochs else 0
    for event in session.history:
        if isinstance(event, (events.TrainingStarted, events.TrainingResumed)):
            params.update(event.params)
        elif isinstance(event, events.HParamChanged) and event.step < last:  # in force before its end
            params[event.name] = event.new
    return params


def _build(recipe: Recipe, data: Dataset, params: dict[str, float], strategy=None):
    from aetui.core import families

    return families.build(recipe, data.input_dim, params, strategy)


def _writing(action: Callable, where: Path, writer: SessionWriter | None = None):
    """Run a session write; a full disk or a read-only folder becomes one clear line (and
    `writer`, if given, lets go of its session)."""
    try:
        return action()
    except OSError as err:
        if writer is not None:
            writer.close()
        raise AetuiError(cannot_write(where, err)) from None


def _fit(built, data: Dataset, writer: SessionWriter, fixed: dict, controls: Controls,
         on_event: EventSink | None, batch_interval: float, initial_epoch: int = 0,
         previous: str | None = None, history: list = ()) -> Path:
    from aetui.core.training.engine import (
        DivergenceStop,
        EpochRecorder,
        VALIDATION_BATCH,
        LiveControls,
        Progress,
    )
    from aetui.core.training.run import Run, write_failure

    epochs, batch_size = writer.meta.epochs, writer.meta.batch_size
    replicas = built.model.distribute_strategy.num_replicas_in_sync
    left = len(data.x_train) % batch_size
    if 0 < left < replicas:  # a last batch smaller than the replica count leaves a replica empty (NaN means)
        keep = len(data.x_train) - left
        data = dataclasses.replace(data, x_train=data.x_train[:keep], y_train=data.y_train[:keep])
    steps = math.ceil(len(data.x_train) / batch_size)
    built.model.train_batch_size = batch_size  # (a penalty summed over a batch is validated at this size)
    run = Run.of(built, writer, on_event or (lambda e: None), controls, steps, epochs, initial_epoch, history)
    for at, values in hparams.schedule_steps(writer.meta.recipe.get("schedule") or [], steps):
        if at >= initial_epoch * steps:  # (a recipe's `[[schedule]]`: applied before the batch `at`)
            controls.plan(at, values)
    position, clock, journal, ending = run.position, run.clock, run.journal, run.ending
    callbacks = [Progress(position, clock, journal, ending, lambda: run.opening(previous, len(data.x_train)),
                          batch_interval),
                 DivergenceStop(position, ending),
                 LiveControls(position, clock, journal, run.live, ending),
                 EpochRecorder(position, clock, journal, run.keeping, run.live, ending, built, data, fixed)]
    try:
        built.model.fit(data.x_train, data.x_train, batch_size=batch_size, epochs=epochs, verbose=0,
                        shuffle=True, callbacks=callbacks, initial_epoch=initial_epoch,
                        validation_data=(data.x_test, data.x_test), validation_batch_size=VALIDATION_BATCH)
    except OSError as err:  # a history line could not be written: the disk is full or read-only
        run.finish("failed", write_failure(writer.path, err, position.epochs_done))
        return writer.path
    except Exception as err:
        run.finish("failed", f"{type(err).__name__}: {err}")
        raise
    run.finish(*run.outcome())
    return writer.path
