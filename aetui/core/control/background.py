"""Runs that outlive their terminal: an `aetui` command started in a process of its own.

`start` makes a private folder (0700, `files.private_folder`: nobody else can put anything in it),
launches `python -m aetui ARGS...` in a new process session (no controlling terminal, so a
dropped connection sends it nothing), its input from /dev/null and its output to a log in that
folder, then waits until the run has made its session (or has failed, with its one-line error).
The background process calls `settle` when its session exists: its output moves into the session
folder (`console.log`: the log's last `LOG_COPY` bytes are copied there first, read the safe
way) and the starter learns the session's name (`ready`, in the private folder). Nothing of the
handshake lies in the shared store; files an older aetui left in its root are cleared.

Plain Python: no Keras, no UI.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from aetui.core.errors import AetuiError
from aetui.core.store import files
from aetui.core.store.files import Folder
from aetui.core.text import printable

ENV = "AETUI_DETACHED"
"""Set in a background run: its starter's private folder (the log and the handshake are there)."""
CONSOLE = "console.log"
LOG, READY, ABANDONED = "output.log", "ready", "abandoned"
"""In the private folder: the run's output until it has a session; the session's name, once it
has one; the starter's word that it stopped waiting."""
START_WAIT = 180.0
"""Seconds the starter waits for the run to make its session (TensorFlow starts, data loads)."""
LOG_TAIL = 64 * 1024
LOG_COPY = 1 << 20
"""The most of the output before the session existed (TensorFlow's start, the data) moved into it."""
NO_WAIT = "#nobody-waits"
"""Marks a background run nobody waits for (a handover): it removes its private folder itself."""
LEFTOVER = re.compile(r"\.detached-[0-9a-f]{8}\.(tmp|ready|log)")
"""The handshake files an older aetui kept in the store's root."""


@dataclass
class Started:
    """A run started in the background."""

    pid: int
    session: str | None
    """Its session's name, once it has one (None: still starting when the starter stopped waiting)."""
    log: Path
    """Where its output is: the session's `console.log`, or the private log while it starts."""


def start(args: list[str], store: Path, wait: float = START_WAIT) -> Started:
    """Start `aetui ARGS` in the background and wait (at most `wait` seconds; 0: not at all) for
    it to make its session; an `AetuiError` with its own error line where it fails first."""
    store.mkdir(parents=True, exist_ok=True)
    clear_leftovers(store)
    private = files.private_folder()
    with Folder.open(private) as folder:
        fd, _ = files.open_file(LOG, files.NEW, folder.fd, 0o600)
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "aetui", *args], stdin=subprocess.DEVNULL, stdout=fd, stderr=fd,
            start_new_session=True,
            env={**os.environ, ENV: str(private) + ("" if wait else NO_WAIT), "PYTHONUNBUFFERED": "1"})
    finally:
        os.close(fd)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        name = _ready(private)
        if name is not None:
            if os.path.lexists(private / LOG):  # (its output could not move into the session: it stays)
                return Started(process.pid, name, private / LOG)
            shutil.rmtree(private, ignore_errors=True)
            return Started(process.pid, name, store / name / CONSOLE)
        code = process.poll()
        if code is not None:
            tail = _tail(private, LOG_TAIL)
            shutil.rmtree(private, ignore_errors=True)
            errors = [line for line in tail.splitlines() if line.startswith("aetui: ")]
            said = errors[-1].removeprefix("aetui: ") if errors else (tail.strip().splitlines() or ["?"])[-1]
            raise AetuiError(f"the background run ended at once (exit {code}): {said}")
        time.sleep(0.05)
    if wait:  # (it goes on starting: it clears the folder itself once it has a session)
        with contextlib.suppress(OSError), Folder.open(private) as folder:
            folder.create(ABANDONED, b"")
        if _ready(private) is not None:  # (it had just said)
            shutil.rmtree(private, ignore_errors=True)
    return Started(process.pid, None, private / LOG)


def _ready(private: Path) -> str | None:
    """The session's name the run wrote into the private folder, if it has."""
    try:
        with Folder.open(private) as folder:
            name = folder.read(READY, 4096).decode("utf-8", "replace").strip()
    except (OSError, AetuiError):
        return None
    return printable(name)[:255] or None


def _tail(private: Path, limit: int) -> str:
    """The last `limit` bytes of the run's log in `private`, as text."""
    try:
        with Folder.open(private) as folder:
            fd, info = folder.open_read(LOG)
    except OSError:
        return ""
    try:
        os.lseek(fd, max(0, info.st_size - limit), os.SEEK_SET)
        return printable(os.read(fd, limit).decode("utf-8", "replace"))
    except OSError:
        return ""
    finally:
        os.close(fd)


def clear_leftovers(store: Path) -> None:
    """Remove the handshake files an older aetui left in the store's root (a start abandoned more
    than `START_WAIT` seconds ago); a link there is removed itself, never followed."""
    try:
        with Folder.open(store, follow=True) as root:
            for name in root.names():
                if LEFTOVER.fullmatch(name) and time.time() - root.lstat(name).st_mtime > START_WAIT:
                    root.unlink(name)
    except OSError:
        pass


def settle(session_path: Path) -> None:
    """In a background run whose session now exists: its output from here on goes to the session's
    `console.log` (what was written before is copied there first), and its starter is told the
    session's name. Does nothing in a run started otherwise."""
    value = os.environ.pop(ENV, None)
    if not value:
        return
    waited = not value.endswith(NO_WAIT)
    private = Path(value.removesuffix(NO_WAIT))
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    try:
        with Folder.open(private) as folder:
            with contextlib.suppress(OSError):  # (else its output stays in the private log)
                _hand_over(folder, session_path)
            if waited and not os.path.lexists(private / ABANDONED):
                folder.create(READY, session_path.name.encode("utf-8"))
                return  # (the starter reads it, and removes the folder)
    except OSError:
        return
    if not os.path.lexists(private / LOG):
        shutil.rmtree(private, ignore_errors=True)


def _hand_over(private: Folder, session_path: Path) -> None:
    """Point this process's output at the session's `console.log`, after the last `LOG_COPY` bytes
    of its private log (a link, a FIFO or a device planted as `console.log` is replaced by a file
    of its own, never written through)."""
    with Folder.open(session_path) as session:
        try:
            fd, _ = files.open_file(CONSOLE, files.APPEND, session.fd, 0o644)
        except OSError:  # (a link, a FIFO, a folder: set aside, never followed)
            session.remove(CONSOLE)
            fd, _ = files.open_file(CONSOLE, files.NEW | os.O_APPEND, session.fd, 0o644)
    try:
        earlier, size = private.open_read(LOG)
        try:
            os.lseek(earlier, max(0, size.st_size - LOG_COPY), os.SEEK_SET)
            data = os.read(earlier, LOG_COPY)
        finally:
            os.close(earlier)
        while data:
            data = data[os.write(fd, data):]
        os.dup2(fd, 1)
        os.dup2(fd, 2)
    finally:
        os.close(fd)
    private.unlink(LOG)


def start_resume(session_path: Path, store: Path) -> str:
    """Go on with the stopped run of `session_path` in the background, not waiting for it (a
    handover: this process is ending). Returns what to tell the user."""
    started = start(["--sessions", str(store), "resume", str(session_path)], store, wait=0)
    return (f"{session_path.name} goes on in the background (process {started.pid}); its output: "
            f"{session_path / CONSOLE}. `aetui` shows it running; open it to attach.")
