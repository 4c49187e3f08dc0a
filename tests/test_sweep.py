"""Sweeps: a grid trained as sessions with the local process pool and with Ray in local mode,
retried trials that resume, and bad grids (the workbench side is in tests/ui/test_sweep_ui.py)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from aetui.core.errors import AetuiError
from aetui.core.store import sessions
from aetui.core.sweeps import backends, standings, sweep, worker
from aetui.core.training import trainer
from aetui.views import formats
from tests.support import SWEEP_GRID, aetui, command, local_ray, quiet_env

pytestmark = pytest.mark.slow

GRID = SWEEP_GRID


def check_trials(store: Path, name: str) -> list[sessions.Session]:
    """Every trial of the sweep is a finished session that names its sweep and its grid values."""
    manifest = sweep.find(store, name)
    assert manifest is not None and manifest.grid == GRID and len(manifest.trials) == 4
    trials = standings.trial_sessions(store, manifest)
    assert [t.name for t in trials] == manifest.trials
    combos = sweep.combinations(GRID)
    for trial, combo in zip(trials, combos):
        assert trial.status == "finished" and trial.epochs_done == 1, (trial.name, trial.meta.get("reason"))
        assert trial.meta.sweep == {"name": name, "trial": combos.index(combo), "params": combo}
        assert {k: trial.meta.params[k] for k in combo} == combo
    return trials


def test_local_backend_runs_every_combination_as_a_session(tmp_path):
    out = aetui(tmp_path, "sweep", "sparse-kl", "--grid", "beta=0.5,3", "--grid", "p=0.05,0.1", "--epochs", "1",
                "--dataset", "digits", "--limit", "256", "--name", "loc", "--workers", "2", timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Sweep loc: 4 trials of sparse-kl" in out.stdout and "[4/4]" in out.stdout
    assert "aetui compare loc" in out.stdout
    check_trials(tmp_path, "loc")


def test_ray_backend_in_local_mode(tmp_path, digits, recipes):
    with local_ray():
        plan, trials = sweep.plan(recipes["sparse-kl"], GRID, tmp_path, "ray", {"dataset": "digits", "limit": 256},
                                  epochs=1, backend="ray")
        outcomes = list(backends.run_ray(trials))
    assert sorted(o["name"] for o in outcomes) == sorted(plan.trials)
    assert all(o["status"] == "finished" for o in outcomes), outcomes
    check_trials(tmp_path, "ray")


def test_a_retried_trial_goes_on_from_its_last_epoch(tmp_path, digits, recipes):
    plan, trials = sweep.plan(recipes["ae-32"], {"learning_rate": [1e-3]}, tmp_path, "retry",
                              {"dataset": "digits", "limit": 256}, epochs=3)
    first = trials[0]
    controls = trainer.Controls(recipes["ae-32"].tunables)
    stop_after_one = lambda e: controls.interrupt("the worker died", finish_epoch=True)  # noqa: E731
    trainer.train(recipes["ae-32"], digits, tmp_path, params=first.params, epochs=3, name=first.name,
                  controls=controls, on_event=stop_after_one)
    assert sessions.open_session(tmp_path / first.name).epochs_done == 1
    outcome = worker.run_trial(first)
    session = sessions.open_session(tmp_path / first.name)
    assert outcome["status"] == "finished" and session.epochs_done == 3 and session.meta.resumes == 1


@pytest.mark.parametrize("args, fragment", [
    (["--grid", "gamma=1,2"], "unknown hyperparameter 'gamma'"),
    (["--grid", "p=0.1,1.5"], "p = 1.5 is out of range"),
    (["--grid", "beta"], "write NAME=V1,V2"),
    (["--grid", "beta=1,1"], "a value is repeated"),
    ([], "at least one --grid"),
    (["--grid", "beta=1", "--address", "auto"], "add --backend ray"),
    (["--resume", "loc"], "--resume goes on with the sweep's own recipe, grid and epochs: drop RECIPE"),
])
def test_bad_grids_are_one_clear_line(tmp_path, args, fragment):
    out = aetui(tmp_path / "s", "sweep", "sparse-kl", "--dataset", "digits", *args, timeout=120)
    assert out.returncode == 2 and fragment in out.stderr and len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert not (tmp_path / "s").exists()


def test_a_retry_of_a_trial_that_saved_no_epoch_takes_up_the_same_session(tmp_path, recipes):
    plan, trials = sweep.plan(recipes["ae-32"], {"learning_rate": [1e-3]}, tmp_path, "early",
                              {"dataset": "digits", "limit": 256}, epochs=2)
    first = trials[0]
    controls = trainer.Controls(recipes["ae-32"].tunables)
    controls.interrupt("the worker died")  # before the first batch ends
    from aetui.core import data

    trainer.train(recipes["ae-32"], data.load("digits").limited(256), tmp_path, params=first.params, epochs=2,
                  name=first.name, controls=controls)
    assert sessions.open_session(tmp_path / first.name).epochs_done == 0
    assert worker.run_trial(first)["status"] == "finished"
    assert sorted(p.name for p in tmp_path.iterdir()) == [first.name, "early.sweep.json"]  # no `-2` beside it
    assert sessions.open_session(tmp_path / first.name).epochs_done == 2


def test_trials_are_numbered_when_their_values_do_not_fit_a_name(tmp_path, recipes):
    grid = {"learning_rate": [1e-3, 2e-3], "beta": [1.0], "p": [0.05], "weight_decay": [0.0001234567]}
    plan, trials = sweep.plan(recipes["sparse-kl-wd"], grid, tmp_path, "a-rather-long-sweep-name-for-a-grid-of-four",
                              {"dataset": "digits"}, epochs=1)
    assert [t.name for t in trials] == [f"{plan.name}-t000", f"{plan.name}-t001"]
    assert sweep.trial_names("s", [{"beta": 0.1}, {"beta": 3.0}]) == ["s-beta0.1", "s-beta3"]


def children_of(pid: int) -> list[int]:
    """The processes whose parent is `pid` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM", "SIGKILL"])
def test_stopping_a_local_sweep_leaves_its_trials_resumable(tmp_path, how, spawn):
    """Ctrl-C (or SIGTERM) stops the trials after their batch; so does killing the sweep outright
    (each worker notices its parent is gone), and no worker trains on for nobody. The sweep starts
    with SIGINT ignored, as `aetui sweep ... &` from a script does: SIGINT still stops it."""
    import signal
    import time

    child = spawn(command(tmp_path, "sweep", "ae-32", "--grid", "learning_rate=0.001,0.002,0.003", "--epochs",
                          "10000", "--dataset", "digits", "--name", "stop", "--workers", "2"),
                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=quiet_env(),
                  preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        found = [sessions.open_session(p) for p in tmp_path.iterdir() if (p / sessions.META).exists()]
        if len(found) == 2 and all(s.epochs_done >= 1 for s in found):
            break
        time.sleep(0.3)
    workers = children_of(child.pid)
    child.send_signal(getattr(signal, how))
    out, err = child.communicate(timeout=120)
    if how != "SIGKILL":
        assert child.returncode == 1 and "Traceback" not in out + err, out + err
        assert "Stopping the sweep" in out and "aetui sweep --resume stop" in out
    deadline = time.monotonic() + 60
    while any(Path(f"/proc/{pid}").exists() for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.3)
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()], "a worker outlived its sweep"
    found = [sessions.open_session(p) for p in tmp_path.iterdir() if (p / sessions.META).exists()]
    assert len(found) == 2 and {s.status for s in found} == {"interrupted"}, [(s.name, s.status) for s in found]
    assert all("the sweep was stopped" in s.meta.reason for s in found)


def test_a_stopped_sweep_goes_on_with_its_unfinished_trials(tmp_path, digits, recipes):
    """One trial stopped after an epoch, one never started, one finished: `sweep --resume` runs the
    first two (the first from its saved epoch) and leaves the finished one as it was."""
    grid = {"learning_rate": [1e-3, 2e-3, 3e-3]}
    plan, trials = sweep.plan(recipes["ae-32"], grid, tmp_path, "later", {"dataset": "digits", "limit": 256}, epochs=2)
    controls = trainer.Controls(recipes["ae-32"].tunables)
    stop_after_one = lambda e: controls.interrupt("the machine went down", finish_epoch=True)  # noqa: E731
    trainer.train(recipes["ae-32"], digits, tmp_path, params=trials[0].params, epochs=2, name=trials[0].name,
                  controls=controls, on_event=stop_after_one,
                  extra_meta={"sweep": {"name": "later", "trial": 0, "params": trials[0].params}})
    assert worker.run_trial(trials[2])["status"] == "finished"
    finished_history = (tmp_path / trials[2].name / "history.jsonl").read_bytes()
    assert [t.name for t in sweep.unfinished(tmp_path, sweep.find(tmp_path, "later"))] == [trials[0].name,
                                                                                            trials[1].name]

    def sweep_cmd(*args):
        return aetui(tmp_path, "sweep", *args, timeout=600)

    listing = aetui(tmp_path, "ls", timeout=120).stdout
    assert "learning_rate=0.001,0.002,0.003" in listing and "1/3 finished, 1 interrupted, 1 waiting" in listing
    held = sweep.hold(tmp_path, "later")  # as if another `aetui sweep --resume later` were at it
    out = sweep_cmd("--resume", "later")
    os.close(held)
    assert out.returncode == 2 and "sweep later is being run by another `aetui sweep` process" in out.stderr
    out = sweep_cmd("--resume", "later", "--workers", "1")
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"going on with 2 of its 3 trials ({trials[0].name}, {trials[1].name})" in out.stdout
    runs = {t.name: sessions.open_session(tmp_path / t.name) for t in trials}
    assert all(s.status == "finished" and s.epochs_done == 2 for s in runs.values())
    assert runs[trials[0].name].meta.resumes == 1 and runs[trials[1].name].meta.resumes == 0
    assert runs[trials[1].name].meta.sweep == {"name": "later", "trial": 1, "params": {"learning_rate": 2e-3}}
    assert (tmp_path / trials[2].name / "history.jsonl").read_bytes() == finished_history
    best = min(runs.values(), key=lambda s: s.epochs[-1].stats["test_mse_pixel"])  # over the whole sweep
    error = formats.pixel_error(best.epochs[-1].stats["test_mse_pixel"])
    assert f"Best: {best.name} (test MSE/pixel {error}; its val loss" in out.stdout
    columns, ranked = standings.ranking(list(runs.values()), ["learning_rate"])  # compare's sweep table
    assert ranked[0][0] == best.meta.sweep["params"]["learning_rate"]  # names the same best trial
    out = sweep_cmd("--resume", "later")
    assert out.returncode == 0 and "every trial is done" in out.stdout
    out = sweep_cmd("--resume", "nope")
    assert out.returncode == 2 and out.stderr.strip() == f"aetui: no sweep called 'nope' in {tmp_path} " \
                                                          "(`aetui ls` lists them)"


def test_a_damaged_manifest_is_refused_in_one_line(tmp_path, recipes):
    plan, _ = sweep.plan(recipes["ae-32"], {"learning_rate": [1e-3]}, tmp_path, "hurt", {"dataset": "digits"}, epochs=1)
    path = tmp_path / "hurt.sweep.json"
    good = json.loads(path.read_text())
    for field, bad in (("data", {"dataset": 3}), ("data", {"dataset": "digits", "limit": "all"}), ("spec", []),
                       ("epochs", "1"), ("batch_size", True)):
        path.write_text(json.dumps({**good, field: bad}))
        with pytest.raises(AetuiError, match="hurt.sweep.json is not a readable sweep"):
            sweep.find(tmp_path, "hurt")
    path.write_text(json.dumps({**good, "spec": {**good["spec"], "kind": "os.system"}}))
    before = sorted((p.name, p.stat().st_mtime_ns) for p in tmp_path.iterdir())
    out = aetui(tmp_path, "sweep", "--resume", "hurt", timeout=120)
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1 and "os.system" in out.stderr, out.stderr
    assert sorted((p.name, p.stat().st_mtime_ns) for p in tmp_path.iterdir()) == before


def test_resume_refuses_what_it_cannot_take_up(tmp_path, recipes):
    from aetui.core.store import locks

    plan, trials = sweep.plan(recipes["ae-32"], {"learning_rate": [1e-3, 2e-3]}, tmp_path, "held",
                              {"dataset": "digits", "limit": 256}, epochs=2)
    controls = trainer.Controls(recipes["ae-32"].tunables)
    controls.interrupt("set up only")
    from aetui.core import data

    trainer.train(recipes["ae-32"], data.load("digits").limited(256), tmp_path, params=trials[0].params, epochs=2,
                  name=trials[0].name, controls=controls)
    meta = tmp_path / trials[0].name / sessions.META
    meta.write_text(json.dumps({**json.loads(meta.read_text()), "status": "running"}))  # taken up elsewhere
    fd = locks.take(tmp_path / trials[0].name / sessions.LOCK)  # trained by `aetui resume` elsewhere
    try:
        with pytest.raises(AetuiError, match=f"trial {trials[0].name} of sweep held is being trained by another"):
            sweep.unfinished(tmp_path, plan)
    finally:
        os.close(fd)
    older = sweep.Sweep(**{**vars(plan), "spec": None, "data": None})
    with pytest.raises(AetuiError, match="planned by an older aetui"):
        sweep.unfinished(tmp_path, older)
    manifest = tmp_path / "held.sweep.json"
    manifest.write_text(json.dumps({**json.loads(manifest.read_text()),
                                    "data": {"dataset": "mnist", "path": str(tmp_path / "moved"), "limit": None}}))
    out = aetui(tmp_path, "sweep", "--resume", "held", timeout=120)
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert "sweep held: its data cannot be loaded" in out.stderr and "give it with --data PATH" in out.stderr


def test_a_ray_sweep_without_ray_is_one_line_with_a_command_that_installs_it_and_leaves_nothing(tmp_path):
    """Ray hidden from the child (a `ray` module that cannot be imported, first on its path): the
    refusal names the pip of the Python running aetui and where this aetui was installed from."""
    hidden = tmp_path / "hidden"
    hidden.mkdir()
    (hidden / "ray.py").write_text("raise ImportError('no Ray here')\n")
    store = tmp_path / "sessions"
    out = aetui(store, "sweep", "ae-32", "--grid", "lr=0.001,0.01", "--epochs", "1", "--dataset", "digits",
                "--backend", "ray", env={"PYTHONPATH": str(hidden)})
    assert out.returncode == 2 and out.stdout == ""
    (line,) = out.stderr.strip().splitlines()
    from aetui.core.errors import install_hint

    assert "needs Ray" in line and line.endswith(install_hint("ray")) and "pip install" in line
    assert not store.exists() or not any(store.iterdir())  # (no manifest, no lock)


def test_the_install_hint_names_where_this_aetui_came_from():
    import json
    from importlib import metadata

    from aetui.core.errors import install_hint

    hint = install_hint("ray")
    origin = json.loads(metadata.distribution("aetui").read_text("direct_url.json") or "{}").get("url", "")
    assert "-m pip install" in hint and "[ray]" in hint
    if origin.startswith("file://"):  # (a checkout or a wheel: that path, not an index that has no aetui)
        assert origin.removeprefix("file://") in hint
