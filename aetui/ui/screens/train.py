"""Train: sliders for the hyperparameters, the live loss chart, sparsity figures and a preview."""

from __future__ import annotations

import time
from pathlib import Path

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from aetui.core.errors import AetuiError
from aetui.core.hparams import HPARAMS, RUN_SETTINGS
from aetui.core.recipe import Recipe
from aetui.core.runstate import RunState
from aetui.core.sessions import Session
from aetui.ui.widgets.digit_panel import DigitPanel
from aetui.ui.widgets.latent_scatter import LatentScatter
from aetui.ui.widgets.loss_chart import LossChart
from aetui.ui.widgets.param_slider import ParamSlider
from aetui.ui.widgets.sparsity_panel import SparsityPanel

REDRAW_HZ = 4
CHART_EVERY = 0.5
"""Seconds between chart redraws for batch progress alone (a new epoch redraws at once)."""
KEYS = [("space", "start; pause or resume a run"), ("s", "stop (completed epochs stay saved)"),
        ("u", "resume the stopped session from its last epoch, with the current values"),
        ("r", "restart with the current settings (a new session)"), ("ctrl+s", "save the settings as a new recipe"),
        ("l", "loss chart: log scale on/off"), ("up/down, tab", "move between sliders"),
        ("left/right", "adjust the slider (shift: five steps)"), ("enter", "type an exact value"),
        ("escape", "back to home (the run goes on)"), ("?", "this help"), ("q", "quit (asks first during a run)")]


def compact(value: float) -> str:
    """Three significant figures, without the leading zero below one (`.0314`), to fit a narrow column."""
    text = f"{value:.3g}"
    return text[1:] if text.startswith("0.") else text.replace("-0.", "-.")


def parts_table(logs: dict[str, float]) -> Table:
    """The latest epoch's loss parts: train and validation values and each part's share of the loss."""
    table = Table("part", "train", "val", "share", box=None, padding=(0, 1, 0, 0), title="last epoch",
                  title_justify="left")
    total = logs.get("loss") or float("nan")
    for key in ["loss", *sorted(k for k in logs if "_" not in k.replace("disc_acc", "") and k != "loss")]:
        share = "" if key in ("loss", "disc_acc") else f"{logs[key] / total:.0%}" if total else ""
        table.add_row(key, compact(logs[key]), compact(logs.get("val_" + key, float("nan"))), share)
    return table


class TrainScreen(Screen):
    """Tunes and trains one recipe; every view follows the live run state."""

    BINDINGS = [
        Binding("space", "toggle", "start/pause"),
        Binding("s", "stop", "stop"),
        Binding("u", "resume", "resume"),
        Binding("r", "restart", "restart"),
        Binding("ctrl+s", "save", "save recipe"),
        Binding("l", "log_scale", "log y"),
        Binding("up", "app.focus_previous", show=False),
        Binding("down", "app.focus_next", show=False),
        Binding("escape", "app.pop_screen", "home"),
        Binding("question_mark,f1", "help", "help"),
        Binding("q", "app.quit_app", "quit", show=False),
    ]

    def __init__(self, recipe: Recipe, resume: Session | None = None):
        super().__init__()
        self.recipe = recipe
        self.params = dict(recipe.params)
        self.settings = {"epochs": recipe.train["epochs"], "batch_size": recipe.train["batch_size"]}
        self.resume_from: Session | None = None
        self.preview: RunState | None = None
        """The session to resume as it stopped, drawn until the run starts."""
        """The session space (or u) goes on with, until a fresh run starts."""
        runner = self.app.runner
        if runner.state is not None and runner.recipe is recipe:  # coming back to this recipe's run
            self.params.update(runner.state.params)
            self.settings.update(runner.settings)
        if resume is not None:
            self.take_up(resume)
        self.forget()

    def take_up(self, session: Session) -> None:
        """Set the sliders to where `session` stopped; the next start goes on with it."""
        from aetui.core.training import params_at_end

        self.resume_from = session
        self.preview = RunState.resumed_from(session)
        self.params.update(params_at_end(session))
        done, total = session.epochs_done, int(session.meta.get("epochs") or 0)
        self.settings = {"epochs": total if total > done else done + self.recipe.train["epochs"],
                         "batch_size": int(session.meta.get("batch_size", self.settings["batch_size"]))}

    def compose(self) -> ComposeResult:
        yield Static(id="status")
        with Horizontal(id="body"):
            with VerticalScroll(id="params"):
                for name, value in self.params.items():
                    yield ParamSlider(HPARAMS[name], value)
                for name, value in self.settings.items():
                    yield ParamSlider(RUN_SETTINGS[name], value, classes="setting")
                yield Static(id="param-help")
                yield Static(id="parts")
            with Vertical(id="right"):
                with Vertical(id="chart-box"):
                    yield LossChart(id="chart")
                with Horizontal(id="lower"):
                    two_d = self.recipe.net["code"] == 2
                    with Vertical(id="stats", classes="with-scatter" if two_d else ""):
                        yield SparsityPanel(id="sparsity")
                        if two_d:  # a 2-D code: its scatter, under the few latent figures, takes the rest
                            yield LatentScatter(id="scatter")
                    with Vertical(id="preview"):
                        yield DigitPanel(ascii=self.app.ascii, id="digits")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#params").border_title = "hyperparameters"
        self.query_one("#chart-box").border_title = "loss"
        self.query_one("#stats").border_title = {"vae": "latents", "aae": "adversary"}.get(self.recipe.kind,
                                                                                         "sparsity")
        self.query_one("#preview").border_title = "digits / reconstructions"
        self.query(ParamSlider).first().focus()
        self.set_interval(1 / REDRAW_HZ, self.redraw)
        self.redraw()

    @property
    def state(self):
        """The live run state if the run in progress is this screen's, else None."""
        runner = self.app.runner
        return runner.state if runner.state is not None and runner.recipe is self.recipe else None

    def redraw(self) -> None:
        """Bring every view up to date with the run state, if it changed since the last redraw."""
        state = self.state
        version = state.version if state else 0
        self.query_one("#status", Static).update(self.status_line())
        status = (state.status if state else None, self.app.runner.active)
        if status != self.drawn_status:  # `u` comes and goes with what can be resumed
            self.drawn_status = status
            self.refresh_bindings()
        if version == self.drawn_version:
            return
        self.drawn_version = version
        running = state is not None and self.app.runner.active
        for slider in self.query(".setting").results(ParamSlider):  # a resumed run keeps its batch size
            slider.locked = running or (self.resume_from is not None and slider.spec.name == "batch_size")
        if state is None and self.resume_from is not None:  # the session to go on with, as it stopped
            state = self.preview
        if state is None:
            return
        new_epoch = len(state.epochs) != self.drawn_epochs
        now = time.monotonic()
        if new_epoch or now - self.chart_drawn_at >= CHART_EVERY:  # a plotext redraw costs 10-20 ms
            self.chart_drawn_at = now
            chart = self.query_one(LossChart)
            chart.show(state)
            self.query_one("#chart-box").border_subtitle = chart.legend
        if not new_epoch:
            return  # the panels below change once an epoch
        self.drawn_epochs = len(state.epochs)
        last = state.epochs[-1] if state.epochs else None
        self.query_one("#parts", Static).update(parts_table(last.logs) if last else "")
        self.query_one(SparsityPanel).show(last.stats if last else None, state.snapshot, state.params,
                                           self.recipe.kind)
        if state.snapshot is not None and state.fixed is not None:
            self.query_one(DigitPanel).show(state.fixed, state.snapshot["recon"])
            if self.recipe.net["code"] == 2:
                scatter = self.query_one(LatentScatter)
                scatter.show(state.snapshot["codes"], state.fixed["subset_labels"])
                self.query_one("#stats").border_subtitle = scatter.legend

    def forget(self) -> None:
        """Make the next redraw draw every view."""
        self.drawn_version = self.drawn_epochs = -1
        self.chart_drawn_at = 0.0
        self.drawn_status: tuple = ()

    def status_line(self) -> str:
        state, runner = self.state, self.app.runner
        head = f"[b]{self.recipe.name}[/b] ({self.recipe.kind})"
        if state is None:
            busy = f" · a run of {runner.recipe.name} is in progress" if runner.active else ""
            if self.resume_from is not None:
                s = self.resume_from
                return (f"{head} · {s.status} after epoch {s.epochs_done} · [b]space[/b] resumes {s.name} · "
                        f"r starts anew{busy}")
            return f"{head} · ready{busy} · space starts · ? help"
        if state.status in ("running", "paused", "starting"):
            where = f"epoch {max(state.epoch, 1)}/{state.epochs_total}"
            where += f" · batch {state.batch}/{state.steps_per_epoch}" if state.batch else ""
        else:
            where = f"{len(state.epochs)}/{state.epochs_total} epochs saved"
        reason = f" · {state.reason}" if state.status in ("diverged", "failed") else ""
        if self.resumable() is not None:
            reason += " · [b]u[/b] resumes"
        return f"{head} · [b]{state.status}[/b] · {where}{reason} · {state.session}"

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """Show `u` only when there is a run to resume."""
        if action == "resume":
            return self.resume_from is not None or self.resumable() is not None
        return True

    def resumable(self) -> Path | None:
        """The session this screen's last run left unfinished, if it can go on."""
        state = self.state
        if state is None or self.app.runner.active or not state.session or not state.epochs:
            return None
        if state.status in ("stopped", "interrupted", "diverged", "failed"):
            return self.app.store / state.session
        return None

    def on_resize(self, event) -> None:
        self.query_one("#params").styles.width = 32 if event.size.width < 140 else 40

    def on_descendant_focus(self, event) -> None:
        slider = event.widget if isinstance(event.widget, ParamSlider) else None
        if slider is not None:
            self.query_one("#param-help", Static).update(
                f"{slider.spec.help}\nvalid: {slider.spec.describe_range()}")

    def on_param_slider_changed(self, event: ParamSlider.Changed) -> None:
        if event.name in self.settings:
            self.settings[event.name] = int(event.value)
            return
        self.params[event.name] = event.value
        if self.state is not None and self.app.runner.active:
            self.app.runner.set(event.name, event.value)

    def action_toggle(self) -> None:
        runner = self.app.runner
        if self.state is not None and runner.active:
            runner.toggle_pause()
        else:
            self.start()

    def action_resume(self) -> None:
        """Go on with the session this screen's last run left unfinished (or was opened with)."""
        path = self.resumable()
        if path is None and self.resume_from is None:
            self.notify("Nothing to resume: no stopped run here.", severity="warning")
            return
        if path is not None:
            session = self.app.read_session(path)
            if session is None:
                return
            self.resume_from = session
        self.start()

    def start(self) -> None:
        """Start a run with the current slider values (going on with `resume_from` if set)."""
        try:
            if self.resume_from is not None:
                from aetui.core.training import check_resumable

                check_resumable(self.resume_from, self.settings["epochs"])
            self.app.runner.start(self.recipe, dict(self.params), self.settings["epochs"],
                                  self.settings["batch_size"], self.app.data_ready, resume=self.resume_from)
        except AetuiError as err:
            self.notify(str(err), severity="error")
            return
        self.resume_from = None  # from now on u resumes what this run leaves
        for slider in self.query(".setting").results(ParamSlider):
            slider.locked = True
        self.forget()

    def action_stop(self) -> None:
        if self.state is not None and self.app.runner.active:
            self.app.runner.stop()
            self.notify("Stopping after this batch; completed epochs are saved.")

    async def action_restart(self) -> None:
        self.resume_from = None
        runner = self.app.runner
        if self.state is not None and runner.active:
            runner.stop()
            await runner.wait()
            runner.drain()
        self.start()

    def action_log_scale(self) -> None:
        chart = self.query_one(LossChart)
        chart.log_scale = not chart.log_scale
        self.forget()
        self.redraw()

    def action_save(self) -> None:
        from aetui.ui.screens.dialogs import NameDialog

        def save(name: str | None) -> None:
            if name:
                try:
                    path = self.app.save_recipe(self.recipe, name, self.params, self.settings)
                except AetuiError as err:
                    self.notify(str(err), severity="error")
                else:
                    self.notify(f"Saved as recipe {path.stem} ({path})")

        self.app.push_screen(NameDialog("Save these settings as a recipe named:", f"{self.recipe.name}-tuned"), save)

    def action_help(self) -> None:
        from aetui.ui.screens.dialogs import HelpDialog

        self.app.push_screen(HelpDialog(f"Train {self.recipe.name}: keys", KEYS))
