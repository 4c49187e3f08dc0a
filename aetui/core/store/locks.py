"""Advisory file locks (flock) that say a process is at work on something: a session being
trained, a sweep being run. The OS lets go of a lock when its process ends, however it ends, so
a lock held means a live process, never a stale pid."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from aetui.core.store import files


def take(path: Path | str, mode: int = 0o644, dir_fd: int | None = None) -> int | None:
    """Take the lock at `path` (created if need be) for this process: its file descriptor, to be
    closed to let go, or None where another process holds it. A link at `path` is never followed
    and anything but a regular file is refused (an OSError): the lock file cannot be made to
    create or open a file elsewhere, nor to block. With `dir_fd`, `path` is a name in that folder."""
    fd, _ = files.open_file(path, files.LOCK, dir_fd, mode)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def held(path: Path) -> bool:
    """Whether some process holds the lock at `path` (never where it is a link, a FIFO or a device:
    opening one could block or reach outside)."""
    try:
        fd, _ = files.open_file(path, files.READ)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return False
    except OSError:
        return True
    finally:
        os.close(fd)
