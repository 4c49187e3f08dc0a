"""Runs that outlive their terminal: an `aetui` command started in a process of its own.

`start` launches `python -m aetui ARGS...` in a new process session (no controlling terminal, so a
dropped connection sends it nothing), its input from /dev/null and its output to a log in the
store, then waits until the run has made its session (or has failed, with its one-line error).
The background process calls `settle` when its session exists: its output moves into the
session folder (`console.log`) and the starter learns the session's name.

Plain Python: no Keras, no UI.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from aetui.core.errors import AetuiError
from aetui.core.text import printable

ENV = "AETUI_DETACHED"
"""Set in a background run: the prefix of its starter's log (`.log`) and handshake (`.ready`)."""
CONSOLE = "console.log"
START_WAIT = 180.0
"""Seconds the starter waits for the run to make its session (TensorFlow starts, data loads)."""
LOG_TAIL = 64 * 1024
NO_WAIT = "#nobody-waits"
"""Marks a background run nobody waits for (a handover): no handshake file is left behind."""


@dataclass
class Started:
    """A run started in the background."""

    pid: int
    session: str | None
    """Its session's name, once it has one (None: still starting when the starter stopped waiting)."""
    log: Path
    """Where its output is: the session's `console.log`, or the starter's log while it starts."""


def start(args: list[str], store: Path, wait: float = START_WAIT) -> Started:
    """Start `aetui ARGS` in the background and wait (at most `wait` seconds; 0: not at all) for
    it to make its session; an `AetuiError` with its own error line where it fails first."""
    store.mkdir(parents=True, exist_ok=True)
    prefix = store / f".detached-{secrets.token_hex(4)}"
    log = Path(f"{prefix}.log")
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "aetui", *args], stdin=subprocess.DEVNULL, stdout=fd, stderr=fd,
            start_new_session=True,
            env={**os.environ, ENV: str(prefix) + ("" if wait else NO_WAIT), "PYTHONUNBUFFERED": "1"})
    finally:
        os.close(fd)
    ready = Path(f"{prefix}.ready")
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if ready.exists():
            name = printable(ready.read_text(encoding="utf-8", errors="replace").strip())[:255]
            ready.unlink(missing_ok=True)
            return Started(process.pid, name, store / name / CONSOLE)
        code = process.poll()
        if code is not None:
            tail = _tail(log)
            log.unlink(missing_ok=True)
            errors = [line for line in tail.splitlines() if line.startswith("aetui: ")]
            said = errors[-1].removeprefix("aetui: ") if errors else (tail.strip().splitlines() or ["?"])[-1]
            raise AetuiError(f"the background run ended at once (exit {code}): {said}")
        time.sleep(0.05)
    return Started(process.pid, None, log)


def _tail(path: Path) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(max(0, os.fstat(fh.fileno()).st_size - LOG_TAIL))
            return printable(fh.read().decode("utf-8", "replace"))
    except OSError:
        return ""


def settle(session_path: Path) -> None:
    """In a background run whose session now exists: its output from here on goes to the session's
    `console.log` (what was written before is copied there first), and its starter is told the
    session's name. Does nothing in a run started otherwise."""
    prefix = os.environ.pop(ENV, None)
    if not prefix:
        return
    waited = not prefix.endswith(NO_WAIT)
    prefix = prefix.removesuffix(NO_WAIT)
    log, ready = Path(f"{prefix}.log"), Path(f"{prefix}.ready")
    try:
        folder = os.open(session_path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        try:
            fd = os.open(CONSOLE, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o644, dir_fd=folder)
        finally:
            os.close(folder)
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        with open(log, "rb") as before:
            os.write(fd, before.read())
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
        log.unlink(missing_ok=True)
    except OSError:
        pass  # (the output stays in the starter's log)
    if not waited:
        return
    tmp = Path(f"{prefix}.tmp")
    try:
        tmp.write_text(session_path.name, encoding="utf-8")
        os.replace(tmp, ready)
    except OSError:
        pass


def start_resume(session_path: Path, store: Path) -> str:
    """Go on with the stopped run of `session_path` in the background, not waiting for it (a
    handover: this process is ending). Returns what to tell the user."""
    started = start(["--sessions", str(store), "resume", str(session_path)], store, wait=0)
    return (f"{session_path.name} goes on in the background (process {started.pid}); its output: "
            f"{session_path / CONSOLE}. `aetui` shows it running; open it to attach.")
