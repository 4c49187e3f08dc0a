"""The train screen's keys: start, pause, stop, resume, restart, leave, the log axis, saving a recipe.

A mixin of `TrainScreen` (it uses the screen's workbench, sliders and state)."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from aetui.core import recipe as recipes
from aetui.core.store import paths
from aetui.core.store.sessions import open_session
from aetui.ui.widgets.loss_chart import LossChart
from aetui.ui.widgets.param_slider import ParamSlider


class TrainActions:
    """What the keys of the train screen do."""

    def action_leave(self) -> None:
        """Back to home; an attached run is left to go on by itself."""
        runner = self.workbench.runner
        if runner.attached is not None and runner.active and self.state is not None:
            runner.detach()
            self.notify(f"Left {self.state.session} running; Enter on its row attaches again.", markup=False)
        self.app.pop_screen()

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """Show `u` only when there is a run to resume."""
        if action == "resume":
            return self.resume_from is not None or self.resumable() is not None
        return True

    def resumable(self) -> Path | None:
        """The session this screen's last run left unfinished, if it can go on."""
        state = self.state
        if state is None or self.workbench.runner.active or not state.session or not state.epochs:
            return None
        if state.status in ("stopped", "interrupted", "diverged", "failed"):
            return self.workbench.store / state.session
        return None

    def action_toggle(self) -> None:
        runner = self.workbench.runner
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
            session = self.attempt(lambda: open_session(path))
            if session is None:
                return
            self.resume_from = session
        self.start()

    def start(self) -> None:
        """Start a run with the current slider values (going on with `resume_from` if set)."""
        from aetui.core.training.trainer import check_resumable

        def start() -> bool:
            if self.resume_from is not None:
                check_resumable(self.resume_from, self.settings["epochs"])
            self.workbench.runner.start(self.recipe, dict(self.params), self.settings["epochs"],
                                        self.settings["batch_size"], self.workbench.data_ready,
                                        resume=self.resume_from)
            return True

        if not self.attempt(start):
            return
        self.resume_from = None  # from now on u resumes what this run leaves
        self.stopping = False
        for slider in self.query(".setting").results(ParamSlider):
            slider.locked = True
        self.forget()

    def action_stop(self) -> None:
        if self.state is not None and self.workbench.runner.active:
            self.workbench.runner.stop()
            self.stopping = True
            self.query_one("#status", Static).update(self.status_line())
            self.notify("Stopping after this batch; completed epochs are saved.")

    def action_restart(self) -> None:
        """Start anew with the current settings (a new session); during a run, ask first."""
        runner = self.workbench.runner
        if not (self.state is not None and runner.active):
            self.resume_from = None
            self.start()
            return
        from aetui.ui.screens.dialogs import ConfirmDialog

        async def answer(yes: bool | None) -> None:
            if yes:
                runner.stop()
                await runner.wait()
                runner.drain()
                self.resume_from = None
                self.start()

        self.app.push_screen(ConfirmDialog(f"Stop this run of {self.recipe.name} (completed epochs stay saved) "
                                           "and start a new one with the current settings?"), answer)

    def action_log_scale(self) -> None:
        chart = self.query_one(LossChart)
        chart.log_scale = not chart.drawn_log
        self.workbench.chart_scales["train"] = chart.log_scale
        self.forget()
        self.redraw()

    def action_save(self) -> None:
        from aetui.ui.screens.dialogs import NameDialog

        def save(name: str | None) -> None:
            if not name:
                return
            data = recipes.tuned(self.recipe, name, self.params, self.settings)
            path = self.attempt(lambda: recipes.save_user_recipe(data, paths.user_recipes()))
            if path is not None:
                self.notify(f"Saved as recipe {path.stem} ({path})", markup=False)

        self.app.push_screen(NameDialog("Save these settings as a recipe named:", f"{self.recipe.name}-tuned"), save)
