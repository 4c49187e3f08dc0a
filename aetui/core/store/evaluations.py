"""`aetui eval`'s figures as a session keeps them: one JSON file per evaluated epoch
(`evals/epoch-NNNN.json`), checked when read (a file anyone may have written), written through the
session folder's handle."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import time

from aetui.core.errors import AetuiError, cannot_write
from aetui.core.store.files import Folder, read_in
from aetui.core.store.meta import number
from aetui.core.store.sessions import EVALS, LIMITS, Session, epoch_files, eval_name
from aetui.core.text import printable_data


@dataclass
class Evaluation:
    """One stored evaluation of a session's epoch."""

    epoch: int
    metrics: dict[str, float]
    samples: int = 0
    """Draws per image of the importance-weighted bound (VAE)."""
    data: str = ""
    created: str = ""
    seconds: float = 0.0
    kl_per_dim: list[float] = field(default_factory=list)
    firing_histogram: dict[str, list[float]] = field(default_factory=dict)
    """`counts` of units per firing-rate bin, and the bins' `edges` (0 .. 1)."""

    def to_json(self) -> dict:
        return {"epoch": self.epoch, "metrics": self.metrics, "samples": self.samples, "data": self.data,
                "created": self.created, "seconds": self.seconds, "kl_per_dim": self.kl_per_dim,
                "firing_histogram": self.firing_histogram}

    @classmethod
    def from_json(cls, raw, where: str) -> Evaluation:
        """The evaluation a file holds; an error naming it when it is not one (a file anyone wrote)."""
        def numbers(value) -> bool:
            return isinstance(value, list) and all(_number(v) for v in value)

        if not isinstance(raw, dict) or not isinstance(raw.get("epoch"), int) or isinstance(raw["epoch"], bool):
            raise AetuiError(f"{where}: not an aetui evaluation")
        raw = printable_data(raw)
        metrics = raw.get("metrics")
        if not isinstance(metrics, dict) or not all(isinstance(k, str) and _number(v) for k, v in metrics.items()):
            raise AetuiError(f"{where}: metrics must map names to numbers")
        histogram = raw.get("firing_histogram", {})
        if not isinstance(histogram, dict) or not all(numbers(v) for v in histogram.values()) or \
                not numbers(raw.get("kl_per_dim", [])):
            raise AetuiError(f"{where}: kl_per_dim and firing_histogram must hold numbers")
        for key, kind in (("samples", int), ("data", str), ("created", str)):
            if not isinstance(raw.get(key, kind()), kind):
                raise AetuiError(f"{where}: {key} must be {kind.__name__}")
        seconds = raw.get("seconds", 0.0)
        return cls(raw["epoch"], {k: float(v) for k, v in metrics.items()}, raw.get("samples", 0),
                   raw.get("data", ""), raw.get("created", ""), float(seconds) if _number(seconds) else 0.0,
                   [float(v) for v in raw.get("kl_per_dim", [])],
                   {k: [float(x) for x in v] for k, v in histogram.items()})


def _number(value) -> bool:
    return number(value)


def stored(session: Session) -> tuple[dict[int, Evaluation], list[str]]:
    """The evaluations stored in `session`, by epoch, and what could not be read (one line each)."""
    folder = session.path / EVALS
    found: dict[int, Evaluation] = {}
    problems: list[str] = []
    if folder.is_symlink() or not folder.is_dir():
        return found, ([f"{EVALS}/ is a link; aetui reads no links in a session"] if folder.is_symlink() else [])
    for _, path in epoch_files(session.path, EVALS)[-10_000:]:
        where = f"{session.name}/{EVALS}/{path.name}"
        try:
            raw = read_in(session.path, f"{EVALS}/{path.name}", LIMITS[EVALS], where)
            record = Evaluation.from_json(json.loads(raw.decode("utf-8")), where)
        except AetuiError as err:
            problems.append(str(err))
            continue
        except (ValueError, RecursionError) as err:
            problems.append(f"{where} is damaged: {str(err)[:120]}")
            continue
        if path.name == eval_name(record.epoch):  # (a file under another epoch's name is not that epoch's)
            found[record.epoch] = record
    return found, problems


def fill_in_record(session: Session, record: Evaluation) -> bool:
    """Where `session`'s record keeps no ranking figure of its last epoch (it was recorded before
    there were any), put this evaluation's there, with the objective its history holds, so listings
    rank it (they read the record alone). Only under the session's lock: a running session keeps its
    own record (and records the figures itself); True where the record was filled in."""
    from aetui.core import ranking
    from aetui.core.store.writer import SessionWriter

    if record.epoch != session.epochs_done or ranking.of_record(session.meta.last_epoch, record.epoch) is not None:
        return False
    try:
        writer, fresh = SessionWriter.lock(session.path)
    except (AetuiError, OSError):
        return False  # (running: its run writes the record; or unwritable)
    try:
        if fresh.epochs_done != record.epoch or ranking.of_record(fresh.meta.last_epoch, record.epoch) is not None:
            return False
        logs = fresh.epochs[-1].logs if fresh.epochs else {}
        writer.update(last_epoch=ranking.last_epoch_record(record.epoch, logs, record.metrics))
        return True
    except OSError:
        return False
    finally:
        writer.close()


def check_writable(session: Session) -> None:
    """An error, in one line, where the session's `evals/` cannot take a file (a read-only store,
    a full disk, a link in its place)."""
    try:
        with Folder.open(session.path) as root:
            made = EVALS not in root.names()
            with root.sub(EVALS) as folder:
                probe = f".tmp-probe-{time.monotonic_ns()}"
                folder.create(probe, b"")
                folder.unlink(probe)
            if made:  # (as it was: made again when the figures are stored)
                root.remove(EVALS)
    except OSError as err:
        raise AetuiError(cannot_write(session.path / EVALS, err) + "; nothing was evaluated") from None


def save(session: Session, record: Evaluation) -> Path:
    """Store `record` as the session's `evals/epoch-NNNN.json` (replacing an earlier one), written
    through the session folder's handle (never through a link)."""
    name = eval_name(record.epoch)
    try:
        with Folder.open(session.path) as root, root.sub(EVALS) as folder:
            folder.write(name, json.dumps(record.to_json(), indent=1).encode("utf-8"))
    except OSError as err:
        raise AetuiError(cannot_write(session.path / EVALS, err)) from None
    return session.path / EVALS / name
