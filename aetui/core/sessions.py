"""Sessions on disk: one folder per run, written as it trains, readable at any moment.

The format, declared here and nowhere else:

    session.json                 name, format, recipe, params, dataset, versions, status, progress
    history.jsonl                one event record per line (events.to_record), appended and fsynced
    fixed.npz                    the fixed test panel and labelled subset used by every snapshot
    snapshots/epoch-NNNN.npz     per-epoch arrays: reconstructions, codes, sweep, per-unit figures
    weights/epoch-NNNN.weights.h5  the latest epoch's weights (weights only, no pickle)

Every file is written to a temporary name and renamed into place, and an epoch counts as done
only once its record is in `history.jsonl`, so a kill at any moment leaves the last completed
epoch readable. Arrays are read with `allow_pickle=False`.
"""

from __future__ import annotations

import json
import math
import os
import re
import socket
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aetui.core import events, locks
from aetui.core.errors import AetuiError
from aetui.core.paths import inside, safe_name

FORMAT = 1
META = "session.json"
HISTORY = "history.jsonl"
FIXED = "fixed.npz"
LOCK = ".lock"
"""Held (flock) by the process writing the session: `running` is true exactly while it is held."""
SNAPSHOTS = "snapshots"
WEIGHTS = "weights"
SUMMARY_COLUMNS = ("session", "status", "best val", "epochs", "model", "data", "date")
STATUSES = ("running", "finished", "stopped", "diverged", "failed", "interrupted", "killed")


def snapshot_name(epoch: int) -> str:
    """File name of an epoch's snapshot."""
    return f"epoch-{epoch:04d}.npz"


def weights_name(epoch: int) -> str:
    """File name of an epoch's weights (Keras requires the `.weights.h5` ending)."""
    return f"epoch-{epoch:04d}.weights.h5"


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


FILE_MODE = 0o666 & ~_umask()
"""Session files are readable as any new file is (mkstemp alone would make them private)."""


def _atomic(path: Path, write) -> None:
    """Call `write(tmp_path)` on a temporary file beside `path`, fsync it, then rename it to `path`."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.name)
    os.fchmod(fd, FILE_MODE)
    os.close(fd)
    try:
        write(Path(tmp))
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, data: dict) -> None:
    """Write JSON atomically."""
    _atomic(path, lambda tmp: tmp.write_text(json.dumps(data, indent=1), encoding="utf-8"))


def write_arrays(path: Path, arrays: dict) -> None:
    """Write a compressed `.npz` atomically."""
    import numpy as np

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as fh:
            np.savez_compressed(fh, **arrays)
    _atomic(path, write)


class SessionWriter:
    """Creates a session folder and records a run into it as it happens."""

    def __init__(self, path: Path, meta: dict[str, Any]):
        self.path = path
        self.meta = meta
        self._lock: int | None = None

    def hold(self) -> None:
        """Take the session's lock for as long as this process writes it (the OS lets go if it dies)."""
        fd = locks.take(self.path / LOCK, FILE_MODE)
        if fd is None:
            raise AetuiError(f"{self.name} is being trained by another process")
        self._lock = fd

    def close(self) -> None:
        """Let go of the session (it is no longer running)."""
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    @classmethod
    def create(cls, store: Path, name: str, meta: dict[str, Any]) -> SessionWriter:
        """Make a new session folder in `store`; a taken name gets `-2`, `-3`, ... appended."""
        store.mkdir(parents=True, exist_ok=True)
        base = safe_name(name)
        for n in range(1, 10_000):
            candidate = inside(store, base if n == 1 else f"{base}-{n}")
            try:
                candidate.mkdir()
                break
            except FileExistsError:
                continue
        else:
            raise AetuiError(f"too many sessions named {base!r} in {store}")
        writer = cls(candidate, {})
        writer.hold()
        (candidate / SNAPSHOTS).mkdir()
        (candidate / WEIGHTS).mkdir()
        meta = {"format": FORMAT, "name": candidate.name, "status": "running", "epochs_done": 0,
                "best_val_loss": None, "created": _now(), "updated": _now(),
                "pid": os.getpid(), "host": socket.gethostname(), **meta}
        writer.meta = meta
        write_json(candidate / META, meta)
        return writer

    @classmethod
    def reopen(cls, session: Session) -> SessionWriter:
        """Take up a stopped session again at its last completed epoch: what came after it (the
        history of an unfinished epoch, its snapshot and weights, half-written temporary files) is
        dropped, so the folder reads as if the run had stopped right after that epoch."""
        path, done = session.path, session.epochs_done
        writer = cls(path, dict(session.meta))
        writer.hold()  # before anything changes: two resumes of one session cannot both go on
        good = []
        for line in (path / HISTORY).read_text(encoding="utf-8").splitlines() if (path / HISTORY).exists() else []:
            try:
                good.append((json.loads(line).get("event"), line))
            except (ValueError, AttributeError):
                continue  # open_session skipped it too
        ends = [n for n, (kind, _) in enumerate(good, 1) if kind == "EpochEnded"]
        kept = "".join(line + "\n" for _, line in good[:ends[-1] if ends else 0])
        _atomic(path / HISTORY, lambda tmp: tmp.write_text(kept, encoding="utf-8"))
        for leftover in path.rglob(".tmp-*"):
            leftover.unlink(missing_ok=True)
        for kind, pattern in ((SNAPSHOTS, r"epoch-(\d+)\.npz"), (WEIGHTS, r"epoch-(\d+)\.weights\.h5")):
            for file in (path / kind).glob("epoch-*"):
                match = re.fullmatch(pattern, file.name)
                if match and int(match.group(1)) > done:
                    file.unlink(missing_ok=True)
        writer.update(status="running", reason="", epochs_done=done, pid=os.getpid(), host=socket.gethostname())
        return writer

    @property
    def name(self) -> str:
        """The session's folder name."""
        return self.path.name

    def update(self, **changes: Any) -> None:
        """Change fields of `session.json` and rewrite it atomically."""
        self.meta.update(changes, updated=_now())
        write_json(self.path / META, self.meta)

    def record(self, event) -> None:
        """Append an event to the history and flush it to disk."""
        line = (json.dumps(events.to_record(event), allow_nan=True) + "\n").encode("utf-8")
        fd = os.open(self.path / HISTORY, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
        try:  # one write call: a kill leaves the line whole or absent
            written = os.write(fd, line)
            if written != len(line):
                raise OSError(f"only {written} of {len(line)} bytes of a history line were written")
            os.fsync(fd)
        finally:
            os.close(fd)

    def save_fixed(self, arrays: dict) -> None:
        """Store the fixed panel and subset that snapshots refer to."""
        write_arrays(self.path / FIXED, arrays)

    def save_snapshot(self, epoch: int, arrays: dict) -> None:
        """Store an epoch's snapshot arrays."""
        write_arrays(self.path / SNAPSHOTS / snapshot_name(epoch), arrays)

    def save_weights(self, data: bytes, epoch: int) -> None:
        """Store `epoch`'s `.weights.h5` file (`Built.weights_file()`: weights and optimizer state,
        for resuming). Older epochs' weights stay until `prune_weights`, once the epoch is in the history."""
        _atomic(self.path / WEIGHTS / weights_name(epoch), lambda tmp: tmp.write_bytes(data))

    def prune_weights(self, epoch: int) -> None:
        """Drop the weights of epochs before `epoch` (call once `epoch` is recorded as done)."""
        for old in (self.path / WEIGHTS).glob("epoch-*.weights.h5"):
            match = re.fullmatch(r"epoch-(\d+)\.weights\.h5", old.name)
            if match and int(match.group(1)) < epoch:
                old.unlink(missing_ok=True)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


@dataclass
class Session:
    """A session read back as plain data: metadata, events, and where its arrays are."""

    path: Path
    meta: dict[str, Any]
    history: list = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """Gaps found while reading (a truncated line, a missing snapshot), in words."""

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def epochs(self) -> list[events.EpochEnded]:
        """The completed epochs, in order."""
        return [e for e in self.history if isinstance(e, events.EpochEnded)]

    @property
    def changes(self) -> list[events.HParamChanged]:
        """Every live hyperparameter change, in order."""
        return [e for e in self.history if isinstance(e, events.HParamChanged)]

    @property
    def epochs_done(self) -> int:
        return len(self.epochs)

    @property
    def status(self) -> str:
        """The recorded status, or `killed` if it says running but its process is gone."""
        status = self.meta.get("status", "unknown")
        if status != "running":
            return status
        if (self.path / LOCK).exists():
            return "running" if locks.held(self.path / LOCK) else "killed"
        if self.meta.get("host") == socket.gethostname() and not _alive(self.meta.get("pid")):
            return "killed"  # a session written before sessions were locked
        return status

    @property
    def best_val_loss(self) -> float | None:
        values = [e.logs.get("val_loss") for e in self.epochs if e.logs.get("val_loss") is not None]
        finite = [v for v in values if math.isfinite(v)]
        return min(finite) if finite else None

    def fixed(self) -> dict:
        """The fixed panel and subset arrays."""
        return _load_npz(self.path / FIXED)

    def snapshot(self, epoch: int) -> dict:
        """The arrays saved at the end of `epoch` (counting from 1)."""
        return _load_npz(self.path / SNAPSHOTS / snapshot_name(epoch))

    def weights(self) -> tuple[int, Path] | None:
        """The newest saved weights that belong to a completed epoch, as (epoch, path)."""
        found = []
        for path in (self.path / WEIGHTS).glob("epoch-*.weights.h5"):
            match = re.fullmatch(r"epoch-(\d+)\.weights\.h5", path.name)
            if match and int(match.group(1)) <= self.epochs_done:
                found.append((int(match.group(1)), path))
        return max(found) if found else None

    def summary_row(self) -> tuple[str, ...]:
        """The listing columns (`SUMMARY_COLUMNS`), as text: the home screen and `aetui ls` show these."""
        best = self.best_val_loss
        return (self.name, self.status, "-" if best is None else f"{best:.4g}",
                f"{self.epochs_done}/{self.meta.get('epochs', '?')}", str(self.meta.get("recipe", {}).get("name", "?")),
                str(self.meta.get("dataset", {}).get("name", "?")), str(self.meta.get("created", ""))[:16].replace("T", " "))

    def recipe(self):
        """The recipe this session was trained with, validated again."""
        from aetui.core.recipe import Recipe

        return Recipe.from_dict(self.meta.get("recipe"), name=self.meta.get("recipe", {}).get("name", "?"),
                                source=f"session {self.name}")


def _alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _load_npz(path: Path) -> dict:
    import numpy as np  # imported here: listing sessions (the home screen) needs no numpy

    try:
        with np.load(path, allow_pickle=False) as npz:
            return {key: npz[key] for key in npz.files}
    except FileNotFoundError:
        raise AetuiError(f"{path.parent.name}/{path.name} is missing") from None
    except Exception as err:
        raise AetuiError(f"{path.parent.name}/{path.name} is damaged ({type(err).__name__}: {err})") from None


def open_session(path: Path) -> Session:
    """Read a session folder; gaps are listed in `problems`, a folder that is no session is an error."""
    meta_path = path / META
    if not path.is_dir():
        raise AetuiError(f"no session at {path}")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AetuiError(f"{path} is not a session (no {META})") from None
    except (ValueError, RecursionError) as err:
        raise AetuiError(f"{path}/{META} is damaged: {str(err)[:120]}") from None
    except OSError as err:
        raise AetuiError(f"{path}/{META} cannot be read: {err.strerror or err}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise AetuiError(f"{path}/{META}: not an aetui session of format {FORMAT}")
    for key in ("recipe", "dataset", "params"):
        if key in meta and not isinstance(meta[key], dict):
            raise AetuiError(f"{path}/{META}: {key} must be a table")
    session = Session(path, meta)
    try:
        lines = (path / HISTORY).read_bytes().splitlines()
    except FileNotFoundError:
        lines = []
    except OSError as err:
        session.problems.append(f"{HISTORY} unreadable: {err.strerror or err}")
        lines = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            session.history.append(events.from_record(json.loads(line.decode("utf-8"))))
        except (ValueError, TypeError, RecursionError) as err:
            session.problems.append(f"{HISTORY} line {number} skipped: {str(err)[:120]}")
    for epoch in session.epochs:
        if not (path / SNAPSHOTS / snapshot_name(epoch.epoch)).exists():
            session.problems.append(f"snapshot of epoch {epoch.epoch} is missing")
    if session.epochs and session.weights() is None:
        session.problems.append("no saved weights: views that decode anew are unavailable")
    return session


def find(store: Path, name: str) -> Session:
    """Open the session called `name` in `store` (or at the path `name`)."""
    direct = Path(name)
    if (direct / META).exists() or os.sep in name:  # a folder path, not a name
        return open_session(direct)
    return open_session(inside(store, name))


def list_sessions(store: Path) -> list[Session]:
    """Every readable session in `store`, newest first; unreadable folders are skipped."""
    found = []
    if store.is_dir():
        for folder in store.iterdir():
            if (folder / META).is_file():
                try:
                    found.append(open_session(folder))
                except AetuiError:
                    continue
    return sorted(found, key=lambda s: str(s.meta.get("created", "")), reverse=True)
