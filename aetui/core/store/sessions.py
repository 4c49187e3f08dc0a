"""Sessions on disk: one folder per run, written as it trains (`writer`), readable at any moment.

The format, declared here and nowhere else:

    session.json                 the typed record (`meta.SessionMeta`)
    summary.json                 what a listing shows of the record, rewritten with it (`summary`)
    history.jsonl                one event record per line (events.to_record), appended and fsynced
    fixed.npz                    the fixed test panel and labelled subset used by every snapshot
    snapshots/epoch-NNNN.npz     per-epoch arrays: reconstructions, codes, sweep, per-unit figures
    weights/epoch-NNNN.weights.h5  the latest epoch's weights (weights only, no pickle)
    .lock                        held (flock) by the process writing the session

and in the store folder, beside the sessions, `.aetui-index.json`: what orders and filters a
listing, an optimisation the summaries overrule (`listing`).

An epoch counts as done only once its record is in `history.jsonl`, so a kill at any moment leaves
the last completed epoch readable. A listing reads each session's summary (its record where the
summary cannot be trusted) and the lock alone; the history is read when a session is opened for its views. Every read is bounded (`LIMITS`), takes regular
files only and follows no link; arrays load with `allow_pickle=False`.
"""

from __future__ import annotations

import gc
import json
import os
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from aetui.core import events, ranking
from aetui.core.errors import AetuiError
from aetui.core.store import caps, listing, locks
from aetui.core.store.files import read_in
from aetui.core.store.meta import FORMAT, SessionMeta
from aetui.core.store.npz import Arrays
from aetui.core.store.paths import inside

META = "session.json"
HISTORY = "history.jsonl"
FIXED = "fixed.npz"
LOCK = ".lock"
"""Held (flock) by the process writing the session: `running` is true exactly while it is held."""
SNAPSHOTS = "snapshots"
WEIGHTS = "weights"
EVALS = "evals"
"""`aetui eval`'s figures, one JSON file per evaluated epoch (`aetui.core.store.evaluations`)."""
LIMITS = {META: caps.META, HISTORY: caps.HISTORY, FIXED: caps.FIXED, SNAPSHOTS: caps.SNAPSHOT, WEIGHTS: caps.WEIGHTS,
          EVALS: caps.EVALS}
"""The most bytes a file of each kind may have (a larger one is refused, not read), each derived
from what a legitimate run writes (`aetui.core.store.caps`)."""
ARRAY_LIMIT = caps.ARRAY
"""The most bytes one array of a snapshot may take once inflated."""
SUMMARY_COLUMNS = ("session", "status", ranking.LABELS[ranking.DEFAULT], "val loss", "epochs", "model", "data", "date")
"""The listing's columns (home, `aetui ls`): the ranking figure (`summary_columns` for another) and,
beside it, the session's own objective, both of its last completed epoch."""
__all__ = ["FORMAT", "Session", "SessionMeta", "find", "list_sessions", "open_session"]


def summary_columns(by: str = ranking.DEFAULT) -> tuple[str, ...]:
    """The listing's columns with the ranking figure `by` (`mse` or `bce`)."""
    return (*SUMMARY_COLUMNS[:2], ranking.LABELS[by], *SUMMARY_COLUMNS[3:])


def snapshot_name(epoch: int) -> str:
    """File name of an epoch's snapshot."""
    return f"epoch-{epoch:04d}.npz"


def weights_name(epoch: int) -> str:
    """File name of an epoch's weights (Keras requires the `.weights.h5` ending)."""
    return f"epoch-{epoch:04d}.weights.h5"


def eval_name(epoch: int) -> str:
    """File name of an epoch's evaluation."""
    return f"epoch-{epoch:04d}.json"


EPOCH_FILE = {SNAPSHOTS: re.compile(r"epoch-(\d+)\.npz"), WEIGHTS: re.compile(r"epoch-(\d+)\.weights\.h5"),
              EVALS: re.compile(r"epoch-(\d+)\.json")}


def epoch_files(folder: Path, kind: str) -> list[tuple[int, Path]]:
    """(epoch, path) of the snapshot or weights files in the session `folder` (`kind`: SNAPSHOTS or WEIGHTS)."""
    found = []
    where = folder / kind
    if not where.is_dir() or where.is_symlink():
        return found
    for path in where.iterdir():
        match = EPOCH_FILE[kind].fullmatch(path.name)
        if match:
            found.append((int(match.group(1)), path))
    return sorted(found)


@dataclass
class Session:
    """A session read back as plain data: its record, and (read on first use) its events."""

    path: Path
    meta: SessionMeta
    locked_here: bool = False
    """True where this process took the session's lock (to resume it): its status is read as it
    stood before."""
    history_error: str | None = field(default=None, compare=False)
    """Why the history could not be read at all (over its cap, a link, a FIFO), once it was tried."""

    @cached_property
    def name(self) -> str:
        return self.path.name

    def history_lines(self) -> list[bytes]:
        """The history's lines as stored (bounded; none where there is no history yet)."""
        try:
            return read_in(self.path, HISTORY, LIMITS[HISTORY], f"{self.name}/{HISTORY}").splitlines()
        except FileNotFoundError:
            return []

    @cached_property
    def _read(self) -> tuple[list, list[str]]:
        """(events, problems) from the history, read once, line by line: a bad line is skipped and named."""
        history: list = []
        problems: list[str] = []
        try:
            lines = self.history_lines()
        except AetuiError as err:
            self.history_error = str(err)
            problems.append(str(err))
            lines = []
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                history.append(events.from_line(line))
            except (ValueError, TypeError, RecursionError) as err:
                problems.append(f"{HISTORY} line {number} skipped: {str(err)[:120]}")
        return history, problems

    @property
    def history(self) -> list:
        """Every recorded event, in order."""
        return self._read[0]

    @property
    def problems(self) -> list[str]:
        """Gaps found while reading (a truncated line, a missing snapshot), in words."""
        problems = list(self._read[1])
        saved = {e for e, _ in epoch_files(self.path, SNAPSHOTS)}
        problems += [f"snapshot of epoch {e.epoch} is missing" for e in self.epochs if e.pictured and e.epoch not in saved]
        if self.epochs and self.weights() is None:
            problems.append("no saved weights: views that decode anew are unavailable")
        return problems

    @cached_property
    def epochs(self) -> list[events.EpochEnded]:
        """The completed epochs, in order."""
        return [e for e in self.history if isinstance(e, events.EpochEnded)]

    @cached_property
    def changes(self) -> list[events.HParamChanged]:
        """Every live hyperparameter change, in order."""
        return [e for e in self.history if isinstance(e, events.HParamChanged)]

    @property
    def epochs_done(self) -> int:
        """Completed epochs: those in the history (the record's count may lag a kill by one)."""
        return len(self.epochs)

    @property
    def status(self) -> str:
        """The recorded status, or `killed` where it says running but nobody holds its lock."""
        if self.meta.status != "running":
            return self.meta.status
        return "running" if not self.locked_here and locks.held(self.path / LOCK) else "killed"

    @property
    def stillborn(self) -> bool:
        """Whether this is what a kill left while an older aetui made the session (its record
        written, then nothing: no fixed panel, no history, nobody at work on it): no run to go on
        with, and its name is free for the next run (`SessionWriter.create` takes it over)."""
        return self.meta.status == "running" and not self.locked_here and stillborn(self.path)

    @property
    def best_val_loss(self) -> float | None:
        """The lowest validation loss of a saved epoch, as the record keeps it."""
        return self.meta.best_val_loss

    def fixed(self) -> dict:
        """The fixed panel and subset arrays."""
        return load_npz(self.path, FIXED, LIMITS[FIXED])

    def snapshot(self, epoch: int) -> dict:
        """The arrays saved at the end of `epoch` (counting from 1)."""
        return load_npz(self.path, f"{SNAPSHOTS}/{snapshot_name(epoch)}", LIMITS[SNAPSHOTS])

    def weights(self) -> tuple[int, Path] | None:
        """The newest saved weights that belong to a completed epoch, as (epoch, path)."""
        found = [(e, p) for e, p in epoch_files(self.path, WEIGHTS) if e <= self.epochs_done]
        return found[-1] if found else None

    def rank_value(self, by: str = ranking.DEFAULT) -> float | None:
        """The figure sessions are ranked by, of the last completed epoch, as the record keeps it
        (None where it keeps none: a session recorded before these figures, until `aetui eval`)."""
        return ranking.of_record(self.meta.last_epoch, self.meta.epochs_done, by)

    def summary(self, by: str = ranking.DEFAULT) -> tuple:
        """The listing's values (`summary_columns`) from the record alone, numbers as numbers (None
        where there is none): home and `aetui ls` format and show these."""
        meta = self.meta
        return (self.name, self.status, self.rank_value(by),
                ranking.objective_of_record(meta.last_epoch, meta.epochs_done),
                f"{meta.epochs_done}/{meta.epochs or '?'}", meta.recipe_name, meta.dataset_name, meta.date)

    def recipe(self):
        """The recipe this session was trained with, validated again."""
        from aetui.core.recipe import Recipe

        return Recipe.from_dict(self.meta.recipe, name=self.meta.recipe_name, source=f"session {self.name}")


def load_npz(folder: Path, relative: str, limit: int) -> Arrays:
    """The arrays of the session `folder`'s `.npz` at `relative`, read as they are asked for (no
    pickles; a file over `limit`, an array inflating past `ARRAY_LIMIT`, a link or no file at all
    is an error)."""
    label = f"{folder.name}/{relative}" if "/" not in relative else relative
    try:
        raw = read_in(folder, relative, limit, label)
    except FileNotFoundError:
        raise AetuiError(f"{label} is missing") from None
    return Arrays(raw, label, ARRAY_LIMIT)


def read_meta(path: Path) -> SessionMeta:
    """The record of the session folder `path` (an error if it is no session, or a damaged one)."""
    where = f"{path}/{META}"
    try:
        raw = read_in(path, META, LIMITS[META], where)
    except FileNotFoundError:
        raise AetuiError(f"{path} is not a session (no {META})") from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError) as err:
        raise AetuiError(f"{where} is damaged: {str(err)[:120]}") from None
    return SessionMeta.from_json(data, where)


def stillborn(folder: Path) -> bool:
    """A session folder with a record but no fixed panel and no history, whose lock nobody holds."""
    return not any(os.path.lexists(folder / name) for name in (FIXED, HISTORY)) and not locks.held(folder / LOCK)


def open_session(path: Path) -> Session:
    """Read a session folder; gaps are listed in `problems`, a folder that is no session is an error."""
    if path.is_symlink() or not path.is_dir():
        raise AetuiError(f"no session at {path}" + (" (a link)" if path.is_symlink() else ""))
    return Session(path, read_meta(path))


def find(store: Path, name: str) -> Session:
    """Open the session called `name` in `store`, or at the path `name` where it is one (it has a
    separator, or starts with `.`): a plain name is always looked for in the store."""
    if "/" in name or name.startswith("."):
        return open_session(Path(name))
    return open_session(inside(store, name))


def list_store(store: Path, **only) -> listing.Listing:
    """Every session of `store` from its summary (through the store's index), newest first, and the
    folders that cannot be read (`listing.list_store`, which says what `only` may ask). Python's
    cyclic collector waits meanwhile: a listing makes tens of thousands of objects that all live
    on and form no cycle, which it would otherwise walk again and again."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        return listing.list_store(store, Session, read_meta, META, **only)
    finally:
        if collecting:
            gc.enable()


def list_sessions(store: Path) -> list[Session]:
    """Every readable session in `store`, newest first (`list_store` also says which could not be read)."""
    return list_store(store).sessions
