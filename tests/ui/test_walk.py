"""What a researcher's walk through the workbench at 80x24 and 160x48 asked for: figures that read,
questions shown whole, keys that do what they say, and nothing of a finished run left on screen."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Button, DataTable

from aetui.core.hparams import HPARAMS, RUN_SETTINGS
from aetui.core.store import sessions
from aetui.ui.screens.dialogs import ChoiceDialog, ConfirmDialog, HelpDialog
from aetui.ui.widgets.digit_panel import DigitPanel
from aetui.ui.widgets.axes import linear_ticks, tick_labels
from aetui.ui.widgets.loss_chart import LossChart
from aetui.ui.widgets.param_slider import ParamSlider, ticks
from aetui.ui.widgets.row_table import shorten_middle
from aetui.views import formats
from aetui.views.tables import parts_table
from tests.support import (
    ended,
    fake_session,
    open_recipe,
    started,
    synthetic_session,
    until,
)
from tests.ui.scripted import ScriptedTrainer


@pytest.mark.parametrize("value, width, expected", [
    ("0.0849", 5, ".0849"), ("166.3", 3, "166"), ("0.04767", 7, "0.04767"), ("1.234e+04", 9, "1.234e+04"),
    ("-0.0312", 6, "-.0312"), ("12345.6", 3, "12345.6"),  # too long to write faithfully: left whole, never cut
])
def test_a_number_is_written_shorter_never_cut(value, width, expected):
    assert formats.fit(value, width) == expected


def test_one_formatter_per_kind_of_figure():
    assert formats.stat("near_zero", 0.1415) == "14%" and formats.stat("dead_units", 3.0) == "3"
    assert formats.stat("mean_activation", 0.047671) == "0.04767" and formats.loss(None) == "-"
    assert formats.fit_column(["0.1008", "0.06336"], 6) == [".1008", ".06336"]  # alike down a column


def test_a_table_too_wide_keeps_every_column_and_drops_decimals_first():
    rows = [["0.003", "finished", "0.01234", "0.1567", "166.34"], ["0.01", "stopped", "0.0211", "0.2", "12.5"]]
    fitted = formats.fit_table(rows, [2, 3, 4], 36)
    assert len(fitted[0]) == 5 and [r[:2] for r in fitted] == [r[:2] for r in rows]  # values and status as they were
    assert sum(max(len(r[i]) for r in fitted) + 2 for i in range(5)) <= 36
    assert fitted[0][4] in ("166.3", "166") and fitted[0][2].startswith(".01")  # rounded, never cut
    assert formats.fit_table(rows, [2, 3, 4], 20) == rows  # cannot fit: left whole (the table scrolls)


def test_a_narrow_parts_table_drops_decimals_before_it_breaks_a_header_into_slivers():
    """The sliders' panel at 80x24 during a run (24 columns): `train` stays whole, the test
    column loses a digit (it folded into `trai` / `n` to keep `.0446`)."""
    from rich.console import Console

    from aetui.views.tables import parts_table

    logs = {"loss": 0.04603, "l2": 0.0, "recon": 0.04301, "sparsity": 0.003021, "sparsity_epoch": 0.002013,
            "val_loss": 0.04461, "val_l2": 0.0, "val_recon": 0.04241, "val_sparsity": 0.002198}
    console = Console(width=24, record=True, color_system=None)
    console.print(parts_table(logs, {"train_images": 22699, "test_images": 10000}))
    lines = console.export_text().splitlines()
    assert lines[1].split() == ["part", "train", "test", "%"], lines
    assert lines[2].split() == ["loss", ".046", ".045"], lines


def test_a_session_name_is_shortened_in_the_middle():
    short = shorten_middle("sparse-kl-mean-20261124-012330", 18)
    assert len(short) == 18 and short.endswith("1124-012330") and short.startswith("spars")


def test_linear_axis_ticks_are_round_and_evenly_spaced():
    assert linear_ticks(0.031, 0.12) == [0.04, 0.06, 0.08, 0.1, 0.12]
    assert linear_ticks(0, 18.2) == [0, 5, 10, 15]
    steps = {round(b - a, 9) for a, b in zip(*[iter(linear_ticks(0.0404, 0.0431))] * 2)}
    assert len(steps) == 1
    # a sliver (a curve flat to the sixth digit) is labelled at round values around it, not `0.0898876`
    assert linear_ticks(0.0898876, 0.0898879) == [0.0898, 0.0899]
    assert tick_labels(linear_ticks(0.0898876, 0.0898879)) == ["0.0898", "0.0899"]
    assert linear_ticks(0.0898876, 0.0898876) == [0.0899]  # a flat line: its value, rounded


def test_slider_steps_are_round_and_reach_the_valid_range():
    epochs = ticks(RUN_SETTINGS["epochs"])
    assert [t for t in epochs if 20 <= t <= 40] == [20, 25, 30, 35, 40]  # not 21, 26, 31
    assert ticks(HPARAMS["p"])[-3:] == [0.5, 0.7, 0.9]  # past 0.5, as p may be up to 1


def test_the_parts_table_sets_train_and_test_sparsity_of_one_definition_side_by_side():
    from rich.console import Console

    logs = {"loss": 0.089, "recon": 0.057, "sparsity": 0.032, "sparsity_epoch": 0.0043, "val_loss": 0.0661,
            "val_recon": 0.056, "val_sparsity": 0.0101}
    console = Console(width=26, record=True)
    console.print(parts_table(logs, {"train_images": 22699, "test_images": 10000}))
    text = console.export_text()
    row = next(line for line in text.splitlines() if line.startswith("sparsity"))
    assert [float(v) for v in row.split()[1:3]] == [0.0043, 0.0101]  # the epoch's training digits, the test digits
    batch = next(line for line in text.splitlines() if line.startswith(" batch"))
    assert float(batch.split()[1]) == 0.032  # what training minimises, on its own row
    flat = " ".join(text.split())
    assert "22,699 training" in flat and "10,000 test digits" in flat and "test 2.3x training" in flat
    assert "overfit" not in flat


async def test_the_quit_question_shows_whole_at_80x24(make_app):
    trainer = ScriptedTrainer(hold=True)
    app = make_app(trainer)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot, app, "ae-32")
        await pilot.press("q")
        await until(pilot, lambda: isinstance(app.screen, ChoiceDialog))
        await pilot.pause()
        question = app.screen.query_one(".question")
        shown = "".join(strip.text for strip in question.render_lines(question.region.reset_offset))
        assert "is in progress." in shown
        screen = app.screen.region
        for button in app.screen.query(Button):  # every answer whole on the screen, its label too
            assert screen.contains_region(button.region), button.label
            assert button.region.width >= len(str(button.label)) + 2
        await pilot.press("escape")
        trainer.release.set()
        await until(pilot, lambda: ended(app))


async def test_r_during_a_run_asks_and_s_says_stopping_at_once(make_app):
    trainer = ScriptedTrainer(hold=True)
    app = make_app(trainer)
    async with app.run_test(size=(100, 32)) as pilot:
        await started(pilot, app, "ae-32")
        first = app.runner.state
        await pilot.press("r")
        assert isinstance(app.screen, ConfirmDialog) and app.runner.state is first  # nothing restarted
        await pilot.press("n")
        app.screen.action_stop()  # (the key's action, then the header at once, before the run has ended)
        assert "stopping…" in app.screen.run.status_line().plain
        trainer.release.set()
        await until(pilot, lambda: ended(app))


async def test_a_new_run_clears_the_last_runs_digits(make_app):
    trainer = ScriptedTrainer(hold=True)
    app = make_app(trainer)
    async with app.run_test(size=(100, 32)) as pilot:
        await started(pilot, app, "ae-32")
        await pilot.press("2")  # (below 120x34 one view at a time: the digits)
        digits = app.screen.query_one(DigitPanel)
        await until(pilot, lambda: digits.picture.image is not None)
        trainer.release.set()
        await until(pilot, lambda: ended(app))
        trainer.release.clear()
        app.screen.action_restart()
        app.screen.redraw()  # (before the new run's first epoch reaches the screen)
        assert digits.picture.image is None and "appear after the first epoch" in str(
            digits.query_one(".figure-caption").render())
        trainer.release.set()
        await until(pilot, lambda: ended(app))


async def test_a_fixed_slider_says_so_on_enter(make_app):
    trainer = ScriptedTrainer(hold=True)
    app = make_app(trainer)
    async with app.run_test(size=(100, 32)) as pilot:
        await started(pilot, app, "ae-32")
        epochs = app.screen.query_one("#slider-epochs", ParamSlider)
        epochs.focus()
        await pilot.press("enter")
        assert epochs.query_one("#entry").has_class("hidden") and "fixed while a run goes on" in epochs.error
        trainer.release.set()
        await until(pilot, lambda: ended(app))


async def test_the_log_axis_choice_holds_across_screens_and_the_resumed_curve_keeps_its_batches(make_app, recipes,
                                                                                                   digits):
    from aetui.core.training import trainer as training

    training.train(recipes["ae-32"], digits, Path("sessions"), epochs=1, name="scripted")  # what u goes on with
    trainer = ScriptedTrainer(hold=True)
    app = make_app(trainer)
    async with app.run_test(size=(100, 32)) as pilot:
        await started(pilot, app, "ae-32")
        await pilot.press("s")
        trainer.release.set()
        await until(pilot, lambda: ended(app))
        batches = list(app.runner.state.batches)
        await pilot.press("l")
        chosen = app.screen.query_one(LossChart).log_scale
        await pilot.press("escape")
        await open_recipe(pilot, app, "ae-32")
        assert app.screen.query_one(LossChart).log_scale == chosen  # held while the app runs
        app.screen.run.resume_from = sessions.open_session(Path("sessions") / app.runner.state.session)
        kept = [b for b in batches if b[0] <= app.screen.run.resume_from.epochs_done]
        app.screen.run.settings["epochs"] = 2
        app.screen.start()
        assert kept and app.runner.state.batches[:len(kept)] == kept  # the earlier batches stay on the chart
        await until(pilot, lambda: ended(app), 120)
        assert app.runner.state.batches[:len(kept)] == kept and len(app.runner.state.epochs) == 2


async def test_home_end_jump_to_the_first_and_last_rows_and_help_is_a_table(make_app):
    for i in range(5):
        fake_session(Path("sessions"), f"run-{i}", "ae-32", 2, "finished", f"2026-11-0{i + 1}T10:00:00")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.screen.query_one("#sessions", DataTable)
        table.focus()
        await pilot.press("end")
        assert table.cursor_row == table.row_count - 1
        await pilot.press("home")
        assert table.cursor_row == 0 and table.scroll_x == 0
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpDialog)
        assert ("u", app.screen.keys[3][1]) == app.screen.keys[3] and "resume" in app.screen.keys[3][1]


async def test_the_change_table_says_the_batch_within_its_epoch(make_app):
    from aetui.core.store import sessions
    from aetui.views.replay import Replay
    from aetui.views.tables import changes_table

    path = synthetic_session(Path("sessions"))
    table = changes_table(Replay(sessions.open_session(path)))
    cells = [str(c.texts[0]) for c in table.columns]
    assert cells[:3] == ["2", "3", "12"]  # epoch 2, its 3rd batch (10 a epoch), step 12


def test_each_setting_is_explained_for_the_family_it_is_set_in():
    beta = HPARAMS["beta"]
    from aetui.core.families import family
    assert "sparsity weight" in family("sparse").help_of(beta) and "VAE" not in family("sparse").help_of(beta)
    assert family("nonneg").help_of(beta) == family("sparse").help_of(beta)
    assert "VAE's KL term" in family("vae").help_of(beta) and "sparsity" not in family("vae").help_of(beta)


async def test_the_beta_slider_of_a_sparse_model_speaks_of_the_sparsity_weight(make_app):
    app = make_app(ScriptedTrainer())
    async with app.run_test(size=(100, 32)) as pilot:
        await open_recipe(pilot, app, "sparse-kl")
        await pilot.press("down")  # from the learning rate to beta
        said = str(app.screen.query_one("#param-help").render())
        assert "sparsity weight" in said and "VAE" not in said


def test_compare_lists_the_settings_that_differ_or_matter_and_d_shows_all(tmp_path):
    from rich.console import Console

    from aetui.core.store import sessions
    from aetui.ui.screens.compare import settings_diff
    from aetui.views.replay import Replay

    paths = [synthetic_session(tmp_path, "vae-a", kind="vae"), synthetic_session(tmp_path, "ae-b", kind="ae")]
    replays = [Replay(sessions.open_session(p)) for p in paths]

    def shown(everything: bool) -> str:
        console = Console(width=200, record=True)
        console.print(settings_diff(replays, ["vae-a", "ae-b"], everything))
        return console.export_text()

    default, every = shown(False), shown(True)
    assert "loss.reduction" in default and "net.code" in default  # they differ
    assert "loss.kl_reduction" not in default and "loss.prior" not in default  # no family here uses them
    assert "loss.kl_reduction" in every and "loss.prior" in every and "(d: all, " in default
