"""The run a train screen starts and steers (`aetui.ui.screens.train_run.TrainRun`), on its own: the
values its next start uses, what each key does to the run, what `u` can resume and the line that
says where the run is, over a stand-in for the workbench's runner (the screen with the real one:
test_app.py, test_walk.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from aetui.core.errors import AetuiError
from aetui.core.runstate import RunState
from aetui.core.store import sessions
from aetui.core.training.controls import Controls
from aetui.ui.screens.train_run import TrainRun
from aetui.ui.workbench import Workbench
from aetui.views.terminal import Graphics
from tests.support import synthetic_session


class Runner:
    """The runner's calls a `TrainRun` makes, recorded; `start` makes a run in progress."""

    def __init__(self):
        self.state: RunState | None = None
        self.recipe = None
        self.settings: dict[str, int] = {}
        self.active, self.attached, self.controls = False, None, None
        self.calls: list[tuple] = []

    def start(self, recipe, params, epochs, batch_size, data_ready, resume=None) -> None:
        self.calls.append(("start", dict(params), epochs, batch_size, resume))
        self.recipe, self.active, self.controls = recipe, True, Controls(recipe.tunables)
        self.state = RunState(session="run-1", recipe=recipe.name, epochs_total=epochs, status="running")

    def ended(self, status: str) -> None:
        self.active = False
        self.state.status = status
        self.state.epochs = [object()]

    def __getattr__(self, name: str):  # toggle_pause, stop, set, detach: recorded
        return lambda *args: self.calls.append((name, *args))

    async def wait(self) -> None:
        self.calls.append(("wait",))


@pytest.fixture
def workbench(tmp_path) -> Workbench:
    return Workbench(tmp_path / "sessions", Graphics("halfblock", "test"), Runner(), lambda: None)


def test_a_screen_starts_from_its_recipe_s_values_or_from_its_run_in_progress(recipes, workbench):
    r = recipes["sparse-kl"]
    fresh = TrainRun(r, workbench)
    assert fresh.params == r.params and fresh.settings == {"epochs": r.train["epochs"],
                                                          "batch_size": r.train["batch_size"]}
    assert fresh.state is None and "ready · space starts" in fresh.status_line().plain
    fresh.change("beta", 4.0)
    fresh.change("epochs", 3.0)
    assert fresh.start() and workbench.runner.calls[-1] == ("start", {**r.params, "beta": 4.0}, 3,
                                                            r.train["batch_size"], None)
    workbench.runner.state.params, workbench.runner.settings = {**r.params, "beta": 4.0}, {"epochs": 3}
    back = TrainRun(r, workbench)  # the screen opened again on the run in progress
    assert back.params["beta"] == 4.0 and back.settings["epochs"] == 3 and back.running
    assert TrainRun(recipes["ae-32"], workbench).state is None  # another recipe's screen: not its run


def test_the_keys_act_on_the_run_in_progress_only(recipes, workbench):
    run, runner = TrainRun(recipes["sparse-kl"], workbench), workbench.runner
    assert not run.stop() and runner.calls == []
    run.change("beta", 2.0)  # before a start: the next start's value only
    assert runner.calls == []
    run.start()
    run.change("beta", 5.0)
    run.pause_or_go_on()
    assert runner.calls[1:] == [("set", "beta", 5.0), ("toggle_pause",)]
    assert run.stop() and runner.calls[-1] == ("stop",) and "stopping…" in run.status_line().plain
    runner.controls.pending = {"beta": 5.0}
    assert "pending: beta=5" in run.status_line().plain


async def test_a_restart_ends_the_run_before_the_next_starts(recipes, workbench):
    run, runner = TrainRun(recipes["ae-32"], workbench), workbench.runner
    run.start()
    await run.end()
    assert [c[0] for c in runner.calls] == ["start", "stop", "wait"]


def test_u_resumes_what_the_last_run_left_unfinished(recipes, workbench):
    run, runner = TrainRun(recipes["ae-32"], workbench), workbench.runner
    run.start()
    assert run.resumable() is None  # (still running)
    runner.ended("finished")
    assert run.resumable() is None
    runner.ended("stopped")
    assert run.resumable() == workbench.store / "run-1" and "u resumes" in run.status_line().plain


def test_a_stopped_session_is_taken_up_where_it_stopped(recipes, workbench, tmp_path):
    path = synthetic_session(tmp_path / "sessions", "ae-stopped", epochs=3, kind="ae")
    session = sessions.open_session(path)
    r = session.recipe()
    run = TrainRun(r, workbench, resume=session)
    assert run.resume_from is session and len(run.preview.epochs) == 3 and run.preview.status == "starting"
    assert run.settings == {"epochs": 3 + r.train["epochs"], "batch_size": 32}  # (3 of 3 done: as many again)
    assert "resumes ae-stopped" in run.status_line().plain
    run.start()
    assert workbench.runner.calls[-1][-1] is session and run.resume_from is None


def test_leaving_lets_an_attached_run_go_on(recipes, workbench):
    run, runner = TrainRun(recipes["ae-32"], workbench), workbench.runner
    run.start()
    assert run.leave() is None  # (its own run goes on with the app)
    runner.attached = Path("elsewhere")
    assert run.leave() == "run-1" and runner.calls[-1] == ("detach",)


def test_the_values_are_saved_as_a_recipe_under_a_safe_name(recipes, workbench, tmp_path, monkeypatch):
    monkeypatch.setenv("AETUI_MODELS", str(tmp_path / "models"))
    run = TrainRun(recipes["sparse-l1"], workbench)
    run.change("lam", 1e-4)
    saved = run.save_recipe("l1 blurry!")
    assert saved == tmp_path / "models" / "l1-blurry.toml" and "lam = 0.0001" in saved.read_text()
    with pytest.raises(AetuiError, match="no usable characters"):  # (the screen says it in one line)
        run.save_recipe("///")


def test_p_plans_a_change_for_a_later_epoch_in_the_run_in_progress_and_x_drops_the_plan(recipes, workbench):
    run, runner = TrainRun(recipes["sparse-kl"], workbench), workbench.runner
    with pytest.raises(AetuiError, match="no run in progress"):
        run.plan("3 beta=1")
    run.start()
    runner.state.steps_per_epoch, runner.state.epochs_total, runner.state.epoch = 10, 5, 1
    assert run.plan("3 beta=1 p=0.2") == "beta=1, p=0.2 planned from epoch 3"
    assert runner.controls.planned() == [(20, "beta", 1.0), (20, "p", 0.2)]
    assert "planned: beta=1 @3, p=0.2 @3" in run.status_line().plain
    assert run.planned_at() == [2.0, 2.0]  # (the chart's pending markers: where epoch 3 begins)
    for text, said in (("1 beta=1", "after this one"), ("9 beta=1", "up to 5"), ("beta=1", "give the epoch"),
                       ("3 beta=-1", "out of range")):
        with pytest.raises(AetuiError, match=said):
            run.plan(text)
    assert run.plan(None) == "cancelled 2 planned change(s)" and runner.controls.planned() == []
    assert "planned" not in run.status_line().plain
