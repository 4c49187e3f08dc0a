"""Following a run that another process trains: its events as they reach its folder.

`Follower.poll` returns what is new since the last call, as the engine's own events: the history's
new lines (epochs, changes, pauses, the end), the latest epoch's snapshot, and the batch progress
from the trainer's progress record. A view folds them into a `RunState` exactly as it folds a run
of its own. Reads go through `aetui.core.store.files` (bounded, no link, no FIFO); a damaged line is skipped.

Plain Python and numpy: no Keras, no UI.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from aetui.core import events
from aetui.core.control import remote
from aetui.core.errors import AetuiError
from aetui.core.store import locks
from aetui.core.store.files import Folder
from aetui.core.store.sessions import HISTORY, LIMITS, LOCK, open_session

ALIVE_EVERY = 1.0
"""Seconds between checks that the training process is still there."""


class Follower:
    """Reads a running session's new events, one `poll` at a time."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.offset = 0
        self.partial = b""
        self.progress_time: float | None = None
        self.fixed: dict | None = None
        self.ended = False
        self.checked_alive = time.monotonic()
        self.last = (0, 0)
        """(epoch, step) of the newest event seen."""

    def poll(self) -> list:
        """The events since the last call; a `TrainingFinished` once the run has ended (recorded, or
        its process gone without a word)."""
        if self.ended:
            return []
        found = self._history()
        ends = [e for e in found if isinstance(e, events.EpochEnded) and e.pictured]
        if ends:
            snapshot = self._snapshot(ends[-1].epoch)
            if snapshot is not None:
                at = found.index(ends[-1]) + 1
                found.insert(at, snapshot)
        self._note(found)
        if self.ended:
            return found
        progress = self._progress()
        if progress is not None:
            found.append(progress)
        if time.monotonic() - self.checked_alive >= ALIVE_EVERY:
            self.checked_alive = time.monotonic()
            if not locks.held(self.path / LOCK):
                late = self._history()  # (its last lines may have come since)
                self._note(late)
                found += late
                if not self.ended:
                    self.ended = True
                    epoch, step = self.last
                    found.append(events.TrainingFinished("killed", "its process ended without saying why",
                                                         epoch, step))
        return found

    def _note(self, found: list) -> None:
        """Keep where the run is, and whether it has ended: a `TrainingFinished` after which no
        resume started (a session resumed before shows its earlier end, then goes on)."""
        for event in found:
            if isinstance(event, (events.EpochEnded, events.BatchEnded)):
                self.last = (event.epoch, event.step)
            if isinstance(event, events.TrainingFinished):
                self.ended = True
            elif isinstance(event, (events.TrainingStarted, events.TrainingResumed)):
                self.ended = False

    def _history(self) -> list:
        """The events of the history's new complete lines."""
        try:
            with Folder.open(self.path) as folder:
                fd, info = folder.open_read(HISTORY)
        except OSError:  # (none yet, a link, a FIFO: nothing to follow)
            return []
        try:
            if info.st_size > LIMITS[HISTORY]:
                return []
            if info.st_size < self.offset:  # rewritten (a resume took it up): read it again
                self.offset, self.partial = 0, b""
            os.lseek(fd, self.offset, os.SEEK_SET)
            chunk = os.read(fd, min(info.st_size - self.offset, LIMITS[HISTORY]))
        finally:
            os.close(fd)
        self.offset += len(chunk)
        lines = (self.partial + chunk).split(b"\n")
        self.partial = lines.pop()
        found = []
        for line in lines:
            try:
                found.append(events.from_line(line))
            except (ValueError, TypeError, RecursionError):
                continue  # (the replay names such a line; a live view skips it)
        return found

    def _snapshot(self, epoch: int):
        """The arrays of `epoch` as the engine reports them, or None where they cannot be read."""
        from aetui.core.runstate import checked_snapshot

        try:
            snapshot, self.fixed = checked_snapshot(open_session(self.path), epoch, self.fixed)
        except AetuiError:
            return None
        return events.SnapshotTaken(epoch, snapshot, self.fixed)

    def _progress(self):
        """The batch progress, if the trainer wrote a new record since the last poll."""
        record = remote.read_progress(self.path)
        if record is None or record.get("time") == self.progress_time or record.get("ended"):
            return None
        self.progress_time = record.get("time")
        try:
            event = events.from_record({"event": "BatchEnded", "epoch": record.get("epoch"),
                                        "batch": record.get("batch"), "step": record.get("step"),
                                        "logs": record.get("logs"), "last": record.get("logs")})
        except (ValueError, TypeError):
            return None
        if event.batch < 1 or (event.epoch, event.step) <= self.last:
            return None  # (nothing new, or older than an epoch already shown)
        self.last = (event.epoch, event.step)
        return event
