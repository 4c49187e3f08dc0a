"""A trainer hears SIGTERM and SIGINT whatever its files are doing: each file a running `aetui
train` writes is blocked in turn (a FIFO in place of `control.log`, `history.jsonl`,
`progress.json` and a detached run's `console.log`; a full disk; a folder made read-only), then
the signal comes: the process ends within 5 s, and every epoch written before the block is still
there, its snapshot and the weights a resume goes on from with it. Real processes, real files."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from aetui.core.control import channel, remote
from aetui.core.store import sessions
from aetui.core.training import trainer
from tests.support import aetui, command, copied, quiet_env, wait_for

pytestmark = pytest.mark.slow
STOP_WITHIN = 5.0


def training_run(store: Path, spawn, log: Path) -> tuple[subprocess.Popen, Path]:
    """`aetui train` of ae-32 on the digits for ever (one batch an epoch), at its third epoch."""
    with open(log, "w") as out:  # (the test's own file: a pipe nobody reads would fill and block it)
        child = spawn(command(store, "train", "ae-32", "--dataset", "digits", "--limit", "256", "--epochs",
                              "100000", "--session", "run"), stdout=out, stderr=subprocess.STDOUT, env=quiet_env())
    path = store / "run"
    wait_for(lambda: (path / sessions.META).exists() and done(path) >= 3, 120, "three epochs")
    return child, path


def done(path: Path) -> int:
    return sessions.open_session(path).epochs_done


def stops_in_time(child: subprocess.Popen, signum: int) -> None:
    """The trainer, sent `signum`, is gone within `STOP_WITHIN` seconds (it may have stopped itself)."""
    time.sleep(1.0)  # (it meets the blocked file meanwhile)
    with contextlib.suppress(ProcessLookupError):
        os.kill(child.pid, signum)
    started = time.monotonic()
    child.wait(timeout=STOP_WITHIN)
    assert time.monotonic() - started <= STOP_WITHIN


def kept(path: Path, before: int) -> sessions.Session:
    """Every epoch written before the block is there, with its snapshot, and the weights of the
    epoch a resume goes on from."""
    session = sessions.open_session(path)
    assert session.epochs_done >= before, (session.epochs_done, before)
    for epoch in range(1, session.epochs_done + 1):
        session.snapshot(epoch)
    found = session.weights()
    assert found is not None and found[0] == trainer.kept_epoch(session) >= 1, found
    return session


def test_a_fifo_as_control_log(tmp_path, spawn):
    child, path = training_run(tmp_path / "s", spawn, tmp_path / "out.log")
    os.mkfifo(path / channel.LOG)  # (nobody reads it: opening it to write would wait for ever)
    before = done(path)
    (path / channel.CONTROL / channel.INBOX / "not-a-command").write_text("x")  # (a refusal to log)
    wait_for(lambda: not (path / channel.CONTROL / channel.INBOX / "not-a-command").exists(), 30, "the refusal")
    wait_for(lambda: done(path) > before + 1, 30, "it trains on")
    stops_in_time(child, signal.SIGINT)
    assert kept(path, before).status == "stopped"


def test_a_fifo_swapped_in_for_the_history(tmp_path, spawn):
    child, path = training_run(tmp_path / "s", spawn, tmp_path / "out.log")
    (path / sessions.HISTORY).rename(path / "history.saved")
    os.mkfifo(path / sessions.HISTORY)
    before = sessions.open_session(path).meta.epochs_done
    stops_in_time(child, signal.SIGTERM)
    assert "history.jsonl is not a regular file" in (tmp_path / "out.log").read_text()
    (path / sessions.HISTORY).unlink()
    (path / "history.saved").rename(path / sessions.HISTORY)
    kept(path, before)


def test_a_fifo_as_the_progress_record(tmp_path, spawn):
    child, path = training_run(tmp_path / "s", spawn, tmp_path / "out.log")
    (path / channel.PROGRESS).unlink()
    os.mkfifo(path / channel.PROGRESS)
    remote.read_progress(path)  # (returns at once: a FIFO is refused, never waited on)
    before = done(path)
    wait_for(lambda: (path / channel.PROGRESS).is_file(), 30, "the record written anew over the FIFO")
    stops_in_time(child, signal.SIGINT)
    kept(path, before)


def test_a_fifo_as_a_detached_run_s_console_log(tmp_path, trained):
    path = copied(trained, tmp_path)
    os.mkfifo(path / "console.log")
    out = aetui(tmp_path / "sessions", "resume", "run", "--epochs", "100000", "--detach", timeout=90)
    found = re.search(r"trains in the background \(process (\d+)\)", out.stdout)
    assert out.returncode == 0 and found, out.stdout + out.stderr
    pid = int(found.group(1))
    wait_for(lambda: done(path) >= 3, 120, "three epochs in the background")
    assert (path / "console.log").is_file() and "Session run: resuming" in (path / "console.log").read_text()
    os.kill(pid, signal.SIGTERM)
    wait_for(lambda: gone(pid), STOP_WITHIN, "the detached trainer to end")
    assert kept(path, 3).status == "interrupted"
    assert not [p for p in (tmp_path / "sessions").iterdir() if p.name.startswith(".detached")]


def gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def test_a_full_disk(tmp_path, spawn):
    disk = tmp_path / "disk"
    with tmpfs(disk, "24m"):
        child, path = training_run(disk / "s", spawn, tmp_path / "out.log")
        before = done(path)
        with contextlib.suppress(OSError), open(disk / "filler", "wb") as filler:
            while True:
                filler.write(bytes(1 << 20))
        stops_in_time(child, signal.SIGTERM)
        assert "No space left on device" in (tmp_path / "out.log").read_text()
        (disk / "filler").unlink()
        kept(path, before)


def test_a_session_folder_made_read_only(tmp_path, spawn):
    child, path = training_run(tmp_path / "s", spawn, tmp_path / "out.log")
    before = done(path)
    with read_only(path / sessions.HISTORY, path):
        stops_in_time(child, signal.SIGINT)
    assert "cannot write to" in (tmp_path / "out.log").read_text()
    kept(path, before)


@contextlib.contextmanager
def tmpfs(where: Path, size: str):
    """A small tmpfs at `where` for the test (skipped where none can be mounted: root is needed)."""
    where.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True,
                          text=True)
    if made.returncode:
        pytest.skip(f"no tmpfs can be mounted here to fill ({made.stderr.strip()})")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


@contextlib.contextmanager
def read_only(*paths: Path):
    """`paths` made read-only for the test: immutable (`chattr +i`) as root, whom modes do not stop,
    else without write permission; as they were afterwards."""
    root = os.geteuid() == 0
    done_: list[Path] = []
    try:
        for path in paths:
            if root:
                made = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
                if made.returncode:
                    pytest.skip(f"cannot make {path.name} immutable here ({made.stderr.strip()})")
            else:
                path.chmod(path.stat().st_mode & ~0o222)
            done_.append(path)
        yield
    finally:
        for path in done_:
            if root:
                subprocess.run(["chattr", "-i", str(path)], capture_output=True)
            else:
                path.chmod(path.stat().st_mode | 0o200)
