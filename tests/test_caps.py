"""The caps on a session's files follow from the settings (`aetui.core.store.caps`): what they count is
what the families really write, the writer never passes a cap (a run that reaches one stops,
saying so), and the largest session the settings allow, 100,000 epochs at their longest records
with live changes at the allowance, opens in `show`, `eval`, `resume`, home and compare."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from aetui.core import events
from aetui.core.analysis.latent import sweep_plane
from aetui.core.store import caps, files, sessions
from aetui.core.store.writer import SessionWriter
from aetui.core.training import trainer
from tests.support import aetui, until


def test_the_caps_count_every_part_statistic_and_timing_a_run_writes(trained, recipes, digits):
    import numpy as np

    from aetui.core import families
    from aetui.core.training import run

    for recipe in recipes.values():
        assert set(families.build(recipe, digits.input_dim).parts) <= set(caps.LOSS_PARTS), recipe.name
    session = sessions.open_session(trained)
    epoch = session.epochs[0]
    assert set(epoch.stats) <= {*caps.STATISTICS, *caps.COUNTS, "sweep"}
    assert set(epoch.logs) <= {k for p in ("loss", *caps.LOSS_PARTS) for k in (p, f"val_{p}")}
    assert set(json.loads((trained / "session.json").read_text())) <= set(caps.largest_record())
    assert set(epoch.timing) == {"train", *events.TIMING} and run.PARTS == events.TIMING
    codes = np.random.default_rng(0).normal(size=(50, 5))
    for dim in (1, 2, 5):
        for prior in ("gaussian", None):
            assert len(sweep_plane(codes[:, :dim], 4, prior).how) <= caps.SWEEP_WORDS


def test_the_history_cap_is_the_longest_run_at_its_largest():
    assert caps.EPOCHS == 100_000 and caps.EPOCH_RECORD < 2000
    assert caps.HISTORY == caps.EPOCHS * (caps.EPOCH_RECORD + caps.CHANGES_PER_EPOCH * caps.CHANGE_RECORD) + \
        caps.RUN_ROOM
    assert sessions.LIMITS[sessions.HISTORY] == caps.HISTORY


def test_the_writer_never_appends_past_the_history_cap(tmp_path, monkeypatch, recipes, digits):
    """A run whose history reaches its cap stops, saying so; the file never passes the cap, the
    run's end is recorded, and the session opens."""
    path = trainer.train(recipes["ae-32"], digits, tmp_path, epochs=1, name="run")
    cap = (path / sessions.HISTORY).stat().st_size + 5 * caps.EPOCH_RECORD + caps.END_ROOM
    monkeypatch.setattr(caps, "HISTORY", cap)
    trainer.resume(path, digits, epochs=1000)
    session = sessions.open_session(path)
    assert (path / sessions.HISTORY).stat().st_size <= cap
    assert session.status == "failed" and "history.jsonl reached its cap" in session.meta.reason
    assert session.history[-1].status == "failed" and 2 <= session.epochs_done < 1000
    writer, _ = SessionWriter.lock(path)
    try:
        with pytest.raises(files.CapReached):  # (a pause line is short: several may fit the room left)
            for _ in range(caps.EPOCH_RECORD):
                writer.record(events.Paused(1))
        assert (path / sessions.HISTORY).stat().st_size <= cap
    finally:
        writer.close()


def test_the_record_at_its_largest_is_read(tmp_path, trained):
    """`session.json` with 65,536 classes' counts and the longest description a recipe may have."""
    path = shutil.copytree(trained, tmp_path / "run")
    meta = json.loads((path / sessions.META).read_text())
    meta["dataset"]["class_counts"] = [2**31] * caps.CLASSES
    meta["recipe"]["description"] = "😀" * caps.DESCRIPTION
    meta["reason"] = "ü" * caps.REASON
    (path / sessions.META).write_text(json.dumps(meta, indent=1))
    assert (path / sessions.META).stat().st_size < caps.META
    assert sessions.open_session(path).recipe().description == "😀" * caps.DESCRIPTION


LONGEST = 1.2345678901234567e-05
"""A number as long as a run writes one (17 significant digits and an exponent)."""


def largest_session(store: Path, recipe, digits) -> Path:
    """A real one-epoch run of `recipe`, then carried to 99,999 of 100,000 epochs through the real
    writer: every figure at its longest, `CHANGES_PER_EPOCH` live changes an epoch, the last epoch
    with its snapshot and weights (the first's); stopped there."""
    path = trainer.train(recipe, digits, store, epochs=1, name="big")
    first = sessions.open_session(path).epochs[0]
    writer, _ = SessionWriter.lock(path)
    steps, name = first.step, max(recipe.tunables, key=len)
    last = caps.EPOCHS - 1
    try:
        for start in range(2, last + 1, 1000):
            batch = []
            for epoch in range(start, min(start + 1000, last + 1)):
                batch += [events.HParamChanged(name, LONGEST, LONGEST * 2, epoch, epoch * steps - k, "x" * events.ORIGIN)
                          for k in range(caps.CHANGES_PER_EPOCH, 0, -1)]
                batch.append(events.EpochEnded(
                    epoch, epoch * steps, dict.fromkeys(first.logs, LONGEST),
                    {k: LONGEST if isinstance(v, float) else v for k, v in first.stats.items()}, LONGEST, LONGEST,
                    dict.fromkeys(first.timing, LONGEST), pictured=epoch == last))
            writer.record(*batch)
        writer.record(events.TrainingFinished("stopped", "by the test", last, last * steps))
        writer.update(epochs=caps.EPOCHS, epochs_done=last, status="stopped")
    finally:
        writer.close()
    for kind, old, new in ((sessions.SNAPSHOTS, sessions.snapshot_name(1), sessions.snapshot_name(last)),
                           (sessions.WEIGHTS, sessions.weights_name(1), sessions.weights_name(last))):
        shutil.copyfile(path / kind / old, path / kind / new)
    (path / sessions.WEIGHTS / sessions.weights_name(1)).unlink()
    return path


@pytest.mark.slow
async def test_the_largest_legitimate_session_opens_everywhere(tmp_path, recipes, digits):
    from aetui.ui.app import AetuiApp
    from aetui.ui.messages import Compare
    from aetui.ui.screens.compare import CompareScreen
    from aetui.ui.screens.replay import ReplayScreen
    from aetui.ui.widgets.param_slider import ParamSlider  # noqa: F401  (the app's imports, loaded first)

    store = tmp_path / "sessions"
    path = largest_session(store, recipes["sparse-kl-wd"], digits)
    small = trainer.train(recipes["ae-32"], digits, store, epochs=2, name="small")
    timings, said = {}, {}
    for name, args in (("resume", ("resume", "big")), ("show", ("show", "big", "--view", "curves")),
                       ("eval", ("eval", "big"))):
        started = time.monotonic()
        out = aetui(store, *args, env={"COLUMNS": "120"}, timeout=600)
        timings[name], said[name] = round(time.monotonic() - started), out.stdout
        assert out.returncode == 0 and "Traceback" not in out.stderr, (name, out.stdout[-2000:], out.stderr[-2000:])
    assert f"epoch {caps.EPOCHS}/{caps.EPOCHS}" in said["show"] and "MSE/pixel" in said["eval"]
    size = (path / sessions.HISTORY).stat().st_size
    assert caps.HISTORY - caps.RUN_ROOM < size + caps.EPOCHS * 1000 and size <= caps.HISTORY
    session = sessions.open_session(path)
    assert session.status == "finished" and session.epochs_done == caps.EPOCHS
    app = AetuiApp(store, lambda: digits, warm_up=False)
    async with app.run_test(size=(120, 36)) as pilot:
        table = app.screen.query_one("#sessions")
        await until(pilot, lambda: table.row_count == 2, 60)
        assert any(f"{caps.EPOCHS}/{caps.EPOCHS}" in [str(c) for c in table.get_row_at(n)] for n in range(2))
        table.focus()
        table.move_cursor(row=next(n for n in range(2) if str(table.get_row_at(n)[0]) == "big"))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ReplayScreen), 120)
        await pilot.press("escape")
        app.post_message(Compare([path, small]))
        await until(pilot, lambda: isinstance(app.screen, CompareScreen), 120)
        for tab in "1234":
            await pilot.press(tab)
            await pilot.pause()
        assert app.is_running and isinstance(app.screen, CompareScreen)
    print(f"\nhistory {size / 2**20:.0f} MB (cap {caps.HISTORY / 2**20:.0f} MB); seconds: {timings}")


def test_the_record_s_cap_is_counted_as_json_writes_it():
    """`indented_length` counts what `json.dumps(..., indent=1)` writes (the writer's record), repeated
    items and nested shapes alike, without writing it."""
    shapes = [caps.largest_record(), {}, [], "x", 3, [1, 1.0, True, None], {"é": ["ü", {}, [[]]], "b": [{"c": [2]}] * 3}]
    for value in shapes:
        assert caps.indented_length(value) == len(json.dumps(value, indent=1)), value
