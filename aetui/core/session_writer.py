"""Writing a session as it trains: made, taken up again, appended to, always readable.

The record is written first, the lock taken before anything else changes, history lines are one
write call each (a kill leaves a line whole or absent), and every other file is written to a
temporary name and renamed into place (`files.atomic`). Nothing is written or deleted through a
link: a session folder holding one is refused.
"""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path
from typing import Any

from aetui.core import events, locks
from aetui.core.errors import AetuiError
from aetui.core.files import FILE_MODE, atomic, sync_folder, write_arrays, write_json
from aetui.core.paths import inside, safe_name
from aetui.core.session_meta import SessionMeta
from aetui.core.sessions import (
    HISTORY,
    LOCK,
    META,
    SNAPSHOTS,
    WEIGHTS,
    Session,
    epoch_files,
    open_session,
    snapshot_name,
    weights_name,
)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def refuse_links(folder: Path) -> None:
    """An error if the session `folder`, or anything aetui writes in it, is a link (writing through
    one could change files outside the store)."""
    for path in (folder, folder / META, folder / HISTORY, folder / LOCK, folder / SNAPSHOTS, folder / WEIGHTS,
                 *(p for kind in (SNAPSHOTS, WEIGHTS) for _, p in epoch_files(folder, kind))):
        if path.is_symlink():
            raise AetuiError(f"{path} is a link: aetui writes no session through a link; remove it, or copy the "
                             "session to a folder of its own")


def _cut_short(folder: Path) -> bool:
    """Whether `folder` is what a kill leaves while a session is being made: no record yet, nothing
    but a lock, half-written temporary files and empty subfolders (it is taken over, not skipped)."""
    if folder.is_symlink() or not folder.is_dir() or (folder / META).exists() or (folder / META).is_symlink():
        return False
    for entry in folder.iterdir():
        if entry.is_symlink():
            return False
        if entry.name in (SNAPSHOTS, WEIGHTS) and entry.is_dir() and not any(entry.iterdir()):
            continue
        if not (entry.name == LOCK or entry.name.startswith(".tmp-")) or not entry.is_file():
            return False
    return True


class SessionWriter:
    """Creates a session folder and records a run into it as it happens."""

    def __init__(self, path: Path, meta: SessionMeta):
        self.path = path
        self.meta = meta
        self._lock: int | None = None

    def hold(self) -> None:
        """Take the session's lock for as long as this process writes it (the OS lets go if it dies)."""
        try:
            fd = locks.take(self.path / LOCK, FILE_MODE)
        except OSError as err:  # a link or a FIFO planted as the lock
            raise AetuiError(f"{self.path / LOCK} cannot be the session's lock ({err.strerror or err}): remove it") \
                from None
        if fd is None:
            raise AetuiError(f"{self.name} is being trained by another process")
        self._lock = fd

    def close(self) -> None:
        """Let go of the session (it is no longer running)."""
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    @classmethod
    def create(cls, store: Path, name: str, fields: dict[str, Any]) -> SessionWriter:
        """Make a new session folder in `store`; a taken name gets `-2`, `-3`, ... appended (a folder
        left by a kill while it was being made, with no record yet, is taken over). The lock is
        taken and the record written before anything else: a kill from then on leaves a session
        that reads `killed`, and two processes cannot take one name."""
        store.mkdir(parents=True, exist_ok=True)
        base = safe_name(name)
        for n in range(1, 10_000):
            candidate = inside(store, base if n == 1 else f"{base}-{n}")
            try:
                candidate.mkdir()
            except FileExistsError:
                if not _cut_short(candidate):
                    continue
            writer = cls(candidate, SessionMeta())
            try:
                writer.hold()
            except AetuiError:
                continue  # another process is making a session of this name at this instant
            if (candidate / META).exists() or (candidate / META).is_symlink():
                writer.close()  # it won the race for this name
                continue
            break
        else:
            raise AetuiError(f"too many sessions named {base!r} in {store}")
        for leftover in candidate.glob(".tmp-*"):
            leftover.unlink(missing_ok=True)
        sync_folder(store)
        values = {"name": candidate.name, "status": "running", "created": _now(), "updated": _now(),
                  "pid": os.getpid(), "host": socket.gethostname(), **fields}
        known = set(SessionMeta.__dataclass_fields__) - {"extra"}
        writer.meta = SessionMeta(**{k: v for k, v in values.items() if k in known},
                                  extra={k: v for k, v in values.items() if k not in known})
        write_json(candidate / META, writer.meta.to_json())
        (candidate / SNAPSHOTS).mkdir(exist_ok=True)
        (candidate / WEIGHTS).mkdir(exist_ok=True)
        return writer

    @classmethod
    def lock(cls, path: Path, check=None) -> tuple[SessionWriter, Session]:
        """Take a stopped session's lock, then read it afresh and run `check(session)` (may it go
        on?) under the lock: two resumes cannot both act on what they read before it. Nothing
        changes yet (`take_up` does); on refusal the lock is let go."""
        refuse_links(path)
        writer = cls(path, SessionMeta())
        writer.hold()  # before anything is read: two resumes of one session cannot both go on
        try:
            session = open_session(path)
            session.locked_here = True  # (its status reads as it stood before this lock)
            if check is not None:
                check(session)
        except BaseException:
            writer.close()
            raise
        writer.meta = session.meta
        return writer, session

    def take_up(self, session: Session) -> None:
        """Go on at the session's last completed epoch: what came after it (the history of an
        unfinished epoch, its snapshot and weights, half-written files) is dropped, so the folder
        reads as if the run had stopped right after that epoch."""
        path, done = self.path, session.epochs_done
        good = []
        for line in session.history_lines():
            try:
                good.append((json.loads(line).get("event"), line))
            except (ValueError, AttributeError, RecursionError):
                continue  # open_session skipped it too
        ends = [n for n, (kind, _) in enumerate(good, 1) if kind == "EpochEnded"]
        kept = "".join(line.decode("utf-8") + "\n" for _, line in good[:ends[-1] if ends else 0])
        atomic(path / HISTORY, lambda tmp: tmp.write_text(kept, encoding="utf-8"))
        for leftover in path.rglob(".tmp-*"):
            if not leftover.is_symlink():
                leftover.unlink(missing_ok=True)
        for kind in (SNAPSHOTS, WEIGHTS):
            for epoch, file in epoch_files(path, kind):
                if epoch > done:
                    file.unlink(missing_ok=True)
        self.update(status="running", reason="", epochs_done=done, pid=os.getpid(), host=socket.gethostname())

    @property
    def name(self) -> str:
        """The session's folder name."""
        return self.path.name

    def update(self, **changes: Any) -> None:
        """Change fields of the record and rewrite it atomically."""
        for key, value in {**changes, "updated": _now()}.items():
            if hasattr(self.meta, key):
                setattr(self.meta, key, value)
            else:
                self.meta.extra[key] = value
        write_json(self.path / META, self.meta.to_json())

    def record(self, event) -> None:
        """Append an event to the history and flush it to disk."""
        line = (json.dumps(events.to_record(event), allow_nan=True) + "\n").encode("utf-8")
        fd = os.open(self.path / HISTORY, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, FILE_MODE)
        try:  # one write call: a kill leaves the line whole or absent
            written = os.write(fd, line)
            if written != len(line):
                raise OSError(f"only {written} of {len(line)} bytes of a history line were written")
            os.fsync(fd)
        finally:
            os.close(fd)

    def save_fixed(self, arrays: dict) -> None:
        """Store the fixed panel and subset that snapshots refer to."""
        from aetui.core.sessions import FIXED

        write_arrays(self.path / FIXED, arrays)

    def save_snapshot(self, epoch: int, arrays: dict) -> None:
        """Store an epoch's snapshot arrays."""
        write_arrays(self.path / SNAPSHOTS / snapshot_name(epoch), arrays)

    def save_weights(self, data: bytes, epoch: int) -> None:
        """Store `epoch`'s `.weights.h5` file (`Built.weights_file()`: weights and optimizer state,
        for resuming). Older epochs' weights stay until `prune_weights`, once the epoch is in the history."""
        atomic(self.path / WEIGHTS / weights_name(epoch), lambda tmp: tmp.write_bytes(data))

    def prune_weights(self, epoch: int) -> None:
        """Drop the weights of epochs before `epoch` (call once `epoch` is recorded as done)."""
        for old, path in epoch_files(self.path, WEIGHTS):
            if old < epoch:
                path.unlink(missing_ok=True)
