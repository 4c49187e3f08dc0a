"""A running session's control channel: commands from other processes, through files in its folder.

It works wherever the store is shared, one machine or a cluster on a shared filesystem:

    control/            made by the trainer, owner only (0700): nobody else can put a command in
      in/ID.json        a command, written whole by a sender (a temporary name, then a rename)
      acks/ID.json      the trainer's answer to it
    progress.json       where the run is: rewritten a few times a second, for attached views
    control.log         every command taken or refused, one line each; at `LOG_LIMIT` it becomes
                        control.log.1 (the one before is dropped), so the newest lines are kept

The trainer looks at `in/` at batch boundaries (of training and of validation), at most every
`POLL_EVERY` seconds (one listing of a small folder), validates each command exactly as a
slider's value is (`hparams`), applies it to the run's `Controls` (in force from the next batch,
recorded in the history with its step, as a slider's change is) and answers. A malformed,
oversized, foreign or linked command is refused, logged and removed (a name that cannot be
removed, a folder with something in it, is logged once and passed over); at most
`TAKEN_PER_POLL` commands are taken at one boundary, and at most `ANSWERS_KEPT` answers wait
for their senders: nothing a sender writes can stop or stall the run. Every file goes through
`aetui.core.store.files`. The sender's end is `aetui.core.control.remote`; changes planned ahead
are `aetui.core.control.plans`'. Plain Python: no Keras, no UI.
"""

from __future__ import annotations

import errno
import json
import os
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from aetui.core import events, hparams
from aetui.core.control.plans import PLAN_OPS, apply_plan
from aetui.core.errors import AetuiError
from aetui.core.store import files
from aetui.core.store.files import Folder
from aetui.core.text import printable

CONTROL = "control"
INBOX = "in"
ACKS = "acks"
PROGRESS = "progress.json"
LOG, OLD_LOG = "control.log", "control.log.1"
OPS = ("set", "pause", "continue", "stop", *PLAN_OPS)
COMMAND_LIMIT = 4096
"""Bytes a command may have; a longer one is refused unread."""
LOG_LIMIT = 256 * 1024
"""The log is rotated at this size (a flood of garbage cannot fill the disk, nor silence later runs)."""
PROGRESS_LIMIT = 64 * 1024
POLL_EVERY = 0.02
"""Seconds between looks at the inbox while training or validating (a listing costs microseconds)."""
PROGRESS_EVERY = 0.25
"""Seconds between rewrites of the progress record."""
TAKEN_PER_POLL = 64
"""Commands taken at one batch boundary at most: a flood is taken a slice at a time, the run going on between."""
ANSWERS_KEPT = 256
"""Answers left for their senders at most (a sender collects its own within seconds)."""
ANSWER_AGE = 60.0
"""Seconds after which an answer nobody collected is dropped (senders wait at most 15 s)."""
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


def own_folder(parent: Folder, name: str) -> Folder:
    """The owner-only subfolder `name` of `parent`, made if need be; an OSError where it is a link,
    or a PermissionError where someone else owns it."""
    folder = parent.sub(name, mode=0o700)
    if os.fstat(folder.fd).st_uid != os.getuid():
        folder.close()
        raise PermissionError(f"{name} belongs to another user")
    os.fchmod(folder.fd, 0o700)
    return folder


def read_command(folder: Folder, name: str, limit: int) -> bytes:
    """The bytes of the regular file `name` in `folder` (never through a link), written by this
    user and by nobody else, at most `limit`; a ValueError saying why not."""
    try:
        fd, info = folder.open_read(name)
    except files.NotRegular:
        raise ValueError("not a regular file") from None
    except OSError as err:
        raise ValueError("a link" if err.errno == errno.ELOOP else f"unreadable ({err.strerror})") from None
    try:
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

    def __init__(self, session: Folder, controls, tunables: tuple[str, ...]):
        self.controls, self.tunables = controls, tunables
        self.session = Folder(session.path, os.dup(session.fd))
        try:
            self.control = own_folder(self.session, CONTROL)
            self.inbox, self.acks = own_folder(self.control, INBOX), own_folder(self.control, ACKS)
        except BaseException:
            self.session.close()
            raise
        self.polled = self.progressed = 0.0
        self.passed_over: set[str] = set()
        """Names in the inbox that could not be removed: logged once, then left alone."""
        self.answered = 0
        for name in self.acks.names():  # answers nobody collected: their senders are gone
            self.acks.remove(name)

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
            self.session.write(PROGRESS, json.dumps(record, allow_nan=True).encode(), sync=False, mode=0o644)
        except OSError:
            pass  # (a full disk: the history write will say so)

    def poll(self, where: dict) -> None:
        """Take the commands waiting in the inbox, oldest first (`TAKEN_PER_POLL` at most); never raises."""
        try:  # (".tmp-": a sender's write in progress)
            names = [n for n in self.inbox.names() if not n.startswith(".tmp-") and n not in self.passed_over]
        except OSError:
            return
        found = []
        for name in names:
            try:
                found.append((self.inbox.lstat(name).st_mtime_ns, name))
            except OSError:
                continue
        for _, name in sorted(found)[:TAKEN_PER_POLL]:
            try:
                self._take(name, where)
            except Exception as err:  # whatever a command holds, the run goes on
                self.log(f"refused {printable(name)[:60]!r}: {type(err).__name__}")
            finally:
                if not self.inbox.remove(name) and len(self.passed_over) < 10_000:
                    self.passed_over.add(name)
                    self.log(f"cannot remove {printable(name)[:60]!r} from the inbox (a folder with something in "
                             "it?): passed over from now on")

    def _take(self, name: str, where: dict) -> None:
        stem = name.removesuffix(".json")
        if not name.endswith(".json") or not _ID.fullmatch(stem):
            self.log(f"refused {printable(name)[:60]!r}: not a command's name")
            return
        try:
            raw = read_command(self.inbox, name, COMMAND_LIMIT)
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
        if op in PLAN_OPS:  # (`aetui tune --at-epoch N`, `--cancel`)
            return Answer(id, **apply_plan(self.controls, command, where))
        if op == "set":
            values = command.get("values")
            if not isinstance(values, dict) or not values or len(values) > len(hparams.HPARAMS):
                return Answer(id, False, "refused: `set` needs values, e.g. {\"beta\": 3}")
            try:  # all or nothing: every value checked before any is applied
                checked = {hparams.spec(str(k), self.tunables).name: hparams.spec(str(k), self.tunables).check(v)
                           for k, v in values.items()}
            except AetuiError as err:
                return Answer(id, False, f"refused: {err}")
            same = {k for k, v in checked.items() if self.controls.value(k) == v}
            for key, value in checked.items():
                self.controls.set(key, value, origin=events.origin_text(str(command.get("from", "?"))))
            step = self.controls.step()
            said = ", ".join(f"{k}={v:g}" + (" (unchanged)" if k in same else "") for k, v in checked.items())
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
            self.acks.write(answer.id + ".json", json.dumps(asdict(answer)).encode(), sync=False, mode=0o600)
        except OSError:
            return
        self.answered += 1
        if self.answered % 32 == 0:
            self.drop_answers()

    def drop_answers(self) -> None:
        """Drop answers nobody collected: those older than `ANSWER_AGE`, the oldest beyond `ANSWERS_KEPT`."""
        try:
            ages = sorted((self.acks.lstat(n).st_mtime, n) for n in self.acks.names())
        except OSError:
            return
        old = time.time() - ANSWER_AGE
        for number, (made, name) in enumerate(ages):
            if made < old or number < len(ages) - ANSWERS_KEPT:
                self.acks.remove(name)

    def log(self, line: str) -> None:
        """One line in `control.log` (no sync: nothing waits on it); at `LOG_LIMIT` it becomes
        `control.log.1`, replacing the one before."""
        text = f"{time.strftime('%Y-%m-%d %H:%M:%S')} {printable(line)}\n".encode()
        try:
            if self.session.append(LOG, text, sync=False, mode=0o600) > LOG_LIMIT:
                os.rename(LOG, OLD_LOG, src_dir_fd=self.session.fd, dst_dir_fd=self.session.fd)
        except OSError:
            pass  # (a FIFO, a link or a full disk: the run goes on unlogged)

    def close(self, where: dict) -> None:
        """The run ended: the last progress, and commands that came too late answered as such."""
        self.progress({**where, "ended": True})
        try:
            names = [n for n in self.inbox.names() if n.endswith(".json") and _ID.fullmatch(n[:-5])]
        except OSError:
            names = []
        for name in names[:ANSWERS_KEPT]:
            self.answer(Answer(name[:-5], False, "the run has ended"), where)
            self.inbox.remove(name)
        for folder in (self.inbox, self.acks, self.control, self.session):
            folder.close()


def sender_folders(session_path: Path) -> tuple[Folder, Folder]:
    """The inbox and the answers of a session's control channel, for a sender: an OSError where
    there is none or it is a link, a PermissionError where another user owns it."""
    with Folder.open(session_path) as session, session.sub(CONTROL, make=False) as control:
        if os.fstat(control.fd).st_uid != os.getuid():
            raise PermissionError(f"{session_path.name}'s control channel belongs to another user")
        inbox = control.sub(INBOX, make=False)
        try:
            return inbox, control.sub(ACKS, make=False)
        except BaseException:
            inbox.close()
            raise
