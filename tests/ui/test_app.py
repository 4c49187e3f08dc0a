"""The app with the scripted trainer: home, the train screen's keys, live changes, quitting."""

from pathlib import Path

from textual.widgets import DataTable

from aetui.core import recipe as recipes
from aetui.ui.screens.dialogs import ChoiceDialog, HelpDialog
from aetui.ui.screens.replay import ReplayScreen
from aetui.ui.screens.train import TrainScreen
from aetui.ui.widgets.loss_chart import LossChart
from aetui.ui.widgets.param_slider import ParamSlider
from tests.support import ended, fake_session, open_recipe, started, until
from tests.ui.scripted import ScriptedTrainer


async def test_home_lists_recipes_sessions_and_data(make_app):
    fake_session(Path("sessions"), "old-run", "ae-32", 3, "finished", "2026-01-02T03:04:05")
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: "digits" in app.workbench.info_line())
        recipes_table = app.screen.query_one("#recipes", DataTable)
        assert {Path(k.value).stem for k in recipes_table.rows} >= {"vae-2d", "sparse-kl", "aae-mixture"}
        sessions_table = app.screen.query_one("#sessions", DataTable)
        row = [str(cell) for cell in sessions_table.get_row_at(0)]
        assert row[0] == "old-run" and row[1] == "finished" and row[2] == "-" and row[4] == "3/30"  # (no figure yet)
        sessions_table.focus()
        await pilot.press("enter")
        assert isinstance(app.screen, ReplayScreen)
        await pilot.press("escape", "question_mark")
        assert isinstance(app.screen, HelpDialog)


async def test_train_screen_start_live_change_stop(make_app):
    trainer = ScriptedTrainer(hold=True)
    app = make_app(trainer)
    async with app.run_test(size=(100, 32)) as pilot:
        await open_recipe(pilot, app, "sparse-kl")
        screen = app.screen
        assert [s.spec.name for s in screen.query(ParamSlider)] == ["learning_rate", "beta", "p", "weight_decay",
                                                                     "epochs", "batch_size"]
        beta = screen.query_one("#slider-beta", ParamSlider)
        beta.focus()
        await pilot.press("right")  # before start: changes the starting value
        assert screen.run.params["beta"] > 3.0
        await pilot.press("space")
        await until(pilot, lambda: app.runner.state.epochs)
        assert trainer.calls[0]["params"]["beta"] == screen.run.params["beta"]
        assert screen.query_one("#slider-epochs", ParamSlider).locked
        await until(pilot, lambda: app.screen.query_one(LossChart).legend)  # the chart drew curves
        before = beta.value
        await pilot.press("left", "left")
        trainer.release.set()
        await until(pilot, lambda: app.runner.state.changes)
        change = app.runner.state.changes[0]
        assert change.name == "beta" and change.old == before and change.new < before
        await until(pilot, lambda: ended(app))
        assert app.runner.state.status == "finished"


async def test_pause_resume_and_stop_keys(make_app):
    trainer = ScriptedTrainer(hold=True)
    app = make_app(trainer)
    async with app.run_test(size=(100, 32)) as pilot:
        await started(pilot, app, "ae-32")
        await pilot.press("space")
        assert app.runner.controls.paused
        await pilot.press("space")
        assert not app.runner.controls.paused
        await pilot.press("s")
        trainer.release.set()
        await until(pilot, lambda: ended(app))
        assert app.runner.state.status in ("stopped", "finished")


async def test_escape_keeps_the_run_and_t_returns(make_app):
    trainer = ScriptedTrainer(hold=True)
    app = make_app(trainer)
    async with app.run_test(size=(100, 32)) as pilot:
        await started(pilot, app, "ae-32")
        await pilot.press("escape")
        assert not isinstance(app.screen, TrainScreen) and app.runner.active
        assert "training ae-32" in app.workbench.info_line()
        await pilot.press("t")
        assert isinstance(app.screen, TrainScreen)
        trainer.release.set()
        await until(pilot, lambda: ended(app))


async def test_quit_mid_run_asks_then_stops(make_app):
    trainer = ScriptedTrainer(hold=True)
    app = make_app(trainer)
    async with app.run_test(size=(100, 32)) as pilot:
        await started(pilot, app, "ae-32")
        await pilot.press("escape", "q")
        assert isinstance(app.screen, ChoiceDialog)
        await pilot.press("escape")  # cancel
        assert app.runner.active and not isinstance(app.screen, ChoiceDialog)
        await pilot.press("q", "s")  # stop it
        trainer.release.set()
        await until(pilot, lambda: ended(app))
    assert app.runner.state.status == "stopped"


async def test_save_settings_as_a_recipe(make_app):
    app = make_app(ScriptedTrainer())
    async with app.run_test(size=(100, 32)) as pilot:
        await open_recipe(pilot, app, "sparse-l1")
        app.screen.query_one("#slider-lam", ParamSlider).set_value(1e-4)
        await pilot.press("ctrl+s")
        app.screen.query_one("#name").value = "l1-blurry"
        await pilot.press("enter")
    saved = recipes.load_file(Path("user-models/l1-blurry.toml"))
    assert saved.params["lam"] == 1e-4 and saved.kind == "sparse" and "tuned" in saved.description


async def test_a_recipe_name_with_no_usable_character_is_one_notification(make_app):
    app = make_app(ScriptedTrainer())
    async with app.run_test(size=(100, 32)) as pilot:
        await open_recipe(pilot, app, "ae-32")
        await pilot.press("ctrl+s")
        app.screen.query_one("#name").value = "///"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, TrainScreen) and app.is_running
        assert any("no usable characters" in str(n.message) for n in app._notifications)


async def test_command_palette_offers_screen_actions(make_app):
    app = make_app(ScriptedTrainer())
    async with app.run_test(size=(100, 32)) as pilot:
        await open_recipe(pilot, app, "ae-32")
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "train: start/pause" in titles and "train: stop" in titles and "train: save recipe" in titles


async def test_compare_has_its_help_made_from_its_bindings(make_app):
    from aetui.ui.messages import Compare
    from aetui.ui.screens.compare import CompareScreen
    from tests.support import synthetic_session

    paths = [synthetic_session(Path("sessions"), name, epochs=2, code=2, kind="ae") for name in ("run-a", "run-b")]
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        app.post_message(Compare(paths))
        await until(pilot, lambda: isinstance(app.screen, CompareScreen))
        compare = app.screen
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpDialog))
        said = " ".join(f"{key} {what}" for key, what in app.screen.keys)
        for binding in compare.BINDINGS:
            if binding.show and binding.description:
                assert (binding.tooltip or binding.description) in said, (binding, said)


def test_the_readme_lists_every_key_of_every_screen():
    """Every key a screen shows in its footer is in the README's key table, under that screen."""
    import re

    from aetui.ui.screens.compare import CompareScreen
    from aetui.ui.screens.home import HomeScreen

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    table = readme.split("### Keys", 1)[1].split("\n\n", 2)[1]
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in table.splitlines()[2:]]
    named = {"space": "Space", "escape": "Escape", "enter": "Enter", "tab": "Tab", "left": "Left", "right": "Right",
             "up": "Up", "down": "Down", "home": "Home", "end": "End", "question_mark": "`?`", "f1": "F1"}
    for screen in (HomeScreen, TrainScreen, ReplayScreen, CompareScreen):
        area = screen.__name__.removesuffix("Screen").lower()
        keys = " ".join(key for where, key, _ in rows if area in where or where == "everywhere")
        for binding in screen.BINDINGS:
            if not (binding.show and binding.description):
                continue
            key = binding.key.split(",")[0]
            written = named.get(key) or (f"Ctrl+{key[5:].upper()}" if key.startswith("ctrl+") else f"`{key}`")
            if re.fullmatch(r"`\d`", written):
                written = "`1` ..."  # (the views' numbers are one row)
            assert written in keys, f"{area}: {binding.key} ({binding.description}) is not in the README's keys"


async def test_save_a_recipe_whose_description_holds_an_emoji(make_app):
    """Ctrl+S writes UTF-8 as it is (not JSON's surrogate escapes, which TOML refuses): the recipe
    loads again, its description whole."""
    Path("models").mkdir()
    ae = (Path(__file__).parents[2] / "models" / "ae-32.toml").read_text()
    Path("models/smiling.toml").write_text('description = "digits 😀 \\"quoted\\" \\\\ tab\\t"\n' + "\n".join(
        line for line in ae.splitlines() if not line.startswith("description")) + "\n", encoding="utf-8")
    app = make_app(ScriptedTrainer())
    async with app.run_test(size=(100, 32)) as pilot:
        await open_recipe(pilot, app, "smiling")
        await pilot.press("ctrl+s")
        app.screen.query_one("#name").value = "smiling-tuned"
        await pilot.press("enter")
    raw = Path("user-models/smiling-tuned.toml").read_bytes()
    assert "😀".encode() in raw and b"\\ud83d" not in raw
    raw.decode("utf-8", "strict")
    saved = recipes.load_file(Path("user-models/smiling-tuned.toml"))
    assert saved.description.startswith('digits 😀 "quoted" \\ tab\t (tuned: ')


async def test_a_fallback_to_the_8x8_digits_is_said_on_a_line_of_its_own(make_app):
    from aetui.core import data

    def load():
        fallback = data.load("digits").limited(256)
        fallback.note = "MNIST is not cached and cannot be downloaded: using the embedded 8x8 digits"
        return fallback

    app = make_app(load=load)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: "MNIST is not cached" in str(app.screen.query_one("#info").render()))
        lines = str(app.screen.query_one("#info").render()).splitlines()
        assert any(line.startswith("MNIST is not cached") for line in lines)  # (its own line, not mid-sentence)


async def test_ctrl_c_quits_as_ctrl_q_does_asking_first_during_a_run(make_app):
    trainer = ScriptedTrainer(hold=True)
    app = make_app(trainer)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot, app, "ae-32")
        await pilot.press("ctrl+c")
        assert isinstance(app.screen, ChoiceDialog)  # (the same question as Ctrl+Q)
        await pilot.press("s")
        trainer.release.set()
        await until(pilot, lambda: ended(app))
    assert app.runner.state.status == "stopped"
    idle = make_app()
    async with idle.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+c")  # (no run: it quits)
        await pilot.pause()
        assert idle.return_code == 0  # (it was asked to exit)


async def test_up_and_down_walk_every_slider_at_80x24_and_keep_it_in_view(make_app):
    """During a run, at 80x24: Down from the first slider reaches each in turn (the panel scrolls to
    it, never instead of moving), and Up walks back."""
    trainer = ScriptedTrainer(hold=True)
    app = make_app(trainer)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_recipe(pilot, app, "sparse-kl")
        await pilot.press("space")
        await until(pilot, lambda: app.runner.state.status == "running")
        sliders = list(app.screen.query(ParamSlider))
        panel = app.screen.query_one("#params")
        sliders[0].focus()
        await pilot.pause()

        def in_view(slider) -> bool:
            return panel.region.contains_region(slider.region) and slider.region.height > 0

        for want in [*sliders[1:], *reversed(sliders[:-1])]:
            await pilot.press("down" if sliders.index(want) > sliders.index(app.focused) else "up")
            await pilot.pause()
            assert app.focused is want and in_view(want), (want.spec.name, app.focused)
        trainer.release.set()
        await until(pilot, lambda: ended(app))


async def test_the_quit_question_goes_when_its_run_ends_while_it_is_shown(make_app):
    trainer = ScriptedTrainer(hold=True)
    app = make_app(trainer)
    async with app.run_test(size=(80, 24)) as pilot:
        await started(pilot, app, "ae-32")
        await pilot.press("q")
        assert isinstance(app.screen, ChoiceDialog)
        trainer.release.set()  # (the run finishes while the question is shown)
        await until(pilot, lambda: ended(app) and not isinstance(app.screen, ChoiceDialog))
        assert app.return_code is None  # (still open: the user quits with q, now without a question)
        await until(pilot, lambda: not app.runner.active)
        await pilot.press("q")
        await pilot.pause()
        assert app.return_code == 0
