"""Which epochs' training state (weights and optimizer state) a run keeps, and writing it
(`Keeping`): the last completed epoch always, the best of those written, the epoch before each
change (to branch from with another value), and what the session's `keep` setting asks for.
Plain Python; the engine's `EpochRecorder` and the run's live changes hold it."""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass, field

from aetui.core import events
from aetui.core.recipe import keep_every
from aetui.core.store.writer import SessionWriter


def keep_policy(keep: str, epoch: int) -> bool:
    """Whether a `keep` setting (`all`, `every:K`, or empty: the defaults only) keeps `epoch`."""
    every = keep_every(keep)
    return every is not None and epoch % every == 0


@dataclass
class Keeping:
    """The epochs whose training state is on disk or stays, for one run."""

    built: object
    """The model bundle (`families.base.Built`): its weights and optimizer state."""
    writer: SessionWriter
    unsaved: tuple | None = None
    """(epoch, weights state) of the last completed epoch, while its weights are not on disk."""
    weights_at: float = -math.inf
    weights_saved: int = 0
    """The epoch whose weights are on disk."""
    kept: set = field(default_factory=set)
    """Epochs whose weights stay besides the last (`keeps`): the epoch before each change."""
    val_losses: dict = field(default_factory=dict)
    """Each completed epoch's validation loss, by epoch (to keep the best written state)."""
    best_kept: tuple | None = None
    """(epoch, validation loss) of the best epoch whose weights were written: it stays."""

    def going_on(self, steps: int, history: list, epoch: int) -> None:
        """A run resumed from `epoch`, whose `history` was read under its lock (what came after that
        epoch's end is dropped, as `SessionWriter.take_up` drops its lines): the epochs kept so far
        stay kept (those before each recorded change, the best written)."""
        from aetui.core.store.sessions import WEIGHTS, epoch_files

        ends = [n for n, e in enumerate(history, 1) if isinstance(e, events.EpochEnded) and e.epoch <= epoch]
        history = history[:ends[-1] if ends else 0]
        with contextlib.suppress(Exception):
            self.kept |= {events.epoch_of(e.step, steps) - 1 for e in history if isinstance(e, events.HParamChanged)}
            self.val_losses = {e.epoch: e.logs.get("val_loss", math.inf) for e in history
                               if isinstance(e, events.EpochEnded)}
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

    def hold(self, epoch: int, val_loss: float) -> None:
        """Copy the state of `epoch`, just completed (a stop or a hangup writes it)."""
        self.val_losses[epoch] = val_loss
        self.unsaved = (epoch, self.built.weights_state())

    def write_weights(self) -> None:
        """Write the weights and optimizer state of the last completed epoch, if not written yet."""
        if self.unsaved is not None:
            epoch, state = self.unsaved
            self.writer.save_weights(self.built.weights_bytes(state), epoch)
            self.unsaved, self.weights_at, self.weights_saved = None, time.perf_counter(), epoch
            loss = self.val_losses.get(epoch, math.inf)
            if self.best_kept is None or loss < self.best_kept[1]:  # (the best written state stays)
                self.best_kept = (epoch, loss)

    def keep_before(self, epoch: int) -> bool:
        """Keep the epoch before a change made in `epoch` (to branch from with another value);
        whether its state must be written now (it is the one held, not written yet)."""
        before = epoch - 1
        if before < 1 or before in self.kept:
            return False
        self.kept.add(before)
        return self.unsaved is not None and self.unsaved[0] == before

    def prune(self) -> None:
        """Remove the written states no longer kept (`keeps`), the newest written always staying."""
        self.writer.prune_weights(self.weights_saved, self.keeps)

    def settle(self, epochs_done: int) -> None:
        """At the run's end: write the last completed epoch's state (a stop loses no epoch; an
        epoch whose record could not be written is not kept), and prune."""
        if self.unsaved is not None and self.unsaved[0] > epochs_done:
            self.unsaved = None
        self.write_weights()
        if self.weights_saved <= epochs_done:  # (else the newest kept are older: all stay)
            self.prune()
