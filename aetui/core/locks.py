"""Advisory file locks (flock) that say a process is at work on something: a session being
trained, a sweep being run. The OS lets go of a lock when its process ends, however it ends, so
a lock held means a live process, never a stale pid."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


def take(path: Path, mode: int = 0o644) -> int | None:
    """Take the lock at `path` (created if need be) for this process: its file descriptor, to be
    closed to let go, or None where another process holds it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, mode)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def held(path: Path) -> bool:
    """Whether some process holds the lock at `path`."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return False
    except OSError:
        return True
    finally:
        os.close(fd)
