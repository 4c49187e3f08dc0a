"""The sender's end of a running session's control channel (`aetui.core.control.channel`): send a
command and wait for its answer, and read where the run is. Used by `aetui tune|pause|continue|stop`,
the controls of a workbench attached to a run of another process (`RemoteControls`), and the
follower of an attached run.

Plain Python: no Keras, no UI.
"""

from __future__ import annotations

import itertools
import json
import os
import queue
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from aetui.core import hparams
from aetui.core.control.channel import COMMAND_LIMIT, PROGRESS, PROGRESS_LIMIT, Answer, read_command, sender_folders
from aetui.core.errors import AetuiError

ANSWER_WAIT = 15.0
"""Seconds a sender waits for the trainer's answer (a batch of a big net can take a few)."""


def send(session_path: Path, op: str, values: dict[str, float] | None = None,
         wait: float = ANSWER_WAIT, at_epoch: int | None = None, origin: str | None = None) -> Answer:
    """Send one command to the run training `session_path` and wait for its answer. An
    `AetuiError` saying why where the session is not running, the sender may not write to it, or
    no answer came within `wait` seconds."""
    from aetui.core.store import sessions

    session = sessions.open_session(session_path)
    if session.status != "running":
        raise AetuiError(f"{session.name} is not running ({session.status}); "
                         f"`aetui resume {session.name}` goes on with it")
    command = {"op": op, "from": origin or sender()}
    if values is not None:
        command["values"] = dict(values)
    if at_epoch is not None:  # (a change planned ahead: `aetui.core.control.plans`)
        command["at_epoch"] = at_epoch
    id = secrets.token_hex(8)
    try:
        inbox, acks = sender_folders(Path(session_path))
    except PermissionError:
        raise AetuiError(f"{session.name} belongs to another user: only its owner can tune it") from None
    except (FileNotFoundError, NotADirectoryError):
        raise AetuiError(f"{session.name} has no control channel yet (its first batch has not run, or an "
                         "older aetui trains it): try again in a moment") from None
    except OSError as err:
        raise AetuiError(f"{session.name}'s control channel cannot be used: {err.strerror or err}") from None
    try:
        inbox.write(id + ".json", json.dumps(command).encode(), sync=False, mode=0o600)
        return _wait(session, inbox, acks, id, wait)
    except OSError as err:
        raise AetuiError(f"{session.name}'s control channel cannot be used: {err.strerror or err}") from None
    finally:
        inbox.close()
        acks.close()


_CONTROLS = itertools.count(1)


def sender() -> str:
    """Who this process is to a trainer (`user@host pid N`): the origin of the changes it sends."""
    return f"{_user()}@{socket.gethostname()} pid {os.getpid()}"


def _user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())


def _wait(session, inbox, acks, id: str, wait: float) -> Answer:
    from aetui.core.store import locks
    from aetui.core.store.sessions import LOCK

    deadline, checked = time.monotonic() + wait, time.monotonic()
    while time.monotonic() < deadline:
        try:
            raw = read_command(acks, id + ".json", COMMAND_LIMIT)
        except ValueError:
            raw = None
        if raw is not None:
            acks.remove(id + ".json")
            try:
                return Answer.from_json(json.loads(raw))
            except (ValueError, RecursionError):
                raise AetuiError(f"{session.name}: the trainer's answer cannot be read") from None
        if time.monotonic() - checked > 1.0:  # the trainer gone meanwhile: no answer will come
            checked = time.monotonic()
            if not locks.held(session.path / LOCK):
                inbox.remove(id + ".json")
                raise AetuiError(f"{session.name} stopped running before it took the command")
        time.sleep(0.02)
    inbox.remove(id + ".json")
    raise AetuiError(f"{session.name} did not answer in {wait:.0f} s (paused in a long batch, or its process "
                     "hangs); the command was withdrawn")


def read_progress(session_path: Path) -> dict | None:
    """The run's progress record, or None where there is none or it cannot be read."""
    from aetui.core.store.files import read_in

    try:
        data = json.loads(read_in(Path(session_path), PROGRESS, PROGRESS_LIMIT))
    except (AetuiError, ValueError, RecursionError, OSError):
        return None
    return data if isinstance(data, dict) else None


def listed(session, by: str) -> tuple:
    """`session.summary(by)`, the status `paused` where its trainer holds it paused (the progress
    record says so), for listings: a paused run is not at work."""
    row = session.summary(by)
    if row[1] == "running" and (read_progress(session.path) or {}).get("paused") is True:
        row = (row[0], "paused", *row[2:])
    return row


@dataclass
class Answered:
    """The trainer's answer to a command sent to an attached run (or why none came)."""

    op: str
    values: dict[str, float]
    ok: bool
    message: str

    def said(self) -> str:
        """In one line: what was sent, and the answer."""
        values = ", ".join(f"{k}={v:g}" for k, v in self.values.items())
        return f"{f'{self.op} {values}'.strip()}: {self.message}"


@dataclass
class RemoteControls:
    """The controls of a run another process trains: each action is a command through the
    session's control channel, sent from a thread of its own (a command waits for its answer);
    values set in quick succession go as one. `pending` holds values sent and not yet answered."""

    path: Path
    tunables: tuple[str, ...]
    post: Callable
    """Where answers go (`Answered`)."""
    is_paused: Callable[[], bool]
    pending: dict[str, float] = field(default_factory=dict)
    origin: str = field(default_factory=lambda: f"{sender()} #{next(_CONTROLS)}")
    """Who these controls are to the trainer (the origin its history records for their changes):
    this process, and which of its attached views (two may follow one run)."""

    def __post_init__(self):
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self.stopping = False
        threading.Thread(target=self._send_all, name="aetui-commands", daemon=True).start()

    @property
    def paused(self) -> bool:
        return self.is_paused()

    def set(self, name: str, value: object) -> float:
        number = hparams.spec(name, self.tunables).check(value)
        self.pending[name] = number
        self._queue.put(("set", {name: number}))
        return number

    def pause(self) -> None:
        self._queue.put(("pause", None))

    def resume(self) -> None:
        self._queue.put(("continue", None))

    def stop(self) -> None:
        self.stopping = True
        self._queue.put(("stop", None))

    def close(self) -> None:
        """No more commands: the sending thread ends once those queued are sent."""
        self._queue.put(("close", None))

    def _send_all(self) -> None:
        ahead: list = []
        while True:
            op, values = ahead.pop() if ahead else self._queue.get()
            if op == "close":
                return
            while op == "set" and not ahead:  # values set in a row go as one command, the latest of each
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt[0] == "set":
                    values = {**values, **nxt[1]}
                else:
                    ahead.append(nxt)  # (sent next)
            try:
                answer = send(self.path, op, values, origin=self.origin)
                said = Answered(op, values or {}, answer.ok, answer.message)
            except AetuiError as err:
                said = Answered(op, values or {}, False, str(err))
            except Exception as err:  # a defect: said, and the controls keep working
                said = Answered(op, values or {}, False, f"{type(err).__name__}: {err}")
            for name in values or {}:
                if self.pending.get(name) == values[name]:
                    del self.pending[name]
            self.post(said)
