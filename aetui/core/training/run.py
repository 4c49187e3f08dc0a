"""One training run as the engine's callbacks share it (`Run`): where it writes, what it reports,
how far it is, where each epoch's time went, and how it ends. Plain Python: the callbacks that
drive it, and Keras, are in `aetui.core.training.engine`."""

from __future__ import annotations

import contextlib
import math
import time
from collections import defaultdict
from dataclasses import dataclass, field

from aetui.core import events
from aetui.core.control.channel import Channel
from aetui.core.events import EventSink
from aetui.core.store.writer import SessionWriter
from aetui.core.training.controls import Controls

PARTS = events.TIMING
"""Where an epoch's wall time goes besides training its batches (`events.TIMING`)."""


def write_failure(where, err: OSError, epochs: int) -> str:
    """Why a run stopped when the session could not be written, what is kept, and what to do."""
    from aetui.core.errors import cannot_write

    kept = {0: "no epoch was saved", 1: "epoch 1 is saved"}.get(epochs, f"epochs 1-{epochs} are saved")
    return f"{cannot_write(where, err)}; {kept}; resume once it can be written"


def keep_policy(keep: str, epoch: int) -> bool:
    """Whether a `keep` setting (`all`, `every:K`, or empty: the defaults only) keeps `epoch`."""
    if keep == "all":
        return True
    if keep.startswith("every:") and keep[6:].isdigit() and int(keep[6:]) > 0:
        return epoch % int(keep[6:]) == 0
    return False


def check_keep(keep: str | None) -> str:
    """A `--keep` setting as given, or an error saying what it may be."""
    from aetui.core.errors import AetuiError

    if keep in (None, ""):
        return ""
    if keep == "all" or (keep.startswith("every:") and keep[6:].isdigit() and int(keep[6:]) > 0):
        return keep
    raise AetuiError(f"--keep {keep}: give all, or every:K (K a whole number from 1)")


@dataclass
class Run:
    """One run as its callbacks share it: where it writes, what it reports, how far it is."""

    built: object
    """The model bundle (`families.base.Built`)."""
    writer: SessionWriter
    emit: EventSink
    controls: Controls
    steps: int
    """Batches per epoch."""
    epochs: int
    """The epoch to train up to."""
    epochs_done: int = 0
    step: int = 0
    """Batches trained since the session began."""
    epoch: int = 0
    """The epoch in progress, counting from 1."""
    diverged: str | None = None
    write_error: str | None = None
    epoch_start: float = field(default_factory=time.perf_counter)
    spent_at_begin: dict = field(default_factory=dict)
    trained_at: float = 0.0
    """When the epoch's last batch ended (then `fit` validates on the test set)."""
    unsaved: tuple | None = None
    """(epoch, weights state) of the last completed epoch, while its weights are not on disk."""
    weights_at: float = -math.inf
    weights_saved: int = 0
    """The epoch whose weights are on disk."""
    best_val_loss: float | None = None
    """The lowest validation loss of this run's epochs and those before (`session.json` keeps it)."""
    last_epoch: dict | None = None
    """What the record keeps of the last completed epoch for listings (`ranking.last_epoch_record`)."""
    batch: int = 0
    """Batches done in the epoch in progress."""
    logs: dict = field(default_factory=dict)
    """The epoch's running means so far."""
    channel: Channel | None = None
    """Commands from other processes, and the progress record attached views read."""
    spent: defaultdict = field(default_factory=lambda: defaultdict(float))
    """Seconds spent on each kind of bookkeeping since the last epoch was recorded (`PARTS`)."""
    kept: set = field(default_factory=set)
    """Epochs whose weights stay besides the last (`keeps`): the epoch before each change."""
    val_losses: dict = field(default_factory=dict)
    """Each completed epoch's validation loss, by epoch (to keep the best written state)."""
    best_kept: tuple | None = None
    """(epoch, validation loss) of the best epoch whose weights were written: it stays."""

    def __post_init__(self) -> None:
        if self.epochs_done:  # (going on: the epochs kept so far stay kept)
            from aetui.core.store.sessions import WEIGHTS, epoch_files, open_session

            with contextlib.suppress(Exception):
                session = open_session(self.writer.path)
                self.kept |= {events.epoch_of(c.step, self.steps) - 1 for c in session.changes}
                self.val_losses = {e.epoch: e.logs.get("val_loss", math.inf) for e in session.epochs}
                written = [(self.val_losses[e], e) for e, _ in epoch_files(self.writer.path, WEIGHTS)
                           if e in self.val_losses]
                self.best_kept = tuple(reversed(min(written))) if written else None

    def keeps(self, epoch: int) -> bool:
        """Whether `epoch`'s weights and optimizer state stay once later ones are written: the epoch
        before each change, the best of those written (they are written at most every
        `engine.WEIGHTS_EVERY` seconds, always the last), and those the session's `keep` asks for
        (`all`, `every:K`)."""
        return (epoch in self.kept or (self.best_kept is not None and epoch == self.best_kept[0])
                or keep_policy(self.writer.meta.keep, epoch))

    def apply_due(self) -> None:
        """Before a batch: set the planned changes due by now (`Controls.plan`)."""
        for name, value, origin in self.controls.take_due(self.step):
            self.controls.set(name, value, origin=origin)

    def update_record(self, **more) -> None:
        """Rewrite `session.json` with the epochs done, the values in force and the best validation
        loss (and `more`): after an epoch while epochs are slow, at the snapshots' pace when fast,
        and at the end (the history, read for everything else, is written every epoch)."""
        best = {"best_val_loss": self.best_val_loss} if self.best_val_loss is not None else {}
        if self.last_epoch is not None:
            best["last_epoch"] = self.last_epoch
        self.writer.update(epochs_done=self.epochs_done, params=self.built.knobs.values(), **best, **more)

    def write_weights(self) -> None:
        """Write the weights and optimizer state of the last completed epoch, if not written yet."""
        if self.unsaved is not None:
            epoch, state = self.unsaved
            self.writer.save_weights(self.built.weights_bytes(state), epoch)
            self.unsaved, self.weights_at, self.weights_saved = None, time.perf_counter(), epoch
            loss = self.val_losses.get(epoch, math.inf)
            if self.best_kept is None or loss < self.best_kept[1]:  # (the best written state stays)
                self.best_kept = (epoch, loss)

    @contextlib.contextmanager
    def timed(self, part: str):
        """Count the time of the block as `part` of the epoch's wall time."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.spent[part] += time.perf_counter() - started

    def take_timing(self, seconds: float, in_loop: dict[str, float]) -> dict[str, float]:
        """Where the epoch's wall time went: `train` (its batches, `seconds` long, less the
        bookkeeping done between them, `in_loop`), then each part since the last epoch was recorded."""
        timing = {"train": max(seconds - sum(in_loop.values()), 0.0)}
        timing.update({part: self.spent.get(part, 0.0) for part in PARTS})
        self.spent.clear()
        return timing

    def where(self) -> dict:
        """Where the run is, as the progress record says it."""
        planned = self.controls.planned()  # (changes planned ahead: pending markers for attached views)
        return {"epoch": self.epoch, "batch": self.batch, "steps": self.steps, "step": self.step,
                "epochs": self.epochs, "logs": self.logs, **({"planned": planned} if planned else {})}

    def beat(self, force: bool = False) -> None:
        """A batch boundary: commands from other processes are taken, the progress record rewritten."""
        if self.channel is not None:
            with self.timed("control"):
                self.channel.beat(self.where(), force)

    def send(self, event, durable: bool = True) -> None:
        """Report an event; a durable one is appended to the session's history first."""
        if durable:
            with self.timed("history"):
                self.writer.record(event)
        with self.timed("reporting"):
            self.emit(event)

    def record_changes(self) -> None:
        """Record the changes `Controls.set` applied since the last callback, with their step, in
        one write: several of one value from one step are one change (from the first old value to
        the last new one, by whoever set that), and one that ends where it began is none."""
        merged: dict[tuple[str, int], tuple[float, float, str]] = {}
        for name, old, new, step, origin in self.controls.take_applied():
            merged[name, step] = (merged.get((name, step), (old,))[0], new, events.origin_text(origin))
        changes = [events.HParamChanged(name, old, new, events.epoch_of(step, self.steps), step, origin)
                   for (name, step), (old, new, origin) in merged.items() if old != new]
        for change in changes:  # (the epoch before it is kept, to branch from with another value)
            before = change.epoch - 1
            if before >= 1 and before not in self.kept:
                self.kept.add(before)
                if self.unsaved is not None and self.unsaved[0] == before:
                    with self.timed("weights"):
                        self.write_weights()
        if changes:
            with self.timed("history"):
                self.writer.record(*changes)
            with self.timed("reporting"):
                for change in changes:
                    self.emit(change)

    def stop(self) -> None:
        """End `fit` after this batch."""
        self.built.model.stop_training = True

    def outcome(self) -> tuple[str, str]:
        """How the run ended, and why in words."""
        done, controls = self.epochs_done, self.controls
        if self.write_error:
            return "failed", self.write_error
        if self.diverged:
            return "diverged", self.diverged + f"; the weights of epoch {done} are kept: lower the value and resume"
        if done >= self.epochs:
            return "finished", f"{done} epoch(s)"
        if controls.interrupted:
            return "interrupted", f"{controls.interrupted} after {done} complete epoch(s)"
        if controls.stop_event.is_set():
            return "stopped", f"stopped by the user after {done} complete epoch(s)"
        if controls.stopping:
            return "interrupted", f"the app closed after {done} complete epoch(s)"
        return "finished", f"{done} epoch(s)"

    def finish(self, status: str, reason: str) -> None:
        """Record the end of the run and let go of the session; a write that fails now (a full
        disk) leaves it reading `killed` (resumable), and the event still reaches the user."""
        self.controls.detach()
        if self.channel is not None:
            self.channel.close(self.where())
            self.channel = None
        event = events.TrainingFinished(status, reason, self.epochs_done, self.step)
        try:
            if self.unsaved is not None and self.unsaved[0] > self.epochs_done:
                self.unsaved = None  # (an epoch whose record could not be written is not kept)
            self.write_weights()  # (the last completed epoch's, kept since its end: a stop loses no epoch)
            if self.weights_saved <= self.epochs_done:  # (else the newest kept are older: all stay)
                self.writer.prune_weights(self.weights_saved, self.keeps)
            self.record_changes()
            self.writer.record(event)
            self.update_record(status=status, reason=reason)
        except OSError:
            pass
        self.writer.close()  # no longer running (read as `killed` if the status could not be written)
        self.emit(event)
