"""One training run as `trainer._fit` assembles it (`Run`) from its parts, each held by the
engine's callbacks that use it (`aetui.core.training.engine`): `Position` (how far it is),
`Clock` (where each epoch's time went), `Journal` (what it writes and reports), `Ending` (why it
stops) (in `parts`), `Keeping` (which epochs' state stay, `keeping`) and `Live` (the values
changed while it trains, `live`). `_fit` alone sees them all: it ends the run. Plain Python;
the callbacks, and Keras, are in `engine`."""

from __future__ import annotations

from dataclasses import dataclass

from aetui.core import events
from aetui.core.events import EventSink
from aetui.core.store.writer import SessionWriter
from aetui.core.training.keeping import Keeping
from aetui.core.training.live import Live
from aetui.core.training.parts import PARTS, Clock, Ending, Journal, Position

__all__ = ["PARTS", "Run", "write_failure"]


def write_failure(where, err: OSError, epochs: int) -> str:
    """Why a run stopped when the session could not be written, what is kept, and what to do."""
    from aetui.core.errors import cannot_write

    kept = {0: "no epoch was saved", 1: "epoch 1 is saved"}.get(epochs, f"epochs 1-{epochs} are saved")
    return f"{cannot_write(where, err)}; {kept}; resume once it can be written"


@dataclass
class Run:
    """The parts of one run together, for `trainer._fit`: it hands each callback the parts it
    uses, and ends the run (`outcome`, `finish`)."""

    position: Position
    clock: Clock
    journal: Journal
    keeping: Keeping
    live: Live
    ending: Ending

    @classmethod
    def of(cls, built, writer: SessionWriter, emit: EventSink, controls, steps: int, epochs: int,
           initial_epoch: int = 0, history: list = ()) -> Run:
        """A run of `writer`'s session from `initial_epoch` (0: its start) up to `epochs`; a resumed
        one goes on from `history` (its events up to that epoch)."""
        position = Position(steps, epochs, epochs_done=initial_epoch, step=initial_epoch * steps,
                            epoch=initial_epoch)
        clock = Clock()
        journal = Journal(writer, emit, clock, built.knobs)
        keeping = Keeping(built, writer, weights_saved=initial_epoch)
        if initial_epoch:
            keeping.going_on(steps, list(history), initial_epoch)
        live = Live(controls, built.knobs, writer.folder(), position, journal, keeping, clock)
        return cls(position, clock, journal, keeping, live, Ending(built.model))

    def opening(self, previous: str | None, train_images: int):
        """The event that opens the run: `TrainingStarted`, or `TrainingResumed` from `previous`."""
        position, writer, knobs = self.position, self.journal.writer, self.journal.knobs.values()
        meta = writer.meta
        if previous is None:
            return events.TrainingStarted(writer.name, meta.recipe_name, position.epochs, position.steps,
                                          train_images, meta.device, knobs)
        return events.TrainingResumed(writer.name, position.epochs_done, position.step, position.epochs,
                                      position.steps, meta.device, knobs, previous)

    def outcome(self) -> tuple[str, str]:
        """How the run ended, and why in words."""
        done, controls, ending = self.position.epochs_done, self.live.controls, self.ending
        if ending.write_error:
            return "failed", ending.write_error
        if ending.diverged:
            return "diverged", ending.diverged + f"; the weights of epoch {done} are kept: lower the value and resume"
        if done >= self.position.epochs:
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
        position, journal = self.position, self.journal
        self.live.close()
        event = events.TrainingFinished(status, reason, position.epochs_done, position.step)
        try:
            self.keeping.settle(position.epochs_done)
            self.live.record_changes()
            journal.writer.record(event)
            journal.update_record(position.epochs_done, status=status, reason=reason)
        except OSError:
            pass
        journal.writer.close()  # no longer running (read as `killed` if the status could not be written)
        journal.emit(event)
