"""Writing a session as it trains: made, taken up again, appended to, always readable.

The lock is taken and the record written before anything else changes, history lines are one
write call each (a kill leaves a line whole or absent), and every other file is written to a
temporary name and renamed into place. Nothing is written or deleted through a link: a session
folder holding one is refused, and every write goes through a handle on the session's folders
opened once (`files.Folder`), so a link planted while the run goes on redirects nothing.
"""

from __future__ import annotations

import errno
import json
import os
import socket
import stat
import time
from pathlib import Path
from typing import Any

from aetui.core import events
from aetui.core.errors import AetuiError
from aetui.core.store import caps, locks, summary
from aetui.core.store.files import FILE_MODE, Folder
from aetui.core.store.meta import SessionMeta
from aetui.core.store.npz import npz_bytes
from aetui.core.store.paths import inside, safe_name
from aetui.core.store.sessions import (
    EPOCH_FILE,
    EVALS,
    FIXED,
    HISTORY,
    LOCK,
    META,
    SNAPSHOTS,
    WEIGHTS,
    Session,
    epoch_files,
    open_session,
    snapshot_name,
    stillborn,
    weights_name,
)

EPOCH_KINDS = (SNAPSHOTS, WEIGHTS, EVALS)
"""The folders of files per epoch."""


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def refuse_links(folder: Path) -> None:
    """An error if the session `folder`, or anything aetui writes in it, is a link (writing through
    one could change files outside the store)."""
    for path in (folder, folder / META, folder / HISTORY, folder / LOCK, *(folder / kind for kind in EPOCH_KINDS),
                 *(p for kind in EPOCH_KINDS for _, p in epoch_files(folder, kind))):
        if path.is_symlink():
            raise AetuiError(f"{path} is a link: aetui writes no session through a link; remove it, or copy the "
                             "session to a folder of its own")


def _cut_short(folder: Path, locked: bool = False) -> bool:
    """Whether `folder` is what a kill leaves while a session is being made: nothing but a lock,
    half-written temporary files, the fixed panel and empty subfolders, and no record yet, or (an
    older aetui wrote the record first) a record with no fixed panel and no history, nobody at work
    on it (`locked`: this process holds its lock). It is taken over, not skipped."""
    if folder.is_symlink() or not folder.is_dir():
        return False
    if (folder / META).exists() or (folder / META).is_symlink():
        if (folder / META).is_symlink() or not (locked or stillborn(folder)) or \
                any(os.path.lexists(folder / name) for name in (FIXED, HISTORY)):
            return False
    for entry in folder.iterdir():
        if entry.is_symlink():
            return False
        if entry.name in (SNAPSHOTS, WEIGHTS) and entry.is_dir() and not any(entry.iterdir()):
            continue
        if entry.name not in (LOCK, META, summary.SUMMARY, FIXED) and not entry.name.startswith(".tmp-") or not entry.is_file():
            return False
    return True


class SessionWriter:
    """Creates a session folder and records a run into it as it happens, through handles on the
    session's folders (`files.Folder`): the folders are checked for links once, when they are
    opened, and a link planted later cannot redirect a write."""

    def __init__(self, path: Path, meta: SessionMeta):
        self.path = path
        self.meta = meta
        self._lock: int | None = None
        self._folders: dict[str, Folder] = {}

    def folder(self, kind: str = ".") -> Folder:
        """The session folder (`.`) or one of its subfolders, opened once and held."""
        if kind not in self._folders:
            if "." not in self._folders:
                self._folders["."] = Folder.open(self.path)
            if kind != ".":
                self._folders[kind] = self._folders["."].sub(kind)
        return self._folders[kind]

    def hold(self) -> None:
        """Take the session's lock for as long as this process writes it (the OS lets go if it dies)."""
        try:
            fd = locks.take(LOCK, FILE_MODE, dir_fd=self.folder().fd)
        except OSError as err:
            self._close_folders()
            if err.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
                raise AetuiError(f"{self.path} cannot be written ({err.strerror}): aetui writes a session to train "
                                 "it; copy it into a store you can write (--sessions DIR)") from None
            raise AetuiError(f"{self.path / LOCK} cannot be the session's lock ({err.strerror or err}): remove it") \
                from None  # (a link or a FIFO planted as the lock)
        if fd is None:
            self._close_folders()
            raise AetuiError(f"{self.name} is being trained by another process")
        self._lock = fd

    def close(self) -> None:
        """Let go of the session (it is no longer running)."""
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None
        self._close_folders()

    def _close_folders(self) -> None:
        for folder in self._folders.values():
            folder.close()
        self._folders = {}

    @classmethod
    def create(cls, store: Path, name: str, fields: dict[str, Any], fixed: dict | None = None) -> SessionWriter:
        """Make a new session folder in `store`; a taken name gets `-2`, `-3`, ... appended (a folder
        left by a kill while it was being made is taken over). The lock is taken first, then the
        fixed panel (`fixed`) written, then the record: a kill from then on leaves a session that
        reads `killed` and goes on, and before it a folder the next run of that name takes over;
        two processes cannot take one name."""
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
                writer.close()
                continue  # another process is making a session of this name at this instant
            if META in writer.folder().names() and not _cut_short(candidate, locked=True):
                writer.close()  # it won the race for this name
                continue
            break
        else:
            raise AetuiError(f"too many sessions named {base!r} in {store}")
        root = writer.folder()
        for leftover in root.names():
            if leftover.startswith(".tmp-") or leftover in (META, summary.SUMMARY):
                root.unlink(leftover)
        with Folder.open(store, follow=True) as folder:
            folder.sync()
        if fixed is not None:
            writer.save_fixed(fixed)
        values = {"name": candidate.name, "status": "running", "created": _now(), "updated": _now(),
                  "pid": os.getpid(), "host": socket.gethostname(), **fields}
        known = set(SessionMeta.__dataclass_fields__) - {"extra"}
        writer.meta = SessionMeta(**{k: v for k, v in values.items() if k in known},
                                  extra={k: v for k, v in values.items() if k not in known})
        writer._write_meta()
        writer.folder(SNAPSHOTS)
        writer.folder(WEIGHTS)
        return writer

    @classmethod
    def lock(cls, path: Path, check=None) -> tuple[SessionWriter, Session]:
        """Take a stopped session's lock, then read it afresh and run `check(session)` (may it go
        on?) under the lock: two resumes of one session cannot both act on what they read before it.
        Nothing changes yet (`take_up` does); on refusal the lock is let go."""
        refuse_links(path)
        writer = cls(path, SessionMeta())
        try:
            writer.hold()  # before anything is read: two resumes of one session cannot both go on
            session = open_session(path)
            session.locked_here = True  # (its status reads as it stood before this lock)
            if check is not None:
                check(session)
            for kind in EPOCH_KINDS:  # held from here on, as they are now (no link: checked above)
                if (path / kind).is_dir():  # (one not made yet is made when first written)
                    writer.folder(kind)
        except BaseException:
            writer.close()
            raise
        writer.meta = session.meta
        return writer, session

    def take_up(self, session: Session, done: int | None = None) -> None:
        """Go on at the session's last completed epoch (or at epoch `done`, before it): what came
        after it (the history of an unfinished epoch, its snapshot, weights and evaluation,
        half-written files) is dropped, so the folder reads as if the run had stopped right after
        that epoch."""
        done = session.epochs_done if done is None else done
        good = []
        for line in session.history_lines():
            try:
                record = json.loads(line)
                good.append((record.get("event"), record.get("epoch"), line))
            except (ValueError, AttributeError, RecursionError):
                continue  # open_session skipped it too
        ends = [n for n, (kind, epoch, _) in enumerate(good, 1)
                if kind == "EpochEnded" and isinstance(epoch, int) and epoch <= done]
        kept = b"".join(line + b"\n" for _, _, line in good[:ends[-1] if ends else 0])
        self.folder().write(HISTORY, kept)
        for kind in (".", *EPOCH_KINDS):  # (an evaluation of a dropped epoch goes with it)
            if kind != "." and kind not in self._folders:
                continue  # (not there when the lock was taken: nothing to drop)
            folder = self.folder(kind)
            for name in folder.names():
                match = EPOCH_FILE[kind].fullmatch(name) if kind != "." else None
                if name.startswith(".tmp-") or (match and int(match.group(1)) > done):
                    folder.unlink(name)
        self.update(status="running", reason="", epochs_done=done, pid=os.getpid(), host=socket.gethostname())

    @property
    def name(self) -> str:
        """The session's folder name."""
        return self.path.name

    def update(self, **changes: Any) -> None:
        """Change fields of the record and rewrite it atomically."""
        if isinstance(changes.get("reason"), str):
            changes["reason"] = changes["reason"][:caps.REASON]
        for key, value in {**changes, "updated": _now()}.items():
            if hasattr(self.meta, key):
                setattr(self.meta, key, value)
            else:
                self.meta.extra[key] = value
        self._write_meta()

    def _write_meta(self) -> None:
        """Write the record, then its summary (which names the record just written)."""
        record = self.meta.to_json()
        self.folder().write(META, json.dumps(record, indent=1).encode("utf-8"))
        summary.write(self.folder(), record, META)

    def record(self, *records) -> None:
        """Append events to the history in one write call, and sync it (a kill leaves the lines
        whole or absent). The history never passes its cap (`caps.HISTORY`): a record that would
        is a `files.CapReached` (the run stops, saying so), and the last stretch is kept for the
        run's end."""
        lines = []
        for event in records:
            if isinstance(event, events.TrainingFinished) and len(event.reason) > caps.REASON:
                event = events.TrainingFinished(event.status, event.reason[:caps.REASON], event.epochs, event.step,
                                                event.extra)
            lines.append((json.dumps(events.to_record(event), allow_nan=True) + "\n").encode("utf-8"))
        final = isinstance(records[-1], events.TrainingFinished)
        self.folder().append(HISTORY, b"".join(lines), cap=caps.HISTORY - (0 if final else caps.END_ROOM))

    def save_fixed(self, arrays: dict) -> None:
        """Store the fixed panel and subset that snapshots refer to."""
        self.folder().write(FIXED, npz_bytes(arrays))

    def save_snapshot(self, epoch: int, arrays: dict) -> None:
        """Store an epoch's snapshot arrays."""
        self.folder(SNAPSHOTS).write(snapshot_name(epoch), npz_bytes(arrays))

    def save_weights(self, data: bytes, epoch: int) -> None:
        """Store `epoch`'s `.weights.h5` file (`Built.weights_file()`: weights and optimizer state,
        for resuming). Older epochs' weights stay until `prune_weights`, once the epoch is in the history."""
        self.folder(WEIGHTS).write(weights_name(epoch), data)

    def share(self, source: Path, kind: str, name: str) -> bool:
        """Give the regular file `kind/name` of the session at `source` that name here too (a hard
        link: files are replaced by renaming, never changed in place, so each session keeps what
        it had, whichever is removed). False where it is no regular file or the system refuses
        (another disk, another user's file, a name taken here): then copy it."""
        try:
            with Folder.open(source) as root, root.sub(kind, make=False) as there:
                if not stat.S_ISREG(there.lstat(name).st_mode):
                    return False
                os.link(name, name, src_dir_fd=there.fd, dst_dir_fd=self.folder(kind).fd, follow_symlinks=False)
                return True
        except OSError:
            return False

    def prune_weights(self, epoch: int, keeps=lambda epoch: False) -> None:
        """Drop the weights of epochs before `epoch` (call once `epoch` is recorded as done), but
        those `keeps(epoch)` says are kept (to branch from)."""
        folder = self.folder(WEIGHTS)
        for name in folder.names():
            match = EPOCH_FILE[WEIGHTS].fullmatch(name)
            if match and int(match.group(1)) < epoch and not keeps(int(match.group(1))):
                folder.unlink(name)
