"""A sweep in the workbench: grouped on home with live progress, opened whole in compare."""

from pathlib import Path

import pytest
from textual.widgets import DataTable

from aetui.core.sweeps import standings, sweep, worker
from tests.support import SWEEP_GRID as GRID
from tests.support import until

pytestmark = pytest.mark.slow


async def test_home_groups_a_sweep_with_live_progress_and_opens_it_in_compare(make_app, digits, recipes):
    store = Path("sessions")
    plan, trials = sweep.plan(recipes["sparse-kl"], GRID, store, "live", {"dataset": "digits", "limit": 256},
                              epochs=1)
    for trial in trials[:2]:
        worker.run_trial(trial)
    app = make_app()
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        table = app.screen.query_one("#sessions", DataTable)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert rows[0][0] == "▾ sweep live" and rows[0][1] == "2/4 finished, 2 waiting"
        assert {rows[1][0].strip(), rows[2][0].strip()} == {"beta=0.5 p=0.05", "beta=0.5 p=0.1"}
        assert float(rows[1][2]) <= float(rows[2][2])  # the trials, best test MSE/pixel first
        worker.run_trial(trials[2])  # another trial lands while the screen is open
        await until(pilot, lambda: str(table.get_row_at(0)[1]).startswith("3/4 finished"), 10)
        table.focus()
        table.move_cursor(row=0)
        await pilot.press("u")  # a sweep goes on from a shell; home says how
        await until(pilot, lambda: any("aetui sweep --resume live" in str(t.render()) for t in app.screen.query("Toast")))
        await pilot.press("enter")
        await until(pilot, lambda: type(app.screen).__name__ == "CompareScreen")
        screen = app.screen
        assert screen.sweep.name == "live" and len(screen.replays) == 3
        assert "sweep live of sparse-kl (3/4 finished, 1 waiting)" in str(screen.query_one("#status").render())
    trials = standings.trial_sessions(store, plan)
    columns, ranked = standings.ranking(trials, list(GRID))  # by the test error per pixel, not the total
    errors = [float(row[columns.index("test_mse_pixel")]) for row in ranked]
    assert errors == sorted(errors) and columns[:2] == ["beta", "p"]
    columns, ranked = standings.ranking(trials, list(GRID), sort="val_loss")  # (the user's choice)
    losses = [float(row[columns.index("val_loss")]) for row in ranked]
    assert losses == sorted(losses)
