"""Faults: kills at random moments, a dropped connection, nohup, resume, divergence, a full disk.

Every test here runs the real `aetui` command in a child process and reads the session it left
on disk. The kill stress test runs `AETUI_KILLS` kills (default 12, about forty seconds, two
at a time; the suite's time is kept to ten minutes); set it higher for a longer manual run:
`AETUI_KILLS=500 pytest tests/test_faults.py -k kill`.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import h5py
import pytest

from aetui.core.control.channel import PROGRESS
from aetui.core.store import sessions
from aetui.core.training import trainer
from tests import support

KILLS = int(os.environ.get("AETUI_KILLS", "12"))
EPOCH_LINE = re.compile(r"^epoch\s+(\d+)\s", re.M)


def start(store: Path, *args: str, nohup: bool = False, spawn=support.start) -> subprocess.Popen:
    """`aetui --sessions STORE ARGS...` in a child process, output piped (wide, so lines do not wrap);
    `spawn` is the test's fixture, which ends it when the test ends."""
    argv = support.command(store, *args)
    return spawn(["nohup", *argv] if nohup else argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                 env=support.quiet_env(), preexec_fn=_hangup_default)


def _hangup_default() -> None:
    """In the child: SIGHUP as a terminal's process gets it, even where the tests were started
    with it ignored (under nohup), which the child would inherit."""
    signal.signal(signal.SIGHUP, signal.SIG_DFL)


def wait_for_epoch(child: subprocess.Popen, lines: list[str]) -> int:
    """Read the child's output until it reports a saved epoch; returns that epoch (0 if it ended first)."""
    for line in child.stdout:
        lines.append(line)
        match = EPOCH_LINE.match(line)
        if match:
            return int(match.group(1))
    return 0


def mid_epoch(child: subprocess.Popen, progress: Path, after: int, seconds: float = 120) -> int:
    """Wait until the run's progress record says it is inside an epoch later than `after`, batches
    done; returns that epoch (fails where the run ends first or `seconds` pass)."""
    deadline = time.monotonic() + seconds
    while child.poll() is None and time.monotonic() < deadline:
        try:
            where = json.loads(progress.read_text())
        except (OSError, ValueError):
            where = {"epoch": 0}  # (not written yet, or read while replaced)
        if where["epoch"] > after and 0 < where["batch"] < where["steps"]:
            return where["epoch"]
        time.sleep(0.01)
    raise AssertionError(f"no epoch after {after} under way (the run's exit status: {child.poll()})")


def wait_for_write(store: Path, deadline: float) -> None:
    """Return as soon as a file is being written into a session's snapshots or weights (or at `deadline`)."""
    folders = [f for session in store.iterdir() for f in (session / "snapshots", session / "weights")]
    while time.monotonic() < deadline:
        for folder in folders:
            with os.scandir(folder) as entries:
                if any(e.name.startswith(".tmp-") for e in entries):
                    return
        time.sleep(0.0005)


def check_intact(path: Path, reported: int) -> sessions.Session:
    """The session opens, its history lost at most the epoch in progress, and every file in it is
    whole; its weights are those of the epoch a resume goes on from (the last completed one, or,
    where the kill came between two writes of the weights, the last one written)."""
    session = sessions.open_session(path)
    assert session.epochs_done >= reported, f"epoch {reported} was reported saved but is gone"
    assert not session.problems, session.problems
    lines = (path / sessions.HISTORY).read_text().splitlines() if (path / sessions.HISTORY).exists() else []
    for line in lines:
        json.loads(line)  # no half-written line
    if session.epochs_done:
        session.fixed()
        for epoch in range(1, session.epochs_done + 1):
            session.snapshot(epoch)
        epoch, weights = session.weights()
        assert epoch <= session.epochs_done and trainer.kept_epoch(session) == epoch
        with h5py.File(weights, "r") as h5:  # a complete HDF5 file, every array readable
            h5.visititems(lambda name, item: item[()] if isinstance(item, h5py.Dataset) else None)
    return session


@pytest.mark.slow
def test_kill_at_random_moments_loses_at_most_the_epoch_in_progress(tmp_path):
    """SIGKILL at random moments (starting up, mid-batch, writing a snapshot or the weights), then
    reopen: two lanes, each alternating a fresh run and a resume of the run just killed. The
    history loses at most the epoch in progress; the weights (written every two seconds at most
    when epochs are fast, as these are) at most the epochs since their last write."""
    rng = random.Random(6)
    done = {"kills": 0, "resumed": 0, "mid_write": 0, "epochs": []}
    failures: list[str] = []
    lock = threading.Lock()

    def lane(number: int) -> None:
        store = tmp_path / f"lane{number}"
        previous: Path | None = None
        while True:
            with lock:
                if done["kills"] >= KILLS or failures:
                    return
                done["kills"] += 1
                moment, delay = rng.choices(["startup", "any", "write"], [1, 4, 5])[0], rng.uniform(0.0, 0.8)
            resuming = previous is not None and sessions.open_session(previous).epochs_done > 0
            if resuming:
                child = start(store, "resume", previous.name, "--epochs", "10000")
            else:
                child = start(store, "train", "ae-32", "--dataset", "digits", "--epochs", "10000",
                              "--session", f"run{number}")
            lines: list[str] = []
            try:
                if moment == "startup":  # importing, building, creating the session
                    time.sleep(delay * 5)
                elif moment == "any":  # mid-batch, evaluating, or writing
                    wait_for_epoch(child, lines)
                    time.sleep(delay)
                else:  # the moment a snapshot or the weights are being written
                    wait_for_epoch(child, lines)
                    wait_for_write(store, deadline=time.monotonic() + 3)
                os.killpg(child.pid, signal.SIGKILL)
                lines += child.stdout.readlines()
                child.wait()
                reported = max((int(m) for m in EPOCH_LINE.findall("".join(lines))), default=0)
                found = sorted(store.iterdir()) if store.exists() else []
                if not found:
                    continue  # killed before the session folder was made
                path = previous if resuming else found[-1]
                leftovers = list(path.rglob(".tmp-*"))
                session = check_intact(path, reported)
                assert session.status == "killed"
                with lock:
                    done["resumed"] += resuming
                    done["mid_write"] += bool(leftovers)
                    done["epochs"].append(session.epochs_done)
                previous = path
            except BaseException as err:
                with lock:
                    failures.append(f"lane {number}, {'resume' if resuming else 'fresh'}: {err!r}\n{''.join(lines)}")
                return
            finally:
                if child.poll() is None:
                    os.killpg(child.pid, signal.SIGKILL)
                    child.wait()

    lanes = [threading.Thread(target=lane, args=(n,)) for n in (1, 2)]
    for thread in lanes:
        thread.start()
    for thread in lanes:
        thread.join()
    assert not failures, failures[0]
    print(f"\n{done['kills']} kills, {done['resumed']} of them while resuming, {done['mid_write']} mid-write; "
          f"epochs reached per kill: {done['epochs']}")
    assert done["kills"] >= KILLS and done["resumed"] >= KILLS // 4 and done["mid_write"] >= 1


@pytest.mark.slow
def test_hangup_finishes_the_epoch_then_resume_goes_on(tmp_path, mnist_dir, spawn):
    """Epochs of real MNIST take about a second here: the hangup lands mid-epoch, which is finished."""
    store = tmp_path / "s"
    child = start(store, "train", "vae-2d", "--data", str(mnist_dir), "--epochs", "10000", "--session", "hup",
                  spawn=spawn)
    lines: list[str] = []
    first = wait_for_epoch(child, lines)
    assert first >= 1, "".join(lines)
    # the next epoch under way (between two there is nothing to finish), as the progress record says
    # (rewritten a few times a second): the hangup lands in it or, where it ended meanwhile, after it
    under_way = mid_epoch(child, store / "hup" / PROGRESS, after=first)
    child.send_signal(signal.SIGHUP)
    lines += child.stdout.readlines()
    assert child.wait(timeout=60) == 1
    session = check_intact(store / "hup", first)
    assert session.status == "interrupted" and "SIGHUP" in session.meta.reason
    assert under_way <= session.epochs_done <= under_way + 1  # the epoch in progress was finished and saved
    assert "the connection drops" in "".join(lines)

    done = session.epochs_done
    out = support.aetui(store, "resume", "hup", "--epochs", str(done + 2), "--set", "learning_rate=5e-4")
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"resuming after epoch {done}" in out.stdout
    resumed = check_intact(store / "hup", done + 2)
    assert resumed.status == "finished" and resumed.epochs_done == done + 2
    steps = [e.step for e in resumed.epochs]
    assert steps == [steps[0] * n for n in range(1, done + 3)]  # the step count carried on
    change = resumed.changes[-1]
    assert (change.name, change.new, change.epoch) == ("learning_rate", 5e-4, done + 1)


@pytest.mark.slow
def test_nohup_keeps_a_run_going_through_a_hangup(tmp_path, spawn):
    store = tmp_path / "s"
    child = start(store, "train", "ae-32", "--dataset", "digits", "--epochs", "12", "--session", "bg", nohup=True,
                  spawn=spawn)
    lines: list[str] = []
    assert wait_for_epoch(child, lines) >= 1
    child.send_signal(signal.SIGHUP)
    lines += child.stdout.readlines()
    assert child.wait(timeout=120) == 0
    assert "Running under nohup" in "".join(lines)
    session = sessions.open_session(store / "bg")
    assert session.status == "finished" and session.epochs_done == 12


def test_divergence_is_recorded_and_resume_with_a_lower_rate_recovers(tmp_path):
    store = tmp_path / "s"

    def run(*args):
        return support.aetui(store, *args)

    out = run("train", "vae-2d", "--dataset", "digits", "--epochs", "2", "--session", "ok")
    assert out.returncode == 0, out.stderr
    # A huge KL weight from epoch 3 on: the loss leaves the finite numbers.
    out = run("resume", "ok", "--epochs", "6", "--set", "beta=1e38")
    session = sessions.open_session(store / "ok")
    assert out.returncode == 1 and session.status == "diverged", out.stdout
    assert "weights of epoch" in session.meta.reason and "aetui resume ok" in out.stdout
    kept = session.epochs_done
    out = run("resume", "ok", "--set", "beta=1")
    assert out.returncode == 0, out.stdout + out.stderr
    session = check_intact(store / "ok", kept)
    assert session.status == "finished" and session.epochs_done == 6
    assert all(e.logs["loss"] == e.logs["loss"] for e in session.epochs)  # every recorded epoch finite


def test_resume_refuses_what_it_cannot_do(tmp_path):
    store = tmp_path / "s"

    def run(*args):
        return support.aetui(store, *args)

    assert run("train", "ae-32", "--dataset", "digits", "--epochs", "1", "--session", "one").returncode == 0
    before = {p: p.stat().st_mtime_ns for p in (store / "one").rglob("*")}
    for args, fragment in [(("resume", "one"), "already has 1 of 1 epochs: ask for more than 1 (--epochs N"),
                           (("resume", "nope"), "no session at"),
                           (("resume", "one", "--epochs", "3", "--set", "beta=1"), "unknown hyperparameter 'beta'"),
                           (("resume", "one", "--epochs", "3", "--data", "/no/where"), "no such file or folder")]:
        out = run(*args)
        assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1, out.stderr
        assert fragment in out.stderr and "Traceback" not in out.stderr
    assert before == {p: p.stat().st_mtime_ns for p in (store / "one").rglob("*")}


def test_a_full_disk_stops_the_run_cleanly(tmp_path):
    """A file size limit makes writes fail as a full disk does (EFBIG instead of ENOSPC): the run
    stops with one clear line, and the epochs saved before stay readable."""
    store = tmp_path / "s"
    code = ("import resource, signal, sys; from aetui.cli import main; "
            "signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
            "resource.setrlimit(resource.RLIMIT_FSIZE, (60_000, 60_000)); sys.exit(main(sys.argv[1:]))")
    out = support.run([sys.executable, "-c", code, "--sessions", str(store), "train", "vae-2d", "--dataset",
                       "digits", "--epochs", "50", "--session", "full"])
    assert out.returncode in (1, 2) and "Traceback" not in out.stdout + out.stderr, out.stdout + out.stderr
    assert "cannot write to" in out.stdout + out.stderr
    session = sessions.open_session(store / "full")
    for epoch in range(1, session.epochs_done + 1):
        session.snapshot(epoch)
    assert not list((store / "full").rglob(".tmp-*"))


def test_a_session_store_that_cannot_be_written_is_one_clear_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    out = support.aetui(blocker / "s", "train", "ae-32", "--dataset", "digits", "--epochs", "1")
    assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr
    assert out.stderr.strip().splitlines() == [out.stderr.strip()] and "cannot write to" in out.stderr
    assert blocker.read_text() == "not a folder"
