"""Runs that outlive the terminal, with real processes: started detached, tuned from a shell and
from attached workbenches (two at once), sweep trials tuned on both backends, and the workbench's
own run going on in the background when its terminal is killed or the user quits keeping it.
Every process a test starts is ended when it ends, passed or failed."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from aetui.core import data
from aetui.core.control import remote
from aetui.core.store import sessions
from tests.support import (
    Tmux,
    aetui,
    command,
    local_ray,
    long_recipe,
    quiet_env,
    until,
    wait_for,
)

pytestmark = pytest.mark.slow
needs_tmux = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


def detached(store: Path, *args: str) -> tuple[Path, int]:
    """`aetui train ARGS --detach`: the session it made and the background process's pid (killed
    when the test ends: conftest.no_run_outlives_its_test)."""
    started = time.monotonic()
    out = aetui(store, "train", *args, "--detach")
    found = re.search(r"^(\S+) trains in the background \(process (\d+)\)", out.stdout, re.MULTILINE)
    assert out.returncode == 0 and found, out.stdout + out.stderr
    assert time.monotonic() - started < 90
    return store / found.group(1), int(found.group(2))


def epochs_done(path: Path) -> int:
    return sessions.open_session(path).epochs_done


def status(path: Path) -> str:
    return sessions.open_session(path).status


def test_a_detached_run_on_real_data_is_tuned_paused_and_stopped_from_a_shell(tmp_path, mnist_dir):
    store = tmp_path / "s"
    path, pid = detached(store, "sparse-kl", "--data", str(mnist_dir), "--limit", "4096",
                         "--epochs", "500", "--session", "far")
    assert os.getsid(pid) == pid  # its own process session: no terminal's hangup reaches it
    wait_for(lambda: epochs_done(path) >= 1, what="a first epoch")
    tuned = aetui(store, "tune", "far", "--set", "beta=5", "--set", "p=0.1")
    said = re.search(r"far: beta=5, p=0\.1 from step (\d+) \(epoch (\d+)\)", tuned.stdout)
    assert tuned.returncode == 0 and said, tuned.stdout + tuned.stderr
    step, epoch = int(said.group(1)), int(said.group(2))
    wait_for(lambda: len(sessions.open_session(path).changes) == 2, 30, "the changes in the history")
    assert {(c.name, c.new, c.step, c.epoch) for c in sessions.open_session(path).changes} == {
        ("beta", 5.0, step, epoch), ("p", 0.1, step, epoch)}  # the answer is what the history records
    assert {c.origin.split(" pid ")[0] for c in sessions.open_session(path).changes} == {remote.sender().split(" pid ")[0]}
    refused = aetui(store, "tune", "far", "--set", "beta=-1")
    assert refused.returncode == 2 and refused.stderr.strip().count("\n") == 0 and "out of range" in refused.stderr
    paused = aetui(store, "pause", "far")
    assert paused.returncode == 0 and re.search(r"paused from step \d+ \(epoch \d+\)", paused.stdout)
    wait_for(lambda: (remote.read_progress(path) or {}).get("paused"), 30, "the pause")
    listed = aetui(store, "ls").stdout
    assert re.search(r"^far\s+paused\s", listed, re.M), listed  # (a paused run is not listed as at work)
    assert aetui(store, "continue", "far").returncode == 0
    stopped = aetui(store, "stop", "far")
    assert stopped.returncode == 0 and "stops after step" in stopped.stdout
    wait_for(lambda: status(path) == "stopped", 60, "the stop")
    # the last console line is written just after the session records its status
    wait_for(lambda: "stopped" in (path / "console.log").read_text(), 30, "the console log's last line")
    console = (path / "console.log").read_text()
    assert "epoch   1" in console and "beta: 3 -> 5 from step" in console and "stopped" in console
    late = aetui(store, "tune", "far", "--set", "beta=1")
    assert late.returncode == 2 and "far is not running (stopped)" in late.stderr


def test_detach_says_in_one_line_why_a_run_could_not_start(tmp_path):
    out = aetui(tmp_path / "s", "train", "ae-32", "--data", str(tmp_path / "nowhere"), "--detach")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr.strip().splitlines()[-1].startswith("aetui: ") and "nowhere" in out.stderr
    assert not [p for p in (tmp_path / "s").iterdir() if not p.name.startswith(".")] if (tmp_path / "s").exists() \
        else True
    assert not list((tmp_path / "s").glob(".detached-*")) if (tmp_path / "s").exists() else True


async def test_two_attached_workbenches_follow_one_run_and_see_every_change(tmp_path):
    from aetui.ui.app import AetuiApp
    from aetui.ui.screens.train import TrainScreen
    from aetui.ui.widgets.param_slider import ParamSlider

    store = tmp_path / "s"
    path, _ = detached(store, "sparse-kl", "--dataset", "digits", "--epochs", "3000",
                         "--batch-size", "16", "--session", "shared")
    wait_for(lambda: epochs_done(path) >= 1, what="a first epoch")

    def app():
        return AetuiApp(store, lambda: data.load("digits").limited(64), warm_up=False, opening=[path])

    def slider(a, name) -> float:
        return a.screen.query_one(f"#slider-{name}", ParamSlider).value

    one, two = app(), app()
    async with one.run_test(size=(160, 48)) as p1, two.run_test(size=(120, 36)) as p2:
        for a, p in ((one, p1), (two, p2)):
            await until(p, lambda a=a: isinstance(a.screen, TrainScreen) and a.runner.attached == path, 60)
            await until(p, lambda a=a: a.runner.state.snapshot is not None and a.runner.state.batches, 60)
        done = len(one.runner.state.epochs)
        await until(p1, lambda: len(one.runner.state.epochs) > done, 60)  # epochs follow, live
        one.screen.query_one("#slider-beta", ParamSlider).set_value(4.5)
        await until(p1, lambda: any(c.name == "beta" and c.new == 4.5 for c in one.runner.state.changes), 60)
        change = next(c for c in sessions.open_session(path).changes if c.name == "beta")
        assert change.new == 4.5 and change.step > 0
        await until(p2, lambda: slider(two, "beta") == 4.5, 60)  # the other workbench sees it
        tuned = await asyncio_run(lambda: aetui(store, "tune", "shared", "--set", "p=0.1"))
        assert tuned.returncode == 0, tuned.stderr
        for a, p in ((one, p1), (two, p2)):  # and a change from a shell, both of them
            await until(p, lambda a=a: slider(a, "p") == 0.1, 60)
        await p1.press("escape")  # leaves the run going
        await until(p1, lambda: not one.runner.active, 60)
        assert status(path) == "running"
        await p2.press("space")  # pauses it, through the channel
        await until(p2, lambda: two.runner.state.status == "paused", 60)
        await p2.press("s")
        await until(p2, lambda: two.runner.state.status == "stopped", 60)
    wait_for(lambda: status(path) == "stopped", 30, "stopped")


async def asyncio_run(blocking):
    """Run a blocking call (a child process) in a thread, so the apps under test go on meanwhile."""
    import asyncio

    return await asyncio.get_running_loop().run_in_executor(None, blocking)


def test_a_local_sweep_trial_is_tuned_and_stopped_through_its_channel(tmp_path, spawn):
    child = spawn(command(tmp_path, "sweep", "sparse-kl", "--grid", "beta=3", "--epochs", "3000", "--dataset",
                          "digits", "--batch-size", "16", "--name", "sw", "--workers", "1"),
                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=quiet_env())
    wait_for(lambda: [p for p in tmp_path.iterdir() if (p / sessions.META).exists() and epochs_done(p) >= 1],
             what="the trial's first epoch")
    trial = next(p for p in tmp_path.iterdir() if (p / sessions.META).exists())
    tuned = aetui(tmp_path, "tune", trial.name, "--set", "beta=1.5")
    assert tuned.returncode == 0 and "beta=1.5 from step" in tuned.stdout, tuned.stdout + tuned.stderr
    wait_for(lambda: sessions.open_session(trial).changes, 30, "the change recorded")
    assert aetui(tmp_path, "stop", trial.name).returncode == 0
    child.communicate(timeout=120)
    assert status(trial) == "stopped" and sessions.open_session(trial).changes[0].new == 1.5


def test_a_ray_sweep_trial_is_tuned_through_its_channel(tmp_path, digits, recipes):
    from aetui.core.sweeps import backends, sweep

    with local_ray(cpus=1):
        plan, trials = sweep.plan(recipes["sparse-kl"], {"beta": [3.0]}, tmp_path, "rs", {"dataset": "digits"},
                                  epochs=3000, batch_size=16, backend="ray")
        outcomes: list = []
        runner = threading.Thread(target=lambda: outcomes.extend(backends.run_ray(trials)), daemon=True)
        runner.start()
        trial = tmp_path / plan.trials[0]
        wait_for(lambda: (trial / sessions.META).exists() and epochs_done(trial) >= 1, 180, "the Ray trial's epoch")
        answer = remote.send(trial, "set", {"beta": 0.5})
        assert answer.ok, answer
        wait_for(lambda: sessions.open_session(trial).changes, 30, "the change recorded")
        assert remote.send(trial, "stop").ok
        runner.join(120)
        assert outcomes and outcomes[0]["status"] == "stopped", outcomes
    change = sessions.open_session(trial).changes[0]
    assert (change.name, change.new, change.step) == ("beta", 0.5, answer.step)


# --- the workbench's own run goes on without its terminal --------------------------------------------

@needs_tmux
@pytest.mark.parametrize("how", ["terminal killed", "quit keeping it"])
def test_the_workbench_s_run_goes_on_in_the_background_and_finishes(tmp_path, how):
    """The workbench trains ae-32 for 25 epochs on the digits; its terminal is killed (a dropped SSH
    connection), or the user quits choosing to keep the run: the epoch in progress is saved, a
    background process takes the run over, the history says so, and the session ends `finished`."""
    store = tmp_path / "store"
    name = f"aetui-keep-{os.getpid()}-{how[0]}"
    long_recipe(tmp_path, 25)
    cmd = f"cd {tmp_path} && exec {shlex.quote(sys.executable)} -m aetui --dataset digits --sessions {store}"
    subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", "100", "-y", "30", cmd], check=True)
    pid = int(subprocess.run(["tmux", "display-message", "-p", "-t", name, "#{pane_pid}"],
                             capture_output=True, text=True, check=True).stdout)
    term = Tmux(name)
    try:
        term.train_long()
        if how == "quit keeping it":
            term.keys("q")
            term.wait_for("Keep it running in the background")
            term.keys("k")
            wait_for(lambda: not Path(f"/proc/{pid}").exists() or _zombie(pid), 60, "the workbench to end")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)
    folder = next(p for p in store.iterdir() if p.is_dir())
    wait_for(lambda: sessions.open_session(folder).meta.resumes >= 1, 60, "the background process taking over")
    wait_for(lambda: status(folder) == "finished", 180, "the run to finish in the background")
    session = sessions.open_session(folder)
    assert session.epochs_done == 25
    resumed = [e for e in session.history if type(e).__name__ == "TrainingResumed"]
    assert len(resumed) == 1 and resumed[0].previous.startswith("interrupted: ")  # the history says so
    assert "handed over to a background process" in resumed[0].previous
    handed = int(re.search(r"after (\d+) complete epoch", resumed[0].previous).group(1))
    assert resumed[0].epoch == handed >= 1  # every epoch trained was kept, and it went on from there
    # the process writes its last console line just after it records `finished`: wait for it
    wait_for(lambda: "finished" in (folder / "console.log").read_text(), 30, "the console log's last line")


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True
