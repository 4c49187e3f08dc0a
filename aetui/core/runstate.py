"""The state of one run as views need it, folded from events: live from the engine, or from a session.

Plain Python and numpy, so the live train screen, the replay and tests read the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aetui.core import events

MAX_POINTS = 240
"""Charts get at most this many points of the batches' loss (more costs time and shows nothing more)."""
EPOCH_POINTS = 600
"""...and of each per-epoch curve (a braille chart 160 columns wide has 320 dots a row): a session of
100,000 epochs is drawn from every 166th epoch, its first and its last."""


def thinned(points: list, most: int) -> list:
    """Every k-th of `points`, the first and the last kept, so that about `most` remain at most."""
    step = max(1, len(points) // most)
    return points[::step] + (points[-1:] if (len(points) - 1) % step else [])


@dataclass
class RunState:
    """Everything known so far about one run."""

    session: str = ""
    recipe: str = ""
    epochs_total: int = 0
    steps_per_epoch: int = 1
    params: dict[str, float] = field(default_factory=dict)
    status: str = "ready"
    """`ready`, `running`, `paused`, or a finished status (`finished`, `stopped`, `diverged`, `failed`)."""
    reason: str = ""
    epoch: int = 0
    batch: int = 0
    validating: bool = False
    """True between an epoch's last batch and its saved results."""
    batches: list[tuple[float, dict[str, float]]] = field(default_factory=list)
    """(fractional epoch, running means) from throttled batch events."""
    epochs: list[events.EpochEnded] = field(default_factory=list)
    changes: list[events.HParamChanged] = field(default_factory=list)
    snapshot: dict | None = None
    """The latest epoch's arrays (reconstructions, codes, sweep, per-unit figures)."""
    fixed: dict | None = None
    """The fixed test panel and labelled subset the snapshots refer to."""

    def apply(self, event) -> None:
        """Fold one event into the state."""
        self.validating = isinstance(event, events.Validating)
        if isinstance(event, events.TrainingStarted):
            self.session, self.recipe, self.epochs_total = event.session, event.recipe, event.epochs
            self.steps_per_epoch, self.params, self.status = max(event.steps_per_epoch, 1), dict(event.params), \
                "running"
        elif isinstance(event, events.TrainingResumed):
            self.session, self.epochs_total, self.status = event.session, event.epochs, "running"
            self.steps_per_epoch, self.params = max(event.steps_per_epoch, 1), dict(event.params)
            self.epoch, self.batch, self.reason = event.epoch, 0, ""
        elif isinstance(event, events.BatchEnded):
            self.epoch, self.batch = event.epoch, event.batch
            self.batches.append((self.x_of(event.epoch, event.batch), event.logs))
        elif isinstance(event, events.EpochEnded):
            self.epochs.append(event)
            self.epoch, self.batch = event.epoch, 0
        elif isinstance(event, events.SnapshotTaken):
            self.snapshot, self.fixed = event.arrays, event.fixed
        elif isinstance(event, events.HParamChanged):
            self.changes.append(event)
            self.params[event.name] = event.new
        elif isinstance(event, events.Paused):
            self.status = "paused"
        elif isinstance(event, events.Resumed):
            self.status = "running"
        elif isinstance(event, events.TrainingFinished):
            self.status, self.reason = event.status, event.reason

    def x_of(self, epoch: int, batch: int) -> float:
        """The chart position of a batch: completed epochs plus the fraction of this one."""
        return epoch - 1 + batch / self.steps_per_epoch

    def change_positions(self) -> list[float]:
        """Chart positions of the hyperparameter changes."""
        return [change.step / self.steps_per_epoch for change in self.changes]

    def series(self) -> dict[str, tuple[list[float], list[float]]]:
        """Curves to chart: `loss` per batch (running epoch mean), then per-epoch `val_loss` and parts."""
        out: dict[str, tuple[list[float], list[float]]] = {}
        points = [(x, logs["loss"]) for x, logs in self.batches if "loss" in logs]
        if points:  # epochs trained before the batches seen here (a resumed run) by their epoch means
            points = [(float(e.epoch), e.logs["loss"]) for e in self.epochs
                      if e.epoch <= points[0][0] and "loss" in e.logs] + points
            points = thinned(points, MAX_POINTS)
            out["loss"] = ([p[0] for p in points], [p[1] for p in points])
        if self.epochs:
            epochs = thinned(self.epochs, EPOCH_POINTS)
            xs = [float(e.epoch) for e in epochs]
            keys = [k for k in self.epochs[-1].logs if (k != "loss" or "loss" not in out) and not k.endswith("acc")]
            for key in sorted(keys, key=lambda k: (k.startswith("val_"), k != "val_loss", k)):
                out[key] = (xs, [e.logs.get(key, float("nan")) for e in epochs])
        return out

    @classmethod
    def resumed_from(cls, session) -> RunState:
        """A stopped session's state up to its last completed epoch, with that epoch's arrays: where
        a resumed run starts from."""
        ends = [i for i, e in enumerate(session.history) if isinstance(e, events.EpochEnded)]
        state = cls.from_events(session.history[:ends[-1] + 1 if ends else 0])
        state.status = "starting"
        pictured = [e.epoch for e in session.epochs if e.pictured]
        if pictured:
            state.snapshot, state.fixed = checked_snapshot(session, pictured[-1])
        return state

    @classmethod
    def from_events(cls, history) -> RunState:
        """A state built from recorded events (a session's history)."""
        state = cls()
        for event in history:
            state.apply(event)
        return state


def checked_snapshot(session, epoch: int, fixed: dict | None = None) -> tuple[dict, dict]:
    """`epoch`'s arrays as the engine hands them to live views, and the fixed panel (`fixed`
    where already read), checked as the replay checks them: a damaged file is an AetuiError."""
    from aetui.core.store import arrays

    if fixed is None:
        fixed = arrays.fixed(session.fixed(), f"{session.name}/fixed.npz")
    where = f"{session.name}/snapshots/epoch-{epoch:04d}.npz"
    snapshot = dict(session.snapshot(epoch))
    snapshot["recon"] = arrays.recon(snapshot, fixed["panel"], where)
    if (noisy := arrays.noisy(snapshot, fixed["panel"], where)) is not None:
        snapshot["noisy"] = noisy
    if "subset_labels" in fixed:
        snapshot["codes"] = arrays.codes(snapshot, len(fixed["subset_labels"]), where)
    return snapshot, fixed
