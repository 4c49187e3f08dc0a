"""What an epoch costs besides training, and what the cheaper bookkeeping keeps: its wall time
broken down in the history, snapshots and weights on a time budget when epochs are fast, the
weights of the last completed epoch kept on a stop, and a kill between weight writes resumed
from the last written epoch."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from aetui.core import data, events
from aetui.core.store import sessions
from aetui.core.training import engine, run, trainer
from aetui.core.training.controls import Controls
from aetui.views.replay import Replay


@pytest.mark.parametrize("recipe", ["ae-32", "vae-2d", "aae-gaussian"])
def test_the_weights_copied_at_an_epoch_s_end_make_the_file_keras_makes(recipes, digits, recipe):
    from aetui.core import families

    built = families.build(recipes[recipe], digits.input_dim)
    built.model.fit(digits.x_train[:256], digits.x_train[:256], batch_size=64, epochs=1, verbose=0)
    built.weights_state()  # (the walk over the model is made once: later copies read the same variables)
    built.model.fit(digits.x_train[:256], digits.x_train[:256], batch_size=64, epochs=1, verbose=0)
    state, reference = built.weights_state(), built.weights_file()
    built.model.fit(digits.x_train[:256], digits.x_train[:256], batch_size=64, epochs=1, verbose=0)  # moves on
    loaded = []
    for blob in (built.weights_bytes(state), reference):
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "w.weights.h5"
            path.write_bytes(blob)
            fresh = families.build(recipes[recipe], digits.input_dim)
            fresh.load_weights(path)
            loaded.append((fresh.encode(digits.x_test[:20])["code"],
                           [np.asarray(v) for v in fresh.model.optimizer.variables]))
    assert np.array_equal(loaded[0][0], loaded[1][0])  # the state as it was when copied, not as it is now
    assert all(np.array_equal(a, b) for a, b in zip(loaded[0][1], loaded[1][1]))
    assert not np.array_equal(built.encode(digits.x_test[:20])["code"], loaded[0][0])


def test_each_epoch_records_where_its_wall_time_went(tmp_path, recipes, digits):
    seen: list = []
    started = time.perf_counter()
    trainer.train(recipes["ae-32"], digits.limited(512), tmp_path, epochs=3, name="run", on_event=seen.append)
    wall = time.perf_counter() - started
    ends = [e for e in seen if isinstance(e, events.EpochEnded)]
    for end in ends:
        assert set(end.timing) == {"train", *run.PARTS}
        assert all(v >= 0 for v in end.timing.values())
        assert end.timing["train"] <= end.seconds + 1e-6 and end.timing["validation"] > 0
    assert sum(sum(e.timing.values()) for e in ends) < wall
    assert sessions.open_session(tmp_path / "run").epochs[-1].timing == ends[-1].timing  # (in the history too)


def test_fast_epochs_are_pictured_a_few_a_second_and_the_replay_shows_the_last_before(tmp_path, recipes, digits,
                                                                                     monkeypatch):
    monkeypatch.setattr(engine, "SNAPSHOT_EVERY", 3600.0)  # (as if every epoch took microseconds)
    monkeypatch.setattr(engine, "WEIGHTS_EVERY", 3600.0)
    path = trainer.train(recipes["vae-2d"], digits.limited(256), tmp_path, epochs=5, name="run")
    session = sessions.open_session(path)
    assert [e.pictured for e in session.epochs] == [True, False, False, False, True]  # the first, and the last
    assert [e for e, _ in sessions.epoch_files(path, sessions.SNAPSHOTS)] == [1, 5]
    assert session.weights()[0] == 5 and len(list((path / sessions.WEIGHTS).iterdir())) == 1
    assert all("mean_activation" in e.stats for e in session.epochs)  # every epoch's figures all the same
    assert session.problems == []  # (no gap: these epochs have no pictures by design)
    replay = Replay(session)
    assert replay.label(3) == "epoch 3 (pictures of epoch 1)" and replay.label(5) == "epoch 5"
    from aetui.views.registry import render_view

    for view in ("recon", "scatter", "sweep", "sparsity"):
        render_view(replay, view, 3, 100, 40)
    from aetui.views.export import export

    written = export(session, tmp_path / "out", skipped := [])
    assert not skipped and {p.name for p in written} >= {"recon-epoch-0001.png", "recon-epoch-0005.png"}


def test_a_stop_mid_epoch_keeps_the_weights_of_the_last_completed_epoch(tmp_path, recipes, digits, monkeypatch):
    monkeypatch.setattr(engine, "WEIGHTS_EVERY", 3600.0)  # (only epoch 1's would be written on the way)
    controls = Controls(recipes["ae-32"].tunables)

    def on_event(event):
        if isinstance(event, events.BatchEnded) and event.epoch == 4:
            controls.stop()

    path = trainer.train(recipes["ae-32"], digits.limited(512), tmp_path, epochs=50, name="run", controls=controls,
                         on_event=on_event, batch_interval=0)
    session = sessions.open_session(path)
    assert session.status == "stopped" and session.epochs_done == 3 and session.weights()[0] == 3
    trainer.resume(path, digits.limited(512), epochs=4, params={"learning_rate": 0.002})
    resumed = sessions.open_session(path)
    assert resumed.status == "finished" and resumed.epochs_done == 4
    assert next(e for e in resumed.history if isinstance(e, events.TrainingResumed)).epoch == 3
    (change,) = resumed.changes  # (the value the resume was given, from its first step, said to be so)
    assert (change.name, change.new, change.origin) == ("learning_rate", 0.002, events.RESUME)


KILLED = textwrap.dedent("""
    import sys
    from pathlib import Path
    from aetui.core import data, recipe
    from aetui.core.store import paths
    from aetui.core.training import engine
    from aetui.core.training import trainer as training
    engine.WEIGHTS_EVERY = 1.5
    r = recipe.find("ae-32", paths.recipe_dirs())
    training.train(r, data.load("digits"), Path(sys.argv[1]), epochs=100000, batch_size=32, name="run")
""")


@pytest.mark.slow
def test_a_kill_between_weight_writes_goes_on_from_the_last_written_epoch(tmp_path, digits, spawn):
    child = spawn([sys.executable, "-c", KILLED, str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                  env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    path = tmp_path / "run"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:  # killed once the history runs ahead of the weights
        if (path / sessions.META).exists():
            session = sessions.open_session(path)
            found = session.weights()
            if found is not None and session.epochs_done > found[0] + 1:
                break
        time.sleep(0.05)
    os.killpg(child.pid, signal.SIGKILL)
    child.wait(30)
    session = sessions.open_session(path)
    kept = session.weights()[0]
    assert session.status == "killed" and session.epochs_done > kept
    assert trainer.kept_epoch(session) == kept
    trainer.resume(path, data.load("digits"), epochs=session.epochs_done + 1)
    resumed = sessions.open_session(path)
    go_on = next(e for e in resumed.history if isinstance(e, events.TrainingResumed))
    assert go_on.epoch == kept and "are trained again" in go_on.previous
    assert [e.epoch for e in resumed.epochs] == list(range(1, session.epochs_done + 2))  # no epoch twice


def test_a_resumed_run_keeps_the_epoch_before_each_recorded_change(tmp_path, recipes, digits):
    """The state before a change (what a branch goes on from) stays kept when the run is resumed:
    the resumed run takes what was kept from the history read under its lock."""
    from aetui.core.training import lineage

    controls = Controls(recipes["ae-32"].tunables)

    def on_event(event):
        if isinstance(event, events.EpochEnded) and event.epoch == 1:
            controls.set("learning_rate", 0.002, origin="test")  # (from epoch 2's first batch)

    path = trainer.train(recipes["ae-32"], digits, tmp_path, epochs=2, name="run", controls=controls,
                         on_event=on_event)
    assert 1 in lineage.kept_epochs(sessions.open_session(path))
    trainer.resume(path, digits, epochs=5)
    session = sessions.open_session(path)
    assert session.epochs_done == 5 and {1, 5} <= set(lineage.kept_epochs(session)), lineage.kept_epochs(session)
