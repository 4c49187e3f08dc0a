"""Attaching to runs in other processes: how soon a change is applied, how soon an epoch shows, what
a detached run and the channel cost. Prints one JSON line (bench/run.py runs it as `attach`).

    python bench/attach.py MNIST_DIR

- tune: `remote.send` to a detached `sparse-kl` run on MNIST, 10 times, against its batch time
  (goal: applied within one batch + 200 ms); beside it the in-process figure (a slider of the
  workbench's own run: `Controls.set` assigns the variable at once, in force from the next batch).
- epoch to view: a `Follower` polling as the attached workbench does sees each new epoch line how
  long after the trainer wrote it (goal: within 1 s).
- detached / foreground: samples/s of `aetui train ae-32` with and without `--detach`,
  alternating, five each (goal >= 0.95): the ratio of the medians, and of the best runs (this VM
  halves a run's throughput now and then, whatever runs: the best runs compare the processes).
- polling: what `Channel.beat` costs per second of training at these batch rates (goal <= 1%).
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aetui.core import events  # noqa: E402
from aetui.core.control import channel, remote  # noqa: E402
from aetui.core.control.follow import Follower  # noqa: E402
from aetui.core.store import sessions  # noqa: E402


def aetui(store: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "aetui", "--sessions", str(store), *args], capture_output=True,
                          text=True, cwd=ROOT, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}, timeout=600)


def detach(store: Path, *args: str) -> tuple[Path, int]:
    out = aetui(store, "train", *args, "--detach")
    found = re.search(r"^(\S+) trains in the background \(process (\d+)\)", out.stdout, re.MULTILINE)
    if not found:
        raise RuntimeError(out.stdout + out.stderr)
    return store / found.group(1), int(found.group(2))


def wait(condition, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError("timed out")
        time.sleep(0.05)


def rate(path: Path) -> float:
    """Median samples/s of the epochs after the first (which holds tracing)."""
    return statistics.median(e.samples_per_s for e in sessions.open_session(path).epochs[1:])


def tune_and_follow(store: Path, mnist: str) -> dict:
    path, pid = detach(store, "sparse-kl", "--data", mnist, "--epochs", "1000", "--session", "tuned")
    try:
        wait(lambda: sessions.open_session(path).epochs_done >= 1)
        follower = Follower(path)
        follower.poll()
        history = path / sessions.HISTORY
        seen_after: list[float] = []
        latencies: list[float] = []
        values = [3.0, 4.0] * 10
        pauses = random.Random(0)
        for value in values:  # at moments spread over the epoch: batches, validation, the snapshot
            started = time.perf_counter()
            answer = remote.send(path, "set", {"beta": value})
            latencies.append((time.perf_counter() - started) * 1000)
            assert answer.ok, answer
            time.sleep(pauses.uniform(0.1, 0.6))
        done = sessions.open_session(path).epochs_done
        while len(seen_after) < 5:  # five epochs as an attached view sees them
            for event in follower.poll():
                if isinstance(event, events.EpochEnded) and event.epoch > done:
                    seen_after.append(time.time() - os.stat(history).st_mtime)
            time.sleep(0.1)  # (the workbench's follower polls as often: runner.FOLLOW_EVERY)
        session = sessions.open_session(path)
        steps = session.epochs[-1].step / session.epochs[-1].epoch
        batch_ms = statistics.median(e.seconds for e in session.epochs[1:]) / steps * 1000
    finally:
        os.killpg(pid, signal.SIGKILL)
    return {"tune_ms": latencies, "tune_p50_ms": statistics.median(latencies), "tune_max_ms": max(latencies),
            "tune_p90_ms": sorted(latencies)[int(0.9 * len(latencies))],
            "batch_ms": batch_ms, "epoch_seen_s": seen_after, "epoch_seen_max_s": max(seen_after)}


def in_process() -> float:
    """Microseconds for `Controls.set` on a live model's variable (in force from the next batch)."""
    import keras

    from aetui.core.training.controls import Controls

    variable = keras.Variable(3.0)

    class Knobs:
        def values(self):
            return {"beta": float(variable.numpy())}

        def assign(self, name, value):
            variable.assign(value)

    controls = Controls(("beta",))
    controls.attach(Knobs(), lambda: 0)
    started = time.perf_counter()
    for n in range(200):
        controls.set("beta", 3.0 + n % 2)
    return (time.perf_counter() - started) / 200 * 1e6


def detached_vs_foreground(store: Path, mnist: str, reps: int = 5) -> dict:
    fore, back = [], []
    for rep in range(reps):
        for mode in (("fore", "back") if rep % 2 == 0 else ("back", "fore")):
            name = f"{mode}-{rep}"
            args = ("ae-32", "--data", mnist, "--epochs", "8", "--session", name)
            if mode == "fore":
                out = aetui(store, "train", *args)
                assert out.returncode == 0, out.stderr
                fore.append(rate(store / name))
            else:
                path, pid = detach(store, *args)
                try:
                    while _alive(pid):  # (looked at twice a second: the bench takes no CPU from the run)
                        time.sleep(0.5)
                finally:
                    if _alive(pid):
                        os.killpg(pid, signal.SIGKILL)
                back.append(rate(path))
    return {"foreground": fore, "detached": back, "ratio": statistics.median(back) / statistics.median(fore),
            "best_ratio": max(back) / max(fore)}


def _alive(pid: int) -> bool:
    """Whether the background process is still there (it is no child of this one: no zombie)."""
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def polling(batch_ms: float) -> dict:
    """The channel's cost per second of training: a beat every batch, a look at the inbox every
    `POLL_EVERY`, the progress record every `PROGRESS_EVERY` (measured on a real session folder)."""
    from aetui.core.store.files import Folder, open_dir
    from aetui.core.training.controls import Controls

    folder = Path(tempfile.mkdtemp())
    fd = open_dir(folder)
    try:
        chan = channel.Channel(Folder(folder, fd), Controls(("beta",)), ("beta",))
        where = {"epoch": 1, "batch": 1, "steps": 89, "step": 1, "epochs": 30, "logs": {"loss": 0.1, "recon": 0.1}}
        n = 20_000
        started = time.perf_counter()
        for _ in range(n):
            chan.beat(where)
        per_beat = (time.perf_counter() - started) / n  # (mostly the clock check; real looks at 10 and 4 per s)
        started = time.perf_counter()
        for _ in range(200):
            chan.poll(where)
        per_poll = (time.perf_counter() - started) / 200
        started = time.perf_counter()
        for _ in range(200):
            chan.progress(where)
        per_write = (time.perf_counter() - started) / 200
        chan.close(where)
    finally:
        os.close(fd)
        shutil.rmtree(folder, ignore_errors=True)
    per_second = per_beat * (1000 / batch_ms) + per_poll / channel.POLL_EVERY + per_write / channel.PROGRESS_EVERY
    return {"beat_us": per_beat * 1e6, "poll_us": per_poll * 1e6, "progress_us": per_write * 1e6,
            "share": per_second}


def main() -> None:
    mnist = sys.argv[1]
    store = Path(tempfile.mkdtemp(prefix="aetui-bench-attach-"))
    try:
        tuned = tune_and_follow(store, mnist)
        result = {**tuned, "in_process_set_us": in_process(),
                  "detached": detached_vs_foreground(store, mnist), "polling": polling(tuned["batch_ms"])}
    finally:
        shutil.rmtree(store, ignore_errors=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
