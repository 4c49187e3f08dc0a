"""A running session's control channel: commands from other processes, through files in its folder.

It works wherever the store is shared, one machine or a cluster on a shared filesystem:

    control/            made by the trainer, owner only (0700): nobody else can put a command in
      in/ID.json        a command, written whole by a sender (a temporary name, then a rename)
      acks/ID.json      the trainer's answer to it
    progress.json       where the run is: rewritten a few times a second, for attached views
    control.log         every command taken or refused, one line each (bounded)

The trainer looks at `in/` at batch boundaries (of training and of validation), at most every
`POLL_EVERY` seconds (one listing of a small folder), validates each command exactly as a
slider's value is (`hparams`), applies it to the run's `Controls` (in force from the next batch,
recorded in the history with its step, as a slider's change is) and answers. A malformed, oversized, foreign or linked command is refused,
logged and removed; nothing a sender writes can stop the run. The sender's end is
`aetui.core.remote`.

Plain Python: no Keras, no UI.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import stat
import time
from dataclasses import asdict, dataclass, field

from aetui.core import events, hparams
from aetui.core.errors import AetuiError
from aetui.core.text import printable

CONTROL = "control"
INBOX = "in"
ACKS = "acks"
PROGRESS = "progress.json"
LOG = "control.log"
OPS = ("set", "pause", "continue", "stop")
COMMAND_LIMIT = 4096
"""Bytes a command may have; a longer one is refused unread."""
LOG_LIMIT = 256 * 1024
"""The log stops growing here (a flood of garbage cannot fill the disk)."""
PROGRESS_LIMIT = 64 * 1024
POLL_EVERY = 0.02
"""Seconds between looks at the inbox while training or validating (a listing costs microseconds)."""
PROGRESS_EVERY = 0.25
"""Seconds between rewrites of the progress record."""
_ID = re.compile(r"[0-9a-f]{8,32}")


@dataclass
class Answer:
    """The trainer's answer to one command."""

    id: str
    ok: bool
    message: str
    step: int = 0
    """The step the command takes effect at: the first batch (counting from 0) run under it."""
    epoch: int = 0
    """The epoch of that batch (`events.epoch_of`), as the history records it."""
    applied: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: object) -> Answer:
        if not isinstance(data, dict):
            raise AetuiError("the trainer's answer is not a record")
        applied = data.get("applied", {})
        if not isinstance(applied, dict) or not all(isinstance(v, (int, float)) for v in applied.values()):
            applied = {}
        return cls(id=str(data.get("id", "")), ok=data.get("ok") is True,
                   message=printable(str(data.get("message", "")))[:500],
                   step=_int(data.get("step")), epoch=_int(data.get("epoch")),
                   applied={printable(str(k))[:40]: float(v) for k, v in applied.items()})


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**53 else 0


def open_folder(name: str, dir_fd: int | None) -> int:
    return os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dir_fd)


def _own_folder(name: str, parent_fd: int) -> int:
    """Hold the owner-only subfolder `name` of `parent_fd`, made if need be; an OSError where it is a
    link, or a PermissionError where someone else owns it."""
    try:
        os.mkdir(name, 0o700, dir_fd=parent_fd)
    except FileExistsError:
        pass
    fd = open_folder(name, parent_fd)
    info = os.fstat(fd)
    if info.st_uid != os.getuid():
        os.close(fd)
        raise PermissionError(f"{name} belongs to another user")
    os.fchmod(fd, 0o700)
    return fd


def write_whole(dir_fd: int, name: str, data: bytes, mode: int = 0o600) -> None:
    """Write the file `name` whole (a temporary name, then a rename; no sync: none of these needs
    to outlive a power loss)."""
    tmp = f".tmp-{secrets.token_hex(4)}-{name}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode, dir_fd=dir_fd)
    try:
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
        os.rename(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        remove(dir_fd, tmp)
        raise


def remove(dir_fd: int, name: str) -> None:
    try:
        os.unlink(name, dir_fd=dir_fd)
    except OSError:
        pass


def read_command(dir_fd: int, name: str, limit: int) -> bytes:
    """The bytes of the regular file `name` (never through a link), at most `limit`; a ValueError
    saying why not."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
    except OSError as err:
        raise ValueError("a link" if err.errno == 40 else f"unreadable ({err.strerror})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ValueError("not a regular file")
        if info.st_uid != os.getuid():
            raise ValueError(f"written by another user (uid {info.st_uid})")
        if info.st_mode & 0o022:
            raise ValueError("writable by others")
        if info.st_size > limit:
            raise ValueError(f"{info.st_size} bytes, over the {limit} a command may have")
        return os.read(fd, limit + 1)
    finally:
        os.close(fd)


class Channel:
    """The trainer's end, for one run: made when the run starts, closed when it ends."""

    def __init__(self, session_fd: int, controls, tunables: tuple[str, ...]):
        self.controls, self.tunables = controls, tunables
        self.session_fd = os.dup(session_fd)
        self.control_fd = _own_folder(CONTROL, self.session_fd)
        self.inbox_fd = _own_folder(INBOX, self.control_fd)
        self.acks_fd = _own_folder(ACKS, self.control_fd)
        self.polled = self.progressed = 0.0
        self.logged = 0
        for name in os.listdir(self.acks_fd):  # answers nobody collected: their senders are gone
            remove(self.acks_fd, name)

    def beat(self, where: dict, force: bool = False) -> None:
        """At a batch boundary: take the commands waiting, and rewrite the progress record, each at
        most as often as it should be (`force`: both now)."""
        now = time.monotonic()
        if force or now - self.polled >= POLL_EVERY:
            self.polled = now
            self.poll(where)
        if force or now - self.progressed >= PROGRESS_EVERY:
            self.progressed = now
            self.progress(where)

    def progress(self, where: dict) -> None:
        """Rewrite `progress.json` (epoch, batch, step, running means, paused) for attached views."""
        record = {**where, "paused": self.controls.paused, "time": time.time(), "pid": os.getpid()}
        try:
            write_whole(self.session_fd, PROGRESS, json.dumps(record, allow_nan=True).encode(), 0o644)
        except OSError:
            pass  # (a full disk: the history write will say so)

    def poll(self, where: dict) -> None:
        """Take every command waiting in the inbox, oldest first; never raises."""
        try:
            names = os.listdir(self.inbox_fd)
        except OSError:
            return
        if not names:
            return
        found = []
        for name in names:
            if name.startswith(".tmp-"):
                continue  # (a sender's write in progress)
            try:
                found.append((os.stat(name, dir_fd=self.inbox_fd, follow_symlinks=False).st_mtime_ns, name))
            except OSError:
                continue
        for _, name in sorted(found):
            try:
                self._take(name, where)
            except Exception as err:  # whatever a command holds, the run goes on
                self.log(f"refused {printable(name)[:60]!r}: {type(err).__name__}")
            finally:
                remove(self.inbox_fd, name)

    def _take(self, name: str, where: dict) -> None:
        stem = name.removesuffix(".json")
        if not name.endswith(".json") or not _ID.fullmatch(stem):
            self.log(f"refused {printable(name)[:60]!r}: not a command's name")
            return
        try:
            raw = read_command(self.inbox_fd, name, COMMAND_LIMIT)
            command = json.loads(raw)
            if not isinstance(command, dict):
                raise ValueError("not a JSON object")
        except (ValueError, RecursionError) as err:
            self.answer(Answer(stem, False, f"refused: the command is {err}"[:300]), where)
            return
        self.answer(self.apply(stem, command, where), where, printable(str(command.get("from", "?")))[:80])

    def apply(self, id: str, command: dict, where: dict) -> Answer:
        """Carry out one command, or say why not. An answer names the step a command takes effect
        at, as the history records it (`events.takes_effect`): the first batch that runs under it,
        counting from 0 (a value: the first batch that uses it; a pause: the batch that waits for
        `continue`; `continue`: the batch that runs next), and that batch's epoch."""
        op, steps = command.get("op"), where.get("steps", 0)
        if op == "set":
            values = command.get("values")
            if not isinstance(values, dict) or not values or len(values) > len(hparams.HPARAMS):
                return Answer(id, False, "refused: `set` needs values, e.g. {\"beta\": 3}")
            try:  # all or nothing: every value checked before any is applied
                checked = {hparams.spec(str(k), self.tunables).name: hparams.spec(str(k), self.tunables).check(v)
                           for k, v in values.items()}
            except AetuiError as err:
                return Answer(id, False, f"refused: {err}")
            for key, value in checked.items():
                self.controls.set(key, value)
            step = self.controls.step()
            said = ", ".join(f"{k}={v:g}" for k, v in checked.items())
            return Answer(id, True, f"{said} {events.takes_effect(step, steps)}", step, events.epoch_of(step, steps),
                          checked)
        step = where.get("step", 0)
        epoch = events.epoch_of(step, steps)
        if op == "pause":
            self.controls.pause()
            return Answer(id, True, f"paused {events.takes_effect(step, steps)}: no batch runs until `continue`",
                          step, epoch)
        if op == "continue":
            was = self.controls.paused
            self.controls.resume()
            return Answer(id, True, f"continues {events.takes_effect(step, steps)}" if was else "was not paused",
                          step, epoch)
        if op == "stop":
            self.controls.stop()
            return Answer(id, True, f"stops after step {step}; completed epochs stay saved", step, epoch)
        return Answer(id, False, f"refused: unknown command {printable(str(op))[:40]!r} "
                                 f"(known: {', '.join(OPS)})")

    def answer(self, answer: Answer, where: dict, sender: str = "?") -> None:
        self.log(f"{'took' if answer.ok else 'refused'} {answer.id} from {sender}: {answer.message}")
        try:
            write_whole(self.acks_fd, answer.id + ".json", json.dumps(asdict(answer)).encode())
        except OSError:
            pass

    def log(self, line: str) -> None:
        """One line in `control.log`, while it is under its cap."""
        if self.logged > LOG_LIMIT:
            return
        text = f"{time.strftime('%Y-%m-%d %H:%M:%S')} {printable(line)}\n".encode()
        try:
            fd = os.open(LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o600, dir_fd=self.session_fd)
            try:
                if os.fstat(fd).st_size < LOG_LIMIT:
                    os.write(fd, text)
                else:
                    self.logged = LOG_LIMIT + 1
            finally:
                os.close(fd)
        except OSError:
            pass

    def close(self, where: dict) -> None:
        """The run ended: the last progress, and commands that came too late answered as such."""
        self.progress({**where, "ended": True})
        try:
            names = [n for n in os.listdir(self.inbox_fd) if n.endswith(".json") and _ID.fullmatch(n[:-5])]
        except OSError:
            names = []
        for name in names:
            self.answer(Answer(name[:-5], False, "the run has ended"), where)
            remove(self.inbox_fd, name)
        for fd in (self.inbox_fd, self.acks_fd, self.control_fd, self.session_fd):
            os.close(fd)
