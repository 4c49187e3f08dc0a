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
from aetui.core.store.sessions import Session, open_session
from aetui.ui.screens.base import WorkbenchScreen
from aetui.ui.screens.train_run import TrainRun
from aetui.ui.widgets.digit_panel import WAITING, DigitPanel, ScatterPane
from aetui.ui.widgets.loss_chart import LossChart
from aetui.ui.widgets.param_slider import ParamSlider
from aetui.ui.widgets.sparsity_panel import SparsityPanel
from aetui.ui.workbench import Workbench
from aetui.views import tables

REDRAW_HZ = 4
CHART_EVERY = 0.5
"""Seconds between chart redraws for batch progress alone (a new epoch redraws at once)."""
PARAMS_WIDTH = {True: 40, False: 30}
"""Columns of the sliders' panel (from 140 columns, below)."""
WIDE = (120, 34)
"""From this many columns and rows the digits take the whole width under the chart, with the
figures beside the chart; below it they share the lower row with the figures."""
CHART_ROWS = {True: 12, False: 8}
"""Rows the chart keeps at least (wide, narrow) before the digits take the rest."""
FIGURES_WIDTH = {True: (34, 46), False: (18, 18)}
"""Columns of the figures panel (without, with a 2-D scatter) when wide and narrow."""
ECHO_SECONDS = 1.0
"""A change the run reports within this long of the user moving that slider is taken as its echo."""


class TrainScreen(WorkbenchScreen):
    """Tunes and trains one recipe; every view follows the live run state. Its keys act through its
    `TrainRun` (the screen draws, notifies and asks first where a key would lose something)."""

    BINDINGS = [
        Binding("escape", "leave", "home", tooltip="back to home (the run goes on; an attached run is left running)"),
        Binding("question_mark,f1", "help", "help", tooltip="this help"),
        Binding("space", "toggle", "start/pause", tooltip="start; pause or resume a run"),
        Binding("s", "stop", "stop", tooltip="stop (completed epochs stay saved)"),
        Binding("u", "resume", "resume",
                tooltip="resume the stopped session from its last epoch, with the current values"),
        Binding("r", "restart", "restart",
                tooltip="start anew with the current settings (a new session; asks first during a run)"),
        Binding("ctrl+s", "save", "save recipe", tooltip="save the settings as a new recipe"),
        Binding("l", "log_scale", "log y", tooltip="loss chart: log axis on or off (kept while aetui runs)"),
        Binding("up", "app.focus_previous", show=False),
        Binding("down", "app.focus_next", show=False),
        Binding("q", "app.quit_app", "quit", show=False, tooltip="quit (asks first during a run)"),
    ]
    HELP = [("up/down, tab", "move between sliders"), ("left/right", "adjust the slider (shift: five steps)"),
            ("enter", "type an exact value")]
    """Keys that are not bindings of the screen (the sliders' own), for the help."""

    def __init__(self, recipe: Recipe, workbench: Workbench, resume: Session | None = None):
        super().__init__(workbench)
        self.HELP_TITLE = f"Train {recipe.name}: keys"
        self.recipe = recipe
        self.run = TrainRun(recipe, workbench, resume)
        """The run this screen starts and steers, and the values its next start uses."""
        self.two_d = recipe.net["code"] == 2
        self.wide: bool | None = None
        self.synced = 0
        """Changes of the run (`state.changes`) the sliders show."""
        self.touched: dict[str, float] = {}
        """When the user last moved each slider (a change coming back from the run then is its echo)."""
        self.forget()

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
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#params").border_title = "hyperparameters"
        self.query_one("#chart-box").border_title = "loss"
        self.query_one("#stats").border_title = family(self.recipe.kind).stats_title
        self.query_one("#preview").border_title = "digits / reconstructions"
        self.query_one(LossChart).log_scale = self.workbench.chart_scales.get("train")
        self.query_one(ParamSlider).focus()
        self.set_interval(1 / REDRAW_HZ, self.redraw)
        self.redraw()

    def on_resize(self, event) -> None:
        self.query_one("#params").styles.width = PARAMS_WIDTH[event.size.width >= 140]
        self.place_panels(event.size.width, event.size.height)

    def place_panels(self, width: int, height: int) -> None:
        """Give the digits the room they need: under the chart across the whole width where the
        screen is wide (the figures beside the chart), else beside the figures under it."""
        wide = width >= WIDE[0] and height >= WIDE[1]
        right_w, right_h = width - PARAMS_WIDTH[width >= 140], height - 2
        figures_w = FIGURES_WIDTH[wide][self.two_d]
        digits = self.query_one(DigitPanel)
        room_w = right_w - 2 - (0 if wide else figures_w)
        room_h = right_h - CHART_ROWS[wide] - 2
        if self.workbench.graphics.pixels:  # digits would grow into every row: the chart keeps half
            room_h = min(room_h, max(right_h // 2, 8))
        columns, rows = digits.wanted(room_w, room_h)
        rows = min(rows, room_h)  # the chart keeps its rows, even where no digit fits whole
        right = self.query_one("#right")
        chart, stats, preview = (self.query_one(name) for name in ("#chart-box", "#stats", "#preview"))
        right.styles.grid_rows = f"1fr {rows + 2}"
        if wide:
            right.styles.grid_columns = f"1fr {figures_w}"
            chart.styles.column_span, preview.styles.column_span = 1, 2
        else:
            right.styles.grid_columns = f"1fr {columns + 2}"
            chart.styles.column_span, preview.styles.column_span = 2, 1
        stats.styles.column_span = 1
        self.wide = wide

    def redraw(self) -> None:
        """Bring every view up to date with the run state, if it changed since the last redraw."""
        state = self.run.state
        version = state.version if state else 0
        self.query_one("#status", Static).update(self.run.status_line())
        status = (state.status if state else None, self.workbench.runner.active)
        if status != self.drawn_status:  # `u` comes and goes with what can be resumed
            self.drawn_status = status
            self.refresh_bindings()
        if version == self.drawn_version:
            return
        self.drawn_version = version
        if state is not None:
            self.follow_changes(state)
        running = state is not None and self.workbench.runner.active
        for slider in self.query(".setting").results(ParamSlider):  # a resumed run keeps its batch size
            slider.locked = running or (self.run.resume_from is not None and slider.spec.name == "batch_size")
        if state is None and self.run.resume_from is not None:  # the session to go on with, as it stopped
            state = self.run.preview
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
        self.query_one("#parts", Static).update(tables.parts_table(last.logs, last.stats) if last else "")
        self.query_one(SparsityPanel).show(last.stats if last else None, state.snapshot, state.params,
                                           self.recipe.kind)
        digits = self.query_one(DigitPanel)
        if state.snapshot is not None and state.fixed is not None:
            native = digits.native
            digits.show_digits(state.fixed, state.snapshot["recon"])
            if digits.native != native:  # the first digits of a run: their size decides the layout
                self.place_panels(self.size.width, self.size.height)
            if self.two_d:
                self.query_one(ScatterPane).show_codes(state.snapshot["codes"], state.fixed["subset_labels"])
        else:  # a new run: nothing of the last one's stays
            digits.clear(WAITING)
            if self.two_d:
                self.query_one(ScatterPane).clear()

    def follow_changes(self, state: RunState) -> None:
        """Move the sliders to values changed by others (`aetui tune`, another attached workbench)."""
        fresh, self.synced = state.changes[self.synced:], len(state.changes)
        now = time.monotonic()
        for change in fresh:
            if change.name not in self.run.params or now - self.touched.get(change.name, 0.0) < ECHO_SECONDS:
                continue
            self.run.params[change.name] = change.new
            for slider in self.query(ParamSlider):
                if slider.spec.name == change.name:
                    slider.set_value(change.new, announce=False)

    def forget(self) -> None:
        """Make the next redraw draw every view."""
        self.drawn_version = self.drawn_epochs = -1
        self.synced = 0
        self.chart_drawn_at = 0.0
        self.drawn_status: tuple = ()

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
        if event.name not in self.run.settings:
            self.touched[event.name] = time.monotonic()
        self.run.change(event.name, event.value)

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """Show `u` only when there is a run to resume."""
        if action == "resume":
            return self.run.resume_from is not None or self.run.resumable() is not None
        return True

    def start(self) -> None:
        """Start a run with the current values; the settings stay as they are while it runs."""
        if not self.attempt(self.run.start):
            return
        for slider in self.query(".setting").results(ParamSlider):
            slider.locked = True
        self.forget()

    def action_toggle(self) -> None:
        if self.run.running:
            self.run.pause_or_go_on()
        else:
            self.start()

    def action_stop(self) -> None:
        if self.run.stop():
            self.query_one("#status", Static).update(self.run.status_line())
            self.notify("Stopping after this batch; completed epochs are saved.")

    def action_resume(self) -> None:
        """Go on with the session this screen's last run left unfinished (or was opened with)."""
        path = self.run.resumable()
        if path is None and self.run.resume_from is None:
            self.notify("Nothing to resume: no stopped run here.", severity="warning")
            return
        if path is not None:
            session = self.attempt(lambda: open_session(path))
            if session is None:
                return
            self.run.resume_from = session
        self.start()

    def action_restart(self) -> None:
        """Start anew with the current settings (a new session); during a run, ask first."""
        if not self.run.running:
            self.run.resume_from = None
            self.start()
            return
        from aetui.ui.screens.dialogs import ConfirmDialog

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

    def action_log_scale(self) -> None:
        chart = self.query_one(LossChart)
        chart.log_scale = not chart.drawn_log
        self.workbench.chart_scales["train"] = chart.log_scale
        self.forget()
        self.redraw()

    def action_save(self) -> None:
        from aetui.ui.screens.dialogs import NameDialog

        def save(name: str | None) -> None:
            path = self.attempt(lambda: self.run.save_recipe(name)) if name else None
            if path is not None:
                self.notify(f"Saved as recipe {path.stem} ({path})", markup=False)

        self.app.push_screen(NameDialog("Save these settings as a recipe named:", f"{self.recipe.name}-tuned"), save)
