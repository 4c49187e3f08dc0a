"""The parts of one training run, each held by the engine's callbacks that use it
(`aetui.core.training.engine`): `Position` (how far it is), `Clock` (where each epoch's time
went), `Journal` (what it writes and reports) and `Ending` (why it stops). Plain Python."""

from __future__ import annotations

import contextlib
import time
from collections import defaultdict
from dataclasses import dataclass, field

from aetui.core import events
from aetui.core.events import EventSink
from aetui.core.ranking import last_epoch_record
from aetui.core.store.writer import SessionWriter

PARTS = events.TIMING
"""Where an epoch's wall time goes besides training its batches (`events.TIMING`)."""


@dataclass
class Position:
    """How far the run is."""

    steps: int
    """Batches per epoch."""
    epochs: int
    """The epoch to train up to."""
    epochs_done: int = 0
    step: int = 0
    """Batches trained since the session began."""
    epoch: int = 0
    """The epoch in progress, counting from 1."""
    batch: int = 0
    """Batches done in the epoch in progress."""
    logs: dict = field(default_factory=dict)
    """The epoch's running means so far."""

    def where(self) -> dict:
        """Where the run is, as the progress record says it."""
        return {"epoch": self.epoch, "batch": self.batch, "steps": self.steps, "step": self.step,
                "epochs": self.epochs, "logs": self.logs}


@dataclass
class Clock:
    """Where each epoch's wall time goes: its batches, then each kind of bookkeeping (`PARTS`)."""

    epoch_start: float = field(default_factory=time.perf_counter)
    spent_at_begin: dict = field(default_factory=dict)
    trained_at: float = 0.0
    """When the epoch's last batch ended (then `fit` validates on the test set)."""
    spent: defaultdict = field(default_factory=lambda: defaultdict(float))
    """Seconds spent on each kind of bookkeeping since the last epoch was recorded."""

    def begin_epoch(self) -> None:
        self.epoch_start, self.spent_at_begin, self.trained_at = time.perf_counter(), dict(self.spent), 0.0

    def in_loop(self) -> dict[str, float]:
        """The bookkeeping done between the epoch's batches so far, by part."""
        return {k: v - self.spent_at_begin.get(k, 0.0) for k, v in self.spent.items() if k != "validation"}

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


class Journal:
    """What the run writes and reports: events to the history and to whoever listens (`emit`),
    and the session record's summary (`session.json`: epochs done, values in force, best figures)."""

    def __init__(self, writer: SessionWriter, emit: EventSink, clock: Clock, knobs):
        self.writer, self.emit, self.clock, self.knobs = writer, emit, clock, knobs
        self.best_val_loss: float | None = writer.meta.best_val_loss
        """The lowest validation loss of this run's epochs and those before."""
        self.last_epoch: dict | None = None
        """What the record keeps of the last completed epoch for listings (`ranking.last_epoch_record`)."""

    def send(self, event, durable: bool = True) -> None:
        """Report an event; a durable one is appended to the session's history first."""
        if durable:
            with self.clock.timed("history"):
                self.writer.record(event)
        with self.clock.timed("reporting"):
            self.emit(event)

    def record(self, *many) -> None:
        """Append several events to the history in one write, then report each."""
        with self.clock.timed("history"):
            self.writer.record(*many)
        with self.clock.timed("reporting"):
            for event in many:
                self.emit(event)

    def epoch_figures(self, epoch: int, logs: dict, stats: dict) -> None:
        """Note a completed epoch's figures for the record's summary."""
        loss = logs["val_loss"]
        self.best_val_loss = loss if self.best_val_loss is None else min(self.best_val_loss, loss)
        self.last_epoch = last_epoch_record(epoch, logs, stats)

    def update_record(self, epochs_done: int, **more) -> None:
        """Rewrite `session.json` with the epochs done, the values in force and the best validation
        loss (and `more`): after an epoch while epochs are slow, at the snapshots' pace when fast,
        and at the end (the history, read for everything else, is written every epoch)."""
        best = {"best_val_loss": self.best_val_loss} if self.best_val_loss is not None else {}
        if self.last_epoch is not None:
            best["last_epoch"] = self.last_epoch
        self.writer.update(epochs_done=epochs_done, params=self.knobs.values(), **best, **more)


@dataclass
class Ending:
    """Why the run stops, when it stops before its last epoch."""

    model: object
    diverged: str | None = None
    write_error: str | None = None

    def stop(self) -> None:
        """End `fit` after this batch."""
        self.model.stop_training = True

    def begin(self) -> None:
        self.model.stop_training = False

    def diverge(self, why: str) -> None:
        """Stop for a non-finite loss (the first reason found stays)."""
        if self.diverged is None:
            self.diverged = why
        self.stop()
