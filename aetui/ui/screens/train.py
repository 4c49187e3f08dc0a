"""Train: sliders for the hyperparameters, the live loss chart, sparsity figures and the digits."""

from __future__ import annotations

import time

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Footer, Static

from aetui.core import conventions
from aetui.core.families.registry import family
from aetui.core.hparams import HPARAMS, RUN_SETTINGS
from aetui.core.recipe import Recipe
from aetui.core.runstate import RunState
from aetui.core.store.sessions import Session
from aetui.ui.screens.base import WorkbenchScreen
from aetui.ui.screens.dialogs import ConfirmDialog, NameDialog
from aetui.ui.screens.train_layout import PARAMS_WIDTH, TrainLayout
from aetui.ui.screens.train_run import TrainRun
from aetui.ui.widgets.digit_panel import WAITING, DigitPanel, ScatterPane
from aetui.ui.widgets.in_place import update_in_place
from aetui.ui.widgets.loss_chart import LossChart
from aetui.ui.widgets.param_slider import ParamSlider
from aetui.ui.widgets.sparsity_panel import SparsityPanel
from aetui.ui.workbench import Workbench
from aetui.views import tables
from aetui.views.registry import LIVE

CHART_EVERY, LINE_EVERY = 0.5, 0.25
"""Seconds between chart redraws (at least), and first-line redraws, for batches and epochs (others: at once)."""
VIEWS_KEYS = Binding.Group("view")
"""The views' keys, listed together in the footer (each view's box is titled with its key)."""


class TrainScreen(WorkbenchScreen):
    """Tunes and trains one recipe; every view follows the live run state. Its keys act through its
    `TrainRun` (the screen draws, notifies and asks first where a key would lose something)."""

    BINDINGS = [
        Binding("escape", "leave", "home", tooltip="back to home (the run goes on; an attached run is left running)"),
        Binding("question_mark,f1", "help", "help", tooltip="this help"),
        Binding("space", "toggle", "start/pause", tooltip="start; pause or resume a run"),
        Binding("s", "stop", "stop", tooltip="stop (completed epochs stay saved)"),
        *[Binding(v.key, f"view('{v.name}')", v.name, group=VIEWS_KEYS, tooltip=f"the {v.title}") for v in LIVE],
        Binding("h", "sliders", "sliders", tooltip="show or hide the sliders' panel"),
        Binding("m", "maximise", "maximise", tooltip="the view alone on the whole screen, or back"),
        Binding("u", "resume", "resume",
                tooltip="resume the stopped session from its last epoch, with the current values"),
        Binding("r", "restart", "restart",
                tooltip="start anew with the current settings (a new session; asks first during a run)"),
        Binding("ctrl+s", "save", "save recipe", tooltip="save the settings as a new recipe"),
        Binding("p", "plan", "plan change", tooltip="plan a change for a later epoch (EPOCH KEY=VALUE ...)"),
        Binding("x", "plan(True)", "cancel planned", show=False, tooltip="drop every change planned ahead"),
        Binding("l", "log_scale", "log y", tooltip="loss chart: log axis on or off (kept while aetui runs)"),
        Binding("up", "app.focus_previous", show=False),
        Binding("down", "app.focus_next", show=False),
        Binding("q", "app.quit_app", "quit", show=False, tooltip="quit (asks first during a run)"),
    ]
    HELP = [(" ".join(v.key for v in LIVE), "below 120x34 one view at a time; larger, a view's key maximises it "
                                            "(again: every view)"),
            ("up/down, tab", "move between sliders"), ("left/right", "adjust the slider (shift: five steps)"),
            ("enter", "type an exact value")]
    """Keys that are not bindings of the screen (the sliders' own), for the help."""

    def __init__(self, recipe: Recipe, workbench: Workbench, resume: Session | None = None):
        super().__init__(workbench)
        self.HELP_TITLE = f"Train {recipe.name}: keys"
        self.recipe = recipe
        self.run = TrainRun(recipe, workbench, resume)
        """The run this screen starts and steers, and the values its next start uses."""
        self.two_d = recipe.net["code"] == 2
        self.arrangement = TrainLayout(self, self.two_d, family(recipe.kind).stats_title)
        """Which views show, and where."""
        self.synced = 0
        """Changes of the run (`state.changes`) the sliders have followed."""
        self.chart_drawn_at, self.line_drawn_at, self.drawn_status = 0.0, 0.0, ()
        self.chart_due = None  # (the timer that redraws the chart when it is next due, while one is pending)

    def compose(self) -> ComposeResult:
        graphics = self.workbench.graphics
        yield Static(id="status")
        with Horizontal(id="body"):
            with VerticalScroll(id="params"):
                for name, value in self.run.params.items():
                    yield ParamSlider(HPARAMS[name], value)
                for name, value in self.run.settings.items():
                    yield ParamSlider(RUN_SETTINGS[name], value, classes="setting")
                yield Static(id="param-help")
                yield Static(id="parts")
            with Vertical(id="right"):
                with Vertical(id="chart-box"):
                    yield LossChart(id="chart")
                with Vertical(id="stats", classes="with-scatter" if self.two_d else ""):
                    yield SparsityPanel(id="sparsity")
                    if self.two_d:  # a 2-D code: its scatter, under the few latent figures, takes the rest
                        yield ScatterPane(graphics, id="scatter")
                with Vertical(id="preview"):
                    yield DigitPanel(graphics, id="digits")
        yield Footer(compact=True, show_command_palette=False)  # (room for the views' keys at 80 columns)

    def on_mount(self) -> None:
        self.query_one("#params").border_title = "hyperparameters"
        self.query_one(LossChart).log_scale = self.workbench.chart_scales.get("train")
        self.query_one(ParamSlider).focus()
        self.redraw()

    def on_screen_resume(self) -> None:
        self.workbench.runner.prepare = self.arrangement.prepare  # (the epoch's pictures, in the training thread)
        self.redraw()  # (the run went on while another screen was on top)

    def on_screen_suspend(self) -> None:
        if self.workbench.runner.prepare == self.arrangement.prepare:
            self.workbench.runner.prepare = None

    def run_moved(self, event) -> None:
        """Redraw what `event` changes (a batch or an epoch: the chart every `LossChart.every`, a line LINE_EVERY)."""
        from aetui.core import events
        chart, now = not isinstance(event, (events.SnapshotTaken, events.Validating)), time.monotonic()
        every = self.query_one(LossChart).every(CHART_EVERY)  # (more where a redraw costs more)
        if isinstance(event, (events.BatchEnded, events.EpochEnded)) and now - self.chart_drawn_at < every:
            chart = False  # (a batch's line too: at most every LINE_EVERY; the due redraw shows the latest)
            if self.chart_due is None:
                self.chart_due = self.set_timer(every - (now - self.chart_drawn_at), self.draw_due_chart)
            if isinstance(event, events.BatchEnded) and now - self.line_drawn_at < LINE_EVERY:
                return
        self.redraw(chart=chart, panels=isinstance(event, (events.EpochEnded, events.SnapshotTaken,
                                                           events.TrainingStarted, events.TrainingResumed)))

    def draw_due_chart(self) -> None:
        self.chart_due = None
        self.redraw(panels=False)

    def on_resize(self, event) -> None:
        self.arrangement.place()

    def redraw(self, chart: bool = True, panels: bool = True) -> None:
        """Bring the views up to date with the run state: the first line always, the chart and panels if asked."""
        state = self.run.state
        self.query_one("#status", Static).update(self.run.status_line(), layout=False)  # (one row, always)
        self.line_drawn_at = time.monotonic()
        status = (state.status if state else None, self.workbench.runner.active, self.run.resume_from is not None)
        if status != self.drawn_status:  # `u` comes and goes with what can be resumed
            self.drawn_status = status
            self.refresh_bindings()
            running = state is not None and self.workbench.runner.active
            for slider in self.query(".setting").results(ParamSlider):  # a resumed run keeps its batch size
                slider.locked = running or (self.run.resume_from is not None and slider.spec.name == "batch_size")
        if state is not None:
            self.follow_changes(state)
        if state is None and self.run.resume_from is not None:  # the session to go on with, as it stopped
            state = self.run.preview
        if state is None:
            return
        if chart:  # (a plotext redraw costs 10-40 ms: batches and epochs redraw it every `LossChart.every`)
            if self.chart_due is not None:
                self.chart_due.stop()
            self.chart_drawn_at, self.chart_due = time.monotonic(), None
            loss_chart = self.query_one(LossChart)
            loss_chart.show(state, pending=self.run.planned_at())
            self.query_one("#chart-box").border_subtitle = loss_chart.legend
        if not panels:
            return  # the panels below change once an epoch
        last = state.epochs[-1] if state.epochs else None
        update_in_place(self.query_one("#parts", Static), tables.parts_table(last.logs, last.stats) if last else "")
        self.query_one(SparsityPanel).show(last.stats if last else None, state.snapshot, state.params, self.recipe.kind)
        digits = self.query_one(DigitPanel)
        if state.snapshot is not None and state.fixed is not None:
            if digits.make is not None and digits.data is state.snapshot:
                return  # (its pictures show already)
            native = digits.native
            digits.show_digits(state.fixed, state.snapshot["recon"], state.snapshot.get("noisy"), state.snapshot)
            if digits.native != native:  # the first digits of a run: their size decides the layout
                self.arrangement.place()
            if self.two_d:
                self.query_one(ScatterPane).show_codes(state.snapshot["codes"], state.fixed["subset_labels"],
                                                       state.snapshot)
        else:  # a new run: nothing of the last one's stays
            digits.clear(WAITING)
            if self.two_d:
                self.query_one(ScatterPane).clear()

    def follow_changes(self, state: RunState) -> None:
        """Move the sliders to values changed by others (`aetui tune`, another attached workbench);
        a change this workbench made (its origin) is where its slider already is, or has moved on."""
        if self.synced > len(state.changes):  # (a new run's state)
            self.synced = 0
        fresh, self.synced = state.changes[self.synced:], len(state.changes)
        mine = self.workbench.runner.origin
        for change in fresh:
            if change.name not in self.run.params or change.origin == mine:
                continue
            self.run.params[change.name] = change.new
            for slider in self.query(ParamSlider):
                if slider.spec.name == change.name:
                    slider.set_value(change.new, announce=False)

    def on_descendant_focus(self, event) -> None:
        slider = event.widget if isinstance(event.widget, ParamSlider) else None
        if slider is not None:
            valid = slider.spec.describe_range()
            gap = " " if len(valid) + 7 <= PARAMS_WIDTH[self.size.width >= 140] - 4 else "\n"
            part = conventions.of_hparam(self.recipe, slider.spec.name)
            said = family(self.recipe.kind).help_of(slider.spec)
            self.query_one("#param-help", Static).update(Text(f"{said}\nvalid:{gap}{valid}" +
                                                              (f"\n{part}" if part else "")))

    def on_param_slider_changed(self, event: ParamSlider.Changed) -> None:
        self.run.change(event.name, event.value)
        self.query_one("#status", Static).update(self.run.status_line())  # (an attached run's `pending`)

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """Show `u` only when there is a run to resume, a view's key only where the recipe has the view."""
        if action == "resume":
            return self.run.resume_from is not None or self.run.resumable() is not None
        if action == "view":
            return any(v.name == parameters[0] for v in self.arrangement.views)
        return True

    def start(self) -> None:
        """Start a run with the current values; the settings stay as they are while it runs."""
        if not self.attempt(self.run.start):
            return
        for slider in self.query(".setting").results(ParamSlider):
            slider.locked = True
        self.synced = 0
        self.redraw()

    def action_toggle(self) -> None:
        self.run.pause_or_go_on() if self.run.running else self.start()

    def action_stop(self) -> None:
        if self.run.stop():
            self.query_one("#status", Static).update(self.run.status_line())
            self.notify("Stopping after this batch; completed epochs are saved.")

    def action_resume(self) -> None:
        """Go on with the session this screen's last run left unfinished (or was opened with)."""
        ready = self.attempt(self.run.prepare_resume)
        if ready is False:
            self.notify("Nothing to resume: no stopped run here.", severity="warning")
        elif ready:
            self.start()

    def action_restart(self) -> None:
        """Start anew with the current settings (a new session); during a run, ask first."""
        if not self.run.running:
            self.run.resume_from = None
            self.start()
            return

        async def answer(yes: bool | None) -> None:
            if yes:
                await self.run.end()
                self.run.resume_from = None
                self.start()

        self.app.push_screen(ConfirmDialog(f"Stop this run of {self.recipe.name} (completed epochs stay saved) "
                                           "and start a new one with the current settings?"), answer)

    def action_leave(self) -> None:
        """Back to home; an attached run is left to go on by itself."""
        if (left := self.run.leave()) is not None:
            self.notify(f"Left {left} running; Enter on its row attaches again.", markup=False)
        self.app.pop_screen()

    def action_view(self, name: str) -> None:
        self.arrangement.choose(name)

    def action_maximise(self) -> None:
        self.arrangement.maximise()

    def action_sliders(self) -> None:
        self.arrangement.toggle_sliders()

    def action_log_scale(self) -> None:
        chart = self.query_one(LossChart)
        chart.log_scale = not chart.drawn_log
        self.workbench.chart_scales["train"] = chart.log_scale
        self.redraw(panels=False)

    def action_save(self) -> None:
        def save(name: str | None) -> None:
            path = self.attempt(lambda: self.run.save_recipe(name)) if name else None
            if path is not None:
                self.notify(f"Saved as recipe {path.stem} ({path})", markup=False)

        self.app.push_screen(NameDialog("Save these settings as a recipe named:", f"{self.recipe.name}-tuned"), save)

    def action_plan(self, cancel: bool = False) -> None:
        """`p`: plan a change for a later epoch (asked as `EPOCH KEY=VALUE ...`); `x`: drop the plan."""
        def plan(text: str | None) -> None:
            if (said := self.attempt(lambda: self.run.plan(text)) if text or cancel else None) is not None:
                self.notify(said, markup=False)
                self.redraw(panels=False)  # (the first line and the chart show what is planned)

        plan(None) if cancel else self.app.push_screen(NameDialog(
            "Plan a change: EPOCH KEY=VALUE ...", "", "Enter: from that epoch's first batch; Escape cancels"), plan)
