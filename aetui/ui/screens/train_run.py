"""The run a train screen starts and steers, apart from how the screen draws it: what the next start
uses (the recipe, the sliders' values, the session it goes on with), what its keys do to the run
(start, pause, stop, resume, restart, leave, save the settings as a recipe, plan a change for a
later epoch and drop the plan) and the line that says where the run is. Plain Python over the
workbench's `Runner`: tested without a screen."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text

from aetui.core import events
from aetui.core import recipe as recipes
from aetui.core.recipe import Recipe
from aetui.core.runstate import RunState
from aetui.core.store import paths
from aetui.core.store.sessions import Session
from aetui.ui.workbench import Workbench


class TrainRun:
    """One train screen's run: its next start, and the run in progress if it is this recipe's."""

    def __init__(self, recipe: Recipe, workbench: Workbench, resume: Session | None = None):
        self.recipe = recipe
        self.workbench = workbench
        self.params = dict(recipe.params)
        """The hyperparameters the sliders show (and the next start uses)."""
        self.settings = {"epochs": recipe.train["epochs"], "batch_size": recipe.train["batch_size"]}
        self.resume_from: Session | None = None
        """The session the next start goes on with, until a fresh run starts."""
        self.preview: RunState | None = None
        """The session to resume as it stopped, drawn until the run starts."""
        self.stopping = False
        """A stop was asked for: the status line says so until the run has ended."""
        runner = workbench.runner
        if runner.state is not None and runner.recipe is recipe:  # coming back to this recipe's run
            self.params.update(runner.state.params)
            self.settings.update(runner.settings)
        if resume is not None:
            self.take_up(resume)

    @property
    def state(self) -> RunState | None:
        """The live run state if the run in progress is this screen's, else None."""
        runner = self.workbench.runner
        return runner.state if runner.state is not None and runner.recipe is self.recipe else None

    @property
    def running(self) -> bool:
        """True while this screen's run is in progress."""
        return self.state is not None and self.workbench.runner.active

    def take_up(self, session: Session) -> None:
        """Set the values to where `session` stopped; the next start goes on with it."""
        from aetui.core.training.trainer import params_at_end

        self.resume_from = session
        self.preview = RunState.resumed_from(session)
        self.params.update(params_at_end(session))
        done, total = session.epochs_done, session.meta.epochs
        self.settings = {"epochs": total if total > done else done + self.recipe.train["epochs"],
                         "batch_size": session.meta.batch_size or self.settings["batch_size"]}

    def resumable(self) -> Path | None:
        """The session this screen's last run left unfinished, if it can go on."""
        state = self.state
        if state is None or self.workbench.runner.active or not state.session or not state.epochs:
            return None
        if state.status in ("stopped", "interrupted", "diverged", "failed"):
            return self.workbench.store / state.session
        return None

    def start(self) -> bool:
        """Start a run with the current values (going on with `resume_from` if set); True once
        started (an AetuiError says why not)."""
        from aetui.core.training.trainer import check_resumable

        if self.resume_from is not None:
            check_resumable(self.resume_from, self.settings["epochs"])
        self.workbench.runner.start(self.recipe, dict(self.params), self.settings["epochs"],
                                    self.settings["batch_size"], self.workbench.data_ready, resume=self.resume_from)
        self.resume_from = None  # from now on u resumes what this run leaves
        self.stopping = False
        return True

    def pause_or_go_on(self) -> None:
        """Pause the run in progress, or let a paused one go on."""
        self.workbench.runner.toggle_pause()

    def stop(self) -> bool:
        """Ask the run in progress to stop after its batch; False where none is."""
        if not self.running:
            return False
        self.workbench.runner.stop()
        self.stopping = True
        return True

    async def end(self) -> None:
        """Stop the run in progress and wait until it has ended."""
        runner = self.workbench.runner
        runner.stop()
        await runner.wait()

    def leave(self) -> str | None:
        """Leaving the screen: an attached run is let go of (it goes on); returns its session."""
        runner = self.workbench.runner
        if runner.attached is not None and runner.active and self.state is not None:
            runner.detach()
            return self.state.session
        return None

    def change(self, name: str, value: float) -> None:
        """A slider moved: the next start uses the value, the run in progress takes it now."""
        if name in self.settings:
            self.settings[name] = int(value)
            return
        self.params[name] = value
        if self.running:
            self.workbench.runner.set(name, value)

    def prepare_resume(self) -> bool:
        """Set the session to go on with: the one this screen's last run left unfinished (or was
        opened with); False where there is none."""
        from aetui.core.store.sessions import open_session

        path = self.resumable()
        if path is None and self.resume_from is None:
            return False
        if path is not None:
            self.resume_from = open_session(path)
        return True

    def plan(self, text: str | None) -> str:
        """Plan `EPOCH KEY=VALUE ...` in the run in progress, from that epoch's first batch (recorded
        like any change once it applies), or with None drop every planned change; says what was
        done. An attached run (another process's) is asked through its control channel."""
        from aetui.core import hparams
        from aetui.core.errors import AetuiError

        state, runner = self.state, self.workbench.runner
        if not self.running or state is None:
            raise AetuiError("no run in progress: start it first (a recipe's [[schedule]] plans from the start)")
        epoch, values = None, None
        if text is not None:
            first, *rest = text.split() or [""]
            if not first.isdigit() or not rest:
                raise AetuiError(f"{text!r}: give the epoch, then KEY=VALUE, e.g. 5 beta=1")
            epoch, values = int(first), hparams.parse_assignments(rest, self.recipe.tunables)
        if runner.attached is not None:
            from aetui.core.control import remote

            answer = remote.send(runner.attached, "cancel" if text is None else "plan", values, at_epoch=epoch)
            if not answer.ok:
                raise AetuiError(answer.message)
            return answer.message
        if text is None:
            return f"cancelled {runner.controls.cancel_planned()} planned change(s)"
        if epoch <= max(state.epoch, 1) or epoch > state.epochs_total:
            raise AetuiError(f"epoch {epoch}: plan for an epoch after this one, up to {state.epochs_total}")
        checked = runner.controls.plan((epoch - 1) * state.steps_per_epoch, values, origin=events.WORKBENCH)
        return ", ".join(f"{k}={v:g}" for k, v in checked.items()) + f" planned from epoch {epoch}"

    def planned_at(self) -> list[float]:
        """Where each change planned ahead in the run in progress will take effect, in epochs (the
        chart's pending markers); none for an attached run (its plan is its trainer's)."""
        controls, state = self.workbench.runner.controls, self.state
        if not self.running or state is None or not hasattr(controls, "planned"):
            return []
        return [step / max(state.steps_per_epoch, 1) for step, _, _ in controls.planned()]

    def save_recipe(self, name: str) -> Path:
        """The current values as a new recipe in the user's recipe folder; returns its file."""
        data = recipes.tuned(self.recipe, name, self.params, self.settings)
        return recipes.save_user_recipe(data, paths.user_recipes())

    def status_line(self) -> Text:
        """The screen's first line: the recipe, where the run is, what is pending, what keys do."""
        state, runner = self.state, self.workbench.runner
        line = Text.assemble((self.recipe.name, "bold"), f" ({self.recipe.kind})")
        if state is None:
            busy = f" · a run of {runner.recipe.name} is in progress" if runner.active else ""
            if self.resume_from is not None:
                s = self.resume_from
                return line.append(f" · {s.status} after epoch {s.epochs_done} · ").append("space", "bold").append(
                    f" resumes {s.name} · r starts anew{busy}")
            return line.append(f" · ready{busy} · space starts · ? help")
        active = state.status in ("running", "paused", "starting")
        if active:
            where = f"epoch {max(state.epoch, 1)}/{state.epochs_total}"
            if state.validating:
                where += " · validating…"
            elif state.batch:
                where += f" · batch {state.batch}/{state.steps_per_epoch}"
        else:
            where = f"{len(state.epochs)}/{state.epochs_total} epochs saved"
        status = "stopping…" if self.stopping and active else state.status
        if runner.attached is not None:
            line.append(" · ").append("attached", "bold magenta")
        line.append(" · ").append(status, "bold").append(f" · {where}")
        pending = getattr(runner.controls, "pending", None)
        if pending and active:
            line.append(" · pending: " + ", ".join(f"{k}={v:g}" for k, v in pending.items()), "yellow")
        planned = runner.controls.planned() if active and hasattr(runner.controls, "planned") else []
        if planned:  # (changes planned ahead, until they apply: `p`, `x`)
            steps = max(state.steps_per_epoch, 1)
            line.append(" · planned: " + ", ".join(f"{k}={v:g} @{s // steps + 1}" for s, k, v in planned), "cyan")
        if state.status in ("diverged", "failed"):
            line.append(f" · {state.reason}")
        if self.resumable() is not None:
            line.append(" · ").append("u", "bold").append(" resumes")
        return line.append(f" · {state.session}")
