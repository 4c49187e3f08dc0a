"""Sessions made from other sessions: `rerun` trains a session again exactly (its recipe, data, seed,
batch size and starting values, and each recorded change planned at the same global step), `branch`
goes on from one of its kept epochs in a new session (the parent's history up to that epoch, then
its own). Both record their parent in `session.json` (`parent`: name, how, and a branch's epoch).

Keras is imported only once training starts (through `trainer`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import time
from pathlib import Path

from aetui.core import events, hparams
from aetui.core.data import Dataset
from aetui.core.errors import AetuiError
from aetui.core.events import EventSink
from aetui.core.training import trainer
from aetui.core.training.controls import Controls


def started(session) -> events.TrainingStarted:
    """The record of the session's first start (its starting values), or an error saying why a
    session without one cannot be made again."""
    found = next((e for e in session.history if isinstance(e, events.TrainingStarted)), None)
    if found is None or session.stillborn:
        raise AetuiError(f"{session.name} has no record of its start (it was cut short while being made, or its "
                         "history is damaged): there is nothing to make again")
    return found


def differences(session, device: str | None = None) -> list[str]:
    """Why a rerun of `session` here may not give the same figures: another library version, another
    device, resumes (each resume starts the shuffling afresh), a damaged history."""
    said = []
    now = trainer.versions()
    for name, version in sorted(now.items()):
        then = session.meta.versions.get(name)
        if name != "aetui" and then is not None and then != version:
            said.append(f"{name} {then} then, {version} now")
    if device and session.meta.device and session.meta.device.split(";")[0] != device:
        said.append(f"trained on {session.meta.device.split(';')[0]}, now on {device}")
    damaged = [p for p in session.problems if not p.startswith(("snapshot of epoch", "no saved weights"))]
    if damaged:  # (lines of the history that could not be read: a change there is not replayed)
        said.append(f"its history is damaged ({damaged[0]}): what is lost there is not replayed")
    if session.meta.resumes:
        said.append(f"it was resumed {session.meta.resumes} time(s): the rerun trains straight through")
    return said


def rerun(session, data: Dataset, store: Path, *, name: str | None = None, epochs: int | None = None,
          on_event: EventSink | None = None, controls: Controls | None = None, gpu: int | None = None,
          batch_interval: float = 0.15) -> Path:
    """Train `session` again as a new session in `store`: the same recipe, data, seed, batch size and
    starting values, with each change its history records planned at the same global step (so it is
    recorded again at that step). Returns the new session's folder."""
    start = started(session)
    recipe = session.recipe()
    batch_size = session.meta.batch_size or recipe.train["batch_size"]
    epochs = epochs or session.meta.epochs or recipe.train["epochs"]
    hparams.RUN_SETTINGS["epochs"].check(epochs)
    steps = math.ceil(len(data.x_train) / batch_size)
    changes = [c for c in session.changes if c.step < epochs * steps]
    controls = controls or Controls(recipe.tunables)
    for change in changes:
        controls.plan(change.step, {change.name: change.new}, origin="rerun")
    every = recipe.train["steps_per_execution"]
    if every > 1 and any((c.step % steps) % every for c in changes):
        # a change inside an execution of several batches: batch callbacks come only between them
        recipe = dataclasses.replace(recipe, train={**recipe.train, "steps_per_execution": 1})
    params = {k: v for k, v in start.params.items() if k in recipe.tunables and recipe.params.get(k) != v}
    parent = {"name": session.name, "how": "rerun"}
    return trainer.train(recipe, data, store, params=params, epochs=epochs, batch_size=batch_size,
                         name=name or f"{session.name}-rerun-{time.strftime('%H%M%S')}", on_event=on_event,
                         controls=controls, gpu=gpu, strategy=session.meta.strategy, batch_interval=batch_interval,
                         extra_meta={"parent": parent, "keep": session.meta.keep})


def kept_epochs(session) -> list[int]:
    """The epochs of `session` whose weights and optimizer state are kept (to branch from)."""
    from aetui.core.store.sessions import WEIGHTS, epoch_files

    return [e for e, _ in epoch_files(session.path, WEIGHTS) if e <= session.epochs_done]


def shared_history(session, epoch: int) -> list:
    """The events of `session` up to the end of `epoch`: what a branch from it shares."""
    if not 1 <= epoch <= len(session.epochs):
        raise AetuiError(f"{session.name} has {len(session.epochs)} completed epoch(s): no epoch {epoch}")
    end = session.epochs[epoch - 1].step
    shared = []
    for event in session.history:
        if isinstance(event, events.EpochEnded) and event.epoch > epoch:
            break
        if isinstance(event, events.HParamChanged) and event.step >= end:
            continue  # (in force after the epoch's end: not the parent's state at the branch point)
        if not isinstance(event, events.TrainingFinished):
            shared.append(event)
    return shared


def params_at(session, epoch: int) -> dict[str, float]:
    """The values in force at the end of `epoch`."""
    params = dict(session.recipe().params)
    for event in shared_history(session, epoch):
        if isinstance(event, (events.TrainingStarted, events.TrainingResumed)):
            params.update(event.params)
        elif isinstance(event, events.HParamChanged):
            params[event.name] = event.new
    return params


BEING_MADE = "being made: a branch of"
"""How a branch's record begins its reason until it is whole: one a kill cut short is taken over."""


def clear_half_made(store: Path, name: str) -> None:
    """Remove the session `name` if it is a branch a kill cut short while it was being made (its
    record says so and nobody holds it), so the name is free again; anything else stays."""
    from aetui.core.store.files import Folder
    from aetui.core.store.paths import safe_name
    from aetui.core.store.sessions import open_session

    folder = store / safe_name(name)
    try:
        session = open_session(folder)
        if session.status != "killed" or not session.meta.reason.startswith(BEING_MADE):
            return
        with Folder.open(folder) as root:
            for entry in root.names():
                if not root.remove(entry):  # (a folder with files: snapshots/, weights/; opened, never followed)
                    with root.sub(entry, make=False) as sub:
                        for inner in sub.names():
                            sub.remove(inner)
                    root.remove(entry)
        folder.rmdir()
    except (AetuiError, OSError):
        return  # (what could not be removed stays: the new branch takes the next free name)


def make_branch(parent, store: Path, epoch: int, *, name: str | None = None, epochs: int | None = None) -> Path:
    """A new session in `store` standing at `epoch` of `parent`: its history is the parent's up to
    that epoch (its lines copied; the snapshots of those epochs and that epoch's kept weights and
    optimizer state shared with the parent on disk, or copied where they cannot be), its record
    names its parent and branch point; it reads `stopped`, so `aetui resume` (and `branch`, and the
    workbench) trains it on. Files only (no Keras). Returns its folder."""
    from aetui.core.store.files import read_in
    from aetui.core.store.sessions import LIMITS, SNAPSHOTS, WEIGHTS, snapshot_name, weights_name
    from aetui.core.store.writer import SessionWriter

    started(parent)
    kept = kept_epochs(parent)
    if epoch not in kept:
        raise AetuiError(f"{parent.name}: the state of epoch {epoch} is not kept (kept: "
                         f"{', '.join(map(str, kept)) or 'none'}); train with --keep all or every:K to keep more")
    total = epochs or max(parent.meta.epochs, epoch + 1)
    hparams.RUN_SETTINGS["epochs"].check(total)
    if total <= epoch:
        raise AetuiError(f"--epochs {total}: a branch from epoch {epoch} needs more than {epoch}")
    shared, start = shared_history(parent, epoch), params_at(parent, epoch)
    weights = read_in(parent.path, f"{WEIGHTS}/{weights_name(epoch)}", LIMITS[WEIGHTS])  # (readable, or refused now)
    fixed = parent.fixed()
    meta = parent.meta
    fields = {"recipe": meta.recipe, "params": start, "epochs": total, "batch_size": meta.batch_size,
              "dataset": meta.dataset, "device": meta.device, "strategy": meta.strategy, "versions": meta.versions,
              "parts": meta.parts, "figures": meta.figures, "keep": meta.keep,
              "parent": {"name": parent.name, "how": "branch", "epoch": epoch},
              "reason": f"{BEING_MADE} {parent.name} at epoch {epoch}"}
    name = name or f"{parent.name}-from-{epoch}"
    clear_half_made(store, name)
    writer = trainer._writing(lambda: SessionWriter.create(store, name, fields, {k: fixed[k] for k in fixed}), store)

    def copy() -> None:
        writer.record(*shared)
        for e in range(1, epoch + 1):
            if parent.epochs[e - 1].pictured and not writer.share(parent.path, SNAPSHOTS, snapshot_name(e)):
                with contextlib.suppress(AetuiError):  # (a snapshot missing in the parent is missing here too)
                    writer.save_snapshot(e, {k: v for k, v in parent.snapshot(e).items()})
        if not writer.share(parent.path, WEIGHTS, weights_name(epoch)):
            writer.save_weights(weights, epoch)
        best = min(e.logs.get("val_loss", math.inf) for e in parent.epochs[:epoch])
        writer.update(epochs_done=epoch, status="stopped", reason=f"branched from {parent.name} at epoch {epoch}",
                      **({"best_val_loss": best} if math.isfinite(best) else {}))

    try:
        trainer._writing(copy, writer.path, writer)
    finally:
        writer.close()
    return writer.path


def branch(parent, data: Dataset, store: Path, epoch: int, *, params: dict | None = None, name: str | None = None,
           epochs: int | None = None, on_event: EventSink | None = None, controls: Controls | None = None,
           gpu: int | None = None, batch_interval: float = 0.15) -> Path:
    """`make_branch`, then train it on from `epoch` (as `trainer.resume` does) with `params` changed
    from there (recorded as changes at the branch point). Returns its folder."""
    recipe = parent.recipe()
    changes = {k: hparams.spec(k, recipe.tunables).check(v) for k, v in (params or {}).items()}
    if parent.meta.image_shape is not None and tuple(data.image_shape) != parent.meta.image_shape:
        raise AetuiError(f"{parent.name} was trained on other images; pass the same data (--data or --dataset)")
    path = make_branch(parent, store, epoch, name=name, epochs=epochs)
    return trainer.resume(path, data, params=changes, on_event=on_event, controls=controls, gpu=gpu,
                          batch_interval=batch_interval)
