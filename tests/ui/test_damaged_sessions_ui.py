"""The workbench on a store that holds damaged sessions and user text with markup in it: every
screen shows what it can, says in one line what it cannot, and never crashes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from textual.widgets import DataTable

from aetui.core.store import sessions
from aetui.ui.messages import Compare, OpenSession
from aetui.ui.screens.compare import CompareScreen
from aetui.ui.screens.dialogs import HelpDialog
from aetui.ui.screens.replay import ReplayScreen
from aetui.ui.widgets.figure_pane import FigurePane
from tests.support import synthetic_session, until


def _damage_snapshot(path: Path, epoch: int, change) -> None:
    snap = path / sessions.SNAPSHOTS / sessions.snapshot_name(epoch)
    with np.load(snap) as npz:
        arrays = {k: npz[k] for k in npz.files}
    change(arrays)
    with open(snap, "wb") as fh:
        np.savez(fh, **arrays)


def _errors(app) -> list[str]:
    return [n.message for n in app._notifications if n.severity == "error"]


async def test_replay_of_damaged_snapshots_says_so_and_goes_on(make_app):
    path = synthetic_session(Path("sessions"), "run", epochs=3, code=8, kind="ae")
    _damage_snapshot(path, 3, lambda a: a.__setitem__("codes", np.full_like(a["codes"], np.nan)))
    _damage_snapshot(path, 2, lambda a: a.pop("recon"))
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        app.post_message(OpenSession(path))
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ReplayScreen) and screen.epoch == 3
        await pilot.press("3")  # the scatter of NaN codes: said where the picture would be
        await pilot.press("t")  # t-SNE of them: one notification, no crash
        await until(pilot, lambda: any("codes are not all finite" in m for m in _errors(app)))
        await pilot.press("left", "2")  # a snapshot without reconstructions: said where they would be
        await until(pilot, lambda: screen.epoch == 2 and any(
            pane.figure is not None and pane.figure.image is None and "recon" in pane.figure.caption
            for pane in screen.query(FigurePane)))
        assert app.is_running and isinstance(app.screen, ReplayScreen)
        await pilot.press("left", "t")
        await until(pilot, lambda: screen.epoch == 1)
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, ReplayScreen)


async def test_compare_with_a_damaged_session_opens(make_app):
    good = synthetic_session(Path("sessions"), "good", epochs=3, code=2, kind="ae")
    bad = synthetic_session(Path("sessions"), "bad", epochs=3, code=2, kind="ae")
    _damage_snapshot(bad, 3, lambda a: a.__setitem__("recon", a["recon"][:, :5]))
    _damage_snapshot(bad, 2, lambda a: a.__setitem__("sweep_xs", np.zeros(0)))
    app = make_app()
    async with app.run_test(size=(120, 34)) as pilot:
        app.post_message(Compare([good, bad]))
        await until(pilot, lambda: isinstance(app.screen, CompareScreen))
        screen = app.screen
        for tab in "1234":
            await pilot.press(tab)
            await pilot.pause()
            assert app.is_running and app.screen is screen
        await pilot.press("left")
        await until(pilot, lambda: screen.epoch == 2)
        await pilot.pause()
        assert app.is_running and app.screen is screen


async def test_home_lists_damaged_sessions_and_markup_as_written(make_app):
    store = Path("sessions")
    synthetic_session(store, "good", epochs=2, code=2, kind="ae")
    marked = synthetic_session(store, "marked", epochs=2, code=2, kind="ae")
    meta = json.loads((marked / sessions.META).read_text())
    meta["recipe"]["name"] = "evil[/]"
    (marked / sessions.META).write_text(json.dumps(meta))
    zero = synthetic_session(store, "zero", epochs=2, code=2, kind="ae")
    (zero / sessions.META).unlink()
    (zero / sessions.META).symlink_to("/dev/zero")
    typed = synthetic_session(store, "typed", epochs=2, code=2, kind="ae")
    lines = (typed / sessions.HISTORY).read_text().splitlines()
    record = json.loads(lines[-2])
    record["logs"]["val_loss"] = "x"
    (typed / sessions.HISTORY).write_text("\n".join([*lines[:-2], json.dumps(record), lines[-1]]) + "\n")
    app = make_app()
    async with app.run_test(size=(140, 34)) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#sessions", DataTable)
        cells = " ".join(str(c) for r in range(table.row_count) for c in table.get_row_at(r))
        assert "evil[/]" in cells and "good" in cells and "typed" in cells
        app.post_message(Compare([store / "good", typed]))
        await until(pilot, lambda: isinstance(app.screen, CompareScreen))
        await pilot.press("escape")
        app.post_message(OpenSession(marked))
        await until(pilot, lambda: isinstance(app.screen, ReplayScreen))
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpDialog))
        assert app.is_running


async def test_a_train_screen_for_a_recipe_named_with_markup_shows_its_help(make_app, tmp_path):
    models = tmp_path / "user-models"
    models.mkdir()
    recipe = (Path(__file__).parents[2] / "models" / "ae-32.toml").read_text()
    (models / "evil.toml").write_text('name = "evil[/]"\n' + recipe.replace('description = "',
                                                                            'description = "[/bold] '))
    app = make_app()
    async with app.run_test(size=(120, 34)) as pilot:
        from tests.support import open_recipe

        await open_recipe(pilot, app, "evil")
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpDialog))
        assert app.is_running
