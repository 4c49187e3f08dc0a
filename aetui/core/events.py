"""What training reports, as plain dataclasses (past tense), and their form as history records.

The engine calls `on_event(event)` on the training thread; the CLI prints them, the TUI wraps
them in messages, and the session writer appends the durable ones to `history.jsonl`, where
`to_record` / `from_record` are the one mapping between the two.
"""

from __future__ import annotations

import json
from dataclasses import MISSING, dataclass, field, fields
from functools import cache
from typing import Callable

from aetui.core.store.meta import BIGGEST_INT, number
from aetui.core.text import printable_data

def epoch_of(step: int, steps_per_epoch: int) -> int:
    """The epoch (counting from 1) of the batch `step` (counting from 0 since training began): the
    one definition of where a change, a pause or a resumption takes effect, in the history and in
    the answers to `aetui tune`, `pause` and `continue`."""
    return step // max(steps_per_epoch, 1) + 1


def takes_effect(step: int, steps_per_epoch: int) -> str:
    """`from step 136 (epoch 9)`: where a command takes effect, in words."""
    return f"from step {step} (epoch {epoch_of(step, steps_per_epoch)})"


EventSink = Callable[[object], None]
"""Where a run's events go: called with each event, on the training thread."""
TIMING = ("validation", "snapshot", "weights", "history", "reporting", "control")
"""Where an epoch's wall time goes besides training its batches (`EpochEnded.timing`): the test
set's pass, the snapshot (codes, reconstructions, sweep; computed and written), the weights and
optimizer state, the history and the record, the events to the UI or the console, and the
control channel."""


@dataclass(frozen=True)
class TrainingStarted:
    """A run began: its session, size and starting hyperparameters."""

    session: str
    recipe: str
    epochs: int
    steps_per_epoch: int
    samples: int
    device: str
    params: dict[str, float]


@dataclass(frozen=True)
class TrainingResumed:
    """A stopped run went on from its last saved epoch, with the hyperparameters it had then."""

    session: str
    epoch: int
    """Epochs already done; training goes on with the next one."""
    step: int
    epochs: int
    """The total the run now aims at."""
    steps_per_epoch: int
    device: str
    params: dict[str, float]
    previous: str
    """The status and reason the run had before, in words."""


@dataclass(frozen=True)
class BatchEnded:
    """Throttled progress within an epoch: running means so far, and this batch's own values."""

    epoch: int
    """The epoch in progress, counting from 1."""
    batch: int
    """Batches done in this epoch."""
    step: int
    """Batches done since training began."""
    logs: dict[str, float]
    last: dict[str, float]


@dataclass(frozen=True)
class Validating:
    """The batches of `epoch` are trained; it is being evaluated and saved (not recorded)."""

    epoch: int


@dataclass(frozen=True)
class EpochEnded:
    """An epoch completed and was saved: losses and their parts (`val_` for the test set) and statistics."""

    epoch: int
    step: int
    logs: dict[str, float]
    stats: dict
    """Figures by name (numbers), and how the sweep plane was chosen (`sweep`, in words)."""
    seconds: float
    samples_per_s: float
    timing: dict[str, float] = field(default_factory=dict)
    """Where the epoch's wall time went, in seconds: `train` (its batches) and the bookkeeping
    parts (`TIMING`), each counted since the previous epoch was recorded."""
    pictured: bool = True
    """Whether the epoch has a snapshot (reconstructions, codes, sweep): every epoch while epochs
    are slow, a few a second when they are fast (`engine.SNAPSHOT_EVERY`)."""


@dataclass(frozen=True)
class SnapshotTaken:
    """An epoch's arrays, handed to live views (not recorded: the same arrays are in the snapshot file)."""

    epoch: int
    arrays: dict
    fixed: dict


@dataclass(frozen=True)
class HParamChanged:
    """A live hyperparameter changed; `step` is the first batch (counting from 0) that used `new`;
    `origin` says who changed it: `WORKBENCH` (a slider of the workbench training the run), the
    sender of a command through the control channel (`user@host pid N`: `aetui tune`; an attached
    workbench adds `#K`, which of its views), `RESUME` (a value a resume was given), `schedule` (a
    recipe's `[[schedule]]`), `rerun` (a recorded change a rerun replays), or empty (recorded before
    origins were)."""

    name: str
    old: float
    new: float
    epoch: int
    step: int
    origin: str = ""


@dataclass(frozen=True)
class Paused:
    """Training paused with `step` batches done: batch `step` (counting from 0) waits."""

    step: int


@dataclass(frozen=True)
class Resumed:
    """Training resumed at batch `step`."""

    step: int


@dataclass(frozen=True)
class TrainingFinished:
    """The run ended: `finished`, `stopped`, `interrupted` (its terminal or process went away),
    `diverged` or `failed`, with the reason in words."""

    status: str
    reason: str
    epochs: int
    step: int
    extra: dict = field(default_factory=dict)


EVENTS = {cls.__name__: cls for cls in (TrainingStarted, TrainingResumed, BatchEnded, EpochEnded, HParamChanged, Paused,
                                        Resumed, TrainingFinished)}


WORKBENCH, RESUME = "workbench", "resume"
"""The origin of a change made with a slider of the workbench that trains the run, and of a value
given to `aetui resume` (or the workbench's `u`) for the resumed run."""
ORIGIN = 80
"""The longest origin a change records (characters, ASCII: `origin_text`)."""


def origin_text(origin: str) -> str:
    """An origin as a change records it: printable ASCII that JSON writes as it is (others'
    characters, quotes and backslashes as `?`), at most `ORIGIN` long, so a history's cap
    (`store.caps`) counts it at a known size."""
    return "".join(c if " " <= c <= "~" and c not in "\\\"" else "?" for c in origin[:ORIGIN])


def to_record(event) -> dict:
    """The event as a JSON-ready dict with its type under `event` (its values as they are, not
    copied: the record is written at once; `dataclasses.asdict`'s deep copy was most of a write)."""
    return {"event": type(event).__name__, **{name: getattr(event, name) for name in _field_names(type(event))}}


@cache
def _field_names(cls) -> tuple[str, ...]:
    """The names of an event class's fields, in order."""
    return tuple(f.name for f in fields(cls))


def from_record(record: dict, plain: bool = False):
    """The event a record describes; raises `ValueError` if it is not one. `plain`: the record
    holds no text that needs making printable (`from_line` knows it from the line's bytes)."""
    cls = EVENTS.get(record.get("event")) if isinstance(record, dict) else None
    if cls is None:
        raise ValueError(f"unknown event record {str(record)[:60]!r}")
    if not plain:
        record = printable_data(record)  # (control characters and lone surrogates shown as U+FFFD)
    names, required, checks = _SHAPES[cls]
    missing = required.difference(record)
    if missing:
        raise ValueError(f"{cls.__name__} record lacks {', '.join(sorted(missing))}")
    for name, annotation, fits in checks:
        if name in record and not fits(record[name]):
            raise ValueError(f"{cls.__name__} record: {name} is {type(record[name]).__name__}, not {annotation}")
    return cls(**{k: v for k, v in record.items() if k in names})


def from_line(line: bytes):
    """The event a history line describes (`from_record` of its JSON); raises `ValueError` or
    `TypeError` if it is none. A line of ASCII without a backslash or DEL holds no text to make
    printable (JSON refuses raw control characters), so its strings are not walked again."""
    plain = line.isascii() and b"\\" not in line and b"\x7f" not in line
    return from_record(json.loads(line.decode("utf-8")), plain=plain)


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) <= BIGGEST_INT


def _numbers(value) -> bool:
    return isinstance(value, dict) and all(isinstance(k, str) and number(v) for k, v in value.items())


def _words_or_numbers(value) -> bool:
    return isinstance(value, dict) and all(isinstance(k, str) and (isinstance(v, str) or number(v))
                                           for k, v in value.items())


def _check(annotation: str) -> Callable[[object], bool]:
    """Whether a JSON value has the type a field declares `annotation` (`int`, `float`, `str`,
    `dict`, and `dict[str, float]`: a table of numbers, as losses and hyperparameters are; any
    other type passes), as a check of the value."""
    if annotation == "dict[str, float]":
        return _numbers
    return {"int": _whole, "float": number, "str": lambda v: isinstance(v, str), "bool": lambda v: isinstance(v, bool),
            "dict": _words_or_numbers}.get(annotation.split("[")[0], lambda v: True)


_SHAPES = {cls: ({f.name for f in fields(cls)},
                 {f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING},
                 [(f.name, f.type, _check(f.type)) for f in fields(cls)]) for cls in EVENTS.values()}
"""Each event class's field names, required names and each field's check, worked out once."""
